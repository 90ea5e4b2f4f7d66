// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-template-new: a fix that instantiates a template anew (a new COMDAT group)
#include "box.h"

__attribute__((noipa)) int unbox(const Box<int> &b)
{
	return b.get();
}
