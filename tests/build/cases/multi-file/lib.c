// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture multi-file: changes in two files: one calls a global function the other adds */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

int perimeter(int w, int h);

KB_NOINLINE int area(int w, int h)
{
	return w * h + (w > 1000);
}
