/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build deb (deb.c) and the dpkg and apt facts it needs
 * (deb_pkg.c).  Every function prints its own error through kb_err()
 * and returns 0 or 1.
 */
#ifndef KPL_BUILD_DEB_H
#define KPL_BUILD_DEB_H

#include <stdbool.h>
#include <stddef.h>

int cmd_deb(int argc, char **argv);

/*
 * kb_deb__split() - "NAME[=VERSION]" into *@name (pointing into @spec)
 * and *@version (malloc'ed, NULL without one), each checked against
 * Debian policy's syntax (so neither can pass for an option or a path).
 * Return: 0, or 2 (bad usage) after saying what is wrong.
 */
int kb_deb__split(const char *spec, const char **name, char **version);
/* Debian's version syntax: [epoch:]upstream[-revision]. */
int kb_deb__valid_version(const char *v);
/* "zlib_1_1.2.13.dfsg-1": a file name for a package version. */
char *kb_deb__dir_name(const char *name, const char *version);
/* Does dpkg-buildflags map a build at @path (-ffile-prefix-map)? */
bool kb_deb__mapped_path(const char *path);
/* The version of source package @name the installed packages came from. */
int kb_deb__installed_version(const char *name, char **version);
/* Is @version of source package @name in the apt sources?  (Says which
 * are, when not.) */
int kb_deb__check_version(const char *name, const char *version);
/* The one shared library the installed binary packages of @name ship. */
int kb_deb__find_target(const char *name, char **path);
/* The directory apt-get source unpacked in @dl (malloc'ed), or NULL. */
char *kb_deb__unpacked(const char *dl);
/* rm -rf @path; 0 when it is gone. */
int kb_deb__rm_rf(const char *path);
/*
 * Run @argv in @cwd (NULL: ours), stdout and stderr to the file @log.
 * On failure, with @what, say so and print the end of the log; without,
 * fail silently.
 */
int kb_deb__run(char *const argv[], const char *cwd, const char *log,
		const char *what);
/* DEB_BUILD_OPTIONS gains nocheck, DEB_BUILD_PROFILES nobiarch. */
int kb_deb__build_env(void);

/*
 * The fixes --leave-out and --reverse take out of the source package
 * (deb_vuln.c), so that its build is the vulnerable library.
 */
#define KB_DEB_VULN_MAX 16
struct kb_deb_vuln {
	const char *leave_out[KB_DEB_VULN_MAX]; /* Debian patch names */
	size_t nr_leave_out;
	const char *reverse[KB_DEB_VULN_MAX]; /* diffs to patch -R */
	size_t nr_reverse;
	const char *strip; /* -p for the diffs, "1" */
};

/* A name debian/patches/series may hold, safe for a command line. */
int kb_deb__valid_patch_name(const char *name);
/* The vulnerable build's cache directory beside @dir (malloc'ed). */
int kb_deb__vuln_dir(const struct kb_deb_vuln *v, const char *dir, char **out);
/*
 * @vdir/src: the fetched source in @base/ with @v's fixes taken out, once
 * (kept in the cache).  @what ("expat 2.5.0-1") is for the messages.
 */
int kb_deb__vulnerable(const struct kb_deb_vuln *v, const char *base,
		       const char *vdir, const char *what);
/* The DT_SONAME of the library @path (malloc'ed). */
int kb_deb__soname(const char *path, char **soname);

/*
 * The build command (deb_cmd.c): dpkg-buildpackage -T build-arch, or a
 * narrower build (--rules-target, --make-dir, --make).
 */
#define KB_DEB_MAKE_MAX 16
#define KB_DEB_DH_MAX 4
struct kb_deb_cmd {
	const char *dh[KB_DEB_DH_MAX]; /* debhelper commands run first */
	size_t nr_dh;
	const char *rules_target; /* NULL: build-arch */
	const char *make_dir; /* make -C, relative to the tree */
	const char *make[KB_DEB_MAKE_MAX]; /* targets and VAR=VALUE */
	size_t nr_make;
};

/*
 * kb_deb__cmd_add() - option @opt ("dh", "rules-target", "make-dir" or
 * "make") with @arg, checked.  Return: 0, or 2 (bad usage) after saying
 * what is wrong.
 */
int kb_deb__cmd_add(struct kb_deb_cmd *c, const char *opt, const char *arg);
/*
 * kb_deb__cmd() - the command for sh -c in the source tree (*@cmd) and
 * the name of its original build's directory in the cache (*@orig:
 * "orig" for Debian's whole build, "orig-HASH" for a narrower one), both
 * malloc'ed.  Return: 0, 1 (out of memory) or 2 (too long).
 */
int kb_deb__cmd(const struct kb_deb_cmd *c, char **cmd, char **orig);

#endif
