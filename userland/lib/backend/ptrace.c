// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ptrace backend: PTRACE_SEIZE + PTRACE_INTERRUPT every thread,
 * then, once they are stopped, /proc/PID/stat's thread count says
 * whether one was created meanwhile (only then is /proc/PID/task
 * listed again).  System calls are run in one borrowed thread by
 * ptrace_inject.c.
 *
 * What the target keeps whatever happens to kpl:
 * - Registers.  Nothing here changes a thread's registers; the borrowed
 *   thread's are changed only under the insurance frame of
 *   ptrace_inject.c, so a tracer killed at any instant leaves every
 *   thread running its own code with its own registers.
 * - Signals.  A signal that arrives while a thread is held is handed on
 *   at once from its signal-delivery-stop, with the kernel's own
 *   siginfo: never collected, re-sent or turned into another signal.
 *   The thread then stops at the trap PTRACE_INTERRUPT left pending.
 *   The target's own SIGTRAPs are signals like any other: only event
 *   stops and syscall stops (PTRACE_O_TRACESYSGOOD) are kpl's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

#ifdef KPL_FAULT_INJECT
static const char *req_name(int req, void *data)
{
	switch (req) {
	case PTRACE_SEIZE: return "ptrace SEIZE";
	case PTRACE_INTERRUPT: return "ptrace INTERRUPT";
	case PTRACE_CONT: return data ? "ptrace CONT signal" : "ptrace CONT";
	case PTRACE_SYSCALL: return data ? "ptrace SYSCALL signal"
					 : "ptrace SYSCALL";
	case PTRACE_DETACH: return "ptrace DETACH";
	case PTRACE_GETSIGMASK: return "ptrace GETSIGMASK";
	case PTRACE_SETSIGMASK: return "ptrace SETSIGMASK";
	case PTRACE_GETREGSET: return "ptrace GETREGSET";
	case PTRACE_SETREGSET: return "ptrace SETREGSET";
	case PTRACE_GET_SYSCALL_INFO: return "ptrace GET_SYSCALL_INFO";
	default: return "ptrace";
	}
}
#endif

long kpl_pt_req(int req, pid_t tid, void *addr, void *data)
{
#ifdef KPL_FAULT_INJECT
	kpl_fault_point(req_name(req, data));
#endif
	return ptrace((enum __ptrace_request)req, tid, addr, data);
}

int kpl_pt_getregs(pid_t tid, struct kpl_arch_regs *regs)
{
	struct kpl_arch_regs r;
	struct iovec iov = { &r, sizeof(r) };

	if (kpl_pt_req(PTRACE_GETREGSET, tid, (void *)KPL_ARCH_NT_REGS,
		       &iov) < 0)
		return -errno;
	if (iov.iov_len != sizeof(r))
		return -EIO;
	*regs = r;
	return 0;
}

int kpl_pt_setregs(pid_t tid, const struct kpl_arch_regs *regs)
{
	struct kpl_arch_regs r = *regs;
	struct iovec iov = { &r, sizeof(r) };

	if (kpl_pt_req(PTRACE_SETREGSET, tid, (void *)KPL_ARCH_NT_REGS,
		       &iov) < 0)
		return -errno;
	return 0;
}

