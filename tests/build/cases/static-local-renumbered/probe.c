// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture static-local-renumbered: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int first(int v);
int tick(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "first=%d tick=%d", first(5), tick());
	return buf;
}
