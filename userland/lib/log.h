/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef KPL_LIB_LOG_H
#define KPL_LIB_LOG_H

#include "kpl/log.h"

__attribute__((format(printf, 2, 3)))
void kpl_print(enum kpl_print_level level, const char *fmt, ...);

#define pr_warn(fmt, ...) kpl_print(KPL_WARN, "libkpl: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) kpl_print(KPL_INFO, "libkpl: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) kpl_print(KPL_DEBUG, "libkpl: " fmt, ##__VA_ARGS__)

#endif
