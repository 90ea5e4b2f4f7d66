// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-gd: a changed function uses an exported thread-local variable */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__attribute__((visibility("default"))) __thread int depth;

KB_NOINLINE int enter(void)
{
	return ++depth;
}
