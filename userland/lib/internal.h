/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef KPL_INTERNAL_H
#define KPL_INTERNAL_H

#include <stdint.h>

#include "kpl/errors.h"
#include "log.h"

/* Mark a symbol as part of libkpl's exported ABI. */
#define KPL_API __attribute__((visibility("default")))

#define KPL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds (txn.c). */
uint64_t kpl_now_ns(void);

#endif