/*
 * Waiting for a tracee to reach its stop.  The tracee needs a CPU to get
 * there, and on two cores that is often ours: it was woken by our
 * PTRACE_INTERRUPT or PTRACE_SYSCALL.  sched_yield() does not give it
 * the CPU: the fair scheduler (EEVDF) runs a woken task only once it is
 * eligible, which a thread that just ran for us is not, so we were
 * picked again and again (strace showed twenty or more wait4 + yield
 * rounds before an injected syscall's entry stop); and while the stop is
 * boosted (txn.c), a SCHED_FIFO caller never yields to it at all.
 * Sleeping does.  So: a few polls (most syscall-exit stops are there at
 * once), then sleeps of 8 us doubling to 64 us, with the thread's timer
 * slack at 1 ns meanwhile so that 8 us is not the default 50 us.
 *
 * Not shorter: a sleep of 1-4 us does not yield here.  Arming the timer
 * costs a VM more than that (a trap to the hypervisor), so the timer
 * has fired before the switch and nanosleep() returns without giving
 * the CPU away, 16 us later (ftrace: three such naps in a row, no
 * sched_switch).  A thread queued on our CPU (the borrowed thread, just
 * let go and not yet back in its sleep when the all-thread stop
 * interrupts it) then waited through every short nap for the first one
 * that yields: 140-170 us of a 2-thread process's stop went on
 * collecting it.  Starting at 8 us (the fleet's first nap before, for
 * its own reason: each wake-up is CPU the others want) cut the 4-thread
 * apply gap from 0.26-0.34 to 0.15-0.22 ms and the 16-thread one from
 * 0.43-0.51 to 0.27-0.39 (tools/bench/README.md, "Naps that yield").
 *
 * But a sleep ends late: the CPU we leave idle halts, and waking it
 * takes 20-50 us here (a VM's halted vCPU; deep C-states on metal),
 * once per stop the thread reaches.  When the tracee certainly runs on
 * another CPU, polling costs it nothing, so a thread marked ->spin
 * (kpl_pt_spin_wanted(): a process of one thread, last seen on another
 * CPU) is polled for up to KPL_PT_SPIN_NS before the sleeps begin.
 * Not in processes of more threads: their stops wake threads that may
 * queue on our CPU, and polling there made their stops longer
 * (tools/bench/README.md, "Polling before sleeping").
 */
#define NAP_POLLS 3
#define NAP_MIN_NS 8000
#define NAP_MAX_NS 64000

struct nap {
	bool spin;	/* poll until @t0 + KPL_PT_SPIN_NS first */
	uint64_t t0;
	unsigned int polls;
	long ns;	/* the next sleep */
	int slack;	/* the thread's timer slack to restore, 0: none */
};

static void nap_once(struct nap *n)
{
	struct timespec ts = { 0, 0 };

	if (++n->polls <= NAP_POLLS)
		return;
	if (n->spin) {
		uint64_t now = kpl_now_ns();

		if (!n->t0)
			n->t0 = now;
		if (now - n->t0 < KPL_PT_SPIN_NS)
			return;
		n->spin = false;
	}
	if (!n->ns) {
		int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);

		if (slack > 1 && !prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0))
			n->slack = slack;
		n->ns = NAP_MIN_NS;
	}
	ts.tv_nsec = n->ns;
	nanosleep(&ts, NULL);
	if (n->ns < NAP_MAX_NS)
		n->ns *= 2;
}

static void nap_end(struct nap *n)
{
	if (n->slack)
		prctl(PR_SET_TIMERSLACK, n->slack, 0, 0, 0);
	memset(n, 0, sizeof(*n));
}

/*
 * Wait for @t's next stop that is kpl's (an event stop, or with
 * @syscalls a syscall stop).  A signal-delivery-stop on the way is
 * handed back at once, resuming as @resume (PTRACE_CONT or
 * PTRACE_SYSCALL).  Return 1 stopped, 0 gone (exited), <0 error.
 */
int kpl_pt_wait(struct kpl_pt_thread *t, uint64_t deadline, int resume)
{
	return kpl_pt_wait_keep(t, deadline, resume, 0);
}

int kpl_pt_wait_keep(struct kpl_pt_thread *t, uint64_t deadline, int resume,
		     int keep)
{
	struct nap nap = { .spin = t->spin };

	for (;;) {
		int status, sig;
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (r < 0) {
			r = -errno;
			nap_end(&nap);
			return r == -ECHILD ? 0 : (int)r;
		}
		if (r == 0) {
			if (kpl_now_ns() > deadline) {
				nap_end(&nap);
				return -KPL_E_TIMEOUT;
			}
			nap_once(&nap);
			continue;
		}
		nap_end(&nap);
		nap.spin = t->spin;	/* a next round polls first too */
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		if (!WIFSTOPPED(status))
			continue;
		t->status = status;
		sig = WSTOPSIG(status);
		if (status >> 16 == PTRACE_EVENT_STOP) {
			/* Our interrupt's trap, or a group-stop (SIGSTOP
			 * and friends): either way it is held. */
			t->group_stop = sig != SIGTRAP;
			return 1;
		}
		if (sig == (SIGTRAP | 0x80))
			return 1;
		if (status >> 16)	/* an event we did not ask for */
			sig = 0;
		else if (keep && sig == keep)
			return 2;	/* the caller's to look at */
		/* Signal-delivery-stop: the target's signal, delivered now
		 * with its own siginfo. */
		if (kpl_pt_req(resume, t->tid, NULL, (void *)(long)sig) < 0 &&
		    errno != ESRCH)
			return -errno;
	}
}

