// SPDX-License-Identifier: GPL-2.0
/*
 * Compiling both trees: every source with the library's flags plus
 * -ffunction-sections -fdata-sections -g, from inside its copy, a few
 * compilers at a time; each one's output in a log shown on failure.
 * With --build-cmd each source is compiled as the build compiled it
 * (build_units.c), from the directory the build compiled it in.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

/*
 * The original's object of source @i is kept in --orig-built's obj/, and
 * its line-neutral one (__LINE__ pinned) in obj-line/: the original tree
 * does not change, so the next patch that shifts the same file's lines
 * compiles only its own side again.
 */
static bool kept(const struct kb_build *b, const char *side, bool neutral,
		 size_t i)
{
	return b->orig_built && b->build_cmd && b->in_orig[i] &&
	       (!strcmp(side, "orig") || (!neutral && b->same && b->same[i]));
}

char *kb_tree__obj(const struct kb_build *b, const char *side, bool neutral,
		   size_t i)
{
	char *p;

	if (kept(b, side, neutral, i)) {
		if (asprintf(&p, "%s/obj%s/%s.o", b->orig_built,
			     neutral ? "-line" : "", b->srcs[i]) < 0)
			return NULL;
		return p;
	}
	/* The same unit: the original's object stands for the patched. */
	if (b->same && b->same[i] && !neutral)
		side = "orig";
	if (asprintf(&p, "%s/obj/%s%s/%s.o", b->work, side,
		     neutral ? "-line" : "", b->srcs[i]) < 0)
		return NULL;
	return p;
}

static int push(char ***argv, size_t *n, const char *a)
{
	char **v = realloc(*argv, (*n + 2) * sizeof(*v));

	if (!v)
		return 1;
	*argv = v;
	v[*n] = a ? strdup(a) : NULL;
	if (a && !v[*n])
		return 1;
	v[++*n] = NULL;
	return 0;
}

/* Push "@a/@b2". */
static int push_path(char ***argv, size_t *n, const char *a, const char *b2)
{
	char *s;
	int err;

	if (asprintf(&s, "%s/%s", a, b2) < 0)
		return 1;
	err = push(argv, n, s);
	free(s);
	return err;
}

static bool is_dir_flag(const char *f, size_t *len)
{
	static const char *const flags[] = { "-I", "-iquote", "-isystem",
					     "-idirafter" };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		*len = strlen(flags[i]);
		if (!strncmp(f, flags[i], *len))
			return true;
	}
	return false;
}

/* The compiler's argv for source @i (freed with free_argv()). */
static char **compile_argv(const struct kb_build *b, size_t i, bool neutral,
			   const char *src, const char *obj)
{
	char **argv = NULL, *srcdir;
	size_t n = 0, k, len;
	const char *slash;
	int err;

	err = push(&argv, &n, b->cc);
	for (k = 0; !err && k < b->nr_cflags; k++) {
		const char *f = b->cflags[k], *dir = NULL;
		char *flag;

		err = push(&argv, &n, f);
		if (err || !is_dir_flag(f, &len))
			continue;
		if (f[len])
			dir = f + len;
		else if (k + 1 < b->nr_cflags)
			err = push(&argv, &n, dir = b->cflags[++k]);
		if (err || !dir || dir[0] == '/')
			continue;
		/* A relative directory: the copy first, then the tree. */
		flag = strndup(f, len);
		err = !flag || push(&argv, &n, flag) ||
		      push_path(&argv, &n, b->tree_abs, dir);
		free(flag);
	}
	slash = strrchr(b->srcs[i], '/');
	srcdir = slash ? strndup(b->srcs[i], (size_t)(slash - b->srcs[i])) :
			 strdup(".");
	err = err || !srcdir || push(&argv, &n, "-iquote") ||
	      push_path(&argv, &n, b->tree_abs, srcdir) ||
	      push(&argv, &n, "-ffunction-sections") ||
	      push(&argv, &n, "-fdata-sections") || push(&argv, &n, "-g");
	free(srcdir);
	/* -w: redefining __LINE__ warns, and the flags may hold -Werror. */
	if (!err && neutral)
		err = push(&argv, &n, "-w") || push(&argv, &n, "-Wno-error") ||
		      push(&argv, &n, "-D__LINE__=0");
	err = err || push(&argv, &n, "-c") || push(&argv, &n, src) ||
	      push(&argv, &n, "-o") || push(&argv, &n, obj);
	if (err) {
		for (k = 0; argv && k < n; k++)
			free(argv[k]);
		free(argv);
		return NULL;
	}
	return argv;
}

static void free_argv(char **argv)
{
	size_t k;

	for (k = 0; argv && argv[k]; k++)
		free(argv[k]);
	free(argv);
}

struct job {
	pid_t pid; /* 0: nothing to wait for (the object was kept) */
	char *log;
	char *cmd; /* a kept object: the command line, for its .cmd */
	size_t src;
};

