// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture multi-file: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int area(int w, int h);
int bonus(int w, int h);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "area=%d", area(3, 4));
	return buf;
}
