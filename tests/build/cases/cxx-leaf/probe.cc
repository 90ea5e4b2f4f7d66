// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-leaf: kb_probe(), what the test sees.
#include <cstdio>

#include "account.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	Account a{ 500 }, b{ 5000 };

	snprintf(buf, sizeof(buf), "fee(500)=%d fee(5000)=%d", a.fee(), b.fee());
	return buf;
}
