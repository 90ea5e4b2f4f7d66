// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kmod backend: /dev/kpatch_lite, the kpatch_lite.ko module.
 *
 * One open file per process: the session attaches to it at open and a
 * close resumes it if it is still stopped.  The module holds every
 * thread in task work on its way back to user mode, so nothing is
 * interrupted: no signal, no EINTR, no ptrace stop a debugger could see
 * or object to.  Of the programs above the module, only this file and
 * kmod_guard.c (the guards) include its ABI header
 * (<uapi/linux/kpatch_lite.h>); kpl and kpld are built without it in
 * their include path (`make check-layers`), and only the module's own
 * tests in tests/kmod speak it besides.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uapi/linux/kpatch_lite.h>

#include "arch.h"
#include "backend.h"
#include "internal.h"
#include "ptrace.h"
#include "state.h"

/* The module reports each thread's registers as the arch's regset. */
_Static_assert(sizeof(((struct kpl_thread_regs *)0)->regs) ==
		       sizeof(struct kpl_arch_regs),
	       "kpl_thread_regs.regs is not a struct kpl_arch_regs");

/* The module reads the patch record (state.h) for its guards. */
#define KM_REC_AT(field, off)                                            \
	_Static_assert(offsetof(struct kpl_state, field) == (off),      \
		       "state.h: " #field " moved; update KPL_REC_* in " \
		       "the module's ABI")
#define KM_REC_FUNC_AT(field, off)                                       \
	_Static_assert(offsetof(struct kpl_state_func, field) == (off), \
		       "state.h: " #field " moved; update KPL_REC_* in " \
		       "the module's ABI")
KM_REC_AT(version, KPL_REC_OFF_VERSION);
KM_REC_AT(phase, KPL_REC_OFF_PHASE);
KM_REC_AT(id, KPL_REC_OFF_ID);
KM_REC_AT(nr_funcs, KPL_REC_OFF_NR_FUNCS);
KM_REC_AT(funcs, KPL_REC_OFF_FUNCS);
KM_REC_FUNC_AT(entry, KPL_REC_FUNC_OFF_ENTRY);
KM_REC_FUNC_AT(addr, KPL_REC_FUNC_OFF_ADDR);
KM_REC_FUNC_AT(new_addr, KPL_REC_FUNC_OFF_NEW);
KM_REC_FUNC_AT(len, KPL_REC_FUNC_OFF_LEN);
KM_REC_FUNC_AT(jump, KPL_REC_FUNC_OFF_JUMP);
_Static_assert(sizeof(struct kpl_state_func) == KPL_REC_FUNC_SIZE &&
		       sizeof(((struct kpl_state *)0)->id) == KPL_REC_ID_LEN &&
		       KPL_STATE_BYTES == KPL_REC_BYTES &&
		       KPL_STATE_VERSION == KPL_REC_VERSION &&
		       KPL_PHASE_APPLIED == KPL_REC_PHASE_APPLIED,
	       "state.h and the module's KPL_REC_* disagree");

/* A 2.1 module copies a 96-byte map: the parts come after it; a 2.2
 * module 112 bytes: the head comes after them. */
_Static_assert(offsetof(struct kpl_map, nr_parts) == KPL_MAP_SIZE_V1,
	       "struct kpl_map: the ABI 2.1 part moved");
_Static_assert(offsetof(struct kpl_map, head) == KPL_MAP_SIZE_V2,
	       "struct kpl_map: the ABI 2.2 part moved");

struct km_priv {
	int fd;
	uint32_t features; /* KPL_VERSION_F_* of the running module */
	struct kpl_thread_regs *regs;
	size_t cap;
	struct kpl_pt pt;	/* km_call's borrowed thread, gadgets */
};

static bool km_available(void)
{
	return access(KPL_DEVICE_PATH, F_OK) == 0;
}

/* ioctl, with the error as a negative errno. */
static int km_ioctl(struct km_priv *kp, unsigned long cmd, void *arg)
{
	return ioctl(kp->fd, cmd, arg) ? -errno : 0;
}

