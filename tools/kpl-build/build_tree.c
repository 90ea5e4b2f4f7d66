// SPDX-License-Identifier: GPL-2.0
/*
 * The two source trees and their objects.  The user's tree is never
 * written to: the directories that hold the sources and the files the
 * diff touches are copied twice into the work directory, as orig/ and
 * patched/, and the diff is applied to patched/ with patch(1).
 *
 * Both copies are compiled the same way, from inside the copy, with the
 * same relative source paths, so __FILE__ and every other path the
 * compiler sees are equal in both builds.  A relative -I DIR in the flags
 * is searched in the copy first and then in the user's tree, so headers
 * that were not copied are still found and headers the diff changed are
 * found changed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

int kb_mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int kb_copy_file(const char *src, const char *dst, const struct stat *st)
{
	char buf[65536];
	int in, out, err = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = st ? open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			(st->st_mode & 0777) | 0600)
		 : open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n < 0)
		err = errno ? -errno : -EIO;
	if (!err && st) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };

		if (futimens(out, ts) < 0)
			err = -errno;
	}
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	return err;
}

/* Copy the regular files of @rel (a directory of the tree) to both sides. */
static int copy_dir(struct kb_build *b, const char *rel)
{
	static const char *const sides[] = { "orig", "patched" };
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t i;
	DIR *d;
	int err;

	snprintf(src, sizeof(src), "%s/%s", b->tree_abs, rel);
	d = opendir(src);
	if (!d) {
		/* A directory the diff creates. */
		if (errno == ENOENT)
			return 0;
		kb_err("cannot read %s: %s", src, strerror(errno));
		return 1;
	}
	for (i = 0; i < 2; i++) {
		snprintf(dst, sizeof(dst), "%s/%s/%s", b->work, sides[i], rel);
		err = kb_mkdir_p(dst);
		if (err) {
			kb_err("cannot create %s: %s", dst, strerror(-err));
			closedir(d);
			return 1;
		}
	}
	err = 0;
	while (!err && (de = readdir(d))) {
		if (snprintf(src, sizeof(src), "%s/%s/%s", b->tree_abs, rel,
			     de->d_name) >= (int)sizeof(src) ||
		    stat(src, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (i = 0; !err && i < 2; i++) {
			snprintf(dst, sizeof(dst), "%s/%s/%s/%s", b->work,
				 sides[i], rel, de->d_name);
			err = kb_copy_file(src, dst, NULL);
			if (err)
				kb_err("cannot copy %s to %s: %s", src, dst,
				       strerror(-err));
		}
	}
	closedir(d);
	return err ? 1 : 0;
}

/* Add @dir to the set @dirs (of *@n) unless it is there. */
static int add_dir(char ***dirs, size_t *n, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, **v;
	size_t i;

	d = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!d)
		return 1;
	for (i = 0; i < *n; i++)
		if (!strcmp((*dirs)[i], d)) {
			free(d);
			return 0;
		}
	v = realloc(*dirs, (*n + 1) * sizeof(*v));
	if (!v) {
		free(d);
		return 1;
	}
	*dirs = v;
	v[(*n)++] = d;
	return 0;
}

/*
 * The files a unified diff touches: the "+++ " and "--- " paths with
 * b->strip leading components removed.  Absolute paths and ".." are
 * refused: the diff must stay inside the tree.
 */
static int add_file(struct kb_build *b, const char *path)
{
	char **v;
	size_t i;

	for (i = 0; i < b->nr_diff_files; i++)
		if (!strcmp(b->diff_files[i], path))
			return 0;
	v = realloc(b->diff_files, (b->nr_diff_files + 1) * sizeof(*v));
	if (!v)
		return 1;
	b->diff_files = v;
	v[b->nr_diff_files] = strdup(path);
	return !v[b->nr_diff_files++];
}

static int diff_dirs(struct kb_build *b, char ***dirs, size_t *n)
{
	char *line = NULL, *p, *end;
	size_t cap = 0, files = 0;
	unsigned int lineno = 0;
	int i, err = 0;
	FILE *f;

	f = fopen(b->diff_abs, "re");
	if (!f) {
		kb_err("cannot open diff %s: %s", b->diff, strerror(errno));
		return 1;
	}
	while (!err && getline(&line, &cap, f) >= 0) {
		lineno++;
		if (strncmp(line, "+++ ", 4) && strncmp(line, "--- ", 4))
			continue;
		p = line + 4;
		end = p + strcspn(p, "\t\n");
		*end = '\0';
		if (!strcmp(p, "/dev/null"))
			continue;
		for (i = 0; i < b->strip && p; i++) {
			p = strchr(p, '/');
			if (p)
				p++;
		}
		if (!p || !*p || *p == '/' || !strcmp(p, "..") ||
		    !strncmp(p, "../", 3) || strstr(p, "/../")) {
			kb_err("%s:%u: path outside the tree (or -p %d strips too much): %s",
			       b->diff, lineno, b->strip, line + 4);
			err = 1;
			break;
		}
		files++;
		if (add_file(b, p) || (dirs && add_dir(dirs, n, p))) {
			kb_err("out of memory");
			err = 1;
		}
	}
	free(line);
	fclose(f);
	if (!err && !files) {
		kb_err("%s is not a unified diff: no '+++ ' line", b->diff);
		err = 1;
	}
	return err;
}

static int add_src(struct kb_build *b, const char *rel, bool orig)
{
	char **v;
	bool *o;
	size_t i;

	for (i = 0; i < b->nr_srcs; i++)
		if (!strcmp(b->srcs[i], rel)) {
			b->in_orig[i] |= orig;
			return 0;
		}
	v = realloc(b->srcs, (b->nr_srcs + 1) * sizeof(*v));
	if (v)
		b->srcs = v;
	o = realloc(b->in_orig, (b->nr_srcs + 1) * sizeof(*o));
	if (o)
		b->in_orig = o;
	if (!v || !o || !(v[b->nr_srcs] = strdup(rel)))
		return 1;
	o[b->nr_srcs++] = orig;
	return 0;
}

/* Expand the --sources globs in @root (a tree or its patched copy). */
static int expand(struct kb_build *b, const char *root, bool orig)
{
	size_t i, j, skip = strlen(root) + 1;
	char pat[PATH_MAX];

	for (i = 0; i < b->nr_globs; i++) {
		glob_t g = { 0 };
		int r;

		if (snprintf(pat, sizeof(pat), "%s/%s", root, b->globs[i]) >=
		    (int)sizeof(pat))
			return 1;
		r = glob(pat, 0, NULL, &g);
		if (r && r != GLOB_NOMATCH) {
			globfree(&g);
			return 1;
		}
		for (j = 0; j < g.gl_pathc; j++)
			if (add_src(b, g.gl_pathv[j] + skip, orig)) {
				globfree(&g);
				return 1;
			}
		globfree(&g);
	}
	return 0;
}

int kb_tree__diff_files(struct kb_build *b)
{
	return diff_dirs(b, NULL, NULL);
}

int kb_tree__apply_diff(struct kb_build *b)
{
	char strip[16], dir[PATH_MAX], log[PATH_MAX];
	char *argv[] = { "patch",     strip,	 "-s",
			 "-N",	      "--batch", "--no-backup-if-mismatch",
			 "-d",	      dir,	 "-i",
			 b->diff_abs, NULL };
	pid_t pid;
	int fd, err;

	snprintf(strip, sizeof(strip), "-p%d", b->strip);
	snprintf(dir, sizeof(dir), "%s/patched", b->work);
	snprintf(log, sizeof(log), "%s/patch.log", b->work);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kb_err("cannot create %s: %s", log, strerror(errno));
		return 1;
	}
	err = kb_spawn(argv, NULL, fd, &pid);
	close(fd);
	if (!err)
		err = kb_wait(pid, "patch");
	if (err) {
		kb_err("%s does not apply to %s (with -p%d):", b->diff, b->tree,
		       b->strip);
		kb_print_file(log);
	}
	return err;
}

