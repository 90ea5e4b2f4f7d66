// SPDX-License-Identifier: GPL-2.0
/* kpl: apply, revert and inspect live patches of running processes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kpl/log.h"

static const struct kpl_cmd commands[] = {
	{ "apply", cmd_apply, "apply a patch to a running process" },
	{ "revert", cmd_revert, "take a patch back out of a process" },
	{ "status", cmd_status, "list patched processes and their patches" },
	{ "info", cmd_info, "describe a patch file" },
	{ "check", cmd_check, "dry run: check a patch against a process" },
	{ "symfile", cmd_symfile, "a patch's symbols for gdb (add-symbol-file)" },
	{ "install", cmd_daemon, "kpld: apply a store patch fleet-wide" },
	{ "uninstall", cmd_daemon, "kpld: revert a store patch everywhere" },
	{ "release", cmd_daemon, "kpld: lift a patch's quarantine" },
	{ "auto", cmd_daemon, "kpld: automatic installation on|off" },
	{ "store", cmd_daemon, "kpld: the store and each patch's lifecycle" },
	{ "rescan", cmd_daemon, "kpld: read the store, cover new processes" },
	{ "vex", cmd_daemon, "kpld: OpenVEX: which processes run each CVE's fix" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kpl <command> [options]\n\n"
		   "Live-patch functions of shared libraries in running "
		   "processes.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nRun 'kpl <command> --help' for a command's options.\n\n"
		   "exit codes:\n"
		   "  0  success\n"
		   "  1  other failure\n"
		   "  2  bad command line\n"
		   "  3  patch file unreadable or malformed\n"
		   "  4  target mismatch: wrong build-id, library not loaded,\n"
		   "     symbol missing, function cannot be patched\n"
		   "  5  a function stayed busy on a stack (timeout)\n"
		   "  6  already applied, not applied, or revert out of order\n"
		   "  7  process gone or not ours to patch\n");
}

int main(int argc, char **argv)
{
	size_t i;

	kpl_set_print(cli_print);
	if (argc < 2) {
		usage(stderr);
		return KPL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return KPL_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kpl: '%s' is not a kpl command; see 'kpl --help'\n",
		argv[1]);
	return KPL_EXIT_USAGE;
}
