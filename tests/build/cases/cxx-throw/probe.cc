// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-throw: kb_probe() parses three strings and
 * catches what parse() throws.  In a file of its own, so no change to the
 * library changes it.
 */
#include <cstdio>
#include <stdexcept>
#include <string>

#include "parser.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static Parser *p = kb_make_parser();
	std::string r;

	for (const char *in : { "abc", "", "abcdefghij" }) {
		try {
			r += std::to_string(p->parse(in));
		} catch (const std::invalid_argument &) {
			r += "E";
		}
		r += in[0] == 'a' && in[3] == 'd' ? "" : " ";
	}
	snprintf(buf, sizeof(buf), "%s", r.c_str());
	return buf;
}
