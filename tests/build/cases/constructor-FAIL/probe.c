// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture constructor-FAIL: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int is_ready(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "is_ready=%d", is_ready(3));
	return buf;
}
