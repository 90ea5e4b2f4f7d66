// SPDX-License-Identifier: GPL-2.0
/*
 * --build-cmd: the library's own build, run twice.  The whole tree is
 * copied to orig/ and patched/ (modes, symlinks and modification times
 * kept, so that make sees generated files as up to date and does not
 * rerun autoconf or automake), the diff applied to patched/, and the
 * build command run with `sh -c` in each copy with the compiler wrapper
 * (cc_wrap.c) as CC and CXX and first in PATH.  What the wrapper recorded
 * says which translation units make up the library and how each was
 * compiled (build_units.c); build_cc.c then compiles exactly those again
 * with their own flags.
 *
 * The build runs without MAKEFLAGS and friends: a kpl-build started from
 * make must not hand the outer make's variables and jobserver to the
 * library's build.
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

static const char *const sides[] = { "orig", "patched" };

static bool is_source(const char *path)
{
	const char *slash = strrchr(path, '/');

	return kb_cc_args__is_source(slash ? slash + 1 : path);
}

/*
 * A source the diff changes but that is not compared is a change the
 * patch would silently leave out.  It is only a warning (fixes often
 * come with a test program) unless the library links objects kpl-build
 * could not trace: then it may be one of those, and it is refused.
 */
static int check_diff(const struct kb_build *b, bool unseen)
{
	size_t i, j;
	int err = 0;

	for (i = 0; i < b->nr_diff_files; i++) {
		if (!is_source(b->diff_files[i]))
			continue;
		for (j = 0; j < b->nr_srcs; j++)
			if (!strcmp(b->srcs[j], b->diff_files[i]))
				break;
		if (j < b->nr_srcs)
			continue;
		if (unseen) {
			kb_err("the diff changes %s, which the build did not show compiled into %s: refusing, the fix might be left out",
			       b->diff_files[i], b->lib);
			err = 1;
		} else {
			kb_err("warning: the diff changes %s, which is not part of %s: not in the patch",
			       b->diff_files[i], b->lib);
		}
	}
	return err;
}

/* Pair the two sides' units by source path. */
static int pair(struct kb_build *b, struct kb_unit **u[2], char **rel[2],
		size_t nr[2])
{
	size_t i, j;

	b->srcs = calloc(nr[1] + 1, sizeof(*b->srcs));
	b->in_orig = calloc(nr[1] + 1, sizeof(*b->in_orig));
	b->units[0] = calloc(nr[1] + 1, sizeof(*b->units[0]));
	b->units[1] = calloc(nr[1] + 1, sizeof(*b->units[1]));
	if (!b->srcs || !b->in_orig || !b->units[0] || !b->units[1]) {
		kb_err("out of memory");
		return 1;
	}
	for (i = 0; i < nr[1]; i++) {
		b->srcs[i] = rel[1][i];
		b->units[1][i] = u[1][i];
		rel[1][i] = NULL;
		u[1][i] = NULL;
		b->nr_srcs++;
	}
	for (j = 0; j < nr[0]; j++) {
		for (i = 0; i < b->nr_srcs; i++)
			if (!strcmp(b->srcs[i], rel[0][j]))
				break;
		if (i == b->nr_srcs) {
			kb_err("%s is part of the original library but not of the patched one: kpl-build cannot patch a removed file",
			       rel[0][j]);
			return 1;
		}
		b->units[0][i] = u[0][j];
		u[0][j] = NULL;
		b->in_orig[i] = true;
	}
	return 0;
}

/*
 * What DIR/built holds: the cache's format.  A cache an older kpl-build
 * wrote (an empty DIR/built: no objects kept, wrappers elsewhere) is
 * refused by name rather than misread.
 */
static const char orig_stamp[] = "kpl-build orig-built 2\n";

bool kb_buildcmd__stamped(const char *path)
{
	char buf[sizeof(orig_stamp)] = { 0 };
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)sizeof(orig_stamp) - 1 &&
	       !memcmp(buf, orig_stamp, (size_t)n);
}

/*
 * --orig-built DIR: the original tree built once and kept, so that the
 * next patch of the same library builds only its patched tree.  DIR/tree
 * is the built copy, DIR/cc-log what the wrapper recorded, DIR/build.log
 * the build's output, and DIR/built (the stamp above) says all of it is
 * complete.  The
 * recorded compiles name DIR/tree: it must stay where it is.
 */
