// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture constructor-FAIL: the fix adds a constructor */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

int ready;

KB_NOINLINE int is_ready(int v)
{
	return ready ? v : -v;
}
