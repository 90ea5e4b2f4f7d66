// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-class-layout-FAIL: a fix that adds a member to a class
#include "account.h"

__attribute__((noinline)) int bank::Account::fee() const
{
	return balance / 10;
}
