// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture stripped-static: a global of its object, hidden
 * (-fvisibility=hidden), so a local of the linked library, with no name
 * at all once the library is stripped.
 */
__attribute__((noinline)) int kb_hidden_add(int a, int b)
{
	return a + b;
}
