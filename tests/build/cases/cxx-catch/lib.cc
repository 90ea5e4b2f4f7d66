// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-catch: a function that catches what the library throws
#include <stdexcept>
#include <string>

#include "num.h"

__attribute__((noinline)) int parse_num(const std::string &s)
{
	int v = 0;

	if (s.empty())
		throw std::invalid_argument("empty");
	for (char c : s) {
		if (c < '0' || c > '9')
			throw BadNum(c);
		v = v * 10 + (c - '0');
	}
	return v;
}

__attribute__((noinline)) int safe_num(const std::string &s)
{
	try {
		return parse_num(s);
	} catch (const BadNum &e) {
		return -e.c;
	} catch (const std::invalid_argument &) {
		return -1;
	}
}
