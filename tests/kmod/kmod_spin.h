/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Targets that map libspin, for the guard and stress tests, and a way
 * to run the kpl CLI against them.
 *
 * A target is this same program run again with "target" (exec, so a
 * fresh process that maps libspin anew: what "a process started later"
 * means to a uprobe).  Its counters live in a file in /dev/shm both
 * sides map.  Its threads:
 *
 *   callers    call spin_guard(1) in a loop and sort the answers: 8 is
 *              the old function's, 1008 the patch's (SPIN-GUARD)
 *   spinners   call spin_f0..spin_f9 in a loop (what spin10.kpl patches)
 *   sleepers   block in read() on a pipe nobody writes
 *   churners   each creates a short-lived thread, joins it, again
 *
 * Setting exit_now makes the first caller or spinner to see it exit the
 * process normally (exit_group), as a kill ends it abnormally.
 *
 * libspin counts the runs of spin_guard's old body itself
 * (spin_guard_count()); callers copy it out after each call.
 */
#ifndef KPL_TESTS_KMOD_SPIN_H
#define KPL_TESTS_KMOD_SPIN_H

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int spin_guard(int x);
unsigned long spin_guard_count(void);
int spin_f0(int), spin_f1(int), spin_f2(int), spin_f3(int), spin_f4(int);
int spin_f5(int), spin_f6(int), spin_f7(int), spin_f8(int), spin_f9(int);

#define KS_OLD 8 /* spin_guard(1) before the patch */
#define KS_NEW 1008 /* and after */

struct ks_shared {
	atomic_int started; /* threads running */
	atomic_int quit;
	atomic_int exit_now; /* set: a caller or spinner calls exit(0) */
	atomic_ulong calls; /* spin_guard calls returned */
	atomic_ulong old_calls; /* ... with the old answer */
	atomic_ulong new_calls; /* ... with the patch's */
	atomic_ulong runs; /* spin_guard_count() after the last call */
	atomic_ulong spins; /* spin_f* rounds */
	atomic_ulong spin_new; /* ... where spin_f0 answered 1000 */
	atomic_ulong churned; /* threads the churners made */
};

struct ks_opts {
	int callers;
	int spinners;
	int sleepers;
	int churners;
};

struct ks_target {
	pid_t pid; /* 0 once reaped */
	pid_t orig; /* the pid it had */
	struct ks_shared *sh;
	char shm[64];
	int status; /* wait status, once reaped */
	bool reaped;
};

static struct ks_shared *ks_sh;
static int ks_pipe[2];

static void *ks_caller(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ks_sh->started, 1);
	while (!atomic_load(&ks_sh->quit)) {
		int r = spin_guard(1);

		if (atomic_load(&ks_sh->exit_now))
			exit(0);

		atomic_store(&ks_sh->runs, spin_guard_count());
		if (r == KS_OLD)
			atomic_fetch_add(&ks_sh->old_calls, 1);
		else if (r == KS_NEW)
			atomic_fetch_add(&ks_sh->new_calls, 1);
		atomic_fetch_add(&ks_sh->calls, 1);
	}
	return NULL;
}

static void *ks_spinner(void *arg)
{
	static int (*const fns[10])(int) = {
		spin_f0, spin_f1, spin_f2, spin_f3, spin_f4,
		spin_f5, spin_f6, spin_f7, spin_f8, spin_f9,
	};
	volatile int sink = 0;
	int i;

	(void)arg;
	atomic_fetch_add(&ks_sh->started, 1);
	while (!atomic_load(&ks_sh->quit)) {
		for (i = 1; i < 10; i++)
			sink += fns[i](i);
		if (spin_f0(0) == 1000)
			atomic_fetch_add(&ks_sh->spin_new, 1);
		atomic_fetch_add(&ks_sh->spins, 1);
		if (atomic_load(&ks_sh->exit_now))
			exit(0);
	}
	return NULL;
}

static void *ks_sleeper(void *arg)
{
	char c;

	(void)arg;
	atomic_fetch_add(&ks_sh->started, 1);
	for (;;)
		if (read(ks_pipe[0], &c, 1) < 0)
			continue;
	return NULL;
}

static void *ks_short(void *arg)
{
	(void)arg;
	usleep(200);
	return NULL;
}

static void *ks_churner(void *arg)
{
	pthread_t t;

	(void)arg;
	atomic_fetch_add(&ks_sh->started, 1);
	while (!atomic_load(&ks_sh->quit)) {
		if (pthread_create(&t, NULL, ks_short, NULL))
			continue;
		pthread_join(t, NULL);
		atomic_fetch_add(&ks_sh->churned, 1);
	}
	return NULL;
}

