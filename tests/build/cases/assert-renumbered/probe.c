// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture assert-renumbered: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int check(int v);
int halve(int v);
int third(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "check=%d halve=%d third=%d", check(5),
		 halve(10), third(9));
	return buf;
}
