// SPDX-License-Identifier: GPL-2.0
/*
 * Running a library's own build (--build-cmd): the tree copied with its
 * modes, symlinks and modification times, the compiler wrappers
 * (cc_wrap.c) made first in PATH and named by CC and CXX, the build
 * command run with `sh -c` in a clean environment (no MAKEFLAGS nor
 * jobserver of an outer make), and, for an incremental build
 * (build_incr.c), at the original tree's path in a mount namespace of
 * its own.  build_cmd.c and build_incr.c decide what to build; this file
 * only runs it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cc_log.h"

extern char **environ;

char **kb_buildcmd__wrap(const struct kb_build *b, char *const argv[],
			 const char *cwd)
{
	static const char script[] =
		"mount --bind \"$0\" \"$1\" && cd \"$2\" && shift 2 && exec \"$@\"";
	const char *head[] = { "unshare", "--mount", "--propagation",
			       "private", NULL,	     NULL };
	size_t n = 0, k, argc = 0;
	char **out;

	while (argv[argc])
		argc++;
	if (geteuid())
		head[4] = "--map-root-user";
	out = calloc(argc + 12, sizeof(*out));
	for (k = 0; out && head[k]; k++)
		if (!(out[n++] = strdup(head[k])))
			goto oom;
	if (!out || !(out[n++] = strdup("/bin/sh")) ||
	    !(out[n++] = strdup("-c")) || !(out[n++] = strdup(script)) ||
	    !(out[n++] = strdup(b->overlay)) ||
	    !(out[n++] = strdup(b->root[0])) || !(out[n++] = strdup(cwd)))
		goto oom;
	for (k = 0; k < argc; k++)
		if (!(out[n++] = strdup(argv[k])))
			goto oom;
	return out;
oom:
	kb_argv__free(out);
	return NULL;
}

/* Copy @src to the new directory @dst, not descending into @skip. */
static int copy_tree(const char *src, const char *dst, const char *skip,
		     int depth)
{
	char sp[PATH_MAX], dp[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int err = 0;
	ssize_t n;
	DIR *d;

	if (depth > 64) {
		kb_err("%s: directories nested too deep", src);
		return 1;
	}
	if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
		kb_err("cannot create %s: %s", dst, strerror(errno));
		return 1;
	}
	d = opendir(src);
	if (!d) {
		kb_err("cannot read %s: %s", src, strerror(errno));
		return 1;
	}
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sp, sizeof(sp), "%s/%s", src, de->d_name) >=
			    (int)sizeof(sp) ||
		    snprintf(dp, sizeof(dp), "%s/%s", dst, de->d_name) >=
			    (int)sizeof(dp)) {
			kb_err("%s/%s: path too long", src, de->d_name);
			err = 1;
			break;
		}
		if (!strcmp(sp, skip) || lstat(sp, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			err = copy_tree(sp, dp, skip, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(sp, link, sizeof(link) - 1);
			if (n >= 0)
				link[n] = '\0';
			if (n < 0 || symlink(link, dp) < 0) {
				kb_err("cannot copy the symlink %s: %s", sp,
				       strerror(errno));
				err = 1;
			}
		} else if (S_ISREG(st.st_mode)) {
			int e = kb_copy_file(sp, dp, &st);

			if (e) {
				kb_err("cannot copy %s to %s: %s", sp, dp,
				       strerror(-e));
				err = 1;
			}
		}
	}
	closedir(d);
	return err;
}

/* Find @name as execvp() would: its real path in @out, else -1. */
static int find_prog(const char *name, char *out)
{
	const char *path = getenv("PATH"), *p, *end;
	char cand[PATH_MAX];

	/* Not resolved further: a ccache symlink works by its name. */
	if (name[0] == '/')
		return access(name, X_OK) ||
		       snprintf(out, PATH_MAX, "%s", name) >= PATH_MAX;
	if (strchr(name, '/'))
		return access(name, X_OK) || !realpath(name, out) ? -1 : 0;
	for (p = path ? path : "/usr/bin:/bin";; p = end + 1) {
		end = strchrnul(p, ':');
		if (end > p &&
		    snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p), p,
			     name) < (int)sizeof(cand) &&
		    !access(cand, X_OK) && cand[0] == '/') {
			memcpy(out, cand, sizeof(cand));
			return 0;
		}
		if (!*end)
			return -1;
	}
}

/*
 * The wrapper the build runs: us, or $KPL_BUILD_WRAPPER, another
 * kpl-build of the same source.  A build runs the compiler hundreds of
 * times (configure's probes too), and a sanitized kpl-build's start-up
 * costs about 0.1 s of CPU each time: the tests run the sanitized one
 * and name the plain one here.
 */
