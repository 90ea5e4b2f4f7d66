// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture switch-lookup-table: a switch GCC turns into a table (CSWTCH.N) changes only in the table */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int prime(int n)
{
	switch (n) {
	case 0: return 2;
	case 1: return 3;
	case 2: return 5;
	case 3: return 7;
	case 4: return 11;
	case 5: return 13;
	case 6: return 17;
	default: return -1;
	}
}
