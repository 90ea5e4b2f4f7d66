// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture same-name-statics-changed: another static helper() */
#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE static int helper(int v)
{
	return v + 100 + (v > 1000);
}

KB_NOINLINE int via_b(int v)
{
	return helper(v) * 2;
}
