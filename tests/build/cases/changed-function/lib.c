// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture changed-function: a changed function that uses unchanged static data */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

static int max_value = 100;

KB_NOINLINE int clamp(int v)
{
	if (v > max_value)
		return max_value;
	if (v < 0)
		return 0;
	return v;
}
