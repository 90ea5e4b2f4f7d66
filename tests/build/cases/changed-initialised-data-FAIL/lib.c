// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture changed-initialised-data-FAIL: the initial value of a global changes */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

int limit = 100;

KB_NOINLINE int clamp(int v)
{
	return v > limit ? limit : v;
}
