// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build's messages: every file reports through kb_err() and
 * kb_info(), so they live in a leaf of their own rather than in main.c,
 * which calls the commands.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "kpl-build.h"

bool kb_quiet;

void kb_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kpl-build: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kb_info(const char *fmt, ...)
{
	va_list ap;

	if (kb_quiet)
		return;
	fputs("kpl-build: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
