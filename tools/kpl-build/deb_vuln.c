// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build deb --leave-out / --reverse: the source package built with a
 * fix left out, so that the library built is the vulnerable one, as it
 * was before the fix (a security update's Debian patch not applied, or
 * an upstream commit reversed).  That is how a CVE corpus gets a
 * vulnerable library whose fix is the real one: the fix left out is the
 * patch kpl-build then builds.
 *
 * The vulnerable tree lives beside the package version's cache
 * directory, in DIR~vuln-HASH (HASH of the names left out and of the
 * reversed diffs' bytes): its own src/ and orig/, so that the next patch
 * of the same vulnerable build is built from the cache too.  src/ is
 * made from the fetched source package:
 *
 *  - --leave-out NAME: dpkg-source -x --skip-patches, NAME taken out of
 *    debian/patches/series, the others applied by dpkg-source
 *    --before-build (as the build would);
 *  - --reverse DIFF: patch -R, after a dry run that says whether it
 *    applies.
 *
 * src/ appears (rename) only once all of that succeeded.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "deb.h"
#include "elfobj.h"
#include "kpl/errors.h"
#include "kpl-build.h"

#define PATCH_NAME_CHARS                                                 \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" \
	"._+-"

int kb_deb__valid_patch_name(const char *name)
{
	size_t len = strlen(name);

	return len && len < 200 && name[0] != '.' && name[0] != '-' &&
	       strspn(name, PATCH_NAME_CHARS) == len;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

static int hash_file(const char *path, uint64_t *h)
{
	unsigned char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		kb_err("--reverse %s: %s", path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		*h = fnv(*h, buf, n);
	fclose(f);
	return 0;
}

int kb_deb__vuln_dir(const struct kb_deb_vuln *v, const char *dir, char **out)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < v->nr_leave_out; i++)
		h = fnv(fnv(h, "L", 1), v->leave_out[i],
			strlen(v->leave_out[i]) + 1);
	for (i = 0; i < v->nr_reverse; i++) {
		h = fnv(h, "R", 1);
		if (hash_file(v->reverse[i], &h))
			return 1;
	}
	h = fnv(h, v->strip, strlen(v->strip) + 1);
	if (asprintf(out, "%s~vuln-%016llx", dir, (unsigned long long)h) < 0) {
		*out = NULL;
		kb_err("out of memory");
		return 1;
	}
	return 0;
}

/* The one .dsc file apt-get source left in @dl. */
static int find_dsc(const char *dl, char *path, size_t size)
{
	struct dirent *de;
	DIR *d = opendir(dl);
	int found = 0;

	if (!d) {
		kb_err("cannot read %s: %s", dl, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".dsc") &&
		    snprintf(path, size, "%s/%s", dl, de->d_name) < (int)size)
			found++;
	}
	closedir(d);
	if (found != 1) {
		kb_err("%s holds %d .dsc files, not one: remove it to fetch again",
		       dl, found);
		return 1;
	}
	return 0;
}

/*
 * debian/patches/series of @src without the patches @v leaves out; each
 * must be there.  Return: 0, or 1 after naming the patches there are.
 */
