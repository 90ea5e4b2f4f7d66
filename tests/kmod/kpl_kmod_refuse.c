// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_refuse: the module's stop, memory and mapping requests that
 * must fail, against real multi-threaded processes, inside the test VM
 * (root, module loaded by the script).
 *
 *   kpl_kmod_refuse refuse   every refusal the ABI promises
 *   kpl_kmod_refuse timeout  a thread in vfork blocks the stop: -EBUSY
 *                            in time, -EINTR on a signal
 *
 * The requests that must work are kpl_kmod_test's.  One "pass:"/"FAIL:"
 * line per check; exit 1 if any failed.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/user.h>

#include "kmod_target.h"
#include "kmod_util.h"

#define MAX_THREADS 64
/* Far from the binary, the heap, the stacks and the libraries. */
#define MAP_ADDR 0x200000000000ull

static struct kpl_thread_regs regs[MAX_THREADS];

static void refuse_requests(int fd, pid_t pid)
{
	struct kpl_attach a = { .size = sizeof(a), .pid = pid };
	struct {
		struct kpl_attach a;
		uint64_t extra;
	} big = { .a = a, .extra = 1 };
	uint8_t buf[16] = { 0 }, exp[16] = { 0 };
	struct kpl_mem m;
	struct kpl_stop st;
	char name[KPL_NAME_MAX + 1];

	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, buf, 8), EBADFD,
		 "read before attach");
	ku_errno(ku_resume(fd), EBADFD, "resume before attach");
	a.size = 8;
	ku_errno(ku_ioctl(fd, KPL_IOC_ATTACH, &a), EINVAL, "attach size 8");
	a.size = sizeof(a);
	a.flags = 0x80;
	ku_errno(ku_ioctl(fd, KPL_IOC_ATTACH, &a), EINVAL, "attach bad flag");
	a.flags = 0;
	a.reserved = 1;
	ku_errno(ku_ioctl(fd, KPL_IOC_ATTACH, &a), EINVAL,
		 "attach reserved != 0");
	big.a.size = sizeof(big);
	ku_errno(ku_ioctl(fd, KPL_IOC_ATTACH, &big), E2BIG,
		 "attach with an unknown nonzero tail");
	big.extra = 0;
	ku_errno(ku_ioctl(fd, KPL_IOC_ATTACH, &big), 0,
		 "attach with a zero tail (a newer caller)");
	ku_errno(ku_attach(fd, pid, 0), EBUSY, "attach twice");

	ku_errno(ku_stop(fd, pid + 1, 100, 0, regs, MAX_THREADS, NULL), EINVAL,
		 "stop another pid");
	ku_errno(ku_stop(fd, pid, 0, 0, regs, MAX_THREADS, NULL), EINVAL,
		 "stop timeout 0");
	ku_errno(ku_stop(fd, pid, KPL_TIMEOUT_MAX_MS + 1, 0, regs, MAX_THREADS,
			 NULL),
		 EINVAL, "stop timeout too long");
	ku_errno(ku_stop(fd, pid, 100, KPL_HOLD_MAX_MS + 1, regs, MAX_THREADS,
			 NULL),
		 EINVAL, "stop hold too long");
	ku_errno(ku_stop(fd, pid, 100, 0, regs, KPL_THREADS_MAX + 1, NULL),
		 EINVAL, "stop room > KPL_THREADS_MAX");
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, 1, &st), ENOSPC,
		 "stop with room for 1 thread");
	ku_check(st.nr_threads > 1, "-ENOSPC says %u threads are needed",
		 st.nr_threads);
	ku_errno(ku_stop(fd, pid, 1000, 0, (void *)8, MAX_THREADS, NULL),
		 EFAULT, "stop with a bad thread array");
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, buf, 8), 0,
		 "refused stops left it running (read works)");

	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, buf, 0), EINVAL, "read 0");
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, buf, KPL_MEM_MAX + 1),
		 EINVAL, "read > KPL_MEM_MAX");
	ku_errno(ku_read(fd, ~0ull - 4, buf, 8), EFAULT, "read wrapping");
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, (void *)8, 8), EFAULT,
		 "read into a bad buffer");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.addr = (uintptr_t)&kt_marker;
	m.len = 8;
	m.buf = (uintptr_t)buf;
	m.expect = (uintptr_t)exp;
	ku_errno(ku_ioctl(fd, KPL_IOC_READ, &m), EINVAL, "read with expect");
	m.expect = 0;
	m.flags = 1;
	ku_errno(ku_ioctl(fd, KPL_IOC_READ, &m), EINVAL, "read bad flag");
	ku_errno(ku_write(fd, (uintptr_t)&kt_marker, buf, (void *)8, 8), EFAULT,
		 "write with a bad expect buffer");

	ku_errno(ku_map(fd, MAP_ADDR + 1, 4096, PROT_READ, "kpl:x"), EINVAL,
		 "map unaligned");
	ku_errno(ku_map(fd, MAP_ADDR, 4096, PROT_WRITE | PROT_EXEC, "kpl:x"),
		 EINVAL, "map writable and executable");
	ku_errno(ku_map(fd, MAP_ADDR, 4096, 0x10, "kpl:x"), EINVAL,
		 "map unknown prot");
	ku_errno(ku_map(fd, MAP_ADDR, KPL_MAP_MAX + 1, PROT_READ, "kpl:x"),
		 EINVAL, "map > KPL_MAP_MAX");
	ku_errno(ku_map(fd, MAP_ADDR, 0, PROT_READ, "kpl:x"), EINVAL, "map 0");
	ku_errno(ku_map(fd, MAP_ADDR, 4096, PROT_READ, "kpl/x"), EINVAL,
		 "map name with '/'");
	ku_errno(ku_map(fd, MAP_ADDR, 4096, PROT_READ, ""), EINVAL,
		 "map empty name");
	memset(name, 'a', sizeof(name));
	name[KPL_NAME_MAX] = '\0';
	ku_errno(ku_map(fd, MAP_ADDR, 4096, PROT_READ, name), EINVAL,
		 "map name of 64 characters");
	ku_errno(ku_map(fd, 0xffff800000000000ull, 4096, PROT_READ, "kpl:x"),
		 EINVAL, "map a kernel address");
	ku_errno(ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR, 4096, PROT_READ), EINVAL,
		 "unmap with prot");
	ku_errno(ku_range(fd, KPL_IOC_PROTECT, MAP_ADDR, 4096, PROT_READ),
		 EINVAL, "protect nothing mapped");
	ku_errno(ku_ioctl(fd, _IOW(KPL_IOC_MAGIC, 0x1f, struct kpl_range), &m),
		 ENOTTY, "unknown request number");
	ku_errno(ku_ioctl(fd, _IOR(KPL_IOC_MAGIC, 0x04, struct kpl_mem), &m),
		 ENOTTY, "known number, wrong direction");
}

