// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-catch: kb_probe() asks safe_num() about four
 * strings, none of which may escape it.  In a file of its own, so no
 * change to the library changes it.
 */
#include <cstdio>
#include <string>

#include "num.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	std::string r;

	for (const char *in : { "12", "", "1x", "5000" })
		r += std::to_string(safe_num(in)) + (in[0] == '5' ? "" : " ");
	snprintf(buf, sizeof(buf), "%s", r.c_str());
	return buf;
}
