// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-virtual: kb_probe(), what the test sees.
#include <cstdio>

#include "shape.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static const Square s(3);
	const Shape *p = &s;

	snprintf(buf, sizeof(buf), "area=%d", p->area());
	return buf;
}
