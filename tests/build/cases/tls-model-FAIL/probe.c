// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture tls-model-FAIL: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int peek(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "peek=%d", peek());
	return buf;
}
