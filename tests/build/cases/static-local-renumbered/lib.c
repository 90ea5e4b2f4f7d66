// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture static-local-renumbered: a static local keeps its state although GCC renumbers it */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int first(int v)
{
	return v * 2 + (v > 1000);
}

KB_NOINLINE int tick(void)
{
	static int count;

	count += 1;
	return count;
}
