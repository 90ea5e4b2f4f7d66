// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "maps.h"

#ifdef KPL_FAULT_INJECT
#include <signal.h>

static unsigned long fault_at, fault_n;	/* fault_n: atomic */
/* Threads inside a named window now (kpld runs several workers). */
static int fault_windows;
static const char *fault_window;

void kpl_fault_tag(const char *tag)
{
	if (tag) {
		fault_window = tag;
		__atomic_add_fetch(&fault_windows, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_sub_fetch(&fault_windows, 1, __ATOMIC_SEQ_CST);
	}
}

static void fault_report(void)
{
	fprintf(stderr, "kpl-fault: %lu points\n", fault_n);
}

__attribute__((constructor)) static void fault_init(void)
{
	const char *e = getenv("KPL_FAULT_KILL_AT");

	fault_at = e ? strtoul(e, NULL, 10) : 0;
	if (getenv("KPL_FAULT_COUNT"))
		atexit(fault_report);
}

void kpl_fault_point(const char *what)
{
	unsigned long n = __atomic_add_fetch(&fault_n, 1, __ATOMIC_SEQ_CST);

	if (fault_at && n == fault_at) {
		bool in = __atomic_load_n(&fault_windows, __ATOMIC_SEQ_CST) > 0;

		fprintf(stderr, "kpl-fault: killed at point %lu (%s%s%s)\n",
			n, what, in ? ", " : "", in ? fault_window : "");
		raise(SIGKILL);
	}
}
#endif

/* Every backend built in, best first. */
static const struct kpl_backend *const backends[] = {
	&kpl_backend_kmod,
	&kpl_backend_ptrace,
};

const struct kpl_backend *kpl_backend_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < KPL_ARRAY_SIZE(backends); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

const struct kpl_backend *kpl_backend_default(void)
{
	size_t i;

	for (i = 0; i < KPL_ARRAY_SIZE(backends); i++)
		if (!backends[i]->available || backends[i]->available())
			return backends[i];
	return &kpl_backend_ptrace;
}

int kpl_proc__open(pid_t pid, const struct kpl_backend *be,
		   struct kpl_proc **out)
{
	struct kpl_proc *p;
	char path[64];
	int err;

	if (pid <= 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->be = be ? be : kpl_backend_default();
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	p->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->mem_fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		pr_warn("target: failed to open %s: %s\n", path,
			kpl_strerror(err));
		free(p);
		return err;
	}
	err = p->be->open ? p->be->open(p) : 0;
	if (err) {
		close(p->mem_fd);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

void kpl_proc__close(struct kpl_proc *p)
{
	if (!p)
		return;
	if (p->stopped)
		p->be->resume(p);
	if (p->be->close)
		p->be->close(p);
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	kpl_maps__free(p->after);
	free(p->threads);
	free(p);
}

int kpl_proc__reserve_threads(struct kpl_proc *p, size_t n)
{
	struct kpl_thread *th;

	if (!n)
		n = 1;
	if (n <= p->threads_cap)
		return 0;
	th = kpl_realloc_faulted(p->threads, p->threads_cap, n, sizeof(*th));
	if (!th)
		return -ENOMEM;
	p->threads = th;
	p->threads_cap = n;
	return 0;
}

void kpl_proc__log_stop(struct kpl_proc *p, uint64_t start_ns,
			uint64_t end_ns, unsigned int threads, bool all)
{
	struct kpl_stats *st = p->log;
	uint64_t ns = end_ns > start_ns ? end_ns - start_ns : 0;

	if (!st)
		return;
	if (st->nr_stops < KPL_STATS_STOPS) {
		st->stops[st->nr_stops].ns = ns;
		st->stops[st->nr_stops].threads = threads;
		st->stops[st->nr_stops].all = all;
	}
	st->nr_stops++;
	st->stops_ns += ns;
	if (ns > st->pause_ns)
		st->pause_ns = ns;
}

int kpl_proc__read(struct kpl_proc *p, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (p->stopped && p->be->read)
		return p->be->read(p, addr, buf, len);
	n = pread(p->mem_fd, buf, len, (off_t)addr);
	if (n < 0)
		return errno == EIO ? -EFAULT : -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int kpl_proc__write(struct kpl_proc *p, uint64_t addr, const void *buf,
		    size_t len)
{
	ssize_t n;

	kpl_fault_point("write");
	p->changes++;
	if (p->stopped && p->be->write)
		return p->be->write(p, addr, buf, NULL, len);
	n = pwrite(p->mem_fd, buf, len, (off_t)addr);
	if (n < 0)
		return errno == EIO ? -EFAULT : -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

void kpl_span__init(struct kpl_span *s)
{
	s->lo = UINT64_MAX;
	s->hi = 0;
	s->read = false;
}

void kpl_span__add(struct kpl_span *s, uint64_t addr, size_t len)
{
	if (addr < s->lo)
		s->lo = addr;
	if (addr + len > s->hi)
		s->hi = addr + len;
}

void kpl_proc__span_read(struct kpl_proc *p, struct kpl_span *s)
{
	s->read = s->hi > s->lo && s->hi - s->lo <= KPL_SPAN_MAX &&
		  !kpl_proc__read(p, s->lo, s->buf, s->hi - s->lo);
}

int kpl_proc__span_get(struct kpl_proc *p, const struct kpl_span *s,
		       uint64_t addr, void *buf, size_t len)
{
	if (s->read && addr >= s->lo && addr <= s->hi &&
	    len <= s->hi - addr) {
		memcpy(buf, s->buf + (addr - s->lo), len);
		return 0;
	}
	return kpl_proc__read(p, addr, buf, len);
}

int kpl_proc__write_expect(struct kpl_proc *p, uint64_t addr,
			   const void *buf, const void *expect, size_t len)
{
	uint8_t cur[256];
	size_t off, n;
	int err;

	if (p->stopped && p->be->write) {
		kpl_fault_point("write");
		p->changes++;
		return p->be->write(p, addr, buf, expect, len);
	}
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(cur) ? len - off : sizeof(cur);
		err = kpl_proc__read(p, addr + off, cur, n);
		if (err)
			return err;
		if (memcmp(cur, (const uint8_t *)expect + off, n))
			return -KPL_E_MISMATCH;
	}
	return kpl_proc__write(p, addr, buf, len);
}

int kpl_proc__stop(struct kpl_proc *p, int timeout_ms)
{
	int err = p->be->stop(p, timeout_ms);

	if (!err)
		p->stops++;
	return err;
}

void kpl_proc__resume(struct kpl_proc *p)
{
	p->be->resume(p);
}

int kpl_proc__map(struct kpl_proc *p, uint64_t addr, size_t len, size_t head,
		  const char *name, const struct kpl_map_range *r, size_t nr)
{
	p->changes++;
	p->remaps++;
	return p->be->map(p, addr, len, kpl_proc__maps_head(p) ? head : 0,
			  name, r, nr);
}

bool kpl_proc__maps_head(const struct kpl_proc *p)
{
	return p->be->maps_head && p->be->maps_head(p);
}

int kpl_proc__unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	p->changes++;
	p->remaps++;
	return p->be->unmap(p, addr, len);
}

int kpl_proc__call(struct kpl_proc *p, struct kpl_call *c)
{
	p->changes++;
	p->remaps++;
	return p->be->call(p, c);
}

void kpl_proc__keep_maps(struct kpl_proc *p, struct kpl_maps *m)
{
	kpl_maps__free(p->after);
	p->after = m;
	p->after_at = p->remaps;
}

struct kpl_maps *kpl_proc__take_maps(struct kpl_proc *p)
{
	struct kpl_maps *m = p->after_at == p->remaps ? p->after : NULL;

	if (m)
		p->after = NULL;
	return m;
}

bool kpl_proc__has_write_batch(const struct kpl_proc *p)
{
	return p->be->write_batch != NULL;
}

int kpl_proc__write_batch(struct kpl_proc *p, const struct kpl_batch_write *w,
			  size_t nr, size_t *failed)
{
	if (!p->be->write_batch)
		return -EOPNOTSUPP;
	p->changes++;
	return p->be->write_batch(p, w, nr, failed);
}

const char *kpl_proc__backend_name(const struct kpl_proc *p)
{
	return p->be->name;
}
