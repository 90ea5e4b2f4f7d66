/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The live parts of a stopped process's stacks, read at once (stacks.c):
 * the activeness check scans every thread's stack inside the stop, and
 * one system call for all of them is shorter there than one each.
 */
#ifndef KPL_LIB_STACKS_H
#define KPL_LIB_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kpl_proc;
struct kpl_maps;

struct kpl_stack {
	uint64_t lo;	/* the stack pointer, 8-aligned down */
	size_t len;	/* to the top of its mapping */
	size_t off;	/* in the buffer */
	bool ok;	/* read */
};

struct kpl_stacks {
	uint8_t *buf;	/* mmap()ed and populated: no fault in the stop */
	size_t cap;
	struct kpl_stack *v;	/* one per thread of the stop read */
	size_t nr, vcap;
	uint64_t stop_ns;	/* the stop they were read in (p->stop_ns) */
};

/* Room for @bytes of stacks, faulted in now (before a stop). */
int kpl_stacks__init(struct kpl_stacks *s, size_t bytes);
void kpl_stacks__free(struct kpl_stacks *s);

/*
 * In a stop of @p: read each thread's live stack, [sp, top of the mapping
 * of @maps it lies in), at most @max bytes each, with process_vm_readv()
 * for all of them; a stack that call could not read is read alone with
 * kpl_proc__read().  Done once per stop: a second call in the same stop
 * keeps what the first read.
 */
void kpl_stacks__read(struct kpl_stacks *s, struct kpl_proc *p,
		      const struct kpl_maps *maps, size_t max);

/* Thread @i's stack (p->threads[@i]) as read in @p's current stop, or
 * NULL: not read (unknown mapping, too deep, unreadable). */
const uint8_t *kpl_stacks__get(const struct kpl_stacks *s,
			       const struct kpl_proc *p, size_t i,
			       uint64_t *lo, size_t *len);

#endif
