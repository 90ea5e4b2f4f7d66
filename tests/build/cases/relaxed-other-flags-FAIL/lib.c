// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture relaxed-other-flags-FAIL: the library was built with other flags */

#define KB_NOINLINE __attribute__((noinline))

static KB_NOINLINE int scale(int x)
{
	return x * 7 + 3;
}

static KB_NOINLINE int twice(int x)
{
	return x * 2 - 5;
}

/*
 * Unchanged in the source, but the library here is built with
 * -fno-optimize-sibling-calls as well: its tail calls are calls and
 * returns, which the recompile does not have.  Its size differs as it
 * does when only the jumps were shortened; its code does not match.
 */
KB_NOINLINE int walk(int x)
{
	if (x & 1)
		return scale(x);
	return twice(x);
}

/* Changed by the fix: its tail call is shortened in the library too. */
KB_NOINLINE int answer(int x)
{
	if (x < 0)
		return -1;
	return scale(x + 41);
}
