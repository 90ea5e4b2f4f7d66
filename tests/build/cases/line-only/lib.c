// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture line-only: a comment shifts __LINE__ in a function: no patch */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

int last_line;

KB_NOINLINE void note(int line)
{
	last_line = line;
}

KB_NOINLINE int check(int v)
{
	if (v < 0) {
		note(__LINE__);
		return -1;
	}
	return v * 2;
}
