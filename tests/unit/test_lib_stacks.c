// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_stacks__read() (userland/lib/stacks.c) on a real,
 * stopped child: the live parts of its threads' "stacks" are read with
 * one process_vm_readv(); a range that call cannot read (a PROT_NONE
 * mapping, which /proc/PID/mem's forced access can) is read alone; a
 * stack deeper than the caller's bound is left out; and when the call
 * is refused altogether (a seccomp filter here, a kernel without it
 * elsewhere) every stack is read the old way.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "maps.h"
#include "stacks.h"

#define REGION 8192

static void *nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A child of three threads with three regions of REGION bytes, filled
 * with 0xA1, 0xB2 and 0xC3, the second then made PROT_NONE; their
 * addresses in @addr.  -1 on failure.
 */
static pid_t child(uint64_t addr[3])
{
	int fd[2];
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		static const uint8_t fill[3] = { 0xa1, 0xb2, 0xc3 };
		uint64_t a[3];
		pthread_t th;
		int i;

		for (i = 0; i < 3; i++) {
			void *m = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				_exit(1);
			memset(m, fill[i], REGION);
			a[i] = (uint64_t)(uintptr_t)m;
		}
		if (mprotect((void *)(uintptr_t)a[1], REGION, PROT_NONE))
			_exit(1);
		for (i = 1; i < 3; i++)
			if (pthread_create(&th, NULL, nap, NULL))
				_exit(1);
		if (write(fd[1], a, sizeof(a)) != sizeof(a))
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], addr, 3 * sizeof(*addr)) !=
			       (ssize_t)(3 * sizeof(*addr))) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(fd[0]);
	return pid;
}

static bool all(const uint8_t *b, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

/*
 * Stop @pid, point its threads' stack pointers at the regions (the first
 * and second halfway, the third at its start) and read: 0 if what is
 * read is as expected with @max, else the number of the first check that
 * failed.  Runs in the test or in a child of it (the seccomp case).
 */
static int read_case(pid_t pid, const uint64_t addr[3], size_t max,
		     bool third_fits)
{
	struct kpl_stacks s;
	struct kpl_maps *maps = NULL;
	struct kpl_proc *p;
	const uint8_t *b;
	uint64_t lo;
	size_t len;
	int ret = 0;

	if (kpl_proc__open(pid, &kpl_backend_ptrace, &p))
		return 1;
	if (kpl_stacks__init(&s, 4096) || kpl_maps__read(pid, &maps) ||
	    kpl_proc__stop(p, 1000) || p->nr_threads != 3) {
		ret = 2;
		goto out;
	}
	p->threads[0].sp = addr[0] + REGION / 2;
	p->threads[1].sp = addr[1] + REGION / 2 + 3;	/* aligned down */
	p->threads[2].sp = addr[2];
	kpl_stacks__read(&s, p, maps, max);
	b = kpl_stacks__get(&s, p, 0, &lo, &len);
	if (!b || lo != addr[0] + REGION / 2 || len != REGION / 2 ||
	    !all(b, len, 0xa1))
		ret = 3;
	b = kpl_stacks__get(&s, p, 1, &lo, &len);
	if (!ret && (!b || lo != addr[1] + REGION / 2 ||
		     len != REGION / 2 || !all(b, len, 0xb2)))
		ret = 4;
	b = kpl_stacks__get(&s, p, 2, &lo, &len);
	if (!ret && third_fits && (!b || len != REGION || !all(b, len, 0xc3)))
		ret = 5;
	if (!ret && !third_fits && b)
		ret = 6;
	/* Asked again in the same stop: what the first read got. */
	kpl_stacks__read(&s, p, maps, max);
	if (!ret && !kpl_stacks__get(&s, p, 0, &lo, &len))
		ret = 7;
	kpl_proc__resume(p);
	/* Out of the stop nothing is served. */
	if (!ret && kpl_stacks__get(&s, p, 0, &lo, &len))
		ret = 8;
out:
	kpl_stacks__free(&s);
	kpl_maps__free(maps);
	kpl_proc__close(p);
	return ret;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_stacks__one_call_and_the_unreadable_alone(void **state)
{
	uint64_t addr[3];
	pid_t pid;

	(void)state;
	pid = child(addr);
	assert_true(pid > 0);
	assert_int_equal(read_case(pid, addr, 1u << 20, true), 0);
	end(pid);
}

static void test_stacks__deeper_than_max_left_out(void **state)
{
	uint64_t addr[3];
	pid_t pid;

	(void)state;
	pid = child(addr);
	assert_true(pid > 0);
	assert_int_equal(read_case(pid, addr, REGION - 1, false), 0);
	end(pid);
}

/*
 * process_vm_readv() answers EPERM in a child that reads, under a seccomp
 * filter; the child makes the target itself, so that it may trace it.
 */
static void test_stacks__call_refused_all_the_old_way(void **state)
{
	int status;
	pid_t r;

	(void)state;
	r = fork();
	assert_true(r >= 0);
	if (r == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				 SYS_process_vm_readv, 0, 1),
			BPF_STMT(BPF_RET | BPF_K,
				 SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {
			(unsigned short)(sizeof(f) / sizeof(f[0])), f
		};
		uint64_t addr[3];
		pid_t pid;
		int ret;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(100);
		/* The filter works: the call is refused. */
		if (process_vm_readv(getppid(), NULL, 0, NULL, 0, 0) != -1 ||
		    errno != EPERM)
			_exit(101);
		pid = child(addr);
		if (pid <= 0)
			_exit(102);
		ret = read_case(pid, addr, 1u << 20, true);
		end(pid);
		_exit(ret);
	}
	assert_int_equal(waitpid(r, &status, 0), r);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stacks__one_call_and_the_unreadable_alone),
		cmocka_unit_test(test_stacks__deeper_than_max_left_out),
		cmocka_unit_test(test_stacks__call_refused_all_the_old_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
