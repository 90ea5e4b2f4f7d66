// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cold-part: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int parse_digit(int c);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%d %d", parse_digit('7'), parse_digit('x'));
	return buf;
}
