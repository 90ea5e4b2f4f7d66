// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture same-name-statics-changed: statics of the same name in two files both change: the patch renames one */
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
