// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build deb: a patch for a Debian library, from its source package,
 * in one command.
 *
 *  1. the version: the one the installed binary packages were built from
 *     (that is what runs), or --package NAME=VERSION;
 *  2. the source: apt-get source into the cache, once per version;
 *  3. the build dependencies: dpkg-checkbuilddeps, apt-get build-dep
 *     only when something is missing;
 *  4. the target: the shared library the installed packages of that
 *     source ship, as installed (stripped), unless --target names it;
 *  5. kpl-build build with the package's own build, as Debian runs it
 *     (dpkg-buildpackage -T build-arch: dpkg-buildflags' flags and
 *     debian/rules; DEB_BUILD_OPTIONS=nocheck; DEB_BUILD_PROFILES=nobiarch
 *     so that only the native library is built), the original tree built
 *     once in the cache (--orig-built), the rebuild proven to be the
 *     shipped file (--target, identity.c) and the patch made for that
 *     file's build-id.  --rules-target and --make narrow the build to
 *     the library (deb_cmd.c).
 *
 * The cache, per package and version: dl/ (what apt-get source fetched),
 * src/ (the unpacked tree, Debian's patches applied), orig/ (the
 * original build, see build_cmd.c; orig-HASH/ for a narrowed one) and
 * the logs of each step.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "deb.h"

static const char deb_usage[] =
	"usage: kpl-build deb --package NAME[=VERSION] --fix FIX.patch\n"
	"                     --id ID [--version N] [--key KEY] [-o OUT.kpl]\n"
	"                     [--target FILE] [--cache DIR] [options]\n"
	"\n"
	"Build a patch for a library of a Debian source package as installed:\n"
	"fetch the source package (apt-get source; needs a deb-src entry,\n"
	"which make deps adds), install its build dependencies when some are\n"
	"missing (apt-get build-dep, as root), build it as Debian does\n"
	"(dpkg-buildpackage -T build-arch: dpkg-buildflags and debian/rules,\n"
	"with DEB_BUILD_OPTIONS=nocheck and DEB_BUILD_PROFILES=nobiarch),\n"
	"apply FIX, build again, compare, pack and sign, as kpl-build build\n"
	"--build-cmd does.  The installed library is stripped: kpl-build\n"
	"proves that its rebuild loads the same bytes at the same addresses,\n"
	"takes the symbols from the rebuild and names the installed file's\n"
	"build-id in the patch.  It refuses, naming what differs, otherwise.\n"
	"\n"
	"  -P, --package NAME[=VERSION]  the source package; VERSION defaults\n"
	"                          to the one the installed binary packages\n"
	"                          were built from\n"
	"  -f, --fix FIX.patch     the fix, a unified diff against the\n"
	"                          unpacked source (Debian's patches applied)\n"
	"  -p, --strip N           as patch -pN (default 1)\n"
	"  -T, --target FILE       the installed library to patch (default:\n"
	"                          the one shared library the package's\n"
	"                          installed binary packages ship)\n"
	"  -C, --cache DIR         downloads and original builds, reused by\n"
	"                          the next patch of the same version\n"
	"                          (default: $KPL_BUILD_CACHE, else\n"
	"                          /var/cache/kpl-build as root, else\n"
	"                          ~/.cache/kpl-build)\n"
	"  -i, --id ID, -V, --version N, -D, --description TEXT, --replace,\n"
	"  -k, --key KEY, -w, --workdir DIR, -j, --jobs N, -q, --quiet\n"
	"                          as for kpl-build build (version default 1)\n"
	"  -o, --output OUT.kpl    the patch (default: ID.kpl)\n"
	"  -h, --help              show this help\n"
	"\n"
	"The vulnerable build (a CVE's fix left out, to test its patch):\n"
	"      --leave-out NAME    leave the Debian patch NAME (of\n"
	"                          debian/patches/series) out of both builds;\n"
	"                          may repeat\n"
	"      --reverse DIFF      reverse DIFF (an upstream fix the version\n"
	"                          has, -p as --strip) in both builds; may\n"
	"                          repeat\n"
	"      --soname NAME       without --target: the patch is for the\n"
	"                          vulnerable build's own library with this\n"
	"                          soname (default: the installed library's)\n"
	"      --lib-out FILE      copy that library, as built, to FILE (to\n"
	"                          load it: LD_LIBRARY_PATH)\n"
	"  With --target, the vulnerable build must be the installed file\n"
	"  (proven as above): the way to patch a file apt installed from an\n"
	"  older version than the archive's source has.  The vulnerable tree\n"
	"  and its build are cached beside the version's.\n"
	"      --cve CVE-ID, --advisory ID, --advisory-url URL\n"
	"                          as for kpl-build build\n"
	"\n"
	"A narrower build (where Debian's builds much more than the library;\n"
	"the rebuild must still be proven to be --target, or be the library\n"
	"the patch is for):\n"
	"      --rules-target T    dpkg-buildpackage -T T instead of\n"
	"                          build-arch: the debian/rules target that\n"
	"                          configures the tree as Debian does\n"
	"      --dh CMD            first the debhelper command CMD, as dh's\n"
	"                          sequence runs it before that target\n"
	"                          (dh_autoreconf, where the source has no\n"
	"                          configure script); may repeat\n"
	"      --make ARG          then make -jN ARG in the tree, with\n"
	"                          dpkg-architecture's environment: a target\n"
	"                          (libfoo.la) or VAR=VALUE; may repeat\n"
	"      --make-dir DIR      make -C DIR (relative to the tree)\n"
	"  Its original build is cached apart from Debian's whole one.\n"
	"\n"
	"Example:\n"
	"  kpl-build deb --package zlib --fix fix.patch --id ZLIB-1 \\\n"
	"      --key vendor.key -o ZLIB-1.kpl\n"
	"  kpl apply --all ZLIB-1.kpl\n"
	"\n"
	"Exit status as for kpl-build build.\n";

