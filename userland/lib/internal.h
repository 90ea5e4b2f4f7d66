/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef KPL_INTERNAL_H
#define KPL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kpl/errors.h"
#include "log.h"

/* Mark a symbol as part of libkpl's exported ABI. */
#define KPL_API __attribute__((visibility("default")))

#define KPL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds (txn.c). */
uint64_t kpl_now_ns(void);

/*
 * Fault in the pages of [@p, @p + @len) now by writing a zero to one byte
 * of each (volatile: a malloc and a memset of zeros may become a calloc,
 * which skips fresh pages).  For buffers written inside a stop, by us or
 * by the kernel, whose contents do not matter yet: a page fault there is
 * the target's time, and under TCG one costs tens of microseconds.
 */
static inline void kpl_prefault(void *p, size_t len)
{
	volatile uint8_t *b = p;
	size_t off;

	for (off = 0; off < len; off += 4096)
		b[off] = 0;
	if (len)	/* @p need not start a page: its last one too */
		b[len - 1] = 0;
}

/*
 * realloc() @p, an array of @had elements of @size bytes, to @want
 * (more) elements, the new ones faulted in (kpl_prefault(): for what a
 * stop writes).  The new array, or NULL with @p left as it was.
 */
static inline void *kpl_realloc_faulted(void *p, size_t had, size_t want,
					size_t size)
{
	uint8_t *n = realloc(p, want * size);

	if (n)
		kpl_prefault(n + had * size, (want - had) * size);
	return n;
}

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
