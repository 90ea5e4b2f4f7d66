// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture cold-part: only the .cold part GCC split off a function changes */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__attribute__((cold, noinline)) void report_bad(const char *what, int c)
{
	fprintf(stderr, "%s: %d\n", what, c);
}

KB_NOINLINE int parse_digit(int c)
{
	if (__builtin_expect(c < '0' || c > '9', 0)) {
		report_bad("bad digit", c);
		return -1;
	}
	return c - '0';
}
