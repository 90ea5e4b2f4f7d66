// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture global-size-FAIL: a global array grows */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

char history[16];

KB_NOINLINE const char *record(const char *s)
{
	snprintf(history, sizeof(history), "%s", s);
	return history;
}
