// SPDX-License-Identifier: GPL-2.0
/* A program the build also makes: not part of the library. */
#include <stdio.h>

#include "kbat.h"

int main(void)
{
	puts(kb_probe());
	return 0;
}
