// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-virtual: a changed virtual method, reached through its unchanged vtable
#include "shape.h"

__attribute__((noinline)) int Square::area() const
{
	return side * side;
}
