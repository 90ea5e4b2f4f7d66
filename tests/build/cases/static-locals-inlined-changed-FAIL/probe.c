// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture static-locals-inlined-changed-FAIL: kb_probe(), what the test
 * sees.  In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int walk(int v);
int answer(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d %d", answer(), walk(0));
	return buf;
}
