// SPDX-License-Identifier: GPL-2.0
/*
 * The kpl-spin target.  Its stdout comes back through a pipe; every
 * SIGUSR1 gets exactly one report line, and kpl-bench never sends the
 * next one before the reply arrived, so two signals cannot merge into
 * one pending SIGUSR1 and lose a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define LINE_TIMEOUT_MS 5000

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

int bench_spin__start(struct bench_spin *s, const char *path, int threads)
{
	char nthreads[16], line[256];
	int fds[2];

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (pipe2(fds, O_CLOEXEC)) {
		bench_err("failed to create a pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(nthreads, sizeof(nthreads), "%d", threads);
	s->pid = fork();
	if (s->pid < 0) {
		bench_err("failed to fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!s->pid) {
		/* Never outlive the benchmark, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(path, path, "--threads", nthreads, (char *)NULL);
		fprintf(stderr, "kpl-bench: failed to run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	s->fd = fds[0];
	if (read_line(s, line, sizeof(line)))
		goto fail;
	if (strncmp(line, "ready ", 6)) {
		bench_err("kpl-spin pid %d: expected \"ready\", got \"%s\"",
			  s->pid, line);
		goto fail;
	}
	return 0;
fail:
	bench_spin__stop(s);
	return -1;
}

/* The number after " @key=" (or at the start) in @line. */
static bool field(const char *line, const char *key, double *out)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			char *end;

			*out = strtod(p + klen + 1, &end);
			return end != p + klen + 1;
		}
		p += klen;
	}
	return false;
}

int bench_spin__report(struct bench_spin *s, struct bench_report *r)
{
	char line[512];
	double gap, f0, eintr, iters;

	if (kill(s->pid, SIGUSR1)) {
		bench_err("failed to signal kpl-spin pid %d: %s", s->pid,
			  strerror(errno));
		return -1;
	}
	do {
		if (read_line(s, line, sizeof(line)))
			return -1;
	} while (strncmp(line, "gap_ns=", 7));
	if (!field(line, "gap_ns", &gap) || !field(line, "f0", &f0) ||
	    !field(line, "eintr", &eintr) || !field(line, "iters", &iters)) {
		bench_err("kpl-spin pid %d: cannot parse \"%s\"", s->pid, line);
		return -1;
	}
	r->at_ns = bench_now_ns();
	r->gap_ns = (uint64_t)gap;
	r->f0 = (long)f0;
	r->eintr = (unsigned long)eintr;
	r->iters = (uint64_t)iters;
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
}
