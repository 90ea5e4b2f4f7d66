// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture ipa-ra-caller: a caller in the same file relied on the callee's register use (-fipa-ra): replaced too */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int score_a(int v)
{
	return v * 3 + 1;
}

KB_NOINLINE int score_b(int v)
{
	return v * 7 - 2;
}

KB_NOINLINE int total(int v)
{
	int a = score_a(v);
	int b = score_b(v);

	return a * 100 + b + score_a(b);
}
