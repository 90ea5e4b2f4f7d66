// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture inlined-callee-changed: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int score_a(int v);
int score_b(int v);
int score_c(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "a=%d b=%d c=%d", score_a(10), score_b(10), score_c(10));
	return buf;
}
