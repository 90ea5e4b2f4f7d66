// SPDX-License-Identifier: GPL-2.0
#include "bias.h"
#include "kbat.h"

/* x times KB_SCALE, by adding, plus KB_BIAS (bias.h). */
int kb_scale(int x)
{
	int r = 0, i;

	for (i = 0; i < KB_SCALE; i++)
		r += x;
	return r + KB_BIAS;
}

const char *kb_where(void)
{
	return __FILE__;
}