static int km_open(struct kpl_proc *p)
{
	struct kpl_attach at = { .size = sizeof(at), .pid = p->pid };
	struct kpl_version ver = { 0 };
	struct km_priv *kp;
	int err;

	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return -ENOMEM;
	kp->fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (kp->fd < 0) {
		err = errno == ENOENT ? -KPL_E_BACKEND : -errno;
		pr_warn("kmod: failed to open %s: %s\n", KPL_DEVICE_PATH,
			kpl_strerror(err));
		goto out;
	}
	err = km_ioctl(kp, KPL_IOC_VERSION, &ver);
	if (err) {
		pr_warn("kmod: failed to query the module's version: %s\n",
			kpl_strerror(err));
		goto out;
	}
	if (ver.abi_version >> 16 != KPL_ABI_VERSION_MAJOR) {
		pr_warn("kmod: module speaks abi %u.%u, libkpl abi %u.%u\n",
			ver.abi_version >> 16, ver.abi_version & 0xffff,
			KPL_ABI_VERSION_MAJOR, KPL_ABI_VERSION_MINOR);
		err = -KPL_E_BACKEND;
		goto out;
	}
	kp->features = ver.flags;
	err = km_ioctl(kp, KPL_IOC_ATTACH, &at);
	if (err) {
		if (err != -ESRCH)
			pr_warn("kmod: failed to attach to pid %d: %s\n",
				p->pid, kpl_strerror(err));
		goto out;
	}
	p->priv = kp;
	kp = NULL;
out:
	if (kp) {
		if (kp->fd >= 0)
			close(kp->fd);
		free(kp);
	}
	return err;
}

static void km_close(struct kpl_proc *p)
{
	struct km_priv *kp = p->priv;

	if (!kp)
		return;
	/* Closing the session resumes the process if still stopped. */
	close(kp->fd);
	free(kp->regs);
	kpl_pt_free(&kp->pt);	/* km_call()'s borrows opened its stat fd */
	free(kp);
	p->priv = NULL;
}

/* Threads listed in /proc/PID/task now, as a first guess of the room. */
static size_t km_count_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int km_reserve(struct km_priv *kp, size_t want)
{
	struct kpl_thread_regs *r;

	if (want > KPL_THREADS_MAX)
		want = KPL_THREADS_MAX;
	if (want <= kp->cap)
		return 0;
	/* The module writes it inside the stop. */
	r = kpl_realloc_faulted(kp->regs, kp->cap, want, sizeof(*r));
	if (!r)
		return -ENOMEM;
	kp->regs = r;
	kp->cap = want;
	return 0;
}

static int km_mem(struct kpl_proc *p, unsigned long cmd, uint64_t addr,
		  const void *buf, const void *expect, size_t len);

static int km_read_cb(void *arg, uint64_t addr, void *buf, size_t len)
{
	/* km_mem() fills @buf through a const pointer for KPL_IOC_READ. */
	return km_mem(arg, KPL_IOC_READ, addr, buf, NULL, len);
}

/*
 * A thread a guard holds (KPL_THREAD_GUARDED) waits on the entry of an
 * old function, before its first instruction, and goes on in the new
 * function once the process is patched: it is not inside the old one.
 * Its callers are what may be busy, so describe it at its call site:
 * at the return address, with the stack above it.  Left as it is if the
 * return address cannot be read (the check then calls it busy).
 */
static void km_at_caller(struct kpl_proc *p, struct kpl_thread *th)
{
	if (kpl_arch_regs_at_caller(&th->regs, km_read_cb, p))
		return;
	th->ip = kpl_arch_regs_pc(&th->regs);
	th->sp = kpl_arch_regs_sp(&th->regs);
}

/* Fill p->threads from the module's answer. */
static int km_fill_threads(struct kpl_proc *p, struct km_priv *kp, size_t nr)
{
	struct kpl_thread *th;
	size_t i;
	int err = kpl_proc__reserve_threads(p, nr);

	if (err)
		return err;
	th = p->threads;
	p->nr_threads = nr;
	for (i = 0; i < nr; i++) {
		const struct kpl_thread_regs *r = &kp->regs[i];

		memset(&th[i], 0, sizeof(th[i]));
		th[i].tid = (pid_t)r->tid;
		th[i].ip = r->ip;
		th[i].sp = r->sp;
		th[i].bp = r->bp;
		memcpy(&th[i].regs, r->regs, sizeof(r->regs));
		if (r->flags & KPL_THREAD_GUARDED)
			km_at_caller(p, &th[i]);
	}
	return 0;
}

