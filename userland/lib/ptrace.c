// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ptrace backend: PTRACE_SEIZE + PTRACE_INTERRUPT every thread,
 * re-listing /proc/PID/task until no new thread appears; syscalls are
 * injected by pointing a stopped thread at a `syscall` instruction found
 * in the target's own text and single-stepping it.  Every register it
 * touches is restored.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "maps.h"

struct pt_thread {
	pid_t tid;
	uint64_t pending;	/* signals seen while stopped (bit sig-1),
				 * handed back when the thread is let go */
	int status;		/* of the last stop collected */
	bool stopped;		/* in a ptrace stop now: may be detached */
	struct user_regs_struct regs;
};

struct pt_priv {
	struct pt_thread *t;
	size_t nr, cap;
	uint64_t syscall_insn;	/* address of 0f 05 in the target */
};

_Static_assert(sizeof(struct user_regs_struct) <=
		       sizeof(((struct kpl_thread *)0)->regs),
	       "kpl_thread.regs too small");

/*
 * Wait for @tid to stop.  Return 1 stopped, 0 gone (exited), <0 error.
 * A signal-delivery-stop counts as stopped; its signal is remembered so
 * resume hands it back.
 */
static int wait_stopped(struct pt_thread *t, uint64_t deadline)
{
	unsigned int spins = 0;

	for (;;) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (r < 0)
			return errno == ECHILD ? 0 : -errno;
		if (r == 0) {
			if (kpl_now_ns() > deadline)
				return -KPL_E_TIMEOUT;
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		if (!WIFSTOPPED(status))
			continue;
		t->status = status;
		if (status >> 16 == PTRACE_EVENT_STOP ||
		    WSTOPSIG(status) == SIGTRAP)
			return 1;
		/* Signal-delivery-stop: keep it for later, still stopped. */
		if (WSTOPSIG(status) >= 1 && WSTOPSIG(status) <= 64)
			t->pending |= 1ull << (WSTOPSIG(status) - 1);
		return 1;
	}
}

/* PTRACE_SEIZE @tid (it keeps running); appended to pp->t unstopped. */
static int pt_seize_one(struct pt_priv *pp, pid_t tid)
{
	struct pt_thread *t;

	if (pp->nr == pp->cap) {
		size_t cap = pp->cap ? pp->cap * 2 : 16;
		struct pt_thread *nt = realloc(pp->t, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		pp->t = nt;
		pp->cap = cap;
	}
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
		return errno == ESRCH ? 0 : -errno;
	t = &pp->t[pp->nr++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return 0;
}

/* Drop thread @i (it exited): swap the last one in. */
static void pt_forget(struct pt_priv *pp, size_t i)
{
	pp->t[i] = pp->t[--pp->nr];
}

/*
 * Interrupt threads [from, nr) all at once, then collect their stops:
 * the threads stop in parallel, so the window is one stop latency, not
 * the sum of them.
 */
static int pt_interrupt_from(struct pt_priv *pp, size_t from,
			     uint64_t deadline)
{
	size_t i;
	int r;

	for (i = from; i < pp->nr; i++)
		ptrace(PTRACE_INTERRUPT, pp->t[i].tid, 0, 0);
	for (i = from; i < pp->nr;) {
		struct pt_thread *t = &pp->t[i];

		if (t->stopped) {
			i++;
			continue;
		}
		r = wait_stopped(t, deadline);
		if (r > 0)
			t->stopped = true;
		if (r > 0 && ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) < 0)
			r = errno == ESRCH ? 0 : -errno;
		if (r < 0)
			return r;
		if (r == 0) {
			pt_forget(pp, i);
			continue;
		}
		i++;
	}
	return 0;
}

static bool pt_known(struct pt_priv *pp, pid_t tid)
{
	size_t i;

	for (i = 0; i < pp->nr; i++)
		if (pp->t[i].tid == tid)
			return true;
	return false;
}

static void pt_release(struct pt_priv *pp)
{
	size_t i;

	for (i = 0; i < pp->nr; i++) {
		uint64_t sigs = pp->t[i].pending;
		int first = sigs ? __builtin_ctzll(sigs) + 1 : 0, sig;

		if (!pp->t[i].stopped)
			continue;
		ptrace(PTRACE_DETACH, pp->t[i].tid, 0, (void *)(long)first);
		/* More than one: the rest go back as plain signals (standard
		 * signals coalesce anyway). */
		for (sig = first + 1; sigs && sig <= 64; sig++)
			if (sigs & (1ull << (sig - 1)))
				syscall(SYS_tgkill, 0, pp->t[i].tid, sig);
	}
	pp->nr = 0;
}

/* Seize the threads listed in /proc/PID/task that are not seized yet. */
static int pt_seize_new(struct kpl_proc *p, struct pt_priv *pp,
			bool only_one)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || pt_known(pp, tid))
			continue;
		if (only_one && pp->nr)
			break;
		err = pt_seize_one(pp, tid);
	}
	closedir(d);
	return err;
}

