// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-leaf: a C++ member function that calls nothing
#include "account.h"

__attribute__((noinline)) int Account::fee() const
{
	return balance / 10;
}
