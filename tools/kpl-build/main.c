// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build: the command table.  Each command is one file (build.c,
 * pack.c, keys.c) and one line here.
 */
#include <stdio.h>
#include <string.h>

#include "cc_log.h"
#include "deb.h"
#include "kpl-build.h"

struct kb_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct kb_cmd kb_cmds[] = {
	{ "build", cmd_build, "build a signed patch from a source diff" },
	{ "deb", cmd_deb,
	  "build one for a Debian package's installed library" },
	{ "pack", cmd_pack, "turn an object and a manifest into a .kpl patch" },
	{ "sign", cmd_sign, "sign (or re-sign) a .kpl patch" },
	{ "keygen", cmd_keygen, "make an Ed25519 signing key pair" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: kpl-build <command> [<args>]\n\n"
	      "Build, pack and sign live patches (.kpl) for kpatch-lite.\n\n"
	      "commands:\n",
	      f);
	for (i = 0; i < sizeof(kb_cmds) / sizeof(kb_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", kb_cmds[i].name, kb_cmds[i].summary);
	fputs("\n"
	      "A vendor makes a key pair once, and a patch for each fix:\n"
	      "  kpl-build keygen -o keys/vendor   (keys/vendor.key, .pub)\n"
	      "  kpl-build build --lib libfoo.so.1 --tree src \\\n"
	      "      --build-cmd './configure && make' \\\n"
	      "      --diff fix.diff --id FOO-2026-1 --version 1 \\\n"
	      "      --key keys/vendor.key -o FOO-2026-1.kpl\n"
	      "An admin installs keys/vendor.pub in /etc/kpatch-lite/keys/ and\n"
	      "runs 'kpl apply -p PID FOO-2026-1.kpl'; kpl refuses a patch no\n"
	      "trusted key signed.\n"
	      "\n"
	      "'kpl-build <command> --help' describes one command;\n"
	      "docs/patch-format.md describes the .kpl format, the manifest\n"
	      "and exactly which bytes are signed.\n"
	      "\n"
	      "Exit status: 0 success, 1 failure or refusal (reasons on\n"
	      "stderr), 2 bad usage, 3 nothing to patch (build only).\n"
	      "Environment: CC (build's compiler), OBJCOPY (the objcopy\n"
	      "build, pack and sign run), TMPDIR (work files).\n",
	      f);
}

int main(int argc, char **argv)
{
	size_t i;

	/* Run as the compiler wrapper of a --build-cmd build (cc_wrap.c). */
	if (argc >= 1 && kb_cc__is_wrapper(argv[0]))
		return kb_cc__main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(kb_cmds) / sizeof(kb_cmds[0]); i++)
		if (!strcmp(argv[1], kb_cmds[i].name))
			return kb_cmds[i].fn(argc - 1, argv + 1);
	kb_err("unknown command '%s' (see kpl-build --help)", argv[1]);
	return 2;
}