/*
 * Stop every thread (or, with @only_one, one thread).  Seizing does not
 * stop a thread, so all are seized first and the stop window opens at
 * the first PTRACE_INTERRUPT (recorded in p->stop_ns).  A thread that
 * cloned before it stopped leaves a new tid behind: list again until a
 * pass finds none.
 */
static int pt_seize_all(struct kpl_proc *p, struct pt_priv *pp,
			int timeout_ms, bool only_one)
{
	uint64_t deadline = kpl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t stopped = 0, i;
	int err;

	err = pt_seize_new(p, pp, only_one);
	p->stop_ns = kpl_now_ns();
	while (!err && stopped < pp->nr) {
		err = pt_interrupt_from(pp, stopped, deadline);
		if (!err)
			stopped = pp->nr;
		if (!err && !only_one)
			err = pt_seize_new(p, pp, false);
	}
	if (!err && !pp->nr)
		err = -ESRCH;
	if (err) {
		if (err != -ESRCH)
			pr_warn("ptrace: failed to stop pid %d: %s\n", p->pid,
				kpl_strerror(err));
		/* A seized thread can only be detached from a stop: give the
		 * ones still running a last second to reach theirs. */
		pt_interrupt_from(pp, 0, kpl_now_ns() + 1000000000ull);
		for (i = 0; i < pp->nr; i++)
			if (!pp->t[i].stopped)
				pr_warn("ptrace: thread %d never stopped; it "
					"stays traced until this process "
					"exits\n", pp->t[i].tid);
		pt_release(pp);
	}
	return err;
}

static int pt_open(struct kpl_proc *p)
{
	struct pt_priv *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	p->priv = pp;
	return 0;
}

static void pt_close(struct kpl_proc *p)
{
	struct pt_priv *pp = p->priv;

	if (!pp)
		return;
	pt_release(pp);
	free(pp->t);
	free(pp);
	p->priv = NULL;
}

static int pt_stop(struct kpl_proc *p, int timeout_ms)
{
	struct pt_priv *pp = p->priv;
	struct kpl_thread *th;
	size_t i;
	int err;

	err = pt_seize_all(p, pp, timeout_ms, false);
	if (err)
		return err;
	th = realloc(p->threads, pp->nr * sizeof(*th));
	if (!th) {
		pt_release(pp);
		return -ENOMEM;
	}
	p->threads = th;
	p->nr_threads = pp->nr;
	for (i = 0; i < pp->nr; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].tid = pp->t[i].tid;
		th[i].ip = pp->t[i].regs.rip;
		th[i].sp = pp->t[i].regs.rsp;
		th[i].bp = pp->t[i].regs.rbp;
		memcpy(th[i].regs, &pp->t[i].regs, sizeof(pp->t[i].regs));
	}
	p->stopped = true;
	return 0;
}

static void pt_resume(struct kpl_proc *p)
{
	/* The kernel serialises the core on the way back to user mode. */
	pt_release(p->priv);
	p->stopped = false;
	p->nr_threads = 0;
}

