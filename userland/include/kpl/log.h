/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* libkpl logging: one hook for every message the library emits. */
#ifndef KPL_LOG_H
#define KPL_LOG_H

#include <stdarg.h>

enum kpl_print_level {
	KPL_WARN,
	KPL_INFO,
	KPL_DEBUG,
};

typedef int (*kpl_print_fn_t)(enum kpl_print_level level, const char *fmt,
			      va_list ap);

/*
 * kpl_set_print() - route library messages through @fn.
 * The default prints warnings to stderr.  NULL silences the library.
 * Return: the previous hook.
 */
kpl_print_fn_t kpl_set_print(kpl_print_fn_t fn);

#endif
