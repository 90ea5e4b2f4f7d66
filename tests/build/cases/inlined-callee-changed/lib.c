// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture inlined-callee-changed: a static inline helper changes: every caller it was inlined into is replaced */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

static inline int weight(int v)
{
	return v * 3 + (v >> 1);
}

KB_NOINLINE int score_a(int v)
{
	return weight(v) * v + 1;
}

KB_NOINLINE int score_b(int v)
{
	return weight(v) - v * 7;
}

KB_NOINLINE int score_c(int v)
{
	return v * v - 5;
}
