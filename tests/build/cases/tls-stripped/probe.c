// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture tls-stripped: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int enter(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static __thread char buf[128];

	snprintf(buf, sizeof(buf), "enter=%d", enter(1));
	return buf;
}
