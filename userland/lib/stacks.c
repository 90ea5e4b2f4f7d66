// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Every stopped thread's live stack, read with one process_vm_readv():
 * the activeness check read them one pread (ptrace) or one KPL_IOC_READ
 * (kmod) each, inside the stop, and under TCG each such call cost
 * 23-170 us (docs/kmod.md, "The stack scan and the stop's page faults").
 *
 * process_vm_readv() stops at the first remote range it cannot read and
 * says how many bytes it did read, whole ranges only; the one that
 * failed is read alone the old way (which may read what it could not:
 * the kmod module and /proc/PID/mem force access), and the call goes on
 * from the next.  A kernel without the call, or a refusal, sends every
 * stack the old way.  Nothing of the target changes meanwhile: all its
 * threads are stopped, and the lengths come from kpl's own maps read,
 * bounded by the caller's @max.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "backend/backend.h"
#include "internal.h"
#include "maps.h"
#include "stacks.h"

/* Ranges per process_vm_readv(): the kernel takes at most IOV_MAX. */
#define STACKS_IOV 64
/* Bytes read at once in all: stacks past it are read one at a time by
 * the caller (a hostile process may have many deep stacks). */
#define STACKS_TOTAL_MAX (16u << 20)

static int grow_buf(struct kpl_stacks *s, size_t bytes)
{
	void *b;

	if (bytes <= s->cap)
		return 0;
	/* Populated in one call: under TCG a fault a page cost more. */
	b = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b == MAP_FAILED)
		return -ENOMEM;
	if (s->buf)
		munmap(s->buf, s->cap);
	s->buf = b;
	s->cap = bytes;
	return 0;
}

static int grow_v(struct kpl_stacks *s, size_t nr)
{
	struct kpl_stack *v;

	if (nr <= s->vcap)
		return 0;
	v = realloc(s->v, nr * sizeof(*v));
	if (!v)
		return -ENOMEM;
	kpl_prefault(v + s->vcap, (nr - s->vcap) * sizeof(*v));
	s->v = v;
	s->vcap = nr;
	return 0;
}

int kpl_stacks__init(struct kpl_stacks *s, size_t bytes)
{
	memset(s, 0, sizeof(*s));
	if (grow_buf(s, bytes) || grow_v(s, 128)) {
		kpl_stacks__free(s);
		return -ENOMEM;
	}
	return 0;
}

void kpl_stacks__free(struct kpl_stacks *s)
{
	if (s->buf)
		munmap(s->buf, s->cap);
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

static void read_alone(struct kpl_stacks *s, struct kpl_proc *p, size_t i)
{
	struct kpl_stack *st = &s->v[i];

	st->ok = !kpl_proc__read(p, st->lo, s->buf + st->off, st->len);
}

/*
 * One process_vm_readv() of the stacks from @from on (at most STACKS_IOV
 * of them); a stack it stopped at is read alone.  Return where to go on
 * from, or -1 when the call is refused altogether.
 */
static long readv_some(struct kpl_stacks *s, struct kpl_proc *p, size_t from)
{
	struct iovec l[STACKS_IOV], r[STACKS_IOV];
	size_t i, n = 0, idx[STACKS_IOV];
	ssize_t got;

	for (i = from; i < s->nr && n < STACKS_IOV; i++) {
		if (!s->v[i].len)
			continue;
		l[n].iov_base = s->buf + s->v[i].off;
		r[n].iov_base = (void *)(uintptr_t)s->v[i].lo;
		l[n].iov_len = r[n].iov_len = s->v[i].len;
		idx[n++] = i;
	}
	if (!n)
		return (long)s->nr;
	got = process_vm_readv(p->pid, l, n, r, n, 0);
	if (got < 0 && errno != EFAULT)
		return -1;
	for (i = 0; i < n; i++) {
		if (got < (ssize_t)r[i].iov_len) {
			read_alone(s, p, idx[i]);
			return (long)idx[i] + 1;
		}
		got -= (ssize_t)r[i].iov_len;
		s->v[idx[i]].ok = true;
	}
	return (long)idx[n - 1] + 1;
}

void kpl_stacks__read(struct kpl_stacks *s, struct kpl_proc *p,
		      const struct kpl_maps *maps, size_t max)
{
	size_t i, total = 0;
	long next = 0;

	if (s->nr && s->nr == p->nr_threads && s->stop_ns == p->stop_ns)
		return;
	s->nr = 0;
	if (grow_v(s, p->nr_threads))
		return;
	for (i = 0; i < p->nr_threads; i++) {
		struct kpl_stack *st = &s->v[i];

		memset(st, 0, sizeof(*st));
		if (!live_part(maps, p->threads[i].sp, max, &st->lo, &st->len) ||
		    st->len > STACKS_TOTAL_MAX - total)
			st->len = 0;
		st->off = total;
		total += st->len;
	}
	if (grow_buf(s, total))
		return;
	s->nr = p->nr_threads;
	s->stop_ns = p->stop_ns;
	while (next >= 0 && (size_t)next < s->nr)
		next = readv_some(s, p, (size_t)next);
	/* Refused: the rest the old way. */
	for (i = 0; next < 0 && i < s->nr; i++)
		if (s->v[i].len && !s->v[i].ok)
			read_alone(s, p, i);
}

const uint8_t *kpl_stacks__get(const struct kpl_stacks *s,
			       const struct kpl_proc *p, size_t i,
			       uint64_t *lo, size_t *len)
{
	if (i >= s->nr || s->nr != p->nr_threads || s->stop_ns != p->stop_ns ||
	    !s->v[i].ok)
		return NULL;
	*lo = s->v[i].lo;
	*len = s->v[i].len;
	return s->buf + s->v[i].off;
}
