// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-vtable-FAIL: a fix that adds a virtual method
#include "shape.h"

__attribute__((noinline)) int Square::area() const
{
	return side * side;
}
