// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The stopped threads' live stacks, read many at a time with
 * process_vm_readv(): the activeness check read them one pread
 * (ptrace) or one KPL_IOC_READ (kmod) each, inside the stop, and under
 * TCG each such call cost 23-170 us (docs/kmod.md, "The stack scan and
 * the stop's page faults").
 *
 * The buffer is sized and faulted in before the stop and never grows in
 * it: a batch is the stacks from the one asked for on that fit in it
 * (a first version that grew the buffer to hold every stack, with
 * mmap(MAP_POPULATE), made the kmod stop at 16 and 64 threads longer in
 * the guest, not shorter).  A stack larger than the buffer, or whose
 * mapping is unknown, is left to the caller, which reads it alone.
 *
 * process_vm_readv() stops at the first remote range it cannot read and
 * says how many bytes it did read (part of that range may be among
 * them); that range is read alone the old way, which may read what the
 * call could not (the kmod module and /proc/PID/mem force access), and
 * the batch goes on from the next.  A kernel without the call, or a
 * refusal, sends every stack the old way.  The lengths come from kpl's
 * own maps read, bounded by the caller's @max and the buffer.
 *
 * Nothing of the target changes meanwhile: its threads are stopped.
 * With the kmod backend that holds only until the module's hold time
 * runs out; past it the old KPL_IOC_READ failed (the thread was called
 * busy) where process_vm_readv() reads a stack that runs again.  No
 * harm comes of it: the writes that follow go through the module,
 * which refuses them then, and the apply is retried.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "backend/backend.h"
#include "internal.h"
#include "maps.h"
#include "stacks.h"
#include "unwind.h"

/* Ranges per process_vm_readv(): the kernel takes at most IOV_MAX. */
#define STACKS_IOV 64

static int grow_buf(struct kpl_stacks *s, size_t bytes)
{
	uint8_t *b;

	if (bytes <= s->cap)
		return 0;
	b = kpl_realloc_faulted(s->buf, s->cap, bytes, 1);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->cap = bytes;
	return 0;
}

static int grow_v(struct kpl_stacks *s, size_t nr)
{
	struct kpl_stack *v;

	if (nr <= s->vcap)
		return 0;
	v = kpl_realloc_faulted(s->v, s->vcap, nr, sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->vcap = nr;
	return 0;
}

int kpl_stacks__init(struct kpl_stacks *s, struct kpl_proc *p,
		     const struct kpl_maps *maps, size_t max, size_t bytes)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->maps = maps;
	s->max = max;
	if (grow_buf(s, bytes) || grow_v(s, 128)) {
		kpl_stacks__free(s);
		return -ENOMEM;
	}
	return 0;
}

void kpl_stacks__free(struct kpl_stacks *s)
{
	free(s->buf);
	free(s->one);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* [sp & ~7, top of the mapping sp lies in), or false. */
static bool live_part(const struct kpl_maps *maps, uint64_t sp, size_t max,
		      uint64_t *lo, size_t *len)
{
	size_t i;

	*lo = sp & ~7ull;
	for (i = 0; i < maps->nr; i++) {
		if (*lo >= maps->v[i].start && *lo < maps->v[i].end) {
			*len = maps->v[i].end - *lo;
			return *len <= max;
		}
	}
	return false;
}

static void read_alone(struct kpl_stacks *s, size_t i)
{
	struct kpl_stack *st = &s->v[i];

	st->ok = !kpl_proc__read(s->p, st->lo, s->buf + st->off, st->len);
	st->tried = true;
}

/* Where each of the stop's threads' stacks lies: once per stop. */
static bool plan(struct kpl_stacks *s)
{
	struct kpl_proc *p = s->p;
	size_t i, max = s->max < s->cap ? s->max : s->cap;

	if (s->nr && s->stop == p->stops && p->stopped)
		return true;
	if (!p->stopped)
		return false;
	s->nr = 0;
	if (grow_v(s, p->nr_threads))
		return false;
	for (i = 0; i < p->nr_threads; i++) {
		struct kpl_stack *st = &s->v[i];

		memset(st, 0, sizeof(*st));
		if (!live_part(s->maps, p->threads[i].sp, max, &st->lo,
			       &st->len))
			st->len = 0;
	}
	s->nr = p->nr_threads;
	s->stop = p->stops;
	s->first = s->last = 0;
	s->refused = false;
	return true;
}

/*
 * Read the batch that starts at stack @from: the stacks from it on that
 * fit in the buffer together, at most STACKS_IOV of them, with one
 * process_vm_readv() (and one more after each that fails and is read
 * alone).
 */
static void read_batch(struct kpl_stacks *s, size_t from)
{
	struct iovec l[STACKS_IOV], r[STACKS_IOV];
	size_t i, k, n = 0, used = 0, idx[STACKS_IOV];
	ssize_t got;

	for (i = from; i < s->nr && n < STACKS_IOV; i++) {
		struct kpl_stack *st = &s->v[i];

		st->ok = st->tried = false;
		if (!st->len)
			continue;
		if (st->len > s->cap - used)
			break;
		st->off = used;
		used += st->len;
		l[n].iov_base = s->buf + st->off;
		r[n].iov_base = (void *)(uintptr_t)st->lo;
		l[n].iov_len = r[n].iov_len = st->len;
		idx[n++] = i;
	}
	s->first = from;
	s->last = i;
	for (k = 0; k < n;) {
		if (s->refused) {
			read_alone(s, idx[k++]);
			continue;
		}
		got = process_vm_readv(s->p->pid, l + k, n - k, r + k, n - k,
				       0);
		if (got < 0 && errno != EFAULT) {
			s->refused = true;	/* the old way from now on */
			continue;
		}
		/* @got bytes: the ranges it covers whole were read; the
		 * next one failed or was cut short (EFAULT: the first). */
		for (; k < n && got >= (ssize_t)r[k].iov_len; k++) {
			got -= (ssize_t)r[k].iov_len;
			s->v[idx[k]].ok = s->v[idx[k]].tried = true;
		}
		if (k < n)
			read_alone(s, idx[k++]);
	}
}

const uint8_t *kpl_stacks__get(struct kpl_stacks *s, size_t i, uint64_t *lo,
			       size_t *len, bool *tried)
{
	struct kpl_stack *st;

	*len = 0;
	*tried = false;
	if (!plan(s) || i >= s->nr)
		return NULL;
	st = &s->v[i];
	if (!st->len)
		return NULL;
	if (i < s->first || i >= s->last)
		read_batch(s, i);
	*tried = st->tried;
	if (!st->ok)
		return NULL;
	*lo = st->lo;
	*len = st->len;
	return s->buf + st->off;
}

const uint8_t *kpl_stacks__one(struct kpl_stacks *s, uint64_t sp,
			       uint64_t *lo, size_t *len)
{
	size_t n;

	*len = 0;
	if (!live_part(s->maps, sp, s->max, lo, &n))
		return NULL;
	/* Grown here, in the stop if need be: rare (a stack the batches
	 * could not take, or one thread's check outside a stop). */
	if (n > s->one_cap) {
		uint8_t *b = realloc(s->one, n);

		if (!b)
			return NULL;
		s->one = b;
		s->one_cap = n;
	}
	if (kpl_proc__read(s->p, *lo, s->one, n))
		return NULL;
	*len = n;
	return s->one;
}

static bool in_ranges(uint64_t v, const struct kpl_range *ranges, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (v >= ranges[i].lo && v <= ranges[i].hi)
			return true;
	return false;
}

bool kpl_stacks__may_hit(const uint8_t *b, size_t len, uint64_t ip,
			 const struct kpl_range *ranges, size_t nr)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;

	if (in_ranges(ip, ranges, nr))
		return true;
	/* Nearly every word of a stack lies outside the hull of the
	 * ranges (a patch's functions sit close together): one unsigned
	 * compare answers for it, where a look at every range took 2.64 M
	 * of a 65-thread apply's 8.06 M instructions, all in the stop. */
	for (i = 0; i < nr; i++) {
		if (ranges[i].lo < lo)
			lo = ranges[i].lo;
		if (ranges[i].hi > hi)
			hi = ranges[i].hi;
	}
	if (lo > hi)
		return false;
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		if (v - lo <= hi - lo && in_ranges(v, ranges, nr))
			return true;
	}
	return false;
}
