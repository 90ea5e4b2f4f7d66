// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture new-file: the fix adds a source file with a function a changed function calls */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int clamp(int v)
{
	if (v > 100)
		return 100;
	if (v < 0)
		return 0;
	return v;
}
