// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture string-before-label: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

int below_limit(const char *num, int incr);
int answer(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d/%d", answer(),
		 below_limit("1", 1));
	return buf;
}