/* PTRACE_SEIZE @tid (it keeps running); appended to pp->t unstopped. */
static int pt_seize_one(struct kpl_pt *pp, pid_t tid)
{
	struct kpl_pt_thread *t;

	if (pp->nr == pp->cap) {
		size_t cap = pp->cap ? pp->cap * 2 : 16;
		struct kpl_pt_thread *nt = realloc(pp->t, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		pp->t = nt;
		pp->cap = cap;
	}
	if (kpl_pt_req(PTRACE_SEIZE, tid, NULL,
		       (void *)(long)PTRACE_O_TRACESYSGOOD) < 0)
		return errno == ESRCH ? 0 : -errno;
	t = &pp->t[pp->nr++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->spin = pp->spin;
	return 0;
}

/* Drop thread @i (it exited): swap the last one in. */
static void pt_forget(struct kpl_pt *pp, size_t i)
{
	pp->t[i] = pp->t[--pp->nr];
}

/*
 * Interrupt threads [from, nr) all at once, then collect their stops:
 * the threads stop in parallel, so the window is one stop latency, not
 * the sum of them.
 */
static int pt_interrupt_from(struct kpl_pt *pp, size_t from,
			     uint64_t deadline)
{
	size_t i;
	int r;

	for (i = from; i < pp->nr; i++)
		if (!pp->t[i].stopped)
			kpl_pt_req(PTRACE_INTERRUPT, pp->t[i].tid, NULL, NULL);
	for (i = from; i < pp->nr;) {
		struct kpl_pt_thread *t = &pp->t[i];

		if (t->stopped) {
			i++;
			continue;
		}
		r = kpl_pt_wait(t, deadline, PTRACE_CONT);
		if (r > 0)
			t->stopped = true;
		if (r > 0) {
			int e = kpl_pt_getregs(t->tid, &t->regs);

			if (e)
				r = e == -ESRCH ? 0 : e;
		}
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

static bool pt_known(struct kpl_pt *pp, pid_t tid)
{
	size_t i;

	for (i = 0; i < pp->nr; i++)
		if (pp->t[i].tid == tid)
			return true;
	return false;
}

void kpl_pt_release(struct kpl_pt *pp)
{
	size_t i;

	for (i = 0; i < pp->nr; i++)
		if (pp->t[i].stopped)
			kpl_pt_req(PTRACE_DETACH, pp->t[i].tid, NULL, NULL);
	pp->nr = 0;
}

void kpl_pt_free(struct kpl_pt *pp)
{
	kpl_pt_release(pp);
	if (pp->stat_fd)
		close(pp->stat_fd - 1);
	free(pp->t);
	memset(pp, 0, sizeof(*pp));
}

/* Seize the threads listed in /proc/PID/task that are not seized yet. */
static int pt_seize_new(pid_t pid, struct kpl_pt *pp, bool only_one,
			pid_t hint)
{
	pid_t look[KPL_PT_BORROW_LOOK];
	char path[64];
	struct dirent *de;
	size_t nr = 0;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || pt_known(pp, tid))
			continue;
		if (only_one) {
			if (pp->nr || nr == KPL_PT_BORROW_LOOK)
				break;
			look[nr++] = tid;
			continue;
		}
		err = pt_seize_one(pp, tid);
		if (err == -EPERM && tid != pid && kpl_pt_exited(pid, tid))
			err = 0;
	}
	closedir(d);
	if (!err && only_one && !pp->nr && nr) {
		bool crowded;
		pid_t tid = kpl_pt_pick_borrow(pid, look, nr, hint, &crowded);

		if (crowded)
			return 1;
		err = pt_seize_one(pp, tid);
		/* A thread exiting says EPERM (its exit_state), not ESRCH:
		 * the sleeper chosen may be one.  The first then, whose
		 * seize says what it says. */
		if (err == -EPERM && tid != look[0])
			err = pt_seize_one(pp, look[0]);
	}
	return err;
}

int kpl_pt_seize(struct kpl_proc *p, struct kpl_pt *pp, int timeout_ms,
		 bool only_one)
{
	uint64_t deadline = kpl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	pid_t hint = only_one ? pp->sleeper : 0;
	size_t stopped = 0, i;
	int err, tries = 0;

	if (!only_one)
		kpl_pt_open_stat(p->pid, pp);
	pp->spin = kpl_pt_spin_wanted(pp);
again:
	err = pt_seize_new(p->pid, pp, only_one, hint);
	if (err == 1)	/* crowded: all of them, the first borrowed */
		err = pt_seize_new(p->pid, pp, false, 0);
	p->stop_ns = kpl_now_ns();
	while (!err && stopped < pp->nr) {
		err = pt_interrupt_from(pp, stopped, deadline);
		if (!err)
			stopped = pp->nr;
		if (!err && !only_one && !kpl_pt_all_known(pp))
			err = pt_seize_new(p->pid, pp, false, 0);
	}
	/*
	 * The one thread chosen exited before its stop (a sleeper is often
	 * a thread about to): the process may live on.  Take the first
	 * listed instead, a few times at most: a process whose threads all
	 * exit that fast is going.
	 */
	if (!err && !pp->nr && only_one && tries++ < 3) {
		hint = -1;
		stopped = 0;
		goto again;
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
		kpl_pt_release(pp);
	}
	return err;
}

static int pt_open(struct kpl_proc *p)
{
	struct kpl_pt *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	p->priv = pp;
	return 0;
}

static void pt_close(struct kpl_proc *p)
{
	struct kpl_pt *pp = p->priv;

	if (!pp)
		return;
	kpl_pt_free(pp);
	free(pp);
	p->priv = NULL;
}

static int pt_stop(struct kpl_proc *p, int timeout_ms)
{
	struct kpl_pt *pp = p->priv;
	struct kpl_thread *th;
	size_t i;
	int err;

	err = kpl_pt_seize(p, pp, timeout_ms, false);
	if (err)
		return err;
	err = kpl_proc__reserve_threads(p, pp->nr);
	if (err) {
		kpl_pt_release(pp);
		return err;
	}
	th = p->threads;
	p->nr_threads = pp->nr;
	pp->sleeper = 0;
	for (i = 0; i < pp->nr; i++) {
		const struct kpl_arch_regs *r = &pp->t[i].regs;

		if (!pp->sleeper && kpl_arch_regs_restarting(r) &&
		    kpl_arch_sleep_restarts(kpl_arch_regs_syscall(r)))
			pp->sleeper = pp->t[i].tid;
		memset(&th[i], 0, sizeof(th[i]));
		th[i].tid = pp->t[i].tid;
		th[i].ip = kpl_arch_regs_pc(&pp->t[i].regs);
		th[i].sp = kpl_arch_regs_sp(&pp->t[i].regs);
		th[i].bp = kpl_arch_regs_fp(&pp->t[i].regs);
		th[i].regs = pp->t[i].regs;
	}
	p->stopped = true;
	return 0;
}

static void pt_resume(struct kpl_proc *p)
{
	/* The kernel serialises the core on the way back to user mode. */
	kpl_pt_release(p->priv);
	p->stopped = false;
	p->nr_threads = 0;
}

/* kpl_pt_map() maps the image page in the same borrowed stop. */
static bool pt_maps_head(const struct kpl_proc *p)
{
	(void)p;
	return true;
}

const struct kpl_backend kpl_backend_ptrace = {
	.name = "ptrace",
	.open = pt_open,
	.close = pt_close,
	.stop = pt_stop,
	.resume = pt_resume,
	.map = kpl_pt_map,
	.maps_head = pt_maps_head,
	.unmap = kpl_pt_unmap,
	.call = kpl_pt_call,
};
