// SPDX-License-Identifier: GPL-2.0
/*
 * The compiler wrapper.  `kpl-build build --build-cmd` runs the library's
 * own build with CC and CXX naming symlinks to kpl-build (kpl-cc,
 * kpl-c++) and with a directory of more such symlinks (gcc, cc, ...)
 * first in PATH, so that a Makefile saying "gcc" is followed too.
 * Invoked under one of those names, kpl-build runs the real compiler with
 * the same arguments and, when it succeeded in compiling (-c) or linking
 * a shared object, appends what it ran and where to $KPL_BUILD_LOG (the
 * format is in cc_log.h).  Everything else passes through untouched:
 * configure's probes, preprocessing, linking programs.
 *
 * The real compiler runs with the wrappers' directory taken out of PATH,
 * so that it, and a ccache or distcc it may be, never finds the wrapper
 * again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cc_log.h"

extern char **environ;

const char *const kb_cc_names[] = {
	"kpl-cc",
	"kpl-c++",
	"cc",
	"c++",
	"gcc",
	"g++",
	"clang",
	"clang++",
	"x86_64-linux-gnu-gcc",
	"x86_64-linux-gnu-g++",
	NULL,
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool kb_cc__is_wrapper(const char *argv0)
{
	size_t i;

	if (!argv0)
		return false;
	for (i = 0; kb_cc_names[i]; i++)
		if (!strcmp(base_name(argv0), kb_cc_names[i]))
			return true;
	return false;
}

__attribute__((format(printf, 1, 2))) static void cc_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kpl-cc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* PATH without the wrappers' directory: "PATH=..." malloc'ed. */
static char *path_without(const char *path, const char *skip)
{
	char *out = malloc(strlen(path) + 6), *o;
	const char *p, *end;
	bool first = true;

	if (!out)
		return NULL;
	o = stpcpy(out, "PATH=");
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		if (!skip || (size_t)(end - p) != strlen(skip) ||
		    strncmp(p, skip, (size_t)(end - p))) {
			if (!first)
				*o++ = ':';
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			first = false;
		}
		if (!*end)
			break;
	}
	*o = '\0';
	return out;
}

/* The program @name in @path (already without the wrappers), not us. */
static int lookup(const char *name, const char *path, char *out)
{
	char self[PATH_MAX], real[PATH_MAX];
	const char *p = path, *end;

	if (!realpath("/proc/self/exe", self))
		self[0] = '\0';
	for (;;) {
		end = strchrnul(p, ':');
		if (end > p &&
		    snprintf(out, PATH_MAX, "%.*s/%s", (int)(end - p), p,
			     name) < PATH_MAX &&
		    !access(out, X_OK) && realpath(out, real) &&
		    strcmp(real, self))
			return 0;
		if (!*end)
			return -1;
		p = end + 1;
	}
}

/* The child's environment: ours with PATH replaced. */
static char **child_env(char *path)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PATH=", 5))
			env[k++] = environ[i];
	env[k] = path;
	return env;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s), need = *len + n + 24;
	char *nb;

	if (n > KB_LOG_STR_MAX)
		return -1;
	if (need > *cap) {
		nb = realloc(*buf, need * 2);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = need * 2;
	}
	*len += (size_t)sprintf(*buf + *len, "%zu ", n);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[(*len)++] = '\n';
	return 0;
}

/* Append one record: the whole of it in one write, under the lock. */
static int record(const char *log, const char *real, int argc, char **argv)
{
	char cwd[PATH_MAX], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t w = -1;
	int fd, i, err = -1;

	if (!getcwd(cwd, sizeof(cwd)) || argc < 1 ||
	    (size_t)argc > KB_LOG_ARGS_MAX)
		goto out;
	cap = 64;
	buf = malloc(cap);
	if (!buf)
		goto out;
	len = (size_t)sprintf(buf, KB_LOG_MAGIC "%d\n", argc);
	if (put(&buf, &len, &cap, cwd) || put(&buf, &len, &cap, real))
		goto out;
	for (i = 1; i < argc; i++)
		if (put(&buf, &len, &cap, argv[i]))
			goto out;
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	if (!flock(fd, LOCK_EX))
		w = write(fd, buf, len);
	if (close(fd) == 0 && w == (ssize_t)len)
		err = 0;
out:
	free(buf);
	return err;
}

static bool wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "-shared"))
			return true;
	return false;
}

int kb_cc__main(int argc, char **argv)
{
	const char *name = base_name(argv[0]), *env, *log;
	const char *wrapdir = getenv(KB_ENV_WRAPDIR);
	char real[PATH_MAX], *path, **envp = NULL;
	int status, err, ret = 1;
	pid_t pid;

	path = path_without(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin",
			    wrapdir);
	envp = path ? child_env(path) : NULL;
	if (!envp) {
		cc_err("out of memory");
		goto out;
	}
	env = !strcmp(name, "kpl-cc")  ? getenv(KB_ENV_CC) :
	      !strcmp(name, "kpl-c++") ? getenv(KB_ENV_CXX) :
					 NULL;
	ret = 127;
	if (env && *env && strlen(env) < sizeof(real)) {
		strcpy(real, env);
	} else if (!strncmp(name, "kpl-", 4) || lookup(name, path + 5, real)) {
		cc_err("cannot find the real %s (run by kpl-build build --build-cmd?)",
		       name);
		goto out;
	}
	argv[0] = real;
	log = getenv(KB_ENV_LOG);
	if (!log || !*log || !wanted(argc, argv)) {
		execve(real, argv, envp);
		cc_err("cannot run %s: %s", real, strerror(errno));
		goto out;
	}
	err = posix_spawn(&pid, real, NULL, NULL, argv, envp);
	if (err) {
		cc_err("cannot run %s: %s", real, strerror(err));
		goto out;
	}
	ret = 1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			cc_err("waiting for %s: %s", real, strerror(errno));
			goto out;
		}
	if (WIFSIGNALED(status)) {
		ret = 128 + WTERMSIG(status);
		goto out;
	}
	ret = WEXITSTATUS(status);
	/* A compile that is not recorded would not be compared. */
	errno = 0;
	if (!ret && record(log, real, argc, argv)) {
		cc_err("cannot record this compile in %s: %s", log,
		       strerror(errno ? errno : EIO));
		ret = 1;
	}
out:
	free(envp);
	free(path);
	return ret;
}