struct deb {
	const char *package; /* the source package's name */
	char *version; /* its version */
	const char *fix;
	const char *target;
	const char *cache;
	const char *id;
	const char *out;
	const char *version_opt; /* --version, "1" */
	const char *strip;
	char **pass; /* options passed on to build */
	size_t nr_pass;
	char *dir; /* cache/NAME_VERSION, or its ~vuln- variant */
	char *found_target;
	struct kb_deb_vuln vuln; /* --leave-out, --reverse */
	const char *soname; /* --soname */
	char *found_soname;
	struct kb_deb_cmd cmd; /* --dh, --rules-target, --make-dir, --make */
};

/* --leave-out NAME, --reverse DIFF: one more, checked. */
static int add_vuln(struct deb *d, int c, const char *arg)
{
	const char **list = c == 'L' ? d->vuln.leave_out : d->vuln.reverse;
	size_t *nr = c == 'L' ? &d->vuln.nr_leave_out : &d->vuln.nr_reverse;

	if (*nr == KB_DEB_VULN_MAX) {
		kb_err("deb: at most %d --%s", KB_DEB_VULN_MAX,
		       c == 'L' ? "leave-out" : "reverse");
		return 2;
	}
	if (c == 'L' && !kb_deb__valid_patch_name(arg)) {
		kb_err("deb: --leave-out '%.64s' is not a Debian patch name",
		       arg);
		return 2;
	}
	if (c == 'r' && access(arg, R_OK)) {
		kb_err("deb: --reverse %s: %s", arg, strerror(errno));
		return 2;
	}
	list[(*nr)++] = arg;
	return 0;
}

/* Pass option @c of @opts on to build: --NAME=VAL, or --NAME. */
static int pass(struct deb *d, const struct option *opts, int c,
		const char *val)
{
	char **n = realloc(d->pass, (d->nr_pass + 2) * sizeof(*n));
	int len;

	if (n)
		d->pass = n;
	while (opts->name && opts->val != c)
		opts++;
	len = !n ? -1 :
	      opts->has_arg ?
		   asprintf(&n[d->nr_pass], "--%s=%s", opts->name, val) :
		   asprintf(&n[d->nr_pass], "--%s", opts->name);
	if (len < 0) {
		kb_err("out of memory");
		return 1;
	}
	d->nr_pass++;
	return 0;
}