static int km_stop(struct kpl_proc *p, int timeout_ms)
{
	struct km_priv *kp = p->priv;
	struct kpl_stop st;
	int err, tries;

	if (timeout_ms < 1)
		timeout_ms = 1;
	if (timeout_ms > KPL_TIMEOUT_MAX_MS)
		timeout_ms = KPL_TIMEOUT_MAX_MS;
	err = km_reserve(kp, km_count_threads(p->pid) + 16);
	if (!err)
		err = kpl_proc__reserve_threads(p, kp->cap);
	if (err)
		return err;
	/* A process that grew past the room: the module says how big. */
	for (tries = 0; tries < 4; tries++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.pid = p->pid;
		st.timeout_ms = (__u32)timeout_ms;
		st.nr_threads_max = (__u32)kp->cap;
		st.threads = (__u64)(uintptr_t)kp->regs;
		st.thread_size = sizeof(*kp->regs);
		err = km_ioctl(kp, KPL_IOC_STOP, &st);
		if (err != -ENOSPC || st.nr_threads <= kp->cap)
			break;
		err = km_reserve(kp, st.nr_threads + 16);
		if (err)
			return err;
	}
	if (err == -EBUSY) {
		pr_warn("kmod: pid %d did not quiesce within %d ms (or another "
			"patcher holds it)\n",
			p->pid, timeout_ms);
		return -KPL_E_TIMEOUT;
	}
	if (err) {
		if (err != -ESRCH)
			pr_warn("kmod: failed to stop pid %d: %s\n", p->pid,
				kpl_strerror(err));
		return err;
	}
	err = km_fill_threads(p, kp, st.nr_threads);
	if (err) {
		struct kpl_resume rs = { .size = sizeof(rs) };

		km_ioctl(kp, KPL_IOC_RESUME, &rs);
		return err;
	}
	/* Where a stop's time goes: the module's part, the rest is ours. */
	pr_debug("kmod: pid %d: %u threads quiescent in %llu us\n", p->pid,
		 st.nr_threads, (unsigned long long)st.quiesce_ns / 1000);
	p->stop_ns = st.stop_ns;
	p->stopped = true;
	return 0;
}

static void km_resume(struct kpl_proc *p)
{
	struct kpl_resume rs = { .size = sizeof(rs) };
	int err = km_ioctl(p->priv, KPL_IOC_RESUME, &rs);

	if (err == -ETIMEDOUT)
		pr_warn("kmod: pid %d was held past the module's hold time "
			"and resumed early\n",
			p->pid);
	else if (err)
		pr_warn("kmod: failed to resume pid %d: %s\n", p->pid,
			kpl_strerror(err));
	p->stopped = false;
	p->nr_threads = 0;
}

static int km_range(struct kpl_proc *p, unsigned long cmd, const char *what,
		    uint64_t addr, size_t len, int prot);

/* An ABI 2.1 module: map read-write, then one PROTECT per range. */
static int km_map_v1(struct kpl_proc *p, struct kpl_map *m,
		     const struct kpl_map_range *r, size_t nr)
{
	size_t i;
	int err;

	m->size = KPL_MAP_SIZE_V1;
	m->prot = PROT_READ | PROT_WRITE;
	err = km_ioctl(p->priv, KPL_IOC_MAP, m);
	for (i = 0; !err && i < nr; i++)
		if (r[i].prot != (PROT_READ | PROT_WRITE))
			err = km_range(p, KPL_IOC_PROTECT, "protect",
				       m->addr + r[i].off, r[i].len, r[i].prot);
	if (err && err != -EEXIST && i) /* ours: mapped just now */
		km_range(p, KPL_IOC_UNMAP, "unmap", m->addr, m->len, 0);
	return err;
}

