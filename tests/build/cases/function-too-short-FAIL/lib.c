// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture function-too-short-FAIL: a function too short to take a jump changes */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int zero(void)
{
	return 0;
}