/* Find a `syscall` instruction (0f 05) in an executable mapping. */
static int pt_find_syscall(struct kpl_proc *p, struct pt_priv *pp)
{
	struct kpl_maps *m;
	uint8_t buf[4096];
	size_t i;
	int err;

	if (pp->syscall_insn)
		return 0;
	err = kpl_maps__read(p->pid, &m);
	if (err)
		return err;
	for (i = 0; i < m->nr && !pp->syscall_insn; i++) {
		const struct kpl_map *mp = &m->v[i];
		uint64_t a;

		if (!(mp->prot & PROT_EXEC) || !strcmp(mp->path, "[vsyscall]"))
			continue;
		for (a = mp->start; a < mp->end && !pp->syscall_insn;
		     a += sizeof(buf) - 1) {
			size_t n = mp->end - a < sizeof(buf) ? mp->end - a
							     : sizeof(buf);
			size_t j;

			if (kpl_proc__read(p, a, buf, n))
				break;
			for (j = 0; j + 1 < n; j++) {
				if (buf[j] == 0x0f && buf[j + 1] == 0x05) {
					pp->syscall_insn = a + j;
					break;
				}
			}
		}
	}
	kpl_maps__free(m);
	if (!pp->syscall_insn) {
		pr_warn("ptrace: no syscall instruction in pid %d\n", p->pid);
		return -ENOEXEC;
	}
	return 0;
}

/* Run syscall @nr in stopped thread @t; *@ret gets its return value. */
static int pt_syscall(struct pt_priv *pp, struct pt_thread *t, long nr,
		      const uint64_t args[6], long *ret)
{
	struct user_regs_struct r = t->regs;
	uint64_t deadline = kpl_now_ns() + 5000000000ull;
	int err = 0, w, tries;

	r.rip = pp->syscall_insn;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;	/* no syscall restart on the way */
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.r10 = args[3];
	r.r8 = args[4];
	r.r9 = args[5];
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) < 0)
		return -errno;
	/*
	 * Step until the step's own trap.  Two other stops can come first,
	 * before the syscall ran: the event stop our PTRACE_INTERRUPT
	 * queued (a thread seized in group-stop), and the delivery of a
	 * signal that arrived meanwhile, which is kept for the detach.
	 */
	for (tries = 0;; tries++) {
		if (tries == 8) {
			err = -KPL_E_BACKEND;
			goto out;
		}
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0) {
			err = -errno;
			goto out;
		}
		w = wait_stopped(t, deadline);
		if (w <= 0) {
			err = w ? w : -ESRCH;
			goto out;
		}
		if (t->status >> 16 == 0 && WSTOPSIG(t->status) == SIGTRAP)
			break;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0) {
		err = -errno;
		goto out;
	}
	/* Only a step that ran the syscall ends just past it. */
	if (r.rip != pp->syscall_insn + 2) {
		pr_warn("ptrace: thread %d did not run the injected syscall\n",
			t->tid);
		err = -KPL_E_BACKEND;
		goto out;
	}
	*ret = (long)r.rax;
out:
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &t->regs) < 0 && !err)
		err = -errno;
	return err;
}

/*
 * Run one syscall in the target.  With the world stopped, use its first
 * thread; otherwise stop just one thread for the call.
 */
static int pt_remote(struct kpl_proc *p, long nr, const uint64_t args[6],
		     long *ret)
{
	struct pt_priv *pp = p->priv;
	struct pt_priv one = { 0 };
	int err;

	err = pt_find_syscall(p, pp);
	if (err)
		return err;
	if (p->stopped)
		return pt_syscall(pp, &pp->t[0], nr, args, ret);
	err = pt_seize_all(p, &one, 2000, true);
	if (err) {
		free(one.t);
		return err;
	}
	err = pt_syscall(pp, &one.t[0], nr, args, ret);
	pt_release(&one);
	kpl_proc__log_stop(p, p->stop_ns, kpl_now_ns(), 1, false);
	free(one.t);
	return err;
}

static int pt_check(const char *what, long ret)
{
	if (ret < 0 && ret > -4096) {
		pr_warn("ptrace: remote %s failed: %s\n", what,
			strerror((int)-ret));
		return (int)ret;
	}
	return 0;
}

/*
 * memfd_create + ftruncate + mmap + close, run inside the target: the
 * mapping shows as "/memfd:NAME (deleted)" in /proc/PID/maps, which is how
 * later invocations find the patch.  The name string is written below the
 * injecting thread's red zone.
 */
