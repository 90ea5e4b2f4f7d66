// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture alias-jump-table: kb_probe(), what the test sees.
 * In a file of its own, so no change to the library changes it.
 */
#include <stdio.h>

struct kb_node {
	int op;
	const struct kb_node *l, *r;
};

int walk(const struct kb_node *n, int x);
int answer(void);

__attribute__((visibility("default"))) const char *kb_probe(void)
{
	static const struct kb_node zero = { 0, NULL, NULL };
	static const struct kb_node six = { 6, NULL, NULL };
	static const struct kb_node three = { 3, &zero, &six };
	static const struct kb_node top = { 5, &three, NULL };
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d/%d", answer(), walk(&top, 2));
	return buf;
}
