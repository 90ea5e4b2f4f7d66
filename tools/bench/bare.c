// SPDX-License-Identifier: GPL-2.0
/*
 * The bare stop: the shortest all-thread stop ptrace allows on this
 * machine, for comparison with kpl's.  kpl-bench itself seizes every
 * thread of the target, interrupts them all, collects their stops as kpl
 * does (a few polls, then naps of 8 us doubling to 64 us), and detaches
 * them, reading and writing nothing in between.  kpl's pause can only
 * be longer: it does its work inside such a stop.
 *
 * Measured twice per run, as SCHED_FIFO from the first interrupt (as
 * kpl's all-thread stop runs, txn.c) either until the last detach or
 * only until the last stop is collected.  In the second, a thread let go
 * may preempt us before we let the others go, as it may kpl's release of
 * a crowded borrowed stop (tools/bench/README.md, "The bare stop").
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "bench.h"

#define BARE_POLLS 3
#define BARE_NAP_MIN_NS 8000ull
#define BARE_NAP_MAX_NS 64000ull
#define BARE_TIMEOUT_NS 2000000000ull
#define BARE_SETTLE_NS 20000000ull

/* The thread ids of @pid, at most @max; the count, or -1. */
static int list_tids(pid_t pid, pid_t *tids, int max)
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
		tids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* Wait until every interrupted thread of @tids is in its stop. */
static int collect(const pid_t *tids, bool *in, int n, uint64_t t0)
{
	uint64_t nap = 0;
	int left = n, polls = 0, i;

	while (left) {
		for (i = 0; i < n; i++) {
			if (in[i])
				continue;
			if (waitpid(tids[i], NULL, WNOHANG | __WALL) ==
			    tids[i]) {
				in[i] = true;
				left--;
			}
		}
		if (!left)
			break;
		if (bench_now_ns() - t0 > BARE_TIMEOUT_NS) {
			bench_err("bare stop: %d of %d threads never stopped",
				  left, n);
			return -1;
		}
		if (++polls <= BARE_POLLS)
			continue;
		if (!nap)
			nap = BARE_NAP_MIN_NS;
		else if (nap < BARE_NAP_MAX_NS)
			nap *= 2;
		bench_sleep_ns(nap);
	}
	return 0;
}

/*
 * One bare stop of @pid's @n threads: seize them (outside the stop, as
 * kpl does), interrupt, collect, detach; its length into *@us.  On an
 * error the threads not collected stay seized until kpl-bench exits,
 * which lets them go.
 */
static int stop_once(const pid_t *tids, int n, bool boost_release, double *us)
{
	struct sched_param fifo = { .sched_priority = 1 }, saved;
	bool in[BENCH_BARE_MAX] = { false };
	int policy, seized, i, err;
	bool boosted;
	uint64_t t0;

	for (seized = 0; seized < n; seized++)
		if (ptrace(PTRACE_SEIZE, tids[seized], NULL, NULL)) {
			bench_err("bare stop: cannot seize thread %d: %s",
				  (int)tids[seized], strerror(errno));
			break;
		}
	policy = sched_getscheduler(0);
	boosted = seized == n && policy >= 0 && !sched_getparam(0, &saved) &&
		  !sched_setscheduler(0, SCHED_FIFO, &fifo);
	t0 = bench_now_ns();
	for (i = 0; i < seized; i++)
		ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
	err = collect(tids, in, seized, t0);
	if (boosted && !boost_release)
		sched_setscheduler(0, policy, &saved);
	for (i = 0; i < seized; i++)
		if (in[i])
			ptrace(PTRACE_DETACH, tids[i], NULL, NULL);
	*us = (double)(bench_now_ns() - t0) / 1e3;
	if (boosted && boost_release)
		sched_setscheduler(0, policy, &saved);
	if (seized < n)
		return -1;
	if (!boosted && !err) {
		bench_err("bare stop: cannot run as SCHED_FIFO: the floor "
			  "would not be kpl's");
		err = -1;
	}
	return err;
}

int bench_bare_stop(pid_t pid, double *boosted_us, double *release_us)
{
	pid_t tids[BENCH_BARE_MAX];
	int n;

	n = list_tids(pid, tids, BENCH_BARE_MAX);
	if (n < 0)
		return -1;
	if (stop_once(tids, n, true, boosted_us))
		return -1;
	/* The threads just let go are still on their way back to user
	 * mode, where an interrupt stops them at once: let them run again
	 * first, or the second stop would be the cheaper for it. */
	bench_sleep_ns(BARE_SETTLE_NS);
	return stop_once(tids, n, false, release_us);
}
