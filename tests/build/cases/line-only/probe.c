// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture line-only: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

void note(int line);
int check(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "check(4)=%d", check(4));
	return buf;
}
