// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture changed-string-literal: a function returns a different string literal */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE const char *greeting(int formal)
{
	return formal ? "good day" : "hi";
}
