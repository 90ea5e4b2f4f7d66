// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture switch-jump-table: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int calc(int op, int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%d %d %d", calc(4, 30), calc(1, 30), calc(7, 30));
	return buf;
}
