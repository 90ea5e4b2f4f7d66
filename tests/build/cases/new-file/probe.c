// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture new-file: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int clamp(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "clamp(170)=%d", clamp(170));
	return buf;
}
