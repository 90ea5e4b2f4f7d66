// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_pt_spin_wanted() (userland/lib/backend/
 * ptrace_threads.c): whether the waits of a stop may poll before they
 * sleep, read from a real child's /proc/PID/stat.  Yes only for a
 * process of one thread that last ran on another CPU than the caller's.
 * The children pin themselves (no root needed); on a machine of one CPU
 * the cases that need two are skipped.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/ptrace.h"
#include "share.h"

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

static void *nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A child pinned to @cpu, with @threads threads, once it has run there
 * (it says so on a pipe); it then spins on that CPU.  -1 on failure.
 */
static pid_t child_on(int cpu, int threads)
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

		if (pin(cpu))
			_exit(1);
		for (i = 1; i < threads; i++)
			if (pthread_create(&th, NULL, nap, NULL))
				_exit(1);
		if (write(fd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			;
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &c, 1) != 1) {
		close(fd[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(fd[0]);
	return pid;
}

/* kpl_pt_spin_wanted() for @pid, asked from CPU @me. */
static bool wanted(pid_t pid, int me)
{
	struct kpl_pt pp;
	bool r;

	memset(&pp, 0, sizeof(pp));
	assert_int_equal(pin(me), 0);
	kpl_pt_open_stat(pid, &pp);
	assert_true(pp.stat_fd > 0);
	r = kpl_pt_spin_wanted(&pp);
	close(pp.stat_fd - 1);
	return r;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int two_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/*
 * A child of @threads threads running on CPU @cpu, asked about from CPU 0
 * while @workers fleet workers run: kpl_pt_spin_wanted() says @want.
 */
static void expect(int cpu, int threads, int workers, bool want)
{
	pid_t pid;

	if (cpu && !two_cpus())
		skip();
	pid = child_on(cpu, threads);
	assert_true(pid > 0);
	kpl_share__add_workers(workers - 1);
	assert_int_equal(wanted(pid, 0), want);
	kpl_share__add_workers(-(workers - 1));
	end(pid);
}

static void test_spin__one_thread_on_another_cpu(void **state)
{
	(void)state;
	expect(1, 1, 1, true);
}

static void test_spin__not_on_our_cpu(void **state)
{
	(void)state;
	expect(0, 1, 1, false);
}

/* Nor while a fleet's workers run: the other CPU may be one's. */
static void test_spin__not_beside_other_workers(void **state)
{
	(void)state;
	expect(1, 1, 2, false);
}

/* Two pools of two workers at once: the first to end leaves the other's. */
static void test_spin__not_while_another_pool_runs(void **state)
{
	pid_t pid;

	(void)state;
	if (!two_cpus())
		skip();
	pid = child_on(1, 1);
	assert_true(pid > 0);
	kpl_share__add_workers(1);
	kpl_share__add_workers(1);
	kpl_share__add_workers(-1);
	assert_int_equal(kpl_share__workers(), 2);
	assert_false(wanted(pid, 0));
	kpl_share__add_workers(-1);
	assert_true(wanted(pid, 0));
	end(pid);
}

static void test_spin__not_with_more_threads(void **state)
{
	(void)state;
	expect(1, 2, 1, false);
}

static void test_spin__not_without_stat(void **state)
{
	struct kpl_pt pp;

	(void)state;
	memset(&pp, 0, sizeof(pp));
	assert_false(kpl_pt_spin_wanted(&pp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spin__one_thread_on_another_cpu),
		cmocka_unit_test(test_spin__not_on_our_cpu),
		cmocka_unit_test(test_spin__not_beside_other_workers),
		cmocka_unit_test(test_spin__not_while_another_pool_runs),
		cmocka_unit_test(test_spin__not_with_more_threads),
		cmocka_unit_test(test_spin__not_without_stat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
