// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_pt_borrow() and kpl_pt_free() (userland/lib/backend/
 * ptrace_inject.c, ptrace.c) on a real child: a borrow opens the
 * process's /proc/PID/stat in the struct kpl_pt it is given, which is
 * the kmod backend's own for its calls (kmod.c km_call()), not only the
 * ptrace backend's p->priv; kpl_pt_free() closes it.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "backend/backend.h"
#include "backend/ptrace.h"

static pid_t child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void test_borrow__opens_stat_in_given_pp_free_closes(void **state)
{
	struct kpl_pt own, one;
	struct kpl_pt_thread *t;
	struct kpl_proc *p;
	pid_t pid;
	int fd;

	(void)state;
	pid = child();
	assert_true(pid > 0);
	assert_int_equal(kpl_proc__open(pid, &kpl_backend_ptrace, &p), 0);
	/* A struct kpl_pt of the caller's, as the kmod backend keeps. */
	memset(&own, 0, sizeof(own));
	own.sleeper = -1;
	assert_int_equal(kpl_pt_borrow(p, &own, &one, &t, false), 0);
	assert_int_equal(t->tid, pid);
	kpl_pt_give_back(p, &one);
	assert_true(own.stat_fd > 0);
	fd = own.stat_fd - 1;
	assert_true(fcntl(fd, F_GETFD) >= 0);
	kpl_pt_free(&own);
	assert_int_equal(own.stat_fd, 0);
	assert_true(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	kpl_proc__close(p);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_borrow__opens_stat_in_given_pp_free_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
