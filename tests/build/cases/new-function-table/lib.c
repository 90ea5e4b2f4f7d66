// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture new-function-table: a changed function uses a new table of pointers to existing functions */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int twice(int v)
{
	return v * 2 + (v > 1000);
}

KB_NOINLINE int thrice(int v)
{
	return v * 3 + (v > 1000);
}

KB_NOINLINE int apply_op(int op, int v)
{
	return op ? thrice(v) : twice(v);
}
