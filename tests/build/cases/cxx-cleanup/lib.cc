// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-cleanup: a function whose local object's destructor runs when an exception passes
#include <stdexcept>

#include "guard.h"

int cleanups;

Guard::~Guard()
{
	cleanups += n;
}

__attribute__((noinline)) void check_len(int n)
{
	if (n > 3)
		throw std::length_error("too long");
}

__attribute__((noinline)) int work(int n)
{
	Guard g(1);

	check_len(n);
	return n * 2;
}
