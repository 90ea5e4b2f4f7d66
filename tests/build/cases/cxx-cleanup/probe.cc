// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-cleanup: kb_probe() calls work() twice, the second
 * time to throw through it, catches, and says what the destructors that
 * ran added.  In a file of its own, so no change to the library changes it.
 */
#include <cstdio>
#include <stdexcept>

#include "guard.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	int c0 = cleanups, a, caught = 0;

	a = work(2);
	try {
		work(5);
	} catch (const std::length_error &) {
		caught = 1;
	}
	snprintf(buf, sizeof(buf), "%d %s cleanups=%d", a,
		 caught ? "caught" : "escaped", cleanups - c0);
	return buf;
}
