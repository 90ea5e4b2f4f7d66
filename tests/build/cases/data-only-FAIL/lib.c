// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture data-only-FAIL: only a constant table changes, no function */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

static const int table[4] = { 1, 2, 3, 4 };

KB_NOINLINE int lookup(unsigned int i)
{
	return i < 4 ? table[i] : -1;
}
