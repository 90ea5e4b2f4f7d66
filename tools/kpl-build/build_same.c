// SPDX-License-Identifier: GPL-2.0
/*
 * --build-cmd: the patched tree's units that need no compile of their
 * own.  A fix touches one or two files of a library of dozens: every
 * other unit compiles, in the patched tree, exactly as in the original,
 * and the same compiler given the same flags and the same bytes makes
 * the same object.  So a unit's original object stands for its patched
 * one when
 *
 *  - its patched compile has the same directory and arguments, but for
 *    the tree's own path (each tree names itself);
 *  - every file the original compile read (the source and each header,
 *    from its -MD dependency file) under the tree has the same bytes in
 *    the patched tree; files outside the tree (the system's headers),
 *    once "../" and symlinks are resolved, are the same files for both;
 *  - no file the diff adds has the name of one it read: a new header may
 *    be found first in the search path.
 *
 * Anything else (no dependency file, a file gone, unreadable) counts as
 * changed: the unit is compiled, as before.  Identical objects compare
 * identical, so nothing the comparison or the reproduce check needs is
 * lost; only their compiles are saved.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

/* @a (of a tree at @ra) and @b (at @rb) are equal but for the roots. */
static bool same_arg(const char *a, const char *ra, const char *b,
		     const char *rb)
{
	size_t la = strlen(ra), lb = strlen(rb);

	while (*a || *b) {
		if (!strncmp(a, ra, la) && !strncmp(b, rb, lb)) {
			a += la;
			b += lb;
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return true;
}

static bool same_unit(const struct kb_build *b, const struct kb_unit *o,
		      const struct kb_unit *p)
{
	size_t k;

	if (!o || !p || o->argc != p->argc || o->src != p->src ||
	    !same_arg(o->cwd, b->root[0], p->cwd, b->root[1]))
		return false;
	for (k = 0; k < o->argc; k++)
		if (!same_arg(o->argv[k], b->root[0], p->argv[k], b->root[1]))
			return false;
	return true;
}

bool kb_same_file(const char *x, const char *y)
{
	char bx[65536], by[65536];
	struct stat sx, sy;
	bool same = false;
	int fx, fy = -1;
	ssize_t n;

	fx = open(x, O_RDONLY | O_CLOEXEC);
	if (fx >= 0)
		fy = open(y, O_RDONLY | O_CLOEXEC);
	if (fx < 0 || fy < 0 || fstat(fx, &sx) || fstat(fy, &sy) ||
	    !S_ISREG(sx.st_mode) || !S_ISREG(sy.st_mode) ||
	    sx.st_size != sy.st_size)
		goto out;
	while ((n = read(fx, bx, sizeof(bx))) > 0)
		if (read(fy, by, (size_t)n) != n || memcmp(bx, by, (size_t)n))
			goto out;
	same = n == 0;
out:
	if (fx >= 0)
		close(fx);
	if (fy >= 0)
		close(fy);
	return same;
}

/* Does some file the diff adds have the file name of @path? */
static bool shadowed(const struct kb_build *b, const char *path)
{
	const char *base = strrchr(path, '/'), *nb;
	char orig[PATH_MAX];
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < b->nr_diff_files; i++) {
		nb = strrchr(b->diff_files[i], '/');
		nb = nb ? nb + 1 : b->diff_files[i];
		if (strcmp(nb, base))
			continue;
		snprintf(orig, sizeof(orig), "%s/%s", b->tree_abs,
			 b->diff_files[i]);
		if (access(orig, F_OK))
			return true;
	}
	return false;
}

/*
 * One dependency of a unit compiled in @cwd: read the same in both?  A
 * file outside the tree (once resolved: "../" and symlinks) is the
 * same file for both.
 */
static bool same_dep(const struct kb_build *b, const char *cwd, const char *dep)
{
	char path[PATH_MAX], real[PATH_MAX], other[PATH_MAX];
	size_t rl = strlen(b->root[0]);

	if (dep[0] == '/')
		snprintf(path, sizeof(path), "%s", dep);
	else if (snprintf(path, sizeof(path), "%s/%s", cwd, dep) >=
		 (int)sizeof(path))
		return false;
	if (shadowed(b, path) || !realpath(path, real))
		return false;
	if (strncmp(real, b->root[0], rl) || real[rl] != '/')
		return true;
	/* Built incrementally, both trees have one path: the patched one
	 * is b->overlay here. */
	if (snprintf(other, sizeof(other), "%s%s",
		     b->overlay ? b->overlay : b->root[1],
		     real + rl) >= (int)sizeof(other))
		return false;
	return kb_same_file(real, other);
}

/*
 * Every dependency in the make rule of @dfile (gcc -MD: "obj: dep dep
 * \<newline> dep", blanks in names escaped by a backslash, '$' doubled)
 * reads the same.  Return: false on any doubt.
 */
static bool same_deps(const struct kb_build *b, const char *cwd,
		      const char *dfile)
{
	char name[PATH_MAX];
	bool target = true, ok = true;
	size_t n = 0;
	int c, next;
	FILE *f = fopen(dfile, "re");

	if (!f)
		return false;
	while (ok && (c = getc(f)) != EOF) {
		if (c == '\\') {
			next = getc(f);
			if (next == '\n')
				c = ' ';
			else if (next == ' ' || next == '#' || next == '\\')
				c = next;
			else if (next != EOF)
				ungetc(next, f);
		} else if (c == '$' && (next = getc(f)) != '$' && next != EOF) {
			ungetc(next, f);
		}
		if (c != ' ' && c != '\n' && c != '\t') {
			if (n + 1 >= sizeof(name))
				ok = false;
			else
				name[n++] = (char)c;
			continue;
		}
		if (!n)
			continue;
		name[n] = '\0';
		n = 0;
		/* "obj.o:" names the target, "x.h:" a phony rule (-MP) */
		if (name[strlen(name) - 1] == ':') {
			target = false;
			continue;
		}
		if (!target)
			ok = same_dep(b, cwd, name);
	}
	ok = ok && !n && !target && !ferror(f);
	fclose(f);
	return ok;
}

int kb_units__unchanged(struct kb_build *b)
{
	size_t i, nr = 0;
	char *obj;

	b->same = calloc(b->nr_srcs + 1, sizeof(*b->same));
	if (!b->same) {
		kb_err("out of memory");
		return 1;
	}
	for (i = 0; i < b->nr_srcs; i++) {
		char dfile[PATH_MAX];
		size_t len;

		if (!b->in_orig[i] ||
		    !same_unit(b, b->units[0][i], b->units[1][i]))
			continue;
		obj = kb_tree__obj(b, "orig", false, i);
		if (!obj) {
			kb_err("out of memory");
			return 1;
		}
		len = strlen(obj);
		if (snprintf(dfile, sizeof(dfile), "%.*s.d", (int)len - 2,
			     obj) < (int)sizeof(dfile))
			b->same[i] = same_deps(b, b->units[0][i]->cwd, dfile);
		free(obj);
		nr += b->same[i];
	}
	kb_info("%zu of %zu source%s compile%s in the patched tree exactly as in the original: %s object%s used for both",
		nr, b->nr_srcs, b->nr_srcs == 1 ? "" : "s",
		b->nr_srcs == 1 ? "s" : "", nr == 1 ? "its" : "their",
		nr == 1 ? "" : "s");
	return 0;
}