static int drop_from_series(const struct kb_deb_vuln *v, const char *src,
			    const char *what)
{
	char path[PATH_MAX], tmp[PATH_MAX], *line = NULL, names[1024];
	size_t cap = 0, i, len = 0;
	bool *seen = calloc(v->nr_leave_out + 1, sizeof(*seen));
	FILE *in = NULL, *out = NULL;
	int err = 1;

	names[0] = '\0';
	if (!seen ||
	    snprintf(path, sizeof(path), "%s/debian/patches/series", src) >=
		    (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		kb_err("%s: path too long, or out of memory", src);
		goto out;
	}
	in = fopen(path, "r");
	if (!in) {
		kb_err("--leave-out: %s has no debian/patches/series (%s): it applies no Debian patch to leave out",
		       what, strerror(errno));
		goto out;
	}
	out = fopen(tmp, "w");
	if (!out) {
		kb_err("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (getline(&line, &cap, in) >= 0) {
		size_t n = strcspn(line, " \t\n#");
		bool drop = false;

		for (i = 0; n && i < v->nr_leave_out; i++)
			if (strlen(v->leave_out[i]) == n &&
			    !strncmp(line, v->leave_out[i], n))
				drop = seen[i] = true;
		if (n && len < sizeof(names) - 1)
			len += (size_t)snprintf(names + len,
						sizeof(names) - len, "%s%.*s",
						len ? ", " : "", (int)n, line);
		if (len >= sizeof(names))
			len = sizeof(names) - 1;
		if (!drop)
			fputs(line, out);
	}
	for (i = 0; i < v->nr_leave_out; i++)
		if (!seen[i]) {
			kb_err("--leave-out %s: no such patch in the series of %s, which has: %s",
			       v->leave_out[i], what, names);
			goto out;
		}
	if (fclose(out)) {
		out = NULL;
		kb_err("cannot write %s", tmp);
		goto out;
	}
	out = NULL;
	if (rename(tmp, path) < 0) {
		kb_err("cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (i = 0; i < v->nr_leave_out; i++)
		kb_info("left out: the Debian patch %s", v->leave_out[i]);
	err = 0;
out:
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	free(line);
	free(seen);
	return err;
}

/* The source with @v's patches left out, in @new. */
static int unpack_without(const struct kb_deb_vuln *v, const char *base,
			  const char *vdir, const char *new, const char *what)
{
	char dl[PATH_MAX], dsc[PATH_MAX], log[PATH_MAX];
	char *unpack[] = { "dpkg-source", "--skip-patches", "-x",
			   dsc,		  (char *)new,	    NULL };
	char *apply[] = { "dpkg-source", "--before-build", (char *)new, NULL };

	snprintf(dl, sizeof(dl), "%s/dl", base);
	snprintf(log, sizeof(log), "%s/unpack.log", vdir);
	if (find_dsc(dl, dsc, sizeof(dsc)) ||
	    kb_deb__run(unpack, NULL, log, "dpkg-source -x") ||
	    drop_from_series(v, new, what))
		return 1;
	snprintf(log, sizeof(log), "%s/apply.log", vdir);
	if (kb_deb__run(apply, NULL, log, NULL)) {
		kb_err("the other Debian patches of %s do not apply with the left-out ones left out (see %s):",
		       what, log);
		kb_print_tail(log, 12);
		return 1;
	}
	return 0;
}

/* patch -R each --reverse diff, a dry run first for a clear refusal. */
static int reverse(const struct kb_deb_vuln *v, const char *vdir,
		   const char *new, const char *what)
{
	char log[PATH_MAX], strip[16], diff[PATH_MAX];
	char *argv[] = { "patch", "-R",	       strip,
			 "-f",	  "-s",	       "--no-backup-if-mismatch",
			 "-d",	  (char *)new, "-i",
			 NULL,	  NULL,	       NULL };
	size_t i;

	snprintf(strip, sizeof(strip), "-p%s", v->strip);
	snprintf(log, sizeof(log), "%s/reverse.log", vdir);
	for (i = 0; i < v->nr_reverse; i++) {
		/* patch -d: the diff's path must not be relative */
		if (!realpath(v->reverse[i], diff)) {
			kb_err("--reverse %s: %s", v->reverse[i],
			       strerror(errno));
			return 1;
		}
		argv[9] = diff;
		argv[10] = "--dry-run";
		if (kb_deb__run(argv, NULL, log, NULL)) {
			kb_err("--reverse %s does not reverse-apply to %s: is that fix in this version, as the diff has it? (patch -R said, in %s:)",
			       v->reverse[i], what, log);
			kb_print_tail(log, 8);
			return 1;
		}
		argv[10] = NULL;
		if (kb_deb__run(argv, NULL, log, "patch -R"))
			return 1;
		kb_info("reversed: %s", v->reverse[i]);
	}
	return 0;
}

int kb_deb__vulnerable(const struct kb_deb_vuln *v, const char *base,
		       const char *vdir, const char *what)
{
	char src[PATH_MAX], new[PATH_MAX], from[PATH_MAX];
	char *copy[] = { "cp", "-a", "--", from, new, NULL };
	struct stat st;
	int err;

	snprintf(src, sizeof(src), "%s/src", vdir);
	snprintf(new, sizeof(new), "%s/src.new", vdir);
	snprintf(from, sizeof(from), "%s/src", base);
	if (!stat(src, &st)) {
		kb_info("the vulnerable source: in the cache %s", vdir);
		return 0;
	}
	err = kb_mkdir_p(vdir);
	if (err) {
		kb_err("cannot create %s: %s", vdir, strerror(-err));
		return 1;
	}
	if (kb_deb__rm_rf(new))
		return 1;
	if (v->nr_leave_out ? unpack_without(v, base, vdir, new, what) :
			      kb_run(copy, NULL))
		goto fail;
	if (reverse(v, vdir, new, what))
		goto fail;
	if (rename(new, src) < 0) {
		kb_err("cannot rename %s: %s", new, strerror(errno));
		goto fail;
	}
	kb_info("the vulnerable source: %s", src);
	return 0;
fail:
	kb_deb__rm_rf(new);
	return 1;
}

int kb_deb__soname(const char *path, char **soname)
{
	struct kpl_elf *e = NULL;
	int err = kpl_elf__open(path, &e);

	if (err) {
		kb_err("cannot read %s: %s", path, kpl_strerror(err));
		return 1;
	}
	*soname = e->soname ? strdup(e->soname) : NULL;
	if (!e->soname)
		kb_err("%s has no soname: name the library with --soname",
		       path);
	kpl_elf__close(e);
	return !*soname;
}
