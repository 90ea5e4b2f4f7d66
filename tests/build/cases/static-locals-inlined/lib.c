// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture static-locals-inlined: static locals of one name that only the functions using them could tell apart */

#define KB_NOINLINE __attribute__((noinline))
#define KB_INLINE static inline __attribute__((always_inline))

/*
 * As libxml2's c14n.c: two functions declare a static local of the same
 * name, and both are inlined into one caller.  seen.0 and seen.1 are
 * writable, zero, and used by the same function (walk): nothing tells
 * them apart.  walk does not change, so no code of the patch uses them
 * and the fix of answer() must not be refused for them.
 */
KB_INLINE int count_one(int v)
{
	static int seen;

	seen += v;
	return seen;
}

KB_INLINE int count_two(int v)
{
	static int seen;

	seen += 2 * v;
	return seen;
}

KB_NOINLINE int walk(int v)
{
	return count_one(v) * 100 + count_two(v);
}

KB_NOINLINE int answer(void)
{
	return 41;
}
