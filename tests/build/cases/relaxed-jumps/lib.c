// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture relaxed-jumps: the library was assembled with one .text */

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
 * Unchanged.  Built as the library is, without -ffunction-sections, its
 * two tail calls stay in one section and the assembler shortens them to
 * 2-byte jumps (and the alignment NOP between them to 4 bytes); kpl-build
 * compiles each function in a section of its own, where they are 5-byte
 * jumps with a relocation: 18 bytes against 21, the same code.
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
