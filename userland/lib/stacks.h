/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The live parts of a stopped process's stacks, read many at a time
 * (stacks.c): the activeness check scans every thread's stack inside the
 * stop, and one system call for many is shorter there than one each.
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
	size_t len;	/* to the top of its mapping; 0: not to be read */
	size_t off;	/* in the buffer, while in the batch read */
	bool ok;	/* read, in the batch in the buffer */
	bool tried;	/* in the batch read: read or not, no use again */
};

struct kpl_stacks {
	struct kpl_proc *p;
	const struct kpl_maps *maps;	/* where each stack's top is */
	size_t max;	/* bytes of one stack at most */
	uint8_t *buf;	/* faulted in before the stop; never grows in it */
	size_t cap;
	struct kpl_stack *v;	/* one per thread of the stop */
	size_t nr, vcap;
	uint64_t stop;		/* the stop @v describes (p->stops) */
	size_t first, last;	/* the batch in @buf: stacks [first, last) */
	bool refused;		/* process_vm_readv() refused: read alone */
	uint8_t *one;		/* kpl_stacks__one()'s */
	size_t one_cap;
};

/*
 * The stacks of @p, whose mappings are @maps, at most @max bytes each,
 * with room for @bytes of them faulted in now (before a stop).
 */
int kpl_stacks__init(struct kpl_stacks *s, struct kpl_proc *p,
		     const struct kpl_maps *maps, size_t max, size_t bytes);
void kpl_stacks__free(struct kpl_stacks *s);

/*
 * In a stop of the process: stop thread @i's live stack, [sp, top of the
 * mapping it lies in), read in a batch with the threads after it that
 * fit in the buffer (one process_vm_readv()), so that asking for the
 * threads in order reads each batch once.  NULL when it is not to be had
 * this way: with *@tried false (its mapping unknown, longer than the
 * bound or the buffer) the caller may read it alone; with *@tried true
 * it was tried and is unreadable.  Valid until the next call.
 */
const uint8_t *kpl_stacks__get(struct kpl_stacks *s, size_t i, uint64_t *lo,
			       size_t *len, bool *tried);

/* The live stack at @sp read alone (kpl_proc__read()), or NULL.  Valid
 * until the next call. */
const uint8_t *kpl_stacks__one(struct kpl_stacks *s, uint64_t sp,
			       uint64_t *lo, size_t *len);

struct kpl_range;

/*
 * Can a frame of the thread at @ip with the live stack @b of @len bytes
 * lie in one of @ranges?  A frame inside a range needs a return address
 * into it on the stack (or the IP itself, for the innermost frame), so
 * when no word of the stack points into any range, none can: a sound
 * and cheap answer for most threads.  A word that does point there may
 * be a stale value, so only then is the stack unwound precisely.
 */
bool kpl_stacks__may_hit(const uint8_t *b, size_t len, uint64_t ip,
			 const struct kpl_range *ranges, size_t nr);

#endif
