// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_boost_on()/kpl_boost_off() (userland/lib/txn.c) and
 * the boosted release of a stop of several threads (kpl_pt_release(),
 * userland/lib/backend/ptrace.c): a boost inside a boost keeps the
 * outer one, the outermost off restores the caller's own policy, a
 * caller without CAP_SYS_NICE runs as it was, and a release leaves the
 * caller as it found it, with the stop's end read before the boost ends.
 * The boosts need root (CAP_SYS_NICE): without it those cases skip.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/ptrace.h"
#include "internal.h"

static void test_boost__nested_keeps_outer_off_restores(void **state)
{
	struct kpl_boost outer, inner;
	struct sched_param sp;

	(void)state;
	if (geteuid())
		skip();
	assert_int_equal(setpriority(PRIO_PROCESS, 0, 3), 0);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_true(kpl_boost_on(&outer));
	assert_int_equal(sched_getscheduler(0), SCHED_FIFO);
	assert_true(kpl_boost_on(&inner));
	kpl_boost_off(&inner);
	/* The inner off must not end the outer boost. */
	assert_int_equal(sched_getscheduler(0), SCHED_FIFO);
	assert_int_equal(sched_getparam(0, &sp), 0);
	assert_int_equal(sp.sched_priority, 1);
	kpl_boost_off(&outer);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), 3);
	/* A second off is a no-op. */
	kpl_boost_off(&outer);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	/* And a new boost works after all of them ended. */
	assert_true(kpl_boost_on(&outer));
	assert_int_equal(sched_getscheduler(0), SCHED_FIFO);
	kpl_boost_off(&outer);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(setpriority(PRIO_PROCESS, 0, 0), 0);
}

/* In a child made nobody: the boost is refused and changes nothing. */
static void test_boost__unprivileged_runs_as_it_was(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (geteuid())
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		struct kpl_boost b;

		if (setrlimit(RLIMIT_RTPRIO, &rl) || setgid(65534) ||
		    setuid(65534))
			_exit(2);
		if (kpl_boost_on(&b))
			_exit(3);
		if (sched_getscheduler(0) != SCHED_OTHER)
			_exit(4);
		kpl_boost_off(&b);
		if (sched_getscheduler(0) != SCHED_OTHER)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void *nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child of @threads threads, all asleep, once they all exist. */
static pid_t child(int threads)
{
	int fd[2];
	char c;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		pthread_t th;
		int i;

		for (i = 1; i < threads; i++)
			if (pthread_create(&th, NULL, nap, NULL))
				_exit(1);
		if (write(fd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &c, 1) != 1) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(fd[0]);
	return pid;
}

/* How many of @pid's threads are in a tracing stop now ("t" in stat). */
static int traced_threads(pid_t pid)
{
	char path[96], buf[512], *p;
	struct dirent *de;
	int n = 0;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    p[1] == ' ' && p[2] == 't')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static void release_case(int threads, bool root_boost)
{
	struct kpl_boost outer;
	struct kpl_proc *p;
	struct kpl_pt *pp;
	uint64_t before, end;
	pid_t pid;

	pid = child(threads);
	assert_true(pid > 0);
	assert_int_equal(kpl_proc__open(pid, &kpl_backend_ptrace, &p), 0);
	if (root_boost)
		assert_true(kpl_boost_on(&outer));
	assert_int_equal(kpl_proc__stop(p, 1000), 0);
	assert_int_equal(p->nr_threads, (size_t)threads);
	assert_int_equal(traced_threads(pid), threads);
	pp = p->priv;
	before = kpl_now_ns();
	end = kpl_pt_release(pp);
	assert_true(end >= before && end <= kpl_now_ns());
	p->stopped = false;
	assert_int_equal(pp->nr, 0);
	assert_int_equal(traced_threads(pid), 0);
	/* The caller runs as before the release: boosted by its own outer
	 * boost, else as it was. */
	assert_int_equal(sched_getscheduler(0),
			 root_boost ? SCHED_FIFO : SCHED_OTHER);
	if (root_boost)
		kpl_boost_off(&outer);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	kpl_proc__close(p);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_release__several_threads_caller_unchanged(void **state)
{
	(void)state;
	release_case(4, false);
}

static void test_release__inside_a_boost_keeps_it(void **state)
{
	(void)state;
	if (geteuid())
		skip();
	release_case(3, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boost__nested_keeps_outer_off_restores),
		cmocka_unit_test(test_boost__unprivileged_runs_as_it_was),
		cmocka_unit_test(test_release__several_threads_caller_unchanged),
		cmocka_unit_test(test_release__inside_a_boost_keeps_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
