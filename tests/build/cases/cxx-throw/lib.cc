// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-throw: a virtual method that throws on bad input
#include <stdexcept>
#include <string>

#include "parser.h"

int Parser::parse(const std::string &s) const
{
	if (s.empty())
		throw std::invalid_argument("empty");
	return (int)s.size();
}

Parser *kb_make_parser()
{
	return new Parser();
}
