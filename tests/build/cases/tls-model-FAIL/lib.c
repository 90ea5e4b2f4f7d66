// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-model-FAIL: a fix that reaches a thread-local variable another way than the library does */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__attribute__((tls_model("initial-exec"))) __thread int depth;

KB_NOINLINE int peek(void)
{
	return depth + 10;
}