static int orig_built(struct kb_build *b, const char *bin, char *log,
		      bool *reuse)
{
	char path[PATH_MAX], real[PATH_MAX], out[PATH_MAX];
	struct stat st;
	int fd;

	if (snprintf(path, sizeof(path), "%s/built", b->orig_built) >=
	    (int)sizeof(path)) {
		kb_err("--orig-built %s: path too long", b->orig_built);
		return 1;
	}
	*reuse = !stat(path, &st);
	if (*reuse && !kb_buildcmd__stamped(path)) {
		kb_err("--orig-built %s was built by an older kpl-build, whose cache this one cannot read: remove it and build again",
		       b->orig_built);
		return 1;
	}
	if (!*reuse && mkdir(b->orig_built, 0755) < 0) {
		if (errno == EEXIST)
			kb_err("--orig-built %s exists but holds no complete build: remove it",
			       b->orig_built);
		else
			kb_err("cannot create %s: %s", b->orig_built,
			       strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/tree", b->orig_built);
	if (!*reuse && kb_buildcmd__copy(b->tree_abs, path, b->work))
		return 1;
	if (!realpath(path, real) || !(b->root[0] = strdup(real))) {
		kb_err("%s: %s", path, strerror(errno));
		return 1;
	}
	snprintf(log, PATH_MAX, "%s/cc-log", b->orig_built);
	if (*reuse) {
		kb_info("the original tree: built before in %s", b->root[0]);
		return 0;
	}
	snprintf(out, sizeof(out), "%s/build.log", b->orig_built);
	if (kb_buildcmd__build(b, 0, bin, log, out))
		return 1;
	snprintf(path, sizeof(path), "%s/built", b->orig_built);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, orig_stamp, sizeof(orig_stamp) - 1) !=
			      (ssize_t)sizeof(orig_stamp) - 1) {
		kb_err("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* A fresh copy of the tree as @side's, the diff applied to patched/. */
static int copy_side(struct kb_build *b, int side)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", b->work, sides[side]);
	if (kb_buildcmd__copy(b->tree_abs, path, b->work))
		return 1;
	if (!realpath(path, real) || !(b->root[side] = strdup(real))) {
		kb_err("%s: %s", path, strerror(errno));
		return 1;
	}
	return side ? kb_tree__apply_diff(b) : 0;
}

static void free_units(struct kb_unit ***u, char ***rel, size_t *nr)
{
	size_t i;

	for (i = 0; i < *nr; i++) {
		kb_unit__free((*u)[i]);
		free((*rel)[i]);
	}
	free(*u);
	free(*rel);
	*u = NULL;
	*rel = NULL;
	*nr = 0;
}

/*
 * The patched side: with --orig-built, built incrementally from a copy
 * of the original build (build_incr.c) when that gives what a full build
 * would; else, or when it does not, in full from a copy of the tree.
 */
static int patched_side(struct kb_build *b, const char *bin,
			const char *orig_log, struct kb_unit **u[2],
			char **rel[2], size_t nr[2], int *unseen)
{
	char log[PATH_MAX], out[PATH_MAX], **copies = NULL, *argv[5];
	size_t *nr_copies = NULL, i;
	int r = 2;

	snprintf(log, sizeof(log), "%s/patched.cc-log", b->work);
	snprintf(out, sizeof(out), "%s/patched-build.log", b->work);
	if (b->orig_built)
		r = kb_incr__build(b, bin, log, orig_log, &copies, &nr_copies);
	if (!r) {
		r = kb_units__select(b, 1, log, &u[1], &rel[1], &nr[1]);
		if (r <= 0) {
			*unseen |= r;
			r = kb_incr__check(b, orig_log, u, rel, nr, copies,
					   nr_copies);
		}
	}
	for (i = 0; copies && copies[i]; i++)
		free(copies[i]);
	free(copies);
	free(nr_copies);
	if (r != 2)
		return r;
	/* In full: what the incremental build left goes. */
	free_units(&u[1], &rel[1], &nr[1]);
	free(b->root[1]);
	b->root[1] = NULL;
	if (b->overlay) {
		argv[0] = "rm";
		argv[1] = "-rf";
		argv[2] = "--";
		argv[3] = b->overlay;
		argv[4] = NULL;
		r = kb_run(argv, NULL);
		free(b->overlay);
		b->overlay = NULL;
		if (r)
			return 1;
	}
	if (copy_side(b, 1) || kb_buildcmd__build(b, 1, bin, log, out))
		return 1;
	r = kb_units__select(b, 1, log, &u[1], &rel[1], &nr[1]);
	if (r > 0)
		return 1;
	*unseen |= r;
	return 0;
}

int kb_buildcmd__setup(struct kb_build *b)
{
	struct kb_unit **u[2] = { NULL, NULL };
	char **rel[2] = { NULL, NULL };
	char bin[PATH_MAX], log[PATH_MAX], out[PATH_MAX];
	size_t nr[2] = { 0, 0 };
	int side, err = 1, unseen = 0, r;
	bool reuse = false;

	if (kb_tree__diff_files(b) || (!b->orig_built && copy_side(b, 0)) ||
	    kb_buildcmd__wrappers(b, bin))
		return 1;
	snprintf(log, sizeof(log), "%s/orig.cc-log", b->work);
	snprintf(out, sizeof(out), "%s/orig-build.log", b->work);
	if (b->orig_built ? orig_built(b, bin, log, &reuse) :
			    kb_buildcmd__build(b, 0, bin, log, out))
		goto out;
	r = kb_units__select(b, 0, log, &u[0], &rel[0], &nr[0]);
	if (r > 0)
		goto out;
	unseen |= r;
	if (patched_side(b, bin, log, u, rel, nr, &unseen))
		goto out;
	err = pair(b, u, rel, nr) || check_diff(b, unseen);
out:
	for (side = 0; side < 2; side++)
		free_units(&u[side], &rel[side], &nr[side]);
	return err;
}

void kb_buildcmd__free(struct kb_build *b)
{
	size_t i;
	int side;

	for (side = 0; side < 2; side++) {
		for (i = 0; b->units[side] && i < b->nr_srcs; i++)
			kb_unit__free(b->units[side][i]);
		free(b->units[side]);
		free(b->root[side]);
	}
	free(b->overlay);
	for (i = 0; i < b->nr_diff_files; i++)
		free(b->diff_files[i]);
	free(b->diff_files);
}
