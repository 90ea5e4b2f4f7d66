// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture program-no-pie: a changed function in the main program,
 * which answers the probe lines on stdin itself (as tests/build/host.c
 * does for the library cases).
 */
#include <stdio.h>

#define KB_NOINLINE __attribute__((noinline))

int limit = 100;
static int calls;

KB_NOINLINE int clamp(int v)
{
	calls++;
	if (v > limit)
		return limit;
	return v;
}

int main(void)
{
	char line[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		int v = clamp(170);

		printf("clamp(170)=%d calls=%d\n", v, calls);
	}
	return 0;
}
