// SPDX-License-Identifier: GPL-2.0
/* kpl revert: take a patch out of a process by id. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/fleet.h"
#include "kpl/target.h"

static void revert_usage(FILE *f, const char *cmd)
{
	(void)cmd;
	fprintf(f,
		"usage: kpl revert -p PID [options] PATCH-ID\n"
		"       kpl revert --all [--jobs N] [options] PATCH-ID\n\n"
		"Restore the original bytes of every function the patch "
		"changed and\nunmap the patch.  Needs no patch file: the "
		"record lives in the\nprocess.  Patches of the same function "
		"come out last-in-first-out.\n\n"
		"options:\n"
		"  -p, --pid PID       the patched process\n"
		"      --all           every process that has the patch\n"
		"      --jobs N        with --all: parallel workers\n"
		"      --yes           with --all and no filter: do not list the\n"
		"                      processes and ask first (only asked on a\n"
		"                      terminal)\n"
		"      --force         skip the activeness check\n"
		"      --timeout MS    retry while busy for up to MS (3000)\n"
		"      --json          print the result as JSON\n"
		"      --backend NAME  ptrace or kmod (default: kmod when\n"
		"                      /dev/kpatch_lite exists, else ptrace)\n"
		"  -v, --verbose       more detail (twice: debug)\n"
		"  -h, --help          this text\n"
		CLI_FILTER_HELP);
}

int cmd_revert(int argc, char **argv)
{
	struct cli_txn_args a;
	struct kpl_target *t = NULL;
	struct kpl_stats st = { 0 };
	int err;
	sigset_t old;

	err = cli_txn_args(argc, argv, false, &a, revert_usage);
	if (err)
		return err < 0 ? KPL_EXIT_OK : err;
	if (!a.pid == !a.all || optind != argc - 1) {
		fprintf(stderr, "kpl revert: need -p PID or --all, and one "
			"patch id\n");
		revert_usage(stderr, argv[0]);
		return KPL_EXIT_USAGE;
	}
	if (a.all) {
		cli_block_signals(&old);
		err = cli_fleet("revert", NULL, argv[optind], &a.fo, &a.filter,
				a.json, a.yes);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return err;
	}
	a.ao.stats = &st;
	err = kpl_target__open(a.pid, &a.to, &t);
	if (err) {
		fprintf(stderr, "kpl revert: cannot open pid %d: %s\n", a.pid,
			kpl_strerror(err));
		return cli_target_exit_code("revert", err, a.pid);
	}
	cli_block_signals(&old);
	err = kpl_target__revert(t, argv[optind], &a.ao);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err)
		fprintf(stderr, "kpl revert: %s on pid %d failed: %s\n",
			cli_esc(argv[optind]), a.pid, kpl_strerror(err));
	if (a.json) {
		printf("{\"command\":\"revert\",\"pid\":%d,\"patch\":", a.pid);
		cli_json_str(stdout, argv[optind]);
		printf(",\"ok\":%s,\"error\":", err ? "false" : "true");
		cli_json_str(stdout, err ? kpl_strerror(err) : "");
		printf(",\"pause_us\":%.1f,\"total_us\":%.1f,\"attempts\":%u",
		       st.pause_ns / 1e3, st.total_ns / 1e3, st.attempts);
		cli_json_stops(stdout, &st);
		printf("}\n");
	} else if (!err) {
		printf("kpl revert: %s reverted in pid %d (",
		       cli_esc(argv[optind]), a.pid);
		cli_text_stops(stdout, &st);
		printf("; total %.3f ms)\n", st.total_ns / 1e6);
	}
	kpl_target__close(t);
	return cli_target_exit_code("revert", err, a.pid);
}
