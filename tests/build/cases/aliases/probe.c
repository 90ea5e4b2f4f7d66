// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture aliases: kb_probe(), what the test sees.  In a file
 * of its own, so no change to the library changes it.  It calls the
 * exported names: the library's own calls go to the hidden ones.
 */
#include <stdio.h>

int kb_scan(int op, int v);
int kb_decode(int v);
int answer(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d %d %d", answer(), kb_scan(1, 30),
		 kb_decode(2));
	return buf;
}
