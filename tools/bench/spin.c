// SPDX-License-Identifier: GPL-2.0
/*
 * The kpl-spin target in its --shm mode.  Its stdout comes back through a
 * pipe, but only for the "ready" line: the gaps are read from the shared
 * page (spin_shm.h), so kpl-bench never signals the target and no thread
 * of it has to run to answer.  That matters: in a single-threaded target
 * the one thread that spins is also the one kpl borrows for its injected
 * syscalls, and a reporting thread would be the one borrowed instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "spin_shm.h"

#define LINE_TIMEOUT_MS 5000
#define SHM_FD 3
/* Next line of @s's output, without the newline, into @line. */
static int read_line(struct bench_spin *s, char *line, size_t sz)
{
	uint64_t deadline = bench_now_ns() + LINE_TIMEOUT_MS * 1000000ull;

	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		uint64_t now;
		ssize_t r;

		if (nl) {
			size_t n = (size_t)(nl - s->buf);

			if (n >= sz)
				n = sz - 1;
			memcpy(line, s->buf, n);
			line[n] = '\0';
			s->len -= (size_t)(nl + 1 - s->buf);
			memmove(s->buf, nl + 1, s->len);
			return 0;
		}
		if (s->len == sizeof(s->buf)) {
			bench_err("kpl-spin pid %d: line too long", s->pid);
			return -1;
		}
		now = bench_now_ns();
		if (now >= deadline) {
			bench_err("kpl-spin pid %d: no output for %d ms",
				  s->pid, LINE_TIMEOUT_MS);
			return -1;
		}
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue; /* the deadline check reports it */
		r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			bench_err("kpl-spin pid %d: output ended%s%s", s->pid,
				  r ? ": " : " (did it die?)",
				  r ? strerror(errno) : "");
			return -1;
		}
		s->len += (size_t)r;
	}
}

int bench_spin__start(struct bench_spin *s, const char *path, int threads,
		      int spinners)
{
	char nthreads[16], nspin[16], nfd[16], line[256];
	int fds[2], mfd;
	void *p;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (spinners < 1 || spinners > SPIN_SHM_SLOTS || spinners > threads) {
		bench_err("cannot measure %d spinning threads of %d (1..%d)",
			  spinners, threads, SPIN_SHM_SLOTS);
		return -1;
	}
	mfd = memfd_create("kpl-bench", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, SPIN_SHM_SIZE)) {
		bench_err("failed to create the report page: %s",
			  strerror(errno));
		if (mfd >= 0)
			close(mfd);
		return -1;
	}
	p = mmap(NULL, SPIN_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		 0);
	if (p == MAP_FAILED || pipe2(fds, O_CLOEXEC)) {
		bench_err("failed to map the report page: %s", strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, SPIN_SHM_SIZE);
		close(mfd);
		return -1;
	}
	s->shm = p;
	s->spinners = spinners;
	snprintf(nthreads, sizeof(nthreads), "%d", threads);
	snprintf(nspin, sizeof(nspin), "%d", spinners);
	snprintf(nfd, sizeof(nfd), "%d", SHM_FD);
	s->pid = fork();
	if (s->pid < 0) {
		bench_err("failed to fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		close(mfd);
		bench_spin__stop(s);
		return -1;
	}
	if (!s->pid) {
		/* Never outlive the benchmark, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* dup2 clears close-on-exec on a copy, not on fd to itself. */
		if (dup2(fds[1], STDOUT_FILENO) < 0 ||
		    (mfd == SHM_FD ? fcntl(mfd, F_SETFD, 0) :
				     dup2(mfd, SHM_FD)) < 0)
			_exit(127);
		execl(path, path, "--shm", nfd, "--threads", nthreads,
		      "--spinners", nspin, (char *)NULL);
		fprintf(stderr, "kpl-bench: failed to run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	close(mfd);
	s->fd = fds[0];
	if (read_line(s, line, sizeof(line)))
		goto fail;
	if (strncmp(line, "ready ", 6) || s->shm->magic != SPIN_SHM_MAGIC ||
	    (int)atomic_load(&s->shm->nr_spinners) != spinners) {
		bench_err(
			"kpl-spin pid %d: expected \"ready\" and %d spinners, "
			"got \"%s\" (is %s built with --shm?)",
			s->pid, spinners, line, path);
		goto fail;
	}
	return 0;
fail:
	bench_spin__stop(s);
	return -1;
}

int bench_spin__take(struct bench_spin *s, struct bench_gaps *g)
{
	uint64_t iters[SPIN_SHM_SLOTS];
	uint64_t deadline = bench_now_ns() + LINE_TIMEOUT_MS * 1000000ull;
	int i;

	for (i = 0; i < s->spinners; i++)
		iters[i] = atomic_load_explicit(&s->shm->slot[i].iters,
						memory_order_acquire);
	/*
	 * A stop that just ended is in a gap once its thread finished the
	 * iteration it was in; the iteration after that one also started
	 * after the command, so the f0 it stored is the code now in place.
	 */
	for (i = 0; i < s->spinners;) {
		if (atomic_load_explicit(&s->shm->slot[i].iters,
					 memory_order_acquire) > iters[i] + 1) {
			i++;
			continue;
		}
		if (bench_now_ns() > deadline) {
			bench_err(
				"kpl-spin pid %d: spinning thread %d (tid %d) "
				"made no progress for %d ms",
				s->pid, i,
				(int)atomic_load(&s->shm->slot[i].tid),
				LINE_TIMEOUT_MS);
			return -1;
		}
		bench_sleep_ns(20000);
	}
	memset(g, 0, sizeof(*g));
	g->min_ns = UINT64_MAX;
	g->f0_min = INT64_MAX;
	g->f0_max = INT64_MIN;
	for (i = 0; i < s->spinners; i++) {
		struct spin_slot *sl = &s->shm->slot[i];
		uint64_t gap = atomic_exchange(&sl->max_gap_ns, 0);
		int64_t f0 = atomic_load(&sl->f0);

		g->max_ns = gap > g->max_ns ? gap : g->max_ns;
		g->min_ns = gap < g->min_ns ? gap : g->min_ns;
		g->f0_min = f0 < g->f0_min ? f0 : g->f0_min;
		g->f0_max = f0 > g->f0_max ? f0 : g->f0_max;
		g->iters += atomic_load(&sl->iters);
	}
	g->eintr = atomic_load(&s->shm->eintr);
	return 0;
}

void bench_spin__stop(struct bench_spin *s)
{
	int i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
				break;
			bench_sleep_ns(10 * 1000000ull);
		}
		if (i == 100) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		s->pid = 0;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->shm)
		munmap(s->shm, SPIN_SHM_SIZE);
	s->shm = NULL;
}
