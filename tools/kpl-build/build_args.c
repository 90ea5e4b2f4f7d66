// SPDX-License-Identifier: GPL-2.0
/* kpl-build build: the command line and its help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

static const char build_usage[] =
	"usage: kpl-build build --lib LIB.so --diff FIX.diff --build-cmd CMD\n"
	"                       --id ID --version N -o OUT.kpl [options]\n"
	"       kpl-build build --lib LIB.so --diff FIX.diff --sources GLOBS\n"
	"                       --cflags FLAGS --id ID --version N -o OUT.kpl\n"
	"\n"
	"Build a live patch from a source fix, the way kpatch-build does for\n"
	"kernels.  The tree is copied twice (it is never written to), the\n"
	"diff applied to one copy with patch(1), every source compiled in\n"
	"both with the library's flags plus -ffunction-sections\n"
	"-fdata-sections, and the objects compared with libelf symbol by\n"
	"symbol, code with its relocations normalised: a function that only\n"
	"moved, or whose only change is a __LINE__ value, is not a change.\n"
	"\n"
	"With --build-cmd the library's flags are its build's own: the whole\n"
	"tree is copied twice and CMD (make, ninja, ./configure && make,\n"
	"debian/rules build, ...) run with sh -c in each copy, with CC and\n"
	"CXX, and gcc, cc, g++, c++, clang in PATH, a wrapper that runs the\n"
	"real compiler and records every compile and shared link.  The\n"
	"sources compared are those linked into the shared object with\n"
	"LIB's soname (or those --sources names), each compiled again with\n"
	"its own recorded compiler, directory and flags.  The tree must be\n"
	"clean (not built, not configured) and CMD must build inside it.\n"
	"\n"
	"The patch holds every changed function (every function is compared,\n"
	"so callers into which the compiler inlined a changed function, or\n"
	"whose register use it fitted to a changed callee with -fipa-ra,\n"
	"are included), the new functions and the new global, static and\n"
	"static-local data they use, and the strings, constants and jump\n"
	"tables they need.  Everything else is used where it lives in the\n"
	"running library, by name; a static symbol by its name and source\n"
	"file, so that same-named statics of other files are told apart.\n"
	"\n"
	"Refused, naming the symbol and the reason: a change to the size,\n"
	"initial value or const-ness of existing data (static locals too);\n"
	"a changed struct layout; a changed constructor or destructor list;\n"
	"a new or changed thread-local variable (existing ones may be used);\n"
	"C++ code that an exception may leave or pass through; a changed\n"
	"function too short for a jump or that jumps back into its own\n"
	"first bytes; a library that the original build does not\n"
	"reproduce; a diff that changes data but no function.\n"
	"\n"
	"Input:\n"
	"  -l, --lib LIB.so        the library as shipped, unstripped: its\n"
	"                          build-id and soname go into the patch,\n"
	"                          its symbols are what the patch refers to\n"
	"  -T, --target FILE       the library as shipped when it is stripped\n"
	"                          (/lib/x86_64-linux-gnu/libz.so.1.2.13):\n"
	"                          then --lib is a rebuild of it, unstripped,\n"
	"                          which must load the same sections with the\n"
	"                          same bytes at the same addresses (refused,\n"
	"                          naming each section, function and variable\n"
	"                          that differs, otherwise); the patch names\n"
	"                          FILE's build-id, and every symbol it needs\n"
	"                          must be exported by FILE.  With\n"
	"                          --build-cmd, --lib may be left out: it is\n"
	"                          then the library with FILE's soname that\n"
	"                          the original build linked\n"
	"      --soname NAME       with --build-cmd, without --lib and --target:\n"
	"                          the patch is for the library with this\n"
	"                          soname that the original build links,\n"
	"                          as built (a rebuild left vulnerable on\n"
	"                          purpose; kpl-build deb --leave-out)\n"
	"  -d, --diff FIX.diff     the fix, a unified diff (diff -u, git diff)\n"
	"  -t, --tree DIR          the source tree LIB was built from and the\n"
	"                          diff applies to (default: .)\n"
	"  -p, --strip N           leading path components to strip from the\n"
	"                          diff's file names, as patch -pN (default 1)\n"
	"  -b, --build-cmd CMD     the library's build, run with sh -c in each\n"
	"                          copy of the tree (see above)\n"
	"      --orig-built DIR    with --build-cmd: DIR holds the original tree\n"
	"                          already built by kpl-build (kpl-build deb's\n"
	"                          cache); built there first when it does not\n"
	"                          exist yet, reused as it is when it does;\n"
	"                          the patched tree is then a copy of it,\n"
	"                          built again incrementally where it was\n"
	"                          built (a mount namespace), or in full when\n"
	"                          that could differ (kpl-build says why)\n"
	"      --cxx CXX           the C++ compiler for --build-cmd (default:\n"
	"                          $CXX, else g++)\n"
	"  -s, --sources GLOBS     LIB's C sources, relative to the tree, as\n"
	"                          blank-separated glob patterns; may repeat;\n"
	"                          with --build-cmd optional: it overrides\n"
	"                          what the library's link names\n"
	"  -c, --cflags FLAGS      the flags LIB was compiled with (split at\n"
	"                          blanks; no shell quoting); relative -I\n"
	"                          directories are relative to the tree;\n"
	"                          not with --build-cmd\n"
	"      --cc CC             the compiler LIB was built with (default:\n"
	"                          $CC, else gcc)\n"
	"\n"
	"Output:\n"
	"  -i, --id ID             patch id: 1..64 of [A-Za-z0-9._-]\n"
	"  -V, --version N         the patch's version (0..4294967295)\n"
	"  -D, --description TEXT  one line for kpl info and kpl status\n"
	"      --replace           the patch replaces every earlier patch of\n"
	"                          the library when applied\n"
	"      --cve CVE-ID        a CVE the patch fixes (repeat for several):\n"
	"                          kpl info, kpl status and kpld show it\n"
	"      --advisory ID       the advisory it fixes (DSA-5218-1, ...)\n"
	"      --advisory-url URL  the advisory's http(s) URL\n"
	"      --advisory-text TEXT  one line about the advisory\n"
	"  -k, --key KEY           sign with this Ed25519 private key (PEM;\n"
	"                          kpl-build keygen); without it the patch is\n"
	"                          unsigned and kpl apply refuses it\n"
	"  -o, --output OUT.kpl    the patch (replaced atomically)\n"
	"      --lib-out FILE      copy the library the patch is for, as the\n"
	"                          original build made it, to FILE (to load\n"
	"                          it in a test process)\n"
	"\n"
	"Other:\n"
	"  -w, --workdir DIR       keep the copies, objects, logs, patch.o\n"
	"                          and patch.manifest in DIR (new or empty)\n"
	"  -j, --jobs N            compile N files at a time (default: CPUs)\n"
	"  -q, --quiet             only errors and refusals\n"
	"  -h, --help              show this help\n"
	"\n"
	"Exit status: 0 patch written, 1 refused or failed (reasons on\n"
	"stderr), 2 bad usage, 3 nothing to patch (no function's code\n"
	"changes, or only __LINE__ values do).\n"
	"\n"
	"Example (an autotools library; its build's libfoo.so is --lib):\n"
	"  kpl-build build --tree libfoo-1.2 --lib libfoo.so.1.2.0 \\\n"
	"      --build-cmd './configure && make -j4' --diff fix.diff \\\n"
	"      --id FOO-1 --version 1 --key vendor.key -o FOO-1.kpl\n"
	"\n"
	"Example (the repository's own target library):\n"
	"  kpl-build build --lib build/targets/libminiweb.so \\\n"
	"      --sources 'tests/targets/libminiweb/*.c' \\\n"
	"      --cflags '-O2 -g -fPIC -fvisibility=hidden -fcf-protection' \\\n"
	"      --diff tests/targets/fixes/MW-2026-0001.diff \\\n"
	"      --id MW-2026-0001 --version 1 --key vendor.key \\\n"
	"      -o MW-2026-0001.kpl\n"
	"\n"
	"Environment: CC (the compiler), OBJCOPY (objcopy to run), TMPDIR.\n";

static int split_words(const char *s, char ***v, size_t *n)
{
	char *copy = strdup(s), *tok, *save = NULL, **nv;

	if (!copy)
		return 1;
	for (tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		nv = realloc(*v, (*n + 2) * sizeof(*nv));
		if (!nv || !(nv[*n] = strdup(tok))) {
			if (nv)
				*v = nv;
			free(copy);
			return 1;
		}
		*v = nv;
		nv[++*n] = NULL;
	}
	free(copy);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || !*s || *end || *s == '-' || *s == '+' || *out > max;
}

int kb_build__args(struct kb_build *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lib", required_argument, NULL, 'l' },
		{ "orig-built", required_argument, NULL, 'O' },
		{ "soname", required_argument, NULL, 'S' },
		{ "lib-out", required_argument, NULL, 'L' },
		{ "diff", required_argument, NULL, 'd' },
		{ "tree", required_argument, NULL, 't' },
		{ "sources", required_argument, NULL, 's' },
		{ "cflags", required_argument, NULL, 'c' },
		{ "cc", required_argument, NULL, 'C' },
		{ "cxx", required_argument, NULL, 'X' },
		{ "build-cmd", required_argument, NULL, 'b' },
		{ "cve", required_argument, NULL, 'E' },
		{ "advisory", required_argument, NULL, 'A' },
		{ "advisory-url", required_argument, NULL, 'U' },
		{ "advisory-text", required_argument, NULL, 'Y' },
		KB_SHARED_OPTS,
		{ 0 },
	};
	const char *p;
	unsigned long v;
	size_t len;
	int c, idx;

	optind = 1;
	opterr = 0;
	b->meta.vuln = &b->vuln;
	while ((c = getopt_long(argc, argv, "l:d:t:s:c:b:" KB_SHARED_SHORTOPTS,
				opts, &idx)) != -1) {
		switch (c) {
		case 'E':
		case 'A':
		case 'U':
		case 'Y':
			/* "--advisory-url" is the option, "advisory-url" the key */
			if (kb_vuln__add(&b->vuln,
					 c == 'E' ? "cve" : opts[idx].name,
					 optarg, "build"))
				return 2;
			break;
		case 'l':
			b->lib = optarg;
			break;
		case 'T':
			b->target = optarg;
			break;
		case 'O':
			b->orig_built = optarg;
			break;
		case 'S':
			b->soname = optarg;
			break;
		case 'L':
			b->lib_out = optarg;
			break;
		case 'd':
			b->diff = optarg;
			break;
		case 't':
			b->tree = optarg;
			break;
		case 'C':
			b->cc = optarg;
			break;
		case 'X':
			b->cxx = optarg;
			break;
		case 'b':
			b->build_cmd = optarg;
			break;
		case 'i':
			b->meta.id = optarg;
			break;
		case 'D':
			b->meta.description = optarg;
			break;
		case 'R':
			b->meta.flags |= KPL_PATCH_F_REPLACE;
			break;
		case 'k':
			b->key = optarg;
			break;
		case 'o':
			b->out = optarg;
			break;
		case 'w':
			b->workdir = optarg;
			break;
		case 'q':
			kb_quiet = true;
			break;
		case 'p':
		case 'j':
			if (parse_uint(optarg, c == 'p' ? 64 : 256, &v) ||
			    (c == 'j' && !v)) {
				kb_err("build: bad number '%s' for -%c", optarg,
				       c);
				return 2;
			}
			*(c == 'p' ? &b->strip : &b->jobs) = (int)v;
			break;
		case 'V':
			if (parse_uint(optarg, UINT32_MAX, &v)) {
				kb_err("build: --version needs 0..%u, not '%s'",
				       UINT32_MAX, optarg);
				return 2;
			}
			b->meta.version = (uint32_t)v;
			b->have_version = true;
			break;
		case 's':
		case 'c':
			if (split_words(
				    optarg, c == 's' ? &b->globs : &b->cflags,
				    c == 's' ? &b->nr_globs : &b->nr_cflags)) {
				kb_err("out of memory");
				return 1;
			}
			break;
		case 'h':
			fputs(build_usage, stdout);
			return -1;
		default:
			kb_err("build: bad option '%s' (see kpl-build build --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if ((!b->lib && !((b->target || b->soname) && b->build_cmd)) ||
	    !b->diff || (!b->nr_globs && !b->build_cmd) || !b->meta.id ||
	    !b->have_version || !b->out || optind != argc) {
		kb_err("build needs --lib (or --target or --soname with --build-cmd), --diff, --build-cmd or --sources, --id, --version and -o (see kpl-build build --help)");
		return 2;
	}
	if (b->build_cmd && (b->nr_cflags || !*b->build_cmd)) {
		kb_err(*b->build_cmd ?
			       "build: --cflags cannot go with --build-cmd: each source's own flags are recorded from the build" :
			       "build: --build-cmd is empty");
		return 2;
	}
	if (b->soname && (b->lib || b->target)) {
		kb_err("build: --soname goes without --lib and --target: the library is then the original build's own");
		return 2;
	}
	if (b->orig_built && !b->build_cmd) {
		kb_err("build: --orig-built goes with --build-cmd");
		return 2;
	}
	len = strspn(b->meta.id, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	if (!len || len > KPL_ID_MAX || b->meta.id[len]) {
		kb_err("build: --id must be 1..%d characters of A-Z a-z 0-9 . _ -",
		       KPL_ID_MAX);
		return 2;
	}
	if (kb_vuln__check(&b->vuln))
		return 2;
	for (p = b->meta.description; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			kb_err("build: --description must be one line without control characters");
			return 2;
		}
	return 0;
}
