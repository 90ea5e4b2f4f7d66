// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture multi-file: the fix adds perimeter() here */
#define KB_NOINLINE __attribute__((noinline))

KB_NOINLINE int bonus(int w, int h)
{
	return w + h + (w > 1000);
}

/* nothing yet */
