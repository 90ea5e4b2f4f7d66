/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The activeness check: unwind every stopped thread's stack with libdw
 * (a memory reader over the backend, so it works with ptrace and kmod)
 * and report whether any frame is inside a given set of address ranges.
 */
#ifndef KPL_LIB_UNWIND_H
#define KPL_LIB_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kpl_proc;
struct kpl_unwind;

struct kpl_range {
	uint64_t lo, hi;	/* [lo, hi) */
	const char *name;
};

/* Report the process's modules (done before the stop: it is slow). */
int kpl_unwind__new(struct kpl_proc *p, struct kpl_unwind **out);
void kpl_unwind__free(struct kpl_unwind *u);

/*
 * kpl_unwind__busy() - with @p stopped, unwind each thread.
 * Return: 0 when no frame is in @ranges, -KPL_E_BUSY (and *@hit names
 * the range, *@tid the thread) when one is; an unwind that fails before
 * the stack's end counts as busy, since what it could not see may be.
 */
int kpl_unwind__busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		     size_t nr, const struct kpl_range **hit, int *tid);

/*
 * kpl_unwind__thread() - the same for one stopped thread @th, which need
 * not be one of a stopped process's (a borrowed thread).
 * Return: 0, or -KPL_E_BUSY with *@hit the range a frame is in, or NULL
 * when the stack could not be unwound to its end.
 */
struct kpl_thread;
int kpl_unwind__thread(struct kpl_unwind *u, const struct kpl_thread *th,
		       const struct kpl_range *ranges, size_t nr,
		       const struct kpl_range **hit);

#endif
