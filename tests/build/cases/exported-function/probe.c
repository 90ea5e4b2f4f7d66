// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture exported-function: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int api_version(int major);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "version=%d", api_version(2));
	return buf;
}
