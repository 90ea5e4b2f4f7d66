// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture same-name-statics-changed: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int via_a(int v);
int via_b(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "a=%d b=%d", via_a(10), via_b(10));
	return buf;
}
