// SPDX-License-Identifier: GPL-2.0
/*
 * --orig-built: the patched tree built incrementally.  A full build of
 * a Debian package costs minutes (configure, every file, twice for two
 * flavours); the fix changes a file or two.  So the patched tree starts
 * as a copy of the original build (modification times kept), the diff
 * is applied to it, and the build command runs again there: make, ninja
 * or debian/rules redo only what the diff's newer files make out of
 * date, or nothing (Debian's stamp files).
 *
 * Where it builds: at the original tree's own path.  The copy is bound
 * over that path in a mount namespace of the build's own (unshare(1),
 * mount --bind), so that every absolute path a configured tree holds
 * (CMake's and ninja's are all absolute) names the copy, never the
 * cached original, and the compiles recorded read exactly as the
 * original build's.  kpl-build's own compiles of the patched units run
 * in such a namespace too.
 *
 * What the comparison needs from the patched build is each unit's flags
 * and the sources it reads.  Both must be what a full build of the
 * patched tree gives, so the incremental build is used only when
 *
 *  - every file the diff changes is a C or C++ source or header (a
 *    Makefile, configure script or debian/ file may change how units
 *    are compiled without make recompiling them); a file it adds may be
 *    anything but a build file;
 *  - a copy the original build made of a changed file (expat's rules
 *    copy its sources into two build directories, once) gets the
 *    change too: any file of the built tree with the exact bytes the
 *    changed file had;
 *  - every unit the build compiled again has the flags the original
 *    build gave it, and no unit is new;
 *  - every C or C++ source the diff changes is compiled by the original
 *    build, itself or one of those copies: one it does not compile may
 *    be made into other code (SQLite's amalgamation), which only a full
 *    build redoes.
 *
 * Otherwise the patched tree is built in full, from the source, after a
 * message saying why.
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

static const char *const header_ext[] = { ".h",	  ".hh",  ".hpp", ".hxx",
					  ".h++", ".inc", ".def", NULL };

static bool is_c(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base ? base + 1 : path;
	if (kb_cc_args__is_source(base))
		return true;
	dot = strrchr(base, '.');
	for (i = 0; dot && header_ext[i]; i++)
		if (!strcmp(dot, header_ext[i]))
			return true;
	return false;
}

/* A file that may tell the build how to build. */
static bool is_build_file(const char *path)
{
	static const char *const names[] = { "Makefile",
					     "GNUmakefile",
					     "CMakeLists.txt",
					     "meson.build",
					     "meson_options.txt",
					     "configure",
					     "rules",
					     NULL };
	static const char *const ext[] = { ".am",    ".in",  ".ac",
					   ".m4",    ".mk",  ".cmake",
					   ".ninja", ".pro", NULL };
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!strncmp(path, "debian/", 7))
		return true;
	for (i = 0; names[i]; i++)
		if (!strncmp(base, names[i], strlen(names[i])))
			return true;
	for (i = 0; dot && ext[i]; i++)
		if (!strcmp(dot, ext[i]))
			return true;
	return false;
}

/* Can we bind a directory over another here?  (Root, or a user ns.) */
static bool can_bind(const struct kb_build *b)
{
	char *argv[] = { "true", NULL }, **w, log[PATH_MAX];
	pid_t pid;
	int fd, err = 1;

	snprintf(log, sizeof(log), "%s/unshare.log", b->work);
	w = kb_buildcmd__wrap(b, argv, b->root[0]);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w && fd >= 0 && !kb_spawn(w, NULL, fd, &pid))
		err = kb_wait(pid, "unshare");
	if (fd >= 0)
		close(fd);
	kb_argv__free(w);
	return !err;
}

struct copies {
	const char *want; /* the pristine file, its bytes looked for */
	const char *with; /* the patched file, copied over each */
	const char *skip; /* the diff's own file */
	off_t size;
	char **found; /* relative to the tree */
	size_t nr;
};

