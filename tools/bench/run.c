// SPDX-License-Identifier: GPL-2.0
/*
 * Running the kpl CLI the way an admin's shell does: fork, exec, wait.
 * The wall time spans all of it, so it is what a caller of `kpl apply`
 * waits for, not just the engine's own total_us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* Run @argv with stdout into @out (NUL-terminated); *@wall_us, *@status. */
static int capture(char *const argv[], char *out, size_t sz, double *wall_us,
		   int *status)
{
	uint64_t t0;
	size_t len = 0;
	pid_t pid;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC)) {
		bench_err("failed to create a pipe: %s", strerror(errno));
		return -1;
	}
	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0) {
		bench_err("failed to fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "kpl-bench: failed to run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + len, sz - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sz - 1) {
			/* More than we parse: drain it so kpl can exit. */
			char sink[512];

			while (read(fds[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			bench_err("failed to wait for %s: %s", argv[0],
				  strerror(errno));
			return -1;
		}
	}
	*wall_us = (double)(bench_now_ns() - t0) / 1e3;
	return 0;
}

/* Where "@key": starts its value in @s, or NULL. */
static const char *json_value(const char *s, const char *key)
{
	size_t klen = strlen(key);
	const char *p = s;

	while ((p = strchr(p, '"'))) {
		if (!strncmp(p + 1, key, klen) && p[1 + klen] == '"' &&
		    p[2 + klen] == ':')
			return p + 3 + klen;
		p++;
	}
	return NULL;
}

bool bench_json_num(const char *s, const char *key, double *out)
{
	const char *v = json_value(s, key);
	char *end;

	if (!v)
		return false;
	*out = strtod(v, &end);
	return end != v;
}

/* Escapes are kept as they are: ids and errors are plain text. */
bool bench_json_str(const char *s, const char *key, char *out, size_t sz)
{
	const char *v = json_value(s, key);
	size_t n = 0;

	if (!v || *v != '"')
		return false;
	for (v++; *v && *v != '"' && n + 1 < sz; v++) {
		if (*v == '\\' && v[1])
			out[n++] = *v++;
		if (n + 1 < sz)
			out[n++] = *v;
	}
	out[n] = '\0';
	return true;
}

int bench_kpl__run(char *const argv[], struct bench_result *res)
{
	char out[4096];
	double v;
	int status;

	memset(res, 0, sizeof(*res));
	if (capture(argv, out, sizeof(out), &res->wall_us, &status))
		return -1;
	if (!strchr(out, '{')) {
		bench_err("%s %s printed no JSON (exit status %d)", argv[0],
			  argv[1],
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	res->ok = strstr(out, "\"ok\":true") && WIFEXITED(status) &&
		  !WEXITSTATUS(status);
	bench_json_num(out, "pause_us", &res->pause_us);
	bench_json_num(out, "nr_stops", &res->nr_stops);
	bench_json_num(out, "stops_us", &res->stops_us);
	bench_json_num(out, "total_us", &res->total_us);
	if (bench_json_num(out, "attempts", &v))
		res->attempts = (unsigned int)v;
	if (bench_json_num(out, "threads", &v))
		res->threads = (unsigned int)v;
	bench_json_str(out, "backend", res->backend, sizeof(res->backend));
	bench_json_str(out, "error", res->error, sizeof(res->error));
	return 0;
}

int bench_kpl__wall(char *const argv[], double *wall_us)
{
	char out[8192];
	int status;

	if (capture(argv, out, sizeof(out), wall_us, &status))
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		bench_err("%s %s failed (exit status %d)", argv[0], argv[1],
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

int bench_kpl__info(const char *kpl, const char *patch, char *id, size_t id_sz,
		    unsigned int *nr_funcs)
{
	char *argv[] = { (char *)kpl, "info", "--json", (char *)patch, NULL };
	char out[16384];
	const char *p;
	unsigned int n = 0;
	double wall;
	int status;

	if (capture(argv, out, sizeof(out), &wall, &status))
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    !bench_json_str(out, "id", id, id_sz)) {
		bench_err("cannot read patch %s with `%s info --json`", patch,
			  kpl);
		return -1;
	}
	for (p = out; (p = strstr(p, "\"old\":")); p++)
		n++;
	if (!n) {
		bench_err("patch %s names no function", patch);
		return -1;
	}
	*nr_funcs = n;
	return 0;
}
