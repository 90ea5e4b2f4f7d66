// SPDX-License-Identifier: GPL-2.0
#include "kbat.h"

#ifndef KB_SCALE
#error "scale.c built without its own flags (-DKB_SCALE)"
#endif

/* x times KB_SCALE, by adding: -O1 keeps the loop, -O2 would not. */
int kb_scale(int x)
{
	int r = 0, i;

	for (i = 0; i < KB_SCALE; i++)
		r += x;
	return r + 1;
}

/* Unchanged by the fix; its __FILE__ string must compare equal. */
const char *kb_where(void)
{
	return __FILE__;
}