static int test_refuse(void)
{
	struct kt_opts o = { .spinners = 1, .sleepers_each = 1 };
	struct kt_shared *sh;
	pid_t pid = kt_start(&o, &sh), child;
	int fd, status;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_errno(ku_attach(fd, 1, 0), EPERM, "attach pid 1");
	ku_errno(ku_attach(fd, 2, 0), EPERM, "attach kthreadd (pid 2)");
	ku_errno(ku_attach(fd, getpid(), 0), EDEADLK, "attach self");
	ku_errno(ku_attach(fd, 0, 0), EINVAL, "attach pid 0");
	ku_errno(ku_attach(fd, -5, 0), EINVAL, "attach pid -5");
	ku_errno(ku_attach(fd, 4000000, 0), ESRCH, "attach no such pid");
	close(fd);

	/* PID 1 with the flag: the guest's init sleeps in wait(). */
	fd = ku_open();
	ku_errno(ku_attach(fd, 1, KPL_ATTACH_F_INIT), 0,
		 "attach pid 1 with KPL_ATTACH_F_INIT");
	ku_errno(ku_stop(fd, 1, 2000, 0, regs, MAX_THREADS, NULL), 0,
		 "stop pid 1");
	ku_errno(ku_resume(fd), 0, "resume pid 1");
	close(fd);

	fd = ku_open();
	refuse_requests(fd, pid);

	/* The target inherits the descriptor and asks to stop itself. */
	{
		int go[2], fd3 = ku_open();

		if (pipe(go))
			return 1;
		child = fork();
		if (child == 0) {
			struct kpl_stop st = { .size = sizeof(st),
					       .pid = getpid(),
					       .timeout_ms = 100,
					       .thread_size = sizeof(regs[0]) };
			char c;

			if (read(go[0], &c, 1) != 1)
				_exit(2);
			_exit(ku_ioctl(fd3, KPL_IOC_STOP, &st) == -EDEADLK ? 0 :
									     1);
		}
		ku_errno(ku_attach(fd3, child, 0), 0,
			 "attach a child that shares the descriptor");
		if (write(go[1], "x", 1) != 1)
			return 1;
		waitpid(child, &status, 0);
		ku_check(WIFEXITED(status) && !WEXITSTATUS(status),
			 "the target stopping itself through it: EDEADLK");
		close(go[0]);
		close(go[1]);
		close(fd3);
	}
	child = fork();
	if (child == 0) {
		struct kpl_stop st = { .size = sizeof(st),
				       .timeout_ms = 100,
				       .thread_size = sizeof(regs[0]) };

		/* An unprivileged process given an attached descriptor. */
		st.pid = pid;
		if (ku_drop_cap_sys_admin())
			_exit(2);
		_exit(ku_ioctl(fd, KPL_IOC_STOP, &st) == -EPERM &&
				      ku_read(fd, (uintptr_t)&kt_marker, &st,
					      8) == -EPERM ?
			      0 :
			      1);
	}
	waitpid(child, &status, 0);
	ku_check(WIFEXITED(status) && !WEXITSTATUS(status),
		 "an inherited descriptor without CAP_SYS_ADMIN: EPERM");
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int test_timeout(void)
{
	struct kt_opts o = { .spinners = 1,
			     .sleepers_each = 1,
			     .vfork_ms = 20000 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kt_shared *sh;
	uint64_t t0, dt;
	pid_t pid = kt_start(&o, &sh);
	int fd, r;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	t0 = ku_now_ns();
	r = ku_stop(fd, pid, 300, 0, regs, MAX_THREADS, NULL);
	dt = (ku_now_ns() - t0) / 1000000;
	ku_errno(r, EBUSY, "stop while a thread waits in vfork");
	ku_check(dt >= 300 && dt < 2000, "gave up after %llu ms (timeout 300)",
		 (unsigned long long)dt);
	kt_check_frozen(sh, false);

	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART */
	alarm(1);
	t0 = ku_now_ns();
	r = ku_stop(fd, pid, 5000, 0, regs, MAX_THREADS, NULL);
	dt = (ku_now_ns() - t0) / 1000000;
	ku_errno(r, EINTR, "a signal interrupts the stopper's wait");
	ku_check(dt < 3000, "after %llu ms", (unsigned long long)dt);
	kt_check_frozen(sh, false);
	ku_errno(ku_resume(fd), EBADFD, "nothing left stopped");
	close(fd);
	ku_check(atomic_load(&sh->eintr) == 0, "target saw no EINTR (%u)",
		 atomic_load(&sh->eintr));
	kt_stop(pid, sh);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct ku_test tests[] = {
		{ "refuse", test_refuse },
		{ "timeout", test_timeout },
	};

	return ku_run(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
