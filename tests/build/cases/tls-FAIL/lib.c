// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-FAIL: a changed function uses a thread-local variable */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__thread int depth;

KB_NOINLINE int enter(void)
{
	return ++depth;
}