/* The command line of @argv, one argument per line (a .cmd file). */
static char *joined(char **argv)
{
	size_t len = 1, k;
	char *s, *p;

	for (k = 0; argv[k]; k++)
		len += strlen(argv[k]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	for (p = s, k = 0; argv[k]; k++)
		p += sprintf(p, "%s\n", argv[k]);
	*p = '\0';
	return s;
}

/*
 * Is the object of a kept compile there, made by exactly @cmd?  Its .cmd
 * is written only once the compiler succeeded, so a compile that was
 * interrupted is never taken for a finished one.
 */
static bool up_to_date(const char *obj, const char *cmd)
{
	char *path = NULL, *old = NULL;
	size_t len = strlen(cmd), n = 0;
	bool same = false;
	FILE *f;

	if (asprintf(&path, "%s.cmd", obj) < 0)
		return false;
	f = fopen(path, "re");
	if (f) {
		old = malloc(len + 2);
		if (old)
			n = fread(old, 1, len + 1, f);
		fclose(f);
		same = old && n == len && !memcmp(old, cmd, len) &&
		       !access(obj, R_OK);
	}
	if (!same)
		unlink(path);
	free(old);
	free(path);
	return same;
}

static int write_cmd(const char *log, const char *cmd)
{
	char *path = NULL;
	size_t len = strlen(log);
	int err = 1;
	FILE *f;

	/* log is OBJ.log */
	if (asprintf(&path, "%.*s.cmd", (int)(len - 4), log) < 0)
		return 1;
	f = fopen(path, "we");
	if (f) {
		fputs(cmd, f);
		err = fclose(f) != 0;
	}
	if (err)
		kb_err("cannot write %s: %s", path, strerror(errno));
	free(path);
	return err;
}

static int finish(const struct kb_build *b, struct job *j, const char *side)
{
	int err = j->pid ? kb_wait(j->pid, "the compiler") : 0;

	if (err) {
		kb_err("compiling %s (%s) failed:", b->srcs[j->src], side);
		kb_print_file(j->log);
	} else if (j->pid && j->cmd) {
		err = write_cmd(j->log, j->cmd);
	}
	free(j->log);
	free(j->cmd);
	j->log = NULL;
	j->cmd = NULL;
	return err;
}

/* Start compiling source @i; the empty file stands in for a new source. */
static int start(const struct kb_build *b, const char *side, bool neutral,
		 size_t i, struct job *j)
{
	char *obj = kb_tree__obj(b, side, neutral, i), *dir = NULL, *slash;
	char cwd[PATH_MAX], empty[PATH_MAX], **argv = NULL;
	bool missing = !strcmp(side, "orig") && !b->in_orig[i];
	int fd = -1, err = 1;
	size_t k;

	snprintf(cwd, sizeof(cwd), "%s/%s", b->work, side);
	snprintf(empty, sizeof(empty), "%s/empty.c", b->work);
	if (!obj || !(dir = strdup(obj)) ||
	    asprintf(&j->log, "%s.log", obj) < 0) {
		j->log = NULL;
		kb_err("out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (kb_mkdir_p(dir) < 0 ||
	    (missing &&
	     (fd = open(empty, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)) {
		kb_err("cannot create %s: %s", missing ? empty : dir,
		       strerror(errno));
		goto out;
	}
	if (fd >= 0)
		close(fd);
	if (b->build_cmd) {
		/* A new source: the patched build's flags on an empty file. */
		int s = missing || !strcmp(side, "patched");
		const struct kb_unit *u = b->units[s][i];

		argv = kb_unit__argv(b, u, s, neutral, missing ? empty : NULL,
				     obj);
		snprintf(cwd, sizeof(cwd), "%s", u->cwd);
	} else {
		argv = compile_argv(b, i, neutral, missing ? empty : b->srcs[i],
				    obj);
	}
	j->src = i;
	j->pid = 0;
	if (argv && kept(b, side, neutral, i)) {
		j->cmd = joined(argv);
		if (!j->cmd) {
			kb_err("out of memory");
			goto out;
		}
		if (up_to_date(obj, j->cmd)) {
			err = 0;
			goto out;
		}
	}
	fd = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!argv || fd < 0) {
		kb_err("cannot start the compiler: %s",
		       argv ? strerror(errno) : "out of memory");
		goto out;
	}
	/* The command first: on failure the log shows what was run. */
	dprintf(fd, "cd %s &&", cwd);
	for (k = 0; argv[k]; k++)
		dprintf(fd, " %s", argv[k]);
	dprintf(fd, "\n");
	/* Built incrementally: the patched tree is seen where it built. */
	if (b->overlay && !strcmp(side, "patched")) {
		char **w = kb_buildcmd__wrap(b, argv, cwd);

		free_argv(argv);
		argv = w;
		if (!argv) {
			kb_err("out of memory");
			goto out;
		}
	}
	err = kb_spawn(argv, cwd, fd, &j->pid);
out:
	if (fd >= 0)
		close(fd);
	free_argv(argv);
	free(dir);
	free(obj);
	return err;
}

int kb_tree__compile(struct kb_build *b, const char *side, bool neutral,
		     const bool *want)
{
	struct job *jobs;
	size_t i, head = 0, tail = 0;
	int err = 0;

	jobs = calloc(b->nr_srcs + 1, sizeof(*jobs));
	if (!jobs) {
		kb_err("out of memory");
		return 1;
	}
	for (i = 0; i < b->nr_srcs && !err; i++) {
		if (want && !want[i])
			continue;
		/* An unchanged unit: its original object is the patched. */
		if (!neutral && b->same && b->same[i])
			continue;
		if (tail - head == (size_t)b->jobs)
			err = finish(b, &jobs[head++], side);
		if (!err)
			err = start(b, side, neutral, i, &jobs[tail]);
		if (!err)
			tail++;
	}
	while (head < tail)
		err |= finish(b, &jobs[head++], side);
	for (i = 0; i < tail; i++) {
		free(jobs[i].log);
		free(jobs[i].cmd);
	}
	free(jobs);
	return err;
}
