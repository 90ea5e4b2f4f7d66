// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture data-only-FAIL: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int lookup(unsigned int i);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "lookup(3)=%d", lookup(3));
	return buf;
}
