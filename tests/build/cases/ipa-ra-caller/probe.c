// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture ipa-ra-caller: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int score_a(int v);
int score_b(int v);
int total(int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "total=%d", total(10));
	return buf;
}
