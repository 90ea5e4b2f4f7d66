// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-virtual-throws: a virtual method that calls C++ code that throws
#include <stdexcept>
#include <string>

#include "shape.h"

__attribute__((noinline)) int checked_mul(int a, int b)
{
	if (a < 0 || b < 0)
		throw std::domain_error("negative side");
	return a * b;
}

int Rect::area() const
{
	return checked_mul(w, h);
}

Shape *make_rect(int w, int h)
{
	return new Rect(w, h);
}
