/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A target process for the module tests, forked by the test itself so
 * it shares the test's layout (the addresses of kt_marker and kt_text
 * are the same in both).  Its threads:
 *
 *   spinners   loop incrementing a counter: must freeze while stopped
 *   sleepers   block for an hour in epoll_wait, read, nanosleep or a
 *              futex wait: must not return, and never see EINTR
 *   creator    (optional) creates and joins threads in a loop
 *   vforker    (optional) vforks a child that sleeps a while
 *
 * Counters live in a shared page the test reads.
 */
#ifndef KPL_TESTS_KMOD_TARGET_H
#define KPL_TESTS_KMOD_TARGET_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "kmod_util.h"

#define KT_SPINNERS_MAX 4

struct kt_shared {
	atomic_int ready; /* threads started */
	atomic_uint eintr; /* sleeper calls that failed with EINTR */
	atomic_uint returns; /* sleeper calls that returned at all */
	atomic_ulong spins[KT_SPINNERS_MAX];
	atomic_ulong creates; /* threads the creator made */
	atomic_ulong vforks; /* vfork children that exited */
	atomic_int futex_word;
};

struct kt_opts {
	int spinners; /* 0..KT_SPINNERS_MAX */
	int sleepers_each; /* per kind: epoll, read, nanosleep, futex */
	int creator;
	int vfork_ms; /* 0: no vforker */
};

/* Memory nothing in the target uses: the only place the fuzzer writes. */
#define KT_SCRATCH_ADDR 0x300000000000ull
#define KT_SCRATCH_LEN (2u << 20)

/* Known data and code the tests read and write in the target. */
volatile uint64_t kt_marker = 0x1122334455667788ull;

__attribute__((noinline, used)) int kt_text(int x)
{
	return x * 3 + 1;
}

static struct kt_shared *kt_sh;
static int kt_pipe[2];

static void *kt_spinner(void *arg)
{
	atomic_ulong *c = &kt_sh->spins[(long)arg];

	atomic_fetch_add(&kt_sh->ready, 1);
	for (;;)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	return NULL;
}

static void *kt_sleeper(void *arg)
{
	long kind = (long)arg;
	struct epoll_event ev;
	int ep = epoll_create1(0);
	char c;

	atomic_fetch_add(&kt_sh->ready, 1);
	for (;;) {
		struct timespec ts = { 3600, 0 };
		long r;

		switch (kind) {
		case 0:
			r = epoll_wait(ep, &ev, 1, -1);
			break;
		case 1:
			r = read(kt_pipe[0], &c, 1);
			break;
		case 2:
			r = nanosleep(&ts, NULL);
			break;
		default:
			r = syscall(SYS_futex, &kt_sh->futex_word, FUTEX_WAIT,
				    0, NULL, NULL, 0);
			break;
		}
		atomic_fetch_add(&kt_sh->returns, 1);
		if (r < 0 && errno == EINTR)
			atomic_fetch_add(&kt_sh->eintr, 1);
	}
	return NULL;
}

static void *kt_nothing(void *arg)
{
	return arg;
}

static void *kt_creator(void *arg)
{
	(void)arg;
	atomic_fetch_add(&kt_sh->ready, 1);
	for (;;) {
		pthread_t t;

		if (pthread_create(&t, NULL, kt_nothing, NULL) == 0) {
			pthread_join(t, NULL);
			atomic_fetch_add(&kt_sh->creates, 1);
		}
	}
	return NULL;
}

static int kt_vfork_ms;

static void *kt_vforker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&kt_sh->ready, 1);
	for (;;) {
		pid_t pid = vfork();

		if (pid == 0) {
			struct timespec ts = { kt_vfork_ms / 1000,
					       (kt_vfork_ms % 1000) *
						       1000000L };

			/*
			 * Only raw system calls in a vfork child.  Its own
			 * file table: closing stdout keeps a reader of the
			 * test's output from waiting for this child too.
			 */
			syscall(SYS_close, 1);
			syscall(SYS_close, 2);
			syscall(SYS_nanosleep, &ts, NULL);
			_exit(0);
		}
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			atomic_fetch_add(&kt_sh->vforks, 1);
		}
	}
	return NULL;
}

static int kt_threads(const struct kt_opts *o)
{
	return 1 + o->spinners + 4 * o->sleepers_each + !!o->creator +
	       !!o->vfork_ms;
}

static void kt_on_fault(int sig)
{
	_exit(128 + sig);
}

/* In the child: start the threads, then block in read() forever. */
static void kt_child(const struct kt_opts *o)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa = { .sa_handler = kt_on_fault };
	pthread_t t;
	long i, k;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mmap((void *)KT_SCRATCH_ADDR, KT_SCRATCH_LEN,
		 PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		 0) == MAP_FAILED)
		_exit(3);
	/*
	 * The fuzzer's writes crash this process now and then.  With a
	 * handler the kernel does not log the fault ("traps: ... general
	 * protection fault"), which the VM runner would take for its own.
	 */
	for (i = 0; i < 4; i++)
		sigaction(faults[i], &sa, NULL);
	if (pipe(kt_pipe))
		_exit(3);
	for (i = 0; i < o->spinners; i++)
		pthread_create(&t, NULL, kt_spinner, (void *)i);
	for (k = 0; k < 4; k++)
		for (i = 0; i < o->sleepers_each; i++)
			pthread_create(&t, NULL, kt_sleeper, (void *)k);
	if (o->creator)
		pthread_create(&t, NULL, kt_creator, NULL);
	kt_vfork_ms = o->vfork_ms;
	if (o->vfork_ms)
		pthread_create(&t, NULL, kt_vforker, NULL);
	for (;;)
		if (read(kt_pipe[0], &c, 1) < 0 && errno == EINTR)
			atomic_fetch_add(&kt_sh->eintr, 1);
}

/* Fork a target and wait until its threads run.  Return its pid or -1. */
static pid_t kt_start(const struct kt_opts *o, struct kt_shared **shp)
{
	int want = kt_threads(o) - 1;
	struct kt_shared *sh;
	pid_t pid;
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	kt_sh = sh;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		kt_child(o);
	for (i = 0; i < 2000 && atomic_load(&sh->ready) < want; i++)
		usleep(1000);
	/* Give the sleepers time to actually block. */
	usleep(50000);
	*shp = sh;
	return pid;
}

/* kt_start(), and a descriptor of the module attached to it in *@fd. */
static inline pid_t kt_start_attached(const struct kt_opts *o,
			       struct kt_shared **shp, int *fd)
{
	pid_t pid = kt_start(o, shp);

	if (pid < 0)
		return pid;
	*fd = ku_open();
	ku_errno(ku_attach(*fd, pid, 0), 0, "attach");
	return pid;
}

static void kt_stop(pid_t pid, struct kt_shared *sh)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (sh)
		munmap(sh, sizeof(*sh));
}

/* The spinners' counts, summed. */
static inline unsigned long kt_spins(struct kt_shared *sh)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < KT_SPINNERS_MAX; i++)
		s += atomic_load(&sh->spins[i]);
	return s;
}

/* Check that the target's spinners are frozen (or run) over 50 ms. */
static inline void kt_check_frozen(struct kt_shared *sh, bool want_frozen)
{
	unsigned long a = kt_spins(sh), b;

	ku_sleep_ms(50);
	b = kt_spins(sh);
	if (want_frozen)
		ku_check(a == b, "spinners frozen while stopped (%lu -> %lu)",
			 a, b);
	else
		ku_check(b > a, "spinners run (%lu -> %lu)", a, b);
}

#endif
