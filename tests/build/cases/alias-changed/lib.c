// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture alias-changed: a changed function with a local alias */

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
 * Changed by the fix.  Exported and calling itself, so under -fPIC GCC
 * gives it a second name, walk.localalias, for the calls from inside the
 * file: both names change, and one jump at walk's entry replaces both.
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
