// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture data-layout-FAIL: a struct in a header, reached only through pointers, changes its layout */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))
#include "point.h"

KB_NOINLINE int weigh(const struct point *p)
{
	return p->x * 10 + p->y;
}