int kb_tree__setup(struct kb_build *b)
{
	char **dirs = NULL, path[PATH_MAX];
	size_t nr_dirs = 0, i;
	int err = 1;

	if (expand(b, b->tree_abs, true))
		goto oom;
	for (i = 0; i < b->nr_srcs; i++)
		if (add_dir(&dirs, &nr_dirs, b->srcs[i]))
			goto oom;
	if (diff_dirs(b, &dirs, &nr_dirs))
		goto out;
	for (i = 0; i < nr_dirs; i++)
		if (copy_dir(b, dirs[i]))
			goto out;
	if (kb_tree__apply_diff(b))
		goto out;
	snprintf(path, sizeof(path), "%s/patched", b->work);
	if (expand(b, path, false))
		goto oom;
	if (!b->nr_srcs) {
		kb_err("--sources matches no file in %s", b->tree);
		goto out;
	}
	err = 0;
	goto out;
oom:
	kb_err("out of memory");
out:
	for (i = 0; i < nr_dirs; i++)
		free(dirs[i]);
	free(dirs);
	return err;
}

static int rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char sub[PATH_MAX];
	DIR *d;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
		    (int)sizeof(sub))
			rm_rf(sub);
	}
	closedir(d);
	return rmdir(path);
}

void kb_tree__cleanup(struct kb_build *b)
{
	if (b->work && b->work_made && rm_rf(b->work) < 0)
		kb_err("warning: cannot remove %s: %s", b->work,
		       strerror(errno));
}
