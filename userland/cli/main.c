// SPDX-License-Identifier: GPL-2.0
/* kpl: apply, revert and inspect live patches of running processes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kpl/escape.h"
#include "kpl/errors.h"
#include "kpl/log.h"

static const struct kpl_cmd commands[] = {
	{ "apply", cmd_apply, "apply a patch to a running process" },
	{ "revert", cmd_revert, "take a patch back out of a process" },
	{ "status", cmd_status, "list patched processes and their patches" },
	{ "info", cmd_info, "describe a patch file" },
	{ "check", cmd_check, "dry run: check a patch against a process" },
	{ "install", cmd_daemon, "kpld: apply a store patch fleet-wide" },
	{ "uninstall", cmd_daemon, "kpld: revert a store patch everywhere" },
	{ "release", cmd_daemon, "kpld: lift a patch's quarantine" },
	{ "auto", cmd_daemon, "kpld: automatic installation on|off" },
	{ "store", cmd_daemon, "kpld: the store and each patch's lifecycle" },
	{ "vex", cmd_daemon, "kpld: OpenVEX: which processes run each CVE's fix" },
};

static int verbosity;

static int cli_print(enum kpl_print_level level, const char *fmt, va_list ap)
{
	if ((int)level > verbosity)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void cli_block_signals(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, old);
}

void cli_set_verbosity(int v)
{
	verbosity = v;
}

int cli_exit_code(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return KPL_EXIT_OK;
	case KPL_E_FORMAT:
	case KPL_E_VERSION:
	case KPL_E_SIGNATURE:
	case KPL_E_RELOC:
	case KPL_E_UNWIND:
		return KPL_EXIT_PATCH;
	case KPL_E_BUILD_ID:
	case KPL_E_NO_TARGET:
	case KPL_E_SYMBOL:
	case KPL_E_PROLOGUE:
	case KPL_E_RANGE:
	case KPL_E_MISMATCH:
		return KPL_EXIT_TARGET;
	case KPL_E_BUSY:
	case KPL_E_TIMEOUT:
		return KPL_EXIT_BUSY;
	case KPL_E_APPLIED:
	case KPL_E_NOT_APPLIED:
	case KPL_E_ORDER:
	case KPL_E_STATE:
		return KPL_EXIT_STATE;
	case EPERM:
	case EACCES:
	case ESRCH:
		return KPL_EXIT_ACCESS;
	case ENOENT:
	case EISDIR:
		return KPL_EXIT_PATCH;
	}
	return KPL_EXIT_FAIL;
}

pid_t cli_parse_pid(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x3fffffff) {
		fprintf(stderr, "kpl: invalid pid '%s'\n", s);
		return -1;
	}
	return (pid_t)v;
}

int cli_patch_exit_code(int err)
{
	return err == -ENOMEM ? KPL_EXIT_FAIL : KPL_EXIT_PATCH;
}

/* Gone, or a zombie: either way it runs no more. */
static bool pid_dead(pid_t pid)
{
	char path[64], buf[256], *rp;
	FILE *f;
	bool dead = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	/* The state follows the last ')': comm may hold anything. */
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
	    rp[1] == ' ')
		dead = rp[2] == 'Z' || rp[2] == 'X';
	fclose(f);
	return dead;
}

int cli_target_exit_code(const char *cmd, int err, pid_t pid)
{
	struct timespec ts = { 0, 5000000 };
	int i;

	/* A process killed meanwhile fails our calls before its exit is
	 * over: give a dying one a moment to show as dead. */
	for (i = 0; err && pid > 0 && i < 20 && !pid_dead(pid); i++)
		nanosleep(&ts, NULL);
	if (err && pid > 0 && pid_dead(pid)) {
		fprintf(stderr, "kpl %s: pid %d exited during the command\n",
			cmd, pid);
		return KPL_EXIT_ACCESS;
	}
	return cli_exit_code(err);
}

void cli_json_str(FILE *f, const char *s)
{
	size_t n = strlen(s);
	char *buf = malloc(KPL_ESCAPE_MAX(n));

	if (!buf) {
		fputs("\"\"", f);
		return;
	}
	fprintf(f, "\"%s\"", kpl_escape(buf, KPL_ESCAPE_MAX(n), s, n, true));
	free(buf);
}

const char *cli_esc(const char *s)
{
	static char slots[CLI_ESC_SLOTS][KPL_ESCAPE_MAX(512)];
	static unsigned int next;
	char *buf = slots[next++ % CLI_ESC_SLOTS];

	return kpl_escape_str(buf, sizeof(slots[0]), s ? s : "");
}

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
