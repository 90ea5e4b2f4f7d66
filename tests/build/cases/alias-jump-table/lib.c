// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture alias-jump-table: a function with a local alias and a jump table */

#define KB_NOINLINE __attribute__((noinline))
#define KB_EXPORT __attribute__((visibility("default")))

struct kb_node {
	int op;
	const struct kb_node *l, *r;
};

KB_NOINLINE int leaf(int x)
{
	return x * 3 + 1;
}

/*
 * Unchanged.  Exported and calling itself, so under -fPIC GCC gives it a
 * second name, walk.localalias, for the calls from inside the file; and
 * its switch is a jump table whose last entry points past the function's
 * end (.text.walk + 0xf0, in a function of 0xf3 bytes: each entry's
 * addend adds its place in the table).  SQLite's sqlite3ExprIfFalse()
 * is such a function.
 */
KB_EXPORT int walk(const struct kb_node *n, int x)
{
	switch (n->op) {
	case 0:
		return leaf(x) + 1;
	case 1:
		return walk(n->l, x * 3) + 7;
	case 2:
		return leaf(x * 5) - 2;
	case 3:
		return walk(n->r, x + 11) * walk(n->l, x);
	case 4:
		return leaf(x ^ 0x55);
	case 5:
		return walk(n->l, x) * 2;
	case 6:
		return leaf(x - 9) * 3;
	default:
		return -1;
	}
}

KB_NOINLINE int answer(void)
{
	return 41;
}
