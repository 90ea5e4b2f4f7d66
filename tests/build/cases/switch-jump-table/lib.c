// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture switch-jump-table: a function with a jump table changes one case */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int calc(int op, int v)
{
	switch (op) {
	case 0: return v + 1;
	case 1: return v * 3;
	case 2: return v - 7;
	case 3: return v << 2;
	case 4: return v / 3;
	case 5: return ~v;
	case 6: return v ^ 0x55;
	case 7: return v % 7;
	default: return -1;
	}
}
