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

/*
 * Fault injection for tests (built with -DKPL_FAULT_INJECT, as the ASan
 * build is): the Nth call in the process, N from $KPL_FAULT_KILL_AT,
 * kills the process with SIGKILL, so a test can kill the tool before
 * every ptrace request and every write to a target in turn.
 * $KPL_FAULT_COUNT set: each point is counted on stderr at exit.
 */
#ifdef KPL_FAULT_INJECT
void kpl_fault_point(const char *what);
/* Name the window the next points are in (NULL: none), for the log. */
void kpl_fault_tag(const char *tag);
#else
static inline void kpl_fault_point(const char *what)
{
	(void)what;
}

static inline void kpl_fault_tag(const char *tag)
{
	(void)tag;
}
#endif

#endif
