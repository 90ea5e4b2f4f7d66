// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture data-layout-FAIL: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>
#include "point.h"
int weigh(const struct point *p);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "weigh=%d", weigh(&(struct point){ 3, 4 }));
	return buf;
}
