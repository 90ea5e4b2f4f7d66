// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture new-function-table: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int twice(int v);
int thrice(int v);
int apply_op(int op, int v);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%d %d", apply_op(0, 5), apply_op(1, 5));
	return buf;
}
