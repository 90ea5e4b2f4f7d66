// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-ie: a changed function uses an initial-exec thread-local variable */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__attribute__((tls_model("initial-exec"))) __thread int depth;

KB_NOINLINE int enter(void)
{
	return ++depth;
}
