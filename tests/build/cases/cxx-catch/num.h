// SPDX-License-Identifier: GPL-2.0
#include <string>

struct BadNum {
	char c;
	explicit BadNum(char ch) : c(ch) {}
};

int parse_num(const std::string &s);
int safe_num(const std::string &s);
