// SPDX-License-Identifier: GPL-2.0
/*
 * The bare stop: the all-thread stop ptrace allows on this machine with
 * nothing done inside it, for comparison with kpl's.  kpl-bench itself
 * seizes every thread of the target, interrupts them all, waits for
 * their stops as kpl's ptrace backend does (userland/lib/backend/
 * ptrace.c, "Waiting for a tracee": thread by thread, three polls, a
 * single-threaded target on another CPU polled for up to 100 us, then
 * naps of 8 us doubling to 64 us with the timer slack at 1 ns), and
 * detaches them, reading and writing nothing in between.  kpl's pause
 * holds such a stop and its own work in it.
 *
 * Measured twice per run, as SCHED_FIFO from the first interrupt (as
 * kpl's all-thread stop runs, txn.c) either until the last detach or
 * only until the last stop is collected.  In the second, a thread let go
 * may preempt us before we let the others go, as it may kpl's release of
 * a crowded borrowed stop (tools/bench/README.md, "The bare stop").
 *
 * A signal that arrives meanwhile is handed back with the detach, as
 * kpl does.  A thread that will not stop within the deadline gets one
 * more second, like kpl's; one that still does not stays traced until
 * kpl-bench exits, and the bench fails.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "bench.h"

#define BARE_POLLS 3
#define BARE_SPIN_NS 100000ull
#define BARE_NAP_MIN_NS 8000L
#define BARE_NAP_MAX_NS 64000L
#define BARE_TIMEOUT_NS 2000000000ull
#define BARE_GRACE_NS 1000000000ull
#define BARE_SETTLE_NS 20000000ull

/* What each thread's wait found. */
enum bare_state { BARE_RUNNING, BARE_STOPPED, BARE_DETACHED, BARE_GONE };

struct bare_thread {
	pid_t tid;
	enum bare_state state;
	int sig; /* a signal to hand back with the detach */
};

/* The thread ids of @pid, at most @max; the count, or -1. */
static int list_tids(pid_t pid, struct bare_thread *t, int max)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d) {
		bench_err("bare stop: cannot list %s: %s", path,
			  strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (n == max) {
			bench_err("bare stop: pid %d has more than %d threads",
				  (int)pid, max);
			closedir(d);
			return -1;
		}
		t[n++].tid = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/*
 * Does kpl poll before it naps for this target (kpl_pt_spin_wanted():
 * one thread, last run on another CPU than ours)?
 */
static bool spin_wanted(pid_t pid, int n)
{
	char path[64], buf[1024], *p;
	int cpu = -1, field;
	FILE *f;

	if (n != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	/* After "pid (comm)", field 3 on; the CPU is field 39. */
	for (field = 2; p && field < 39; field++)
		p = strchr(p + 1, ' ');
	if (p)
		cpu = atoi(p + 1);
	return cpu >= 0 && cpu != sched_getcpu();
}

/* Wait for @t's stop, as kpl_pt_wait() does; -1 past @deadline. */
static int wait_one(struct bare_thread *t, bool spin, uint64_t deadline)
{
	uint64_t t0 = 0;
	unsigned int polls = 0;
	long nap = 0;

	for (;;) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (r < 0) {
			t->state = BARE_GONE;
			return 0;
		}
		if (r > 0 && (WIFEXITED(status) || WIFSIGNALED(status))) {
			t->state = BARE_GONE;
			return 0;
		}
		if (r > 0 && WIFSTOPPED(status)) {
			/* A signal-delivery-stop holds the target's own
			 * signal: handed back with the detach. */
			if (status >> 16 != PTRACE_EVENT_STOP &&
			    WSTOPSIG(status) != SIGTRAP)
				t->sig = WSTOPSIG(status);
			t->state = BARE_STOPPED;
			return 0;
		}
		if (bench_now_ns() > deadline)
			return -1;
		if (++polls <= BARE_POLLS)
			continue;
		if (spin) {
			if (!t0)
				t0 = bench_now_ns();
			if (bench_now_ns() - t0 < BARE_SPIN_NS)
				continue;
			spin = false;
		}
		if (!nap)
			nap = BARE_NAP_MIN_NS;
		else if (nap < BARE_NAP_MAX_NS)
			nap *= 2;
		nanosleep(&(struct timespec){ 0, nap }, NULL);
	}
}

/* Wait for every thread's stop; -1 if one has not stopped by @deadline. */
static int collect(struct bare_thread *t, int n, bool spin, uint64_t deadline)
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i].state == BARE_RUNNING &&
		    wait_one(&t[i], spin, deadline))
			return -1;
	return 0;
}

