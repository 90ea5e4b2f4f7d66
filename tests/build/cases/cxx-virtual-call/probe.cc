// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-virtual-call: kb_probe(), what the test sees.
#include <cstdio>

#include "shape.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static const Square a(2), b(3);
	static const Shape *const v[] = { &a, &b };

	snprintf(buf, sizeof(buf), "total=%d", total(v, 2));
	return buf;
}
