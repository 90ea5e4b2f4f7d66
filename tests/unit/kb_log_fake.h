/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build's printers (main.c) for the unit tests of the pieces that
 * stand alone (test_kplbuild_*.c): the last error kept in last_err, to
 * check what was said; notes dropped.  It defines them, so include it
 * in the test's one file, after "kpl-build.h" (or a header including it).
 */
#ifndef KPL_TEST_KB_LOG_FAKE_H
#define KPL_TEST_KB_LOG_FAKE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static char last_err[512];
bool kb_quiet;

void kb_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

void kb_info(const char *fmt, ...)
{
	(void)fmt;
}

#endif
