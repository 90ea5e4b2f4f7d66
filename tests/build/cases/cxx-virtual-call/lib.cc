// SPDX-License-Identifier: GPL-2.0
// kpl-build fixture cxx-virtual-call: a function that calls virtual methods
#include "shape.h"

int Square::area() const
{
	return side * side;
}

__attribute__((noinline)) int total(const Shape *const *v, int n)
{
	int t = 0;

	for (int i = 0; i < n; i++)
		t += v[i]->area();
	return t;
}
