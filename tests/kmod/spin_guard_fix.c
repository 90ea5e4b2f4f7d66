// SPDX-License-Identifier: GPL-2.0
/* The fixed spin_guard (tests/kmod): adds 1000, and counts nothing. */
extern volatile int spin_base[10];

int spin_guard(int x)
{
	return x + 7 + spin_base[3] + 1000;
}
