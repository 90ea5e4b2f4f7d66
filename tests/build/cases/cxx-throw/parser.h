// SPDX-License-Identifier: GPL-2.0
#include <string>

struct Parser {
	virtual ~Parser() {}
	virtual int parse(const std::string &s) const;
};

Parser *kb_make_parser();