static int parse_args(struct deb *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "package", required_argument, NULL, 'P' },
		{ "fix", required_argument, NULL, 'f' },
		{ "cache", required_argument, NULL, 'C' },
		{ "leave-out", required_argument, NULL, 'L' },
		{ "reverse", required_argument, NULL, 'r' },
		{ "soname", required_argument, NULL, 'S' },
		{ "lib-out", required_argument, NULL, 'O' },
		{ "cve", required_argument, NULL, 'E' },
		{ "advisory", required_argument, NULL, 'A' },
		{ "advisory-url", required_argument, NULL, 'U' },
		{ "dh", required_argument, NULL, 'H' },
		{ "rules-target", required_argument, NULL, 'G' },
		{ "make-dir", required_argument, NULL, 'B' },
		{ "make", required_argument, NULL, 'M' },
		KB_SHARED_OPTS,
		{ 0 },
	};
	int c, err = 0;

	optind = 1;
	opterr = 0;
	while (!err &&
	       (c = getopt_long(argc, argv, "P:f:C:" KB_SHARED_SHORTOPTS, opts,
				NULL)) != -1) {
		switch (c) {
		case 'P':
			d->package = optarg;
			break;
		case 'f':
			d->fix = optarg;
			break;
		case 'p':
			d->strip = optarg;
			break;
		case 'T':
			d->target = optarg;
			break;
		case 'C':
			d->cache = optarg;
			break;
		case 'i':
			d->id = optarg;
			break;
		case 'V':
			d->version_opt = optarg;
			break;
		case 'o':
			d->out = optarg;
			break;
		case 'q':
			kb_quiet = true;
			/* fall through */
		case 'D':
		case 'R':
		case 'k':
		case 'w':
		case 'j':
			err = pass(d, opts, c, optarg);
			break;
		case 'L':
		case 'r':
			if (add_vuln(d, c, optarg))
				return 2;
			break;
		case 'S':
			d->soname = optarg;
			break;
		case 'H':
		case 'G':
		case 'B':
		case 'M':
			if (kb_deb__cmd_add(&d->cmd,
					    c == 'H' ? "dh" :
					    c == 'G' ? "rules-target" :
					    c == 'B' ? "make-dir" :
						       "make",
					    optarg))
				return 2;
			break;
		case 'O':
			err = pass(d, opts, c, optarg);
			break;
		case 'E':
			err = pass(d, opts, c, optarg);
			break;
		case 'A':
			err = pass(d, opts, c, optarg);
			break;
		case 'U':
			err = pass(d, opts, c, optarg);
			break;
		case 'h':
			fputs(deb_usage, stdout);
			return -1;
		default:
			kb_err("deb: bad option '%s' (see kpl-build deb --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (err)
		return 1;
	if (!d->package || !d->fix || !d->id || optind != argc) {
		kb_err("deb needs --package, --fix and --id (see kpl-build deb --help)");
		return 2;
	}
	if (d->soname && d->target) {
		kb_err("deb: --soname goes without --target (see kpl-build deb --help)");
		return 2;
	}
	return kb_deb__split(d->package, &d->package, &d->version);
}

/* The cache directory: the option, $KPL_BUILD_CACHE, or a default. */
static char *cache_dir(const struct deb *d)
{
	const char *env = getenv("KPL_BUILD_CACHE"), *home = getenv("HOME");
	char *p = NULL;

	if (d->cache)
		return strdup(d->cache);
	if (env && *env)
		return strdup(env);
	if (!geteuid() || !home || !*home)
		return strdup("/var/cache/kpl-build");
	return asprintf(&p, "%s/.cache/kpl-build", home) < 0 ? NULL : p;
}

/* The package version's cache directory: made when fetching. */
static int cache_path(struct deb *d)
{
	char *cache = cache_dir(d), *v = NULL;
	int err = 1;

	/* Absolute: the build records its compiles in the cache, from
	 * inside the tree (a relative --cache broke that). */
	if (cache && cache[0] != '/') {
		char cwd[PATH_MAX], *abs = NULL;

		if (getcwd(cwd, sizeof(cwd)) &&
		    asprintf(&abs, "%s/%s", cwd, cache) < 0)
			abs = NULL;
		free(cache);
		cache = abs;
	}
	if (!cache || !(v = kb_deb__dir_name(d->package, d->version)) ||
	    asprintf(&d->dir, "%s/%s", cache, v) < 0) {
		d->dir = NULL;
		kb_err("out of memory");
		goto out;
	}
	if (!kb_deb__mapped_path(d->dir)) {
		kb_err("the cache directory %s holds characters dpkg-buildflags does not map (-ffile-prefix-map only for letters, digits and -+:.~/_ in the build path): the build would differ from Debian's; use another --cache",
		       cache);
		goto out;
	}
	err = 0;
out:
	free(cache);
	free(v);
	return err;
}

/* Step 2: the unpacked source in DIR/src, fetched once. */
static int fetch(struct deb *d)
{
	char src[PATH_MAX], dl[PATH_MAX], log[PATH_MAX], *spec = NULL;
	char *argv[] = {
		"apt-get", "source", "-q", "--only-source", NULL, NULL
	};
	struct stat st;
	char *unpacked = NULL;
	int err = 1;

	snprintf(src, sizeof(src), "%s/src", d->dir);
	if (!stat(src, &st)) {
		kb_info("source package %s %s: in the cache %s", d->package,
			d->version, d->dir);
		return 0;
	}
	if (kb_deb__check_version(d->package, d->version))
		return 1;
	err = kb_mkdir_p(d->dir);
	if (err) {
		kb_err("cannot create the cache directory %s: %s", d->dir,
		       strerror(-err));
		return 1;
	}
	err = 1;
	snprintf(dl, sizeof(dl), "%s/dl", d->dir);
	snprintf(log, sizeof(log), "%s/fetch.log", d->dir);
	if (asprintf(&spec, "%s=%s", d->package, d->version) < 0) {
		kb_err("out of memory");
		return 1;
	}
	argv[4] = spec;
	kb_info("fetching source package %s", spec);
	/* A half-fetched dl/ from an interrupted run is started afresh. */
	if (kb_deb__rm_rf(dl) || kb_mkdir_p(dl) ||
	    kb_deb__run(argv, dl, log, "apt-get source")) {
		kb_err("cannot fetch the source package %s: is it still in the archive (a newer security update's source may be missing from the mirror), and is there a deb-src entry (make deps adds one)?",
		       spec);
		goto out;
	}
	unpacked = kb_deb__unpacked(dl);
	if (!unpacked || rename(unpacked, src) < 0) {
		kb_err("apt-get source left no unpacked tree in %s", dl);
		goto out;
	}
	err = 0;
out:
	free(unpacked);
	free(spec);
	return err;
}

/* Step 3: the build dependencies, installed only when missing. */
static int build_deps(struct deb *d)
{
	char src[PATH_MAX], log[PATH_MAX], *spec = NULL;
	char *check[] = { "dpkg-checkbuilddeps", NULL };
	char *install[] = { "apt-get", "build-dep", "-y", "-q", "--only-source",
			    "-P",      "nobiarch",  NULL, NULL };
	int err;

	snprintf(src, sizeof(src), "%s/src", d->dir);
	snprintf(log, sizeof(log), "%s/build-deps.log", d->dir);
	if (!kb_deb__run(check, src, log, NULL))
		return 0;
	if (geteuid()) {
		kb_err("build dependencies of %s are missing (see %s): install them as root with apt-get build-dep -P nobiarch %s",
		       d->package, log, d->package);
		return 1;
	}
	if (asprintf(&spec, "%s=%s", d->package, d->version) < 0) {
		kb_err("out of memory");
		return 1;
	}
	install[7] = spec;
	kb_info("installing the build dependencies of %s", spec);
	err = kb_deb__run(install, NULL, log, "apt-get build-dep");
	free(spec);
	return err;
}

static bool vulnerable(const struct deb *d)
{
	return d->vuln.nr_leave_out || d->vuln.nr_reverse;
}

/*
 * The vulnerable build: its own source and cache directory beside the
 * version's, and (without --target) the soname of its library.
 */
static int use_vulnerable(struct deb *d)
{
	char *vdir = NULL, *what = NULL;
	int err;

	if (!vulnerable(d))
		return 0;
	d->vuln.strip = d->strip ? d->strip : "1";
	if (asprintf(&what, "%s %s", d->package, d->version) < 0) {
		kb_err("out of memory");
		return 1;
	}
	err = kb_deb__vuln_dir(&d->vuln, d->dir, &vdir) ||
	      kb_deb__vulnerable(&d->vuln, d->dir, vdir, what);
	free(what);
	if (err) {
		free(vdir);
		return 1;
	}
	free(d->dir);
	d->dir = vdir;
	if (d->target || d->soname)
		return 0;
	return kb_deb__find_target(d->package, &d->found_target) ||
	       kb_deb__soname(d->found_target, &d->found_soname);
}

static int run_build(struct deb *d)
{
	char src[PATH_MAX], orig[PATH_MAX], *out = NULL, **argv = NULL;
	char *cmd = NULL, *name = NULL;
	size_t n = 0, i;
	int err;

	err = kb_deb__cmd(&d->cmd, &cmd, &name);
	if (err)
		return err;
	snprintf(src, sizeof(src), "%s/src", d->dir);
	snprintf(orig, sizeof(orig), "%s/%s/built", d->dir, name);
	/* An original build that did not finish, or that an older kpl-build
	 * kept in another format, is started afresh. */
	if (access(orig, F_OK) || !kb_buildcmd__stamped(orig)) {
		if (!access(orig, F_OK))
			kb_info("the original build in %s/%s was kept by an older kpl-build: building it again",
				d->dir, name);
		snprintf(orig, sizeof(orig), "%s/%s", d->dir, name);
		if (kb_deb__rm_rf(orig)) {
			err = 1;
			goto out;
		}
	}
	snprintf(orig, sizeof(orig), "%s/%s", d->dir, name);
	if (!d->out && asprintf(&out, "%s.kpl", d->id) < 0)
		out = NULL;
	argv = calloc(d->nr_pass + 26, sizeof(*argv));
	if (!argv || (!d->out && !out)) {
		kb_err("out of memory");
		err = 1;
		goto out;
	}
	argv[n++] = "build";
	argv[n++] = "--tree";
	argv[n++] = src;
	argv[n++] = "--orig-built";
	argv[n++] = orig;
	argv[n++] = "--build-cmd";
	argv[n++] = cmd;
	if (d->target || !vulnerable(d)) {
		argv[n++] = "--target";
		argv[n++] = (char *)(d->target ? d->target : d->found_target);
	} else {
		argv[n++] = "--soname";
		argv[n++] = (char *)(d->soname ? d->soname : d->found_soname);
	}
	argv[n++] = "--diff";
	argv[n++] = (char *)d->fix;
	argv[n++] = "--id";
	argv[n++] = (char *)d->id;
	argv[n++] = "--version";
	argv[n++] = (char *)(d->version_opt ? d->version_opt : "1");
	argv[n++] = "-o";
	argv[n++] = d->out ? (char *)d->out : out;
	if (d->strip) {
		argv[n++] = "--strip";
		argv[n++] = (char *)d->strip;
	}
	for (i = 0; i < d->nr_pass; i++)
		argv[n++] = d->pass[i];
	argv[n] = NULL;
	err = cmd_build((int)n, argv);
out:
	free(argv);
	free(out);
	free(cmd);
	free(name);
	return err;
}

int cmd_deb(int argc, char **argv)
{
	struct deb d = { 0 };
	int err;

	err = parse_args(&d, argc, argv);
	if (err) {
		err = err < 0 ? 0 : err;
		goto out;
	}
	if (access(d.fix, R_OK)) {
		kb_err("--fix %s: %s", d.fix, strerror(errno));
		err = 2;
		goto out;
	}
	err = kb_deb__build_env() ||
	      (!d.version &&
	       kb_deb__installed_version(d.package, &d.version)) ||
	      cache_path(&d) || fetch(&d) || use_vulnerable(&d) ||
	      build_deps(&d) ||
	      (!d.target && !vulnerable(&d) &&
	       kb_deb__find_target(d.package, &d.found_target));
	if (!err)
		err = run_build(&d); /* 0..3, as build's */
out:
	free(d.version);
	while (d.nr_pass)
		free(d.pass[--d.nr_pass]);
	free(d.pass);
	free(d.dir);
	free(d.found_target);
	free(d.found_soname);
	return err;
}
