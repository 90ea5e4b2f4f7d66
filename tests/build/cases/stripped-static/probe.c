// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture stripped-static: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int kb_value(int x);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "value=%d", kb_value(2));
	return buf;
}
