// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture relaxed-jumps-hidden-callee: the hidden callee, in a file of its own */

__attribute__((noinline)) int kb_offset(int x)
{
	return x + 10;
}
