// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-template: kb_probe(), what the test sees.  It
// instantiates Box<int>::get too: the instance is in both objects.
#include <cstdio>

#include "box.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static volatile int seven = 7;
	Box<int> b{ seven };

	snprintf(buf, sizeof(buf), "unbox=%d get=%d", unbox(b), b.get());
	return buf;
}
