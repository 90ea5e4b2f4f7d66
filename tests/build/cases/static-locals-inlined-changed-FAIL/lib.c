// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture static-locals-inlined-changed-FAIL: the function using static locals of one name changes */

#define KB_NOINLINE __attribute__((noinline))
#define KB_INLINE static inline __attribute__((always_inline))

/*
 * As static-locals-inlined, but the fix changes walk, the function that
 * uses seen.0 and seen.1: the patch would refer to them, and nothing
 * says which of the library's is which.  Refused, naming them.
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
