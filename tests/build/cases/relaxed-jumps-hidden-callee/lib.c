// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture relaxed-jumps-hidden-callee: a relaxed function calls a hidden function of another file */

#define KB_NOINLINE __attribute__((noinline))

int kb_offset(int x); /* helper.c; hidden (-fvisibility=hidden) */

static KB_NOINLINE int scale(int x)
{
	return x * 7 + 3;
}

static KB_NOINLINE int twice(int x)
{
	return x * 2 - 5;
}

/*
 * Unchanged.  As in relaxed-jumps, its tail calls are shorter in the
 * library than in the recompile, so it is compared instruction by
 * instruction; its call to kb_offset(), hidden and defined in another
 * file (libxml2 calls every function of another file so, through
 * foo__internal_alias), names an undefined symbol in this object and a
 * local one in the library, which the call reaches directly (no PLT).
 */
KB_NOINLINE int walk(int x)
{
	x = kb_offset(x) + 1;
	if (x & 1)
		return scale(x);
	return twice(x);
}

/* Changed by the fix. */
KB_NOINLINE int answer(int x)
{
	if (x < 0)
		return -1;
	return scale(x + 41);
}
