// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-template: a changed template instance (a COMDAT group)
#include "box.h"

__attribute__((noipa)) int unbox(const Box<int> &b)
{
	return b.get();
}
