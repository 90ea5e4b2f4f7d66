// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture string-before-label: an unchanged function points before a string literal */

#define KB_NOINLINE __attribute__((noinline))

/*
 * GCC addresses the literal from one byte before it
 * (lea .LC0-0x5(%rip): .LC0 - 1, minus 4 for the PC-relative field), as
 * in SQLite's sqlite3Atoi64().  It does not change: it must not be taken
 * for a changed function.
 */
KB_NOINLINE int below_limit(const char *num, int incr)
{
	const char *limit = "922337203685477580";
	int c = 0, i;

	for (i = 0; c == 0 && i < 18; i++)
		c = (num[i * incr] - limit[i]) * 10;
	return c < 0;
}

KB_NOINLINE int answer(void)
{
	return 41;
}
