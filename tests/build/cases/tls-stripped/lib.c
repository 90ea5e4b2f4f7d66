// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture tls-stripped: a changed function of a stripped library uses static thread-local variables, which the file as shipped does not name */
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
