// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-virtual-throws: kb_probe() asks two shapes made
 * before any patch for their area, through their vtable, and catches what
 * area() lets through.  In a file of its own, so no change to the library
 * changes it.
 */
#include <cstdio>
#include <stdexcept>
#include <string>

#include "shape.h"

extern "C" __attribute__((visibility("default"))) const char *kb_probe(void)
{
	static char buf[128];
	static Shape *v[] = { make_rect(2, 3), make_rect(-1, 2) };
	std::string r;

	for (Shape *s : v) {
		try {
			r += std::to_string(s->area());
		} catch (const std::domain_error &e) {
			r += e.what();
		}
		r += s == v[0] ? " " : "";
	}
	snprintf(buf, sizeof(buf), "%s", r.c_str());
	return buf;
}