static int wrapper_prog(char *self)
{
	const char *w = getenv("KPL_BUILD_WRAPPER");
	struct stat st;

	if (!w || !*w)
		return realpath("/proc/self/exe", self) ? 0 : -1;
	if (!realpath(w, self) || stat(self, &st) || access(self, X_OK)) {
		kb_err("KPL_BUILD_WRAPPER=%s: %s", w, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		kb_err("KPL_BUILD_WRAPPER=%s: not a program", w);
		return 1;
	}
	return 0;
}

/*
 * work/bin: a symlink to us under each of the wrapper's names.  With
 * --orig-built, DIR-bin beside it instead, made again each time: a
 * configured tree keeps the path of the compiler it was configured
 * with, and the patched tree's incremental build runs that one.
 */
int kb_buildcmd__wrappers(const struct kb_build *b, char *bin)
{
	char self[PATH_MAX], link[PATH_MAX];
	size_t i;
	int r;

	if (b->orig_built)
		snprintf(bin, PATH_MAX, "%s-bin", b->orig_built);
	else
		snprintf(bin, PATH_MAX, "%s/bin", b->work);
	r = wrapper_prog(self);
	if (r > 0)
		return 1;
	if (r || (mkdir(bin, 0755) < 0 && errno != EEXIST)) {
		kb_err("cannot make the compiler wrappers in %s: %s", bin,
		       strerror(errno));
		return 1;
	}
	for (i = 0; kb_cc_names[i]; i++) {
		if (snprintf(link, sizeof(link), "%s/%s", bin,
			     kb_cc_names[i]) >= (int)sizeof(link))
			errno = ENAMETOOLONG;
		else if ((!unlink(link) || errno == ENOENT) &&
			 !symlink(self, link))
			continue;
		{
			kb_err("cannot create %s: %s", link, strerror(errno));
			return 1;
		}
	}
	return 0;
}

static bool dropped(const char *var)
{
	static const char *const drop[] = {
		"PATH=",	  "CC=",	"CXX=",
		"MAKEFLAGS=",	  "MFLAGS=",	"MAKELEVEL=",
		"MAKEOVERRIDES=", "KPL_BUILD_", NULL,
	};
	size_t i;

	for (i = 0; drop[i]; i++)
		if (!strncmp(var, drop[i], strlen(drop[i])))
			return true;
	return false;
}

/* The build's environment: ours, the wrapper in charge of compiling. */
static char **build_env(const struct kb_build *b, const char *bin,
			const char *log)
{
	char cc[PATH_MAX], cxx[PATH_MAX], **env;
	const char *path = getenv("PATH");
	size_t n = 0, k = 0, i;

	if (find_prog(b->cc, cc)) {
		kb_err("cannot find the compiler %s", b->cc);
		return NULL;
	}
	/* No C++ compiler is fine for a C library: kpl-c++ then says so. */
	if (find_prog(b->cxx, cxx))
		cxx[0] = '\0';
	while (environ[n])
		n++;
	env = calloc(n + 9, sizeof(*env));
	if (!env)
		goto oom;
	for (i = 0; i < n; i++)
		if (!dropped(environ[i]) && !(env[k++] = strdup(environ[i])))
			goto oom;
	if (asprintf(&env[k++], "PATH=%s:%s", bin,
		     path ? path : "/usr/bin:/bin") < 0 ||
	    asprintf(&env[k++], "CC=%s/kpl-cc", bin) < 0 ||
	    asprintf(&env[k++], "CXX=%s/kpl-c++", bin) < 0 ||
	    asprintf(&env[k++], KB_ENV_CC "=%s", cc) < 0 ||
	    asprintf(&env[k++], KB_ENV_CXX "=%s", cxx) < 0 ||
	    asprintf(&env[k++], KB_ENV_WRAPDIR "=%s", bin) < 0 ||
	    asprintf(&env[k++], KB_ENV_LOG "=%s", log) < 0) {
		env[k - 1] = NULL;
		goto oom;
	}
	return env;
oom:
	kb_err("out of memory");
	kb_argv__free(env);
	return NULL;
}

int kb_buildcmd__copy(const char *src, const char *dst, const char *skip)
{
	return copy_tree(src, dst, skip, 0);
}

/* Run the build command in the copy @side; its output to the log @out. */
static int run_build(const struct kb_build *b, int side, const char *bin,
		     const char *log, const char *out)
{
	char *sh[] = { "/bin/sh", "-c", (char *)b->build_cmd, NULL };
	char *const *argv = sh;
	char what[64], **env, **wrapped = NULL;
	pid_t pid;
	int fd, err;

	snprintf(what, sizeof(what), "the build command (%s tree)",
		 side ? "patched" : "original");
	env = build_env(b, bin, log);
	if (side && b->overlay)
		argv = wrapped = kb_buildcmd__wrap(b, sh, b->root[side]);
	if (!env || !argv) {
		kb_argv__free(env);
		kb_err("out of memory");
		return 1;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kb_err("cannot create %s: %s", out, strerror(errno));
		kb_argv__free(env);
		kb_argv__free(wrapped);
		return 1;
	}
	kb_info("building the %s tree: %s", side ? "patched" : "original",
		b->build_cmd);
	err = kb_spawn_env(argv, b->root[side], fd, env, &pid) ||
	      kb_wait(pid, what);
	close(fd);
	kb_argv__free(env);
	kb_argv__free(wrapped);
	if (err) {
		kb_err("the end of its output (all of it in %s):", out);
		kb_print_tail(out, 25);
	}
	return err;
}

int kb_buildcmd__build(const struct kb_build *b, int side, const char *bin,
		       const char *log, const char *out)
{
	return run_build(b, side, bin, log, out);
}