/* Each regular file under @dir with @c->want's bytes: @c->with's now. */
static int propagate(struct copies *c, const char *root, const char *dir,
		     int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	if (depth > 64 || !(d = opendir(dir)))
		return 0;
	while (!err && (de = readdir(d))) {
		char **v;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
			    (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			err = propagate(c, root, path, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size != c->size ||
		    !strcmp(path, c->skip) || !kb_same_file(path, c->want))
			continue;
		v = realloc(c->found, (c->nr + 1) * sizeof(*v));
		if (!v || !(v[c->nr] = strdup(path + strlen(root) + 1))) {
			if (v)
				c->found = v;
			kb_err("out of memory");
			return 1;
		}
		c->found = v;
		c->nr++;
		err = unlink(path) ? -errno : kb_copy_file(c->with, path, NULL);
		if (!err && chmod(path, st.st_mode & 07777) < 0)
			err = -errno;
		if (err)
			kb_err("cannot update %s, a copy of %s: %s", path,
			       c->skip, strerror(-err));
	}
	closedir(d);
	return err ? 1 : 0;
}

/* Why the patched tree cannot be built incrementally, or NULL. */
static const char *diff_ok(const struct kb_build *b, char *why, size_t size)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < b->nr_diff_files; i++) {
		const char *f = b->diff_files[i];
		bool added;

		snprintf(path, sizeof(path), "%s/%s", b->tree_abs, f);
		added = access(path, F_OK) != 0;
		if (added ? !is_build_file(f) : is_c(f))
			continue;
		snprintf(
			why, size,
			added ? "the diff adds %s, which may be read by the build" :
				"the diff changes %s, which is not a C or C++ source or header: it may change how the tree builds",
			f);
		return why;
	}
	return NULL;
}

/* The copies of the diff's changed files, made the patched ones. */
static int copy_changes(struct kb_build *b, char ***found, size_t **nr)
{
	char want[PATH_MAX], with[PATH_MAX];
	size_t i, total = 0;

	*found = NULL;
	*nr = calloc(b->nr_diff_files + 1, sizeof(**nr));
	if (!*nr)
		return 1;
	for (i = 0; i < b->nr_diff_files; i++) {
		struct copies c = { .want = want, .with = with, .skip = with };
		struct stat st;
		char **v;
		size_t k;

		snprintf(want, sizeof(want), "%s/%s", b->tree_abs,
			 b->diff_files[i]);
		snprintf(with, sizeof(with), "%s/%s", b->overlay,
			 b->diff_files[i]);
		if (stat(want, &st) || !S_ISREG(st.st_mode))
			continue;
		c.size = st.st_size;
		if (propagate(&c, b->overlay, b->overlay, 0))
			return 1;
		(*nr)[i] = c.nr;
		v = realloc(*found, (total + c.nr + 1) * sizeof(*v));
		if (!v)
			return 1;
		*found = v;
		for (k = 0; k < c.nr; k++) {
			v[total++] = c.found[k];
			kb_info("%s: a copy of %s the build made: changed too",
				c.found[k], b->diff_files[i]);
		}
		v[total] = NULL;
		free(c.found);
	}
	return 0;
}

