// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_stacks__get() (userland/lib/stacks.c) on a real,
 * stopped child: the live parts of its threads' "stacks" are read in
 * batches with process_vm_readv(); a range that call cannot read (a
 * PROT_NONE mapping, which /proc/PID/mem's forced access can) is read
 * alone; a stack deeper than the caller's bound or the buffer is left to
 * the caller; batches follow one another in a small buffer; and when the
 * call is refused altogether (a seccomp filter here, a kernel without it
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
#include "unwind.h"

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

/* Thread @i's stack as kpl_stacks__get() gives it, checked whole: 0 if
 * it is @region's second half (or all of it with @whole), else 1. */
static int got(struct kpl_stacks *s, size_t i, uint64_t region, bool whole,
	       uint8_t fill)
{
	const uint8_t *b;
	uint64_t lo;
	size_t len;
	bool tried;

	b = kpl_stacks__get(s, i, &lo, &len, &tried);
	if (!b || !tried || lo != region + (whole ? 0 : REGION / 2) ||
	    len != (whole ? REGION : REGION / 2) || !all(b, len, fill))
		return 1;
	return 0;
}

/*
 * Stop @pid, point its threads' stack pointers at the regions (thread
 * @ord[k] at region k: the first two halfway, the third at its start)
 * and read them with a buffer of @buf bytes: 0 if what is read is as
 * expected with @max, else the number of the first check that failed.
 * Runs in the test or in a child of it (the seccomp case).
 */
static int read_case(pid_t pid, const uint64_t addr[3], const int ord[3],
		     size_t buf, size_t max, bool third_fits)
{
	struct kpl_stacks s = { 0 };
	struct kpl_maps *maps = NULL;
	struct kpl_proc *p;
	const uint8_t *b;
	uint64_t lo;
	size_t len;
	bool tried;
	int ret = 0;

	if (kpl_proc__open(pid, &kpl_backend_ptrace, &p))
		return 1;
	if (kpl_maps__read(pid, &maps) ||
	    kpl_stacks__init(&s, p, maps, max, buf) ||
	    kpl_proc__stop(p, 1000) || p->nr_threads != 3) {
		ret = 2;
		goto out;
	}
	p->threads[ord[0]].sp = addr[0] + REGION / 2;
	p->threads[ord[1]].sp = addr[1] + REGION / 2 + 3;	/* down */
	p->threads[ord[2]].sp = addr[2];
	if (got(&s, (size_t)ord[0], addr[0], false, 0xa1))
		ret = 3;
	if (!ret && got(&s, (size_t)ord[1], addr[1], false, 0xb2))
		ret = 4;
	b = kpl_stacks__get(&s, (size_t)ord[2], &lo, &len, &tried);
	if (!ret && third_fits && got(&s, (size_t)ord[2], addr[2], true, 0xc3))
		ret = 5;
	/* Too deep for the bound or the buffer: the caller's to read. */
	if (!ret && !third_fits && (b || tried || len))
		ret = 6;
	/* Asked again in the same stop, from the first: the same. */
	if (!ret && got(&s, (size_t)ord[0], addr[0], false, 0xa1))
		ret = 7;
	kpl_proc__resume(p);
	/* Out of the stop nothing is served. */
	if (!ret && kpl_stacks__get(&s, 0, &lo, &len, &tried))
		ret = 8;
out:
	kpl_stacks__free(&s);
	kpl_maps__free(maps);
	kpl_proc__close(p);
	return ret;
}

static const int in_order[3] = { 0, 1, 2 };

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* read_case() on a new child, killed after. */
static void child_case(const int ord[3], size_t buf, size_t max,
		       bool third_fits)
{
	uint64_t addr[3];
	pid_t pid = child(addr);

	assert_true(pid > 0);
	assert_int_equal(read_case(pid, addr, ord, buf, max, third_fits), 0);
	end(pid);
}

static void test_stacks__one_call_and_the_unreadable_alone(void **state)
{
	(void)state;
	child_case(in_order, 65536, 1u << 20, true);
}

static void test_stacks__deeper_than_max_left_out(void **state)
{
	(void)state;
	child_case(in_order, 65536, REGION - 1, false);
}

/* A buffer of one page: a batch a stack, the third left to the caller. */
static void test_stacks__small_buffer_batches(void **state)
{
	(void)state;
	child_case(in_order, REGION / 2, 1u << 20, false);
}

/* The first range of the call unreadable (EFAULT, nothing read): it is
 * read alone, and the call goes on with the others. */
static void test_stacks__first_range_unreadable(void **state)
{
	static const int ord[3] = { 1, 0, 2 };

	(void)state;
	/* Thread 0 at the PROT_NONE region, the first range of the call. */
	child_case(ord, 65536, 1u << 20, true);
}

/* Two stops one after the other: the second reads anew, whatever the
 * clock says (the stacks changed between them). */
static void test_stacks__second_stop_reads_anew(void **state)
{
	struct kpl_stacks s;
	struct kpl_maps *maps = NULL;
	struct kpl_proc *p;
	uint64_t addr[3];
	uint8_t buf[REGION];
	struct iovec l = { buf, sizeof(buf) }, r;
	pid_t pid;
	int k;

	(void)state;
	pid = child(addr);
	assert_true(pid > 0);
	assert_int_equal(kpl_proc__open(pid, &kpl_backend_ptrace, &p), 0);
	assert_int_equal(kpl_maps__read(pid, &maps), 0);
	assert_int_equal(kpl_stacks__init(&s, p, maps, 1u << 20, 65536), 0);
	for (k = 0; k < 2; k++) {
		uint8_t fill = k ? 0x5a : 0xa1;

		assert_int_equal(kpl_proc__stop(p, 1000), 0);
		p->threads[0].sp = addr[0] + REGION / 2;
		p->threads[1].sp = addr[2] + REGION / 2;
		p->threads[2].sp = addr[2];
		/* The same stop_ns: only the stop count tells them apart. */
		p->stop_ns = 1;
		assert_int_equal(got(&s, 0, addr[0], false, fill), 0);
		kpl_proc__resume(p);
		/* Between the stops the first region changes. */
		memset(buf, 0x5a, sizeof(buf));
		r.iov_base = (void *)(uintptr_t)addr[0];
		r.iov_len = sizeof(buf);
		assert_int_equal(process_vm_writev(pid, &l, 1, &r, 1, 0),
				 (ssize_t)sizeof(buf));
	}
	kpl_stacks__free(&s);
	kpl_maps__free(maps);
	kpl_proc__close(p);
	end(pid);
}

/* The scan: the IP, a word at either end of a range (both ends count),
 * a word just outside the hull and one inside it but in no range. */
static void test_stacks__may_hit(void **state)
{
	const struct kpl_range r[2] = { { 0x1000, 0x10ff, "a" },
					{ 0x2000, 0x20ff, "b" } };
	uint64_t w[4] = { 7, 0x7ffd0000, 0x1800, 0xfff };

	(void)state;
	assert_false(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0x3000, r,
					 2));
	assert_true(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0x2050, r,
					2));
	w[1] = 0x10ff;
	assert_true(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0, r, 2));
	w[1] = 0x2000;
	assert_true(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0, r, 2));
	w[1] = 0x2100;
	assert_false(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0, r, 2));
	/* The last word counts; a tail shorter than a word does not. */
	w[3] = 0x1000;
	assert_true(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0, r, 2));
	assert_false(kpl_stacks__may_hit((uint8_t *)w, sizeof(w) - 1, 0, r,
					 2));
	assert_false(kpl_stacks__may_hit((uint8_t *)w, sizeof(w), 0x1000, r,
					 0));
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
		ret = read_case(pid, addr, in_order, 65536, 1u << 20, true);
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
		cmocka_unit_test(test_stacks__small_buffer_batches),
		cmocka_unit_test(test_stacks__first_range_unreadable),
		cmocka_unit_test(test_stacks__second_stop_reads_anew),
		cmocka_unit_test(test_stacks__may_hit),
		cmocka_unit_test(test_stacks__call_refused_all_the_old_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
