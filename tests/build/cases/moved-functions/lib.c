// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture moved-functions: functions reordered and a comment added: no patch */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int twice(int v)
{
	return v * 2 + (v > 1000);
}

KB_NOINLINE int thrice(int v)
{
	return v * 3 + (v > 1000);
}
