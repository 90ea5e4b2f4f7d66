// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stdio.h>

#include "internal.h"

static int kpl_default_print(enum kpl_print_level level, const char *fmt,
			     va_list ap)
{
	if (level != KPL_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static kpl_print_fn_t kpl_print_fn = kpl_default_print;

KPL_API kpl_print_fn_t kpl_set_print(kpl_print_fn_t fn)
{
	kpl_print_fn_t old = kpl_print_fn;

	kpl_print_fn = fn;
	return old;
}

void kpl_print(enum kpl_print_level level, const char *fmt, ...)
{
	kpl_print_fn_t fn = kpl_print_fn;
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	fn(level, fmt, ap);
	va_end(ap);
}
