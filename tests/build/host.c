// SPDX-License-Identifier: GPL-2.0
/*
 * The process a builder fixture patches: it links the fixture library and
 * prints what kb_probe() returns each time a line arrives on stdin.  It
 * waits in read() in between, so no fixture function is ever on a stack
 * while kpl applies or reverts.
 */
#include <stdio.h>

const char *kb_probe(void);

int main(void)
{
	char line[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q')
		printf("%s\n", kb_probe());
	return 0;
}
