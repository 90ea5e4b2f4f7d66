// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture exported-function: a function the library exports (default visibility) changes */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

__attribute__((visibility("default"))) KB_NOINLINE int api_version(int major)
{
	return major * 100 + 3 + (major > 1000);
}