static int pt_protect(struct kpl_proc *p, uint64_t addr, size_t len,
		      int prot);
static int pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len);

static int pt_map_one(struct kpl_proc *p, uint64_t addr, size_t len,
		      const char *name);

static int pt_map(struct kpl_proc *p, uint64_t addr, size_t len,
		  const char *name, const struct kpl_map_range *r, size_t nr)
{
	size_t i;
	int err = pt_map_one(p, addr, len, name);

	if (err)
		return err;
	for (i = 0; !err && i < nr; i++)
		if (r[i].prot != (PROT_READ | PROT_WRITE))
			err = pt_protect(p, addr + r[i].off, r[i].len,
					 r[i].prot);
	if (err)	/* ours: mapped just now */
		pt_unmap(p, addr, len);
	return err;
}

static int pt_map_one(struct kpl_proc *p, uint64_t addr, size_t len,
		      const char *name)
{
	struct pt_priv *pp = p->priv;
	struct pt_priv one = { 0 };
	struct pt_thread *t;
	size_t nlen = strlen(name) + 1;
	uint64_t a[6] = { 0 }, name_at;
	long fd = -1, r;
	int err;

	err = pt_find_syscall(p, pp);
	if (err)
		return err;
	if (p->stopped) {
		t = &pp->t[0];
	} else {
		err = pt_seize_all(p, &one, 2000, true);
		if (err) {
			free(one.t);
			return err;
		}
		t = &one.t[0];
	}
	name_at = ((t->regs.rsp - 512 - nlen) & ~15ull);
	err = kpl_proc__write(p, name_at, name, nlen);
	if (err)
		goto out;
	a[0] = name_at;
	a[1] = 1;	/* MFD_CLOEXEC */
	err = pt_syscall(pp, t, SYS_memfd_create, a, &fd);
	if (!err)
		err = pt_check("memfd_create", fd);
	if (err)
		goto out;
	a[0] = (uint64_t)fd;
	a[1] = len;
	err = pt_syscall(pp, t, SYS_ftruncate, a, &r);
	if (!err)
		err = pt_check("ftruncate", r);
	if (err)
		goto out_close;
	a[0] = addr;
	a[1] = len;
	a[2] = PROT_READ | PROT_WRITE;
	a[3] = MAP_PRIVATE | MAP_FIXED_NOREPLACE;
	a[4] = (uint64_t)fd;
	a[5] = 0;
	err = pt_syscall(pp, t, SYS_mmap, a, &r);
	if (!err && r == -EEXIST)
		err = -EEXIST;
	else if (!err)
		err = pt_check("mmap", r);
	if (!err && (uint64_t)r != addr) {
		/* An old kernel ignored MAP_FIXED_NOREPLACE: undo. */
		uint64_t u[6] = { (uint64_t)r, len };

		pt_syscall(pp, t, SYS_munmap, u, &r);
		err = -EEXIST;
	}
out_close:
	memset(a, 0, sizeof(a));
	a[0] = (uint64_t)fd;
	pt_syscall(pp, t, SYS_close, a, &r);
out:
	if (!p->stopped) {
		pt_release(&one);
		kpl_proc__log_stop(p, p->stop_ns, kpl_now_ns(), 1, false);
		free(one.t);
	}
	return err;
}

static int pt_protect(struct kpl_proc *p, uint64_t addr, size_t len,
		      int prot)
{
	uint64_t a[6] = { addr, len, (uint64_t)prot };
	long r;
	int err = pt_remote(p, SYS_mprotect, a, &r);

	return err ? err : pt_check("mprotect", r);
}

static int pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	uint64_t a[6] = { addr, len };
	long r;
	int err = pt_remote(p, SYS_munmap, a, &r);

	return err ? err : pt_check("munmap", r);
}

const struct kpl_backend kpl_backend_ptrace = {
	.name = "ptrace",
	.open = pt_open,
	.close = pt_close,
	.stop = pt_stop,
	.resume = pt_resume,
	.map = pt_map,
	.unmap = pt_unmap,
};