/* An ABI 2.3 module maps a patch's image page below it (KPL_MAP_HEAD). */
static bool km_maps_head(const struct kpl_proc *p)
{
	const struct km_priv *kp = p->priv;

	return kp && (kp->features & KPL_VERSION_F_MAP_HEAD);
}

/*
 * One request maps every range with its final protection, and the head
 * below them: in a kworker of the module while the process runs, so no
 * thread of it is stopped or borrowed.
 */
static int km_map(struct kpl_proc *p, uint64_t addr, size_t len,
		  size_t head, const char *name, const struct kpl_map_range *r,
		  size_t nr)
{
	struct km_priv *kp = p->priv;
	struct kpl_map_part parts[KPL_MAP_PARTS_MAX];
	struct kpl_map m = {
		.size = sizeof(m),
		.addr = addr,
		.len = len,
	};
	size_t i;
	int err;

	/* Given only when km_maps_head(): a 2.2 module would say E2BIG. */
	m.head = head;
	if (strlen(name) >= sizeof(m.name))
		return -ENAMETOOLONG;
	strcpy(m.name, name);
	if (nr > KPL_MAP_PARTS_MAX)
		return -EINVAL;
	if (!(kp->features & KPL_VERSION_F_BATCH)) {
		err = km_map_v1(p, &m, r, nr);
	} else {
		for (i = 0; i < nr; i++)
			parts[i] = (struct kpl_map_part){
				.off = r[i].off,
				.len = r[i].len,
				.prot = (__u32)r[i].prot,
			};
		m.nr_parts = (__u32)nr;
		m.part_size = sizeof(parts[0]);
		m.parts = (__u64)(uintptr_t)parts;
		if (!nr)
			m.prot = PROT_READ | PROT_WRITE;
		err = km_ioctl(kp, KPL_IOC_MAP, &m);
	}
	if (err && err != -EEXIST)
		pr_warn("kmod: failed to map %zu bytes at 0x%llx (and %zu "
			"below) in pid %d: %s\n",
			len, (unsigned long long)addr, head, p->pid,
			kpl_strerror(err));
	return err;
}

static int km_range(struct kpl_proc *p, unsigned long cmd, const char *what,
		    uint64_t addr, size_t len, int prot)
{
	struct kpl_range r = {
		.size = sizeof(r),
		.addr = addr,
		.len = len,
		.prot = (__u32)prot,
	};
	int err = km_ioctl(p->priv, cmd, &r);

	if (err)
		pr_warn("kmod: failed to %s 0x%llx+%zu in pid %d: %s\n", what,
			(unsigned long long)addr, len, p->pid,
			kpl_strerror(err));
	return err;
}

static int km_unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	return km_range(p, KPL_IOC_UNMAP, "unmap", addr, len, 0);
}

/* In pieces the module accepts; a failed piece fails the whole. */
static int km_mem(struct kpl_proc *p, unsigned long cmd, uint64_t addr,
		  const void *buf, const void *expect, size_t len)
{
	size_t off, n;
	int err;

	for (off = 0; off < len; off += n) {
		struct kpl_mem m = { .size = sizeof(m) };

		n = len - off < KPL_MEM_MAX ? len - off : KPL_MEM_MAX;
		m.addr = addr + off;
		m.len = n;
		m.buf = (__u64)(uintptr_t)((const uint8_t *)buf + off);
		if (expect)
			m.expect = (__u64)(uintptr_t)((const uint8_t *)expect +
						      off);
		err = km_ioctl(p->priv, cmd, &m);
		if (err == -EILSEQ)
			return -KPL_E_MISMATCH;
		if (err)
			return err;
	}
	return 0;
}

static int km_read(struct kpl_proc *p, uint64_t addr, void *buf, size_t len)
{
	return km_mem(p, KPL_IOC_READ, addr, buf, NULL, len);
}

static int km_write(struct kpl_proc *p, uint64_t addr, const void *buf,
		    const void *expect, size_t len)
{
	return km_mem(p, KPL_IOC_WRITE, addr, buf, expect, len);
}

/*
 * Per entry, for an ABI 2.1 module: read and verify all, then write all;
 * a failed write puts back what the earlier ones replaced.
 */
