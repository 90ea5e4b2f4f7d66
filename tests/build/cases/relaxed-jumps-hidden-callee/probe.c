// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture relaxed-jumps-hidden-callee: kb_probe(), what the
 * test sees.  In a file of its own, so no change to the library changes
 * it.
 */
#include <stdio.h>

int walk(int x);
int answer(int x);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d/%d/%d", answer(0), walk(1), walk(2));
	return buf;
}
