// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture switch-lookup-table: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int prime(int n);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%d %d %d", prime(0), prime(4), prime(9));
	return buf;
}