static int km_write_batch_v1(struct kpl_proc *p,
			     const struct kpl_batch_write *w, size_t nr,
			     size_t *failed)
{
	uint8_t(*old)[KPL_BATCH_BYTES] = calloc(nr, sizeof(*old));
	size_t i;
	int err = 0;

	if (!old)
		return -ENOMEM;
	for (i = 0; !err && i < nr; i++) {
		err = km_read(p, w[i].addr, old[i], w[i].len);
		if (!err && w[i].expect &&
		    memcmp(old[i], w[i].expect, w[i].len))
			err = -KPL_E_MISMATCH;
	}
	if (err) {
		*failed = i - 1;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		err = km_write(p, w[i].addr, w[i].bytes, old[i], w[i].len);
		if (err)
			break;
	}
	if (err) {
		*failed = i;
		while (i--)
			km_write(p, w[i].addr, old[i], NULL, w[i].len);
	}
out:
	free(old);
	return err;
}

/* The module refuses overlapping entries; written in order, they work. */
static bool km_overlap(const struct kpl_batch_write *w, size_t nr)
{
	size_t i, j;

	for (i = 0; i < nr; i++)
		for (j = i + 1; j < nr; j++)
			if (w[i].addr < w[j].addr + w[j].len &&
			    w[j].addr < w[i].addr + w[i].len)
				return true;
	return false;
}

/*
 * Every entry in one KPL_IOC_WRITE_BATCH: verified and written under the
 * target's mmap lock in one request, all or nothing.
 */
static int km_write_batch(struct kpl_proc *p, const struct kpl_batch_write *w,
			  size_t nr, size_t *failed)
{
	struct km_priv *kp = p->priv;
	struct kpl_batch_entry *e;
	struct kpl_batch b = { .size = sizeof(b) };
	size_t i;
	int err;

	*failed = nr;
	if (!nr)
		return 0;
	if (nr > KPL_BATCH_MAX)
		return -E2BIG;
	for (i = 0; i < nr; i++)
		if (!w[i].len || w[i].len > KPL_BATCH_BYTES)
			return -EINVAL;
	if (!(kp->features & KPL_VERSION_F_BATCH) || km_overlap(w, nr))
		return km_write_batch_v1(p, w, nr, failed);
	e = calloc(nr, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		e[i].addr = w[i].addr;
		e[i].len = (__u32)w[i].len;
		e[i].buf = (__u64)(uintptr_t)w[i].bytes;
		e[i].expect = (__u64)(uintptr_t)w[i].expect;
	}
	b.nr_entries = (__u32)nr;
	b.entry_size = sizeof(*e);
	b.entries = (__u64)(uintptr_t)e;
	err = km_ioctl(kp, KPL_IOC_WRITE_BATCH, &b);
	free(e);
	if (err == -EILSEQ || err == -EFAULT)
		*failed = b.failed < nr ? b.failed : nr;
	if (err == -EILSEQ)
		return -KPL_E_MISMATCH;
	if (err && err != -EFAULT)
		pr_warn("kmod: failed to write %zu entries in pid %d: %s\n", nr,
			p->pid, kpl_strerror(err));
	return err;
}

/*
 * A function run in the target: the module never runs code there, so
 * this one call borrows a thread through ptrace, as the ptrace backend
 * does (ptrace_call.c), with the process not stopped by the module.
 * Only a patch's unwind table needs it (eh_reg.c: libgcc's
 * __register_frame_info and __deregister_frame_info, in a process that
 * maps libgcc_s), so every other apply and revert stays one stop with
 * no injected code (docs/kmod.md, "Calls").
 */
static int km_call(struct kpl_proc *p, struct kpl_call *c)
{
	struct km_priv *kp = p->priv;

	if (p->stopped)
		return -EBUSY;
	return kpl_pt_call_with(p, &kp->pt, c);
}

const struct kpl_backend kpl_backend_kmod = {
	.name = "kmod",
	.available = km_available,
	.open = km_open,
	.close = km_close,
	.stop = km_stop,
	.resume = km_resume,
	.map = km_map,
	.maps_head = km_maps_head,
	.unmap = km_unmap,
	.read = km_read,
	.write = km_write,
	.write_batch = km_write_batch,
	.call = km_call,
};
