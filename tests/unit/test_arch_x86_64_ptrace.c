// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the register access of userland/lib/backend/ptrace.c on
 * x86-64, on a real stopped child: kpl_pt_getregs() and kpl_pt_setregs() go
 * through the arch's regset (PTRACE_GETREGSET/SETREGSET of
 * KPL_ARCH_NT_REGS) and must see and change exactly the bytes the
 * x86-64 requests PTRACE_GETREGS/SETREGS do, which the backend used
 * before the registers went behind arch.h.  A child of the test may be
 * traced without root.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "backend/ptrace.h"

/* A child stopped under PTRACE_TRACEME, or -1. */
static pid_t stopped_child(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_getregs__same_bytes_as_ptrace_getregs(void **state)
{
	struct user_regs_struct u;
	struct kpl_arch_regs r;
	pid_t pid = stopped_child();

	(void)state;
	assert_true(pid > 0);
	memset(&u, 0, sizeof(u));
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, NULL, &u), 0);
	assert_int_equal(kpl_pt_getregs(pid, &r), 0);
	assert_memory_equal(&r, &u, sizeof(u));
	assert_int_equal(kpl_arch_regs_pc(&r), u.rip);
	assert_int_equal(kpl_arch_regs_sp(&r), u.rsp);
	reap(pid);
}

/* Registers changed by kpl_pt_setregs() are what PTRACE_GETREGS reads
 * back, every one of them; put back, the thread has its own again. */
static void test_setregs__seen_by_ptrace_getregs(void **state)
{
	struct user_regs_struct u, v, w;
	struct kpl_arch_regs r, back;
	const uint64_t args[6] = { 1, 2, 3, 4, 5, 6 };
	pid_t pid = stopped_child();

	(void)state;
	assert_true(pid > 0);
	assert_int_equal(kpl_pt_getregs(pid, &r), 0);
	memcpy(&u, &r, sizeof(u));
	kpl_arch_syscall_regs(&r, &back, u.rip + 16, u.rsp - 256, 39, args);
	assert_int_equal(kpl_pt_setregs(pid, &back), 0);
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, NULL, &v), 0);
	assert_memory_equal(&v, &back, sizeof(v));
	assert_int_equal(v.rip, u.rip + 16);
	assert_int_equal(v.rdi, 1);
	assert_int_equal(kpl_pt_setregs(pid, &r), 0);
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, NULL, &w), 0);
	assert_memory_equal(&w, &u, sizeof(w));
	reap(pid);
}

/* No such thread: an error, and nothing written to the output. */
static void test_getregs__gone_thread_refused(void **state)
{
	struct kpl_arch_regs r, orig;
	pid_t pid = stopped_child();

	(void)state;
	assert_true(pid > 0);
	reap(pid);
	memset(&r, 0x5a, sizeof(r));
	orig = r;
	assert_int_equal(kpl_pt_getregs(pid, &r), -ESRCH);
	assert_memory_equal(&r, &orig, sizeof(r));
	assert_int_equal(kpl_pt_setregs(pid, &r), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getregs__same_bytes_as_ptrace_getregs),
		cmocka_unit_test(test_setregs__seen_by_ptrace_getregs),
		cmocka_unit_test(test_getregs__gone_thread_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
