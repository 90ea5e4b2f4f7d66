// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-ld: a changed function uses static thread-local variables */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

static __thread int calls;
static __thread int total;

KB_NOINLINE int enter(int v)
{
	calls++;
	total += v;
	return total * 100 + calls;
}
