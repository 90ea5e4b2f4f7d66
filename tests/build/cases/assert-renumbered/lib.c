// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture assert-renumbered: a new assert() renumbers every __PRETTY_FUNCTION__ */
#include <assert.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int check(int v)
{
	return v * 2 + (v > 1000);
}

KB_NOINLINE int halve(int v)
{
	assert(v % 2 == 0);
	return v / 2;
}

KB_NOINLINE int third(int v)
{
	assert(v >= 0);
	return v / 3;
}
