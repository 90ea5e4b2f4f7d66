// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture local-same-name: same-named statics in two files: the patch calls the right one */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE static int helper(int v)
{
	return v + 1 + (v > 1000);
}

KB_NOINLINE int via_a(int v)
{
	return helper(v) * 2;
}
