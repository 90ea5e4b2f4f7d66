// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-class-layout-FAIL: kb_probe(), what the test sees.
#include <cstdio>

#include "account.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	bank::Account a{};

	a.balance = 500;
	snprintf(buf, sizeof(buf), "fee(500)=%d", a.fee());
	return buf;
}
