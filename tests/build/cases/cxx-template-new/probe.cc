// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-template-new: kb_probe(), what the test sees.
#include <cstdio>

#include "box.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static volatile int seven = 7;
	Box<int> b{ seven };

	snprintf(buf, sizeof(buf), "unbox=%d", unbox(b));
	return buf;
}
