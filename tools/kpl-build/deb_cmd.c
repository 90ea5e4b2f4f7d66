// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build deb: the build command.  By default Debian's whole
 * architecture-dependent build, dpkg-buildpackage -T build-arch.  A
 * package's build may make much more than the library (programs, a
 * static copy of every object, tools that compile the whole library
 * again), so --rules-target and --make narrow it: dpkg-buildpackage runs
 * another target of debian/rules (the one that configures), then make
 * builds only what is named, in the tree Debian's own rules configured,
 * with the environment dpkg-buildpackage gives debian/rules
 * (dpkg-architecture's variables, SOURCE_DATE_EPOCH).  Where dh's
 * sequence runs a command before that target which no target of
 * debian/rules runs alone (dh_autoreconf: libtiff's source has no
 * configure script), --dh runs it first.
 *
 * The command reaches sh -c: every word that comes from the command line
 * is checked here and single-quoted.  A narrowed build keeps its
 * original tree apart from the full one's (orig-HASH), so that neither
 * is taken for the other from the cache.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb.h"
#include "kpl-build.h"

#define TARGET_CHARS                                                     \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" \
	"_.+-"
#define DH_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

/* Relative, inside the tree: no "..", no leading '/' or '-'. */
static bool valid_dir(const char *d);

/* A file target may have a directory (expat's build/config.status). */
static bool valid_target(const char *t)
{
	return strlen(t) <= 64 && valid_dir(t) && t[0] != '.';
}

static bool valid_dir(const char *d)
{
	size_t len = strlen(d);
	const char *p;

	if (!len || len > 255 || strspn(d, TARGET_CHARS "/") != len ||
	    d[0] == '/' || d[0] == '-')
		return false;
	for (p = d; p; p = strchr(p, '/')) {
		p += *p == '/';
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
			return false;
	}
	return true;
}

/* A debhelper command's name: dh_autoreconf. */
static bool valid_dh(const char *d)
{
	size_t len = strlen(d);

	return len > 3 && len <= 64 && !strncmp(d, "dh_", 3) &&
	       strspn(d, DH_CHARS) == len;
}

/* A make target or VAR=VALUE: no option, nothing unprintable. */
static bool valid_make_arg(const char *a)
{
	size_t len = strlen(a), i;

	if (!len || len > 255 || a[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return false;
	return true;
}

int kb_deb__cmd_add(struct kb_deb_cmd *c, const char *opt, const char *arg)
{
	if (!strcmp(opt, "rules-target")) {
		if (!valid_target(arg)) {
			kb_err("deb: --rules-target '%.64s' is not a debian/rules target name (letters, digits and _.+-/, inside the tree)",
			       arg);
			return 2;
		}
		c->rules_target = arg;
		return 0;
	}
	if (!strcmp(opt, "dh")) {
		if (!valid_dh(arg)) {
			kb_err("deb: --dh '%.64s' is not a debhelper command name (dh_, then a-z, 0-9, _ and -)",
			       arg);
			return 2;
		}
		if (c->nr_dh == KB_DEB_DH_MAX) {
			kb_err("deb: at most %d --dh", KB_DEB_DH_MAX);
			return 2;
		}
		c->dh[c->nr_dh++] = arg;
		return 0;
	}
	if (!strcmp(opt, "make-dir")) {
		if (!valid_dir(arg)) {
			kb_err("deb: --make-dir '%.64s' is not a directory inside the source tree (relative, no '..')",
			       arg);
			return 2;
		}
		c->make_dir = arg;
		return 0;
	}
	if (c->nr_make == KB_DEB_MAKE_MAX) {
		kb_err("deb: at most %d --make", KB_DEB_MAKE_MAX);
		return 2;
	}
	if (!valid_make_arg(arg)) {
		kb_err("deb: --make '%.64s' is not a make target or VAR=VALUE (no option, nothing unprintable)",
		       arg);
		return 2;
	}
	c->make[c->nr_make++] = arg;
	return 0;
}

/* Append @s to @buf (of @size, holding @*len), single-quoted for sh. */
static int quote(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = *len;

	if (n + 2 >= size)
		return 1;
	buf[n++] = ' ';
	buf[n++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			if (n + 4 >= size)
				return 1;
			memcpy(buf + n, "'\\''", 4);
			n += 4;
			continue;
		}
		if (n + 1 >= size)
			return 1;
		buf[n++] = *s;
	}
	if (n + 1 >= size)
		return 1;
	buf[n++] = '\'';
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Append @s to @buf (of @size, holding @*len) as it is. */
static int append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= size)
		return 1;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++);
	return h;
}

/* make's jobs: DEB_BUILD_OPTIONS' parallel=N (kb_deb__build_env()). */
static int jobs(void)
{
	const char *o = getenv("DEB_BUILD_OPTIONS"), *p;
	long n = 1;

	for (p = o; p && (p = strstr(p, "parallel=")); p++)
		if (p == o || p[-1] == ' ') {
			n = strtol(p + 9, NULL, 10);
			break;
		}
	return n > 0 && n < 256 ? (int)n : 1;
}

int kb_deb__cmd(const struct kb_deb_cmd *c, char **cmd, char **orig)
{
	const char *target = c->rules_target ? c->rules_target : "build-arch";
	uint64_t h = 0xcbf29ce484222325ULL;
	char buf[8192];
	size_t len, i;
	int err = 0;

	*cmd = NULL;
	*orig = NULL;
	/* debhelper commands that dh's sequence runs before the target,
	 * in dpkg-architecture's environment */
	len = 0;
	for (i = 0; !err && i < c->nr_dh; i++) {
		h = fnv(fnv(h, "D"), c->dh[i]);
		err = append(buf, sizeof(buf), &len, "dpkg-architecture -c") ||
		      quote(buf, sizeof(buf), &len, c->dh[i]) ||
		      append(buf, sizeof(buf), &len, " && ");
	}
	if (err) {
		kb_err("deb: the build command is too long");
		return 2;
	}
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"dpkg-buildpackage -T %s -uc -us", target);
	if (!c->rules_target && !c->nr_make && !c->make_dir && !c->nr_dh) {
		*cmd = strdup(buf);
		*orig = strdup("orig");
		goto out;
	}
	h = fnv(fnv(h, "T"), target);
	if (c->nr_make || c->make_dir) {
		len += (size_t)snprintf(
			buf + len, sizeof(buf) - len,
			" && SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -STimestamp)} dpkg-architecture -c make -j%d",
			jobs());
		if (c->make_dir) {
			h = fnv(fnv(h, "C"), c->make_dir);
			err = len >= sizeof(buf) ||
			      quote(buf, sizeof(buf), &len, "-C") ||
			      quote(buf, sizeof(buf), &len, c->make_dir);
		}
		for (i = 0; !err && i < c->nr_make; i++) {
			h = fnv(fnv(h, "M"), c->make[i]);
			err = quote(buf, sizeof(buf), &len, c->make[i]);
		}
	}
	if (err || len >= sizeof(buf)) {
		kb_err("deb: the build command is too long");
		return 2;
	}
	*cmd = strdup(buf);
	if (asprintf(orig, "orig-%016llx", (unsigned long long)h) < 0)
		*orig = NULL;
out:
	if (!*cmd || !*orig) {
		free(*cmd);
		free(*orig);
		*cmd = NULL;
		*orig = NULL;
		kb_err("out of memory");
		return 1;
	}
	return 0;
}