/* "target SHM CALLERS SPINNERS SLEEPERS CHURNERS": never returns. */
static int ks_target_main(int argc, char **argv)
{
	void *(*const fn[4])(void *) = { ks_caller, ks_spinner, ks_sleeper,
					 ks_churner };
	int fd, k, i;
	pthread_t t;

	if (argc != 7)
		return 2;
	prctl(PR_SET_NAME, "kpl-ks-target");
	fd = open(argv[2], O_RDWR);
	if (fd < 0 || pipe(ks_pipe))
		return 2;
	ks_sh = mmap(NULL, sizeof(*ks_sh), PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, 0);
	if (ks_sh == MAP_FAILED)
		return 2;
	close(fd);
	for (k = 0; k < 4; k++)
		for (i = 0; i < atoi(argv[3 + k]); i++)
			if (pthread_create(&t, NULL, fn[k], NULL))
				return 3;
	for (;;)
		pause();
}

/*
 * Start a target with @o's threads; wait until all run.  Return 0, or
 * -1 (and say why).
 */
static int ks_start(struct ks_target *t, const struct ks_opts *o)
{
	static int seq;
	char a[4][16];
	int fd, i, want = o->callers + o->spinners + o->sleepers + o->churners;

	memset(t, 0, sizeof(*t));
	snprintf(t->shm, sizeof(t->shm), "/dev/shm/kpl-ks-%d-%d", getpid(),
		 seq++);
	fd = open(t->shm, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(*t->sh))) {
		perror("ks_start: shm");
		return -1;
	}
	t->sh = mmap(NULL, sizeof(*t->sh), PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, 0);
	close(fd);
	if (t->sh == MAP_FAILED)
		return -1;
	snprintf(a[0], 16, "%d", o->callers);
	snprintf(a[1], 16, "%d", o->spinners);
	snprintf(a[2], 16, "%d", o->sleepers);
	snprintf(a[3], 16, "%d", o->churners);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	t->orig = t->pid;
	if (t->pid == 0) {
		execl("/proc/self/exe", "kpl-ks-target", "target", t->shm,
		      a[0], a[1], a[2], a[3], (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 2000; i++) {
		if (atomic_load(&t->sh->started) >= want)
			return 0;
		if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
			t->reaped = true;
			t->pid = 0;
			break;
		}
		usleep(5000);
	}
	fprintf(stderr, "ks_start: target did not start (%d of %d threads)\n",
		atomic_load(&t->sh->started), want);
	return -1;
}

/*
 * Wait up to @ms for the target to end on its own.  Return true, with
 * the status in t->status, if it did.
 */
static bool ks_wait_exit(struct ks_target *t, int ms)
{
	int i;

	for (i = 0; !t->reaped && t->pid > 0 && i < ms / 5; i++) {
		if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
			t->reaped = true;
			t->pid = 0;
			break;
		}
		usleep(5000);
	}
	return t->reaped;
}

/* Kill and reap; return the wait status. */
static int ks_stop(struct ks_target *t)
{
	int status = t->reaped ? t->status : -1;

	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &status, 0);
	}
	if (t->sh && t->sh != MAP_FAILED)
		munmap(t->sh, sizeof(*t->sh));
	if (t->shm[0])
		unlink(t->shm);
	memset(t, 0, sizeof(*t));
	return status;
}

/*
 * Run "kpl VERB --backend BACKEND [--keys DIR] --timeout MS --json -p PID
 * ARG" (keys from $KPL_KEYS_DIR, for apply; MS from $KPL_BUSY_MS, 10 s
 * by default: TCG on a loaded host is slow, and a target whose threads
 * run inside the patched functions needs retries), its output in @out.
 * Return its exit status, or -1.
 */
static int ks_kpl(const char *verb, const char *backend, pid_t pid,
		  const char *arg, char *out, size_t outlen)
{
	const char *keys = getenv("KPL_KEYS_DIR");
	char spid[16];
	const char *av[16];
	int p[2], n = 0, status;
	size_t len = 0;
	ssize_t r;
	pid_t c;

	snprintf(spid, sizeof(spid), "%d", pid);
	av[n++] = "kpl";
	av[n++] = verb;
	av[n++] = "--backend";
	av[n++] = backend;
	if (keys && *keys && !strcmp(verb, "apply")) {
		av[n++] = "--keys";
		av[n++] = keys;
	}
	av[n++] = "--timeout";
	av[n++] = getenv("KPL_BUSY_MS") ? getenv("KPL_BUSY_MS") : "10000";
	av[n++] = "--json";
	av[n++] = "-p";
	av[n++] = spid;
	av[n++] = arg;
	av[n] = NULL;
	if (pipe(p))
		return -1;
	c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execvp("kpl", (char *const *)av);
		_exit(127);
	}
	close(p[1]);
	/* Keep what fits, drain the rest so kpl never blocks on us. */
	for (;;) {
		char sink[256];

		if (len + 1 < outlen)
			r = read(p[0], out + len, outlen - 1 - len);
		else
			r = read(p[0], sink, sizeof(sink));
		if (r <= 0)
			break;
		if (len + 1 < outlen)
			len += (size_t)r;
	}
	if (outlen)
		out[len] = '\0';
	close(p[0]);
	if (c < 0 || waitpid(c, &status, 0) != c)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif /* KPL_TESTS_KMOD_SPIN_H */
