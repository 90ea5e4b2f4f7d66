/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build deb (deb.c) and the dpkg and apt facts it needs
 * (deb_pkg.c).  Every function prints its own error through kb_err()
 * and returns 0 or 1.
 */
#ifndef KPL_BUILD_DEB_H
#define KPL_BUILD_DEB_H

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
/* "zlib_1%3a1.2.13.dfsg-1": a file name for a package version. */
char *kb_deb__dir_name(const char *name, const char *version);
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

#endif
