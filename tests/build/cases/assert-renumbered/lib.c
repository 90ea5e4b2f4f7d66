// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture assert-renumbered: a new assert() renumbers every __PRETTY_FUNCTION__,
 * some used by two functions (an inlined callee's) */
#include <assert.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int check(int v)
{
	return v * 2 + (v > 1000);
}

/* inlined into both below: each uses two __PRETTY_FUNCTION__s */
static inline int in_range(int v)
{
	assert(v > -1000 && v < 1000);
	return v;
}

KB_NOINLINE int halve(int v)
{
	assert(v % 2 == 0);
	return in_range(v) / 2;
}

KB_NOINLINE int third(int v)
{
	assert(v >= 0);
	return in_range(v) / 3;
}
