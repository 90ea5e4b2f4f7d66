// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture moved-functions: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int twice(int v);
int thrice(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%d %d", twice(4), thrice(4));
	return buf;
}
