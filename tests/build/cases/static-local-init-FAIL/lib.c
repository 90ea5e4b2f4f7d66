// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture static-local-init-FAIL: a static local variable gets another initial value */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int counter(void)
{
	static int n = 5;

	return n++;
}