/* Let every stopped thread go, once: the error path comes back here. */
static void detach_all(struct bare_thread *t, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (t[i].state != BARE_STOPPED)
			continue;
		ptrace(PTRACE_DETACH, t[i].tid, NULL, (void *)(long)t[i].sig);
		t[i].state = BARE_DETACHED;
	}
}

/*
 * One bare stop of the @n threads in @t: seize them (outside the stop,
 * as kpl does), interrupt, collect, detach; its length into *@us.
 */
static int stop_once(pid_t pid, struct bare_thread *t, int n,
		     bool boost_release, double *us)
{
	struct sched_param fifo = { .sched_priority = 1 }, saved;
	bool spin = spin_wanted(pid, n), boosted;
	int policy, seized, i, err;
	uint64_t t0;

	for (seized = 0; seized < n; seized++) {
		t[seized].state = BARE_RUNNING;
		t[seized].sig = 0;
		if (ptrace(PTRACE_SEIZE, t[seized].tid, NULL, NULL)) {
			bench_err("bare stop: cannot seize thread %d: %s",
				  (int)t[seized].tid, strerror(errno));
			break;
		}
	}
	policy = sched_getscheduler(0);
	boosted = seized == n && policy >= 0 && !sched_getparam(0, &saved) &&
		  !sched_setscheduler(0, SCHED_FIFO, &fifo);
	t0 = bench_now_ns();
	for (i = 0; i < seized; i++)
		ptrace(PTRACE_INTERRUPT, t[i].tid, NULL, NULL);
	err = collect(t, seized, spin, t0 + BARE_TIMEOUT_NS);
	if (boosted && !boost_release)
		sched_setscheduler(0, policy, &saved);
	detach_all(t, seized);
	*us = (double)(bench_now_ns() - t0) / 1e3;
	if (boosted && boost_release)
		sched_setscheduler(0, policy, &saved);
	if (err) {
		/* A seized thread can only be detached from a stop. */
		collect(t, seized, false, bench_now_ns() + BARE_GRACE_NS);
		detach_all(t, seized);
		for (i = 0; i < seized; i++)
			if (t[i].state == BARE_RUNNING)
				bench_err("bare stop: thread %d never "
					  "stopped; it stays traced until "
					  "kpl-bench exits",
					  (int)t[i].tid);
		return -1;
	}
	for (i = 0; i < seized; i++)
		if (t[i].state == BARE_GONE) {
			bench_err("bare stop: thread %d of pid %d exited "
				  "during the stop",
				  (int)t[i].tid, (int)pid);
			return -1;
		}
	if (seized < n)
		return -1;
	if (!boosted) {
		bench_err("bare stop: cannot run as SCHED_FIFO (no "
			  "CAP_SYS_NICE?): kpl's stop runs so; run as root");
		return -1;
	}
	return 0;
}

int bench_bare_stop(pid_t pid, double *boosted_us, double *release_us)
{
	static struct bare_thread t[BENCH_BARE_MAX];
	int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), n, err;

	n = list_tids(pid, t, BENCH_BARE_MAX);
	if (n < 0)
		return -1;
	/* As kpl's naps: 8 us, not the default slack's 50 more. */
	if (slack > 1)
		prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
	err = stop_once(pid, t, n, true, boosted_us);
	/* The threads just let go are still on their way back to user
	 * mode, where an interrupt stops them at once: let them run again
	 * first, or the second stop would be the cheaper for it. */
	if (!err) {
		bench_sleep_ns(BARE_SETTLE_NS);
		err = stop_once(pid, t, n, false, release_us);
	}
	if (slack > 1)
		prctl(PR_SET_TIMERSLACK, slack, 0, 0, 0);
	return err;
}