int kb_incr__build(struct kb_build *b, const char *bin, const char *log,
		   const char *orig_log, char ***copies, size_t **nr_copies)
{
	char path[PATH_MAX], why[PATH_MAX + 128], out[PATH_MAX];
	const char *reason = diff_ok(b, why, sizeof(why));
	int err;

	*copies = NULL;
	*nr_copies = NULL;
	snprintf(path, sizeof(path), "%s/patched", b->work);
	b->overlay = strdup(path);
	if (!b->overlay) {
		kb_err("out of memory");
		return 1;
	}
	/* The probe binds the (empty) directory the copy will be. */
	if (!reason && mkdir(path, 0755) < 0) {
		kb_err("cannot create %s: %s", path, strerror(errno));
		return 1;
	}
	if (!reason && (!can_bind(b) || rmdir(path) < 0))
		reason =
			"cannot bind a copy over the original tree's path (unshare --mount; see unshare.log in the work directory)";
	if (reason) {
		kb_info("the patched tree is built in full: %s", reason);
		rmdir(path);
		free(b->overlay);
		b->overlay = NULL;
		return 2;
	}
	kb_info("the patched tree: a copy of the original build, the diff applied, built again where the original was");
	err = kb_buildcmd__copy(b->root[0], path, b->work) ||
	      kb_tree__apply_diff(b) || copy_changes(b, copies, nr_copies);
	if (!err) {
		int e = kb_copy_file(orig_log, log, NULL);

		if (e)
			kb_err("cannot copy %s: %s", orig_log, strerror(-e));
		err = e != 0;
	}
	b->root[1] = err ? NULL : strdup(b->root[0]);
	snprintf(out, sizeof(out), "%s/patched-build.log", b->work);
	if (err || !b->root[1])
		return 1;
	if (kb_buildcmd__build(b, 1, bin, log, out)) {
		kb_info("the patched tree is built in full: its incremental build failed");
		return 2;
	}
	return 0;
}

/* Is @rel (relative to the tree) the source of a compile in @l? */
static bool compiled(const struct kb_build *b, const struct kb_cc_rec *recs,
		     size_t nr, const char *rel)
{
	char want[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	size_t i;

	snprintf(want, sizeof(want), "%s/%s", b->root[0], rel);
	for (i = 0; i < nr; i++) {
		struct kb_cc_args a;
		const char *s;

		kb_cc_args__parse(recs[i].argv, recs[i].argc, &a);
		if (!a.compile)
			continue;
		s = recs[i].argv[a.src];
		if (s[0] == '/')
			snprintf(path, sizeof(path), "%s", s);
		else
			snprintf(path, sizeof(path), "%s/%s", recs[i].cwd, s);
		if (!strcmp(path, want))
			return true;
		if (realpath(path, real) && !strcmp(real, want))
			return true;
	}
	return false;
}

static bool same_unit(const struct kb_unit *o, const struct kb_unit *p)
{
	size_t k;

	if (o->argc != p->argc || o->src != p->src || strcmp(o->cwd, p->cwd))
		return false;
	for (k = 0; k < o->argc; k++)
		if (strcmp(o->argv[k], p->argv[k]))
			return false;
	return true;
}

int kb_incr__check(const struct kb_build *b, const char *orig_log,
		   struct kb_unit **u[2], char **rel[2], size_t nr[2],
		   char **copies, const size_t *nr_copies)
{
	struct kb_cc_rec *recs = NULL;
	size_t i, j, k, c = 0, nrecs = 0;
	const char *d;

	for (i = 0; i < nr[1]; i++) {
		for (j = 0; j < nr[0] && strcmp(rel[0][j], rel[1][i]); j++)
			;
		if (j == nr[0]) {
			kb_info("the patched tree is built in full: %s is new in the library",
				rel[1][i]);
			return 2;
		}
		if (!same_unit(u[0][j], u[1][i])) {
			kb_info("the patched tree is built in full: its incremental build compiled %s with other flags than the original build",
				rel[1][i]);
			return 2;
		}
	}
	if (kb_cc_log__read(orig_log, &recs, &nrecs))
		return 1;
	for (i = 0; i < b->nr_diff_files; c += nr_copies[i++]) {
		bool seen;

		d = b->diff_files[i];
		if (!kb_cc_args__is_source(
			    strrchr(d, '/') ? strrchr(d, '/') + 1 : d))
			continue;
		seen = compiled(b, recs, nrecs, d);
		for (k = 0; !seen && k < nr_copies[i]; k++)
			seen = compiled(b, recs, nrecs, copies[c + k]);
		if (!seen) {
			kb_cc_log__free(recs, nrecs);
			kb_info("the patched tree is built in full: the diff changes %s, which the original build did not compile, itself or a copy: it may make other code of it",
				d);
			return 2;
		}
	}
	kb_cc_log__free(recs, nrecs);
	return 0;
}
