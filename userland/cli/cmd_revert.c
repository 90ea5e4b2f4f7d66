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

static void revert_usage(FILE *f)
{
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
		"      --force         skip the activeness check\n"
		"      --timeout MS    retry while busy for up to MS (3000)\n"
		"      --json          print the result as JSON\n"
		"      --backend NAME  ptrace or kmod (default: kmod when\n"
		"                      /dev/kpatch_lite exists, else ptrace)\n"
		"  -v, --verbose       more detail (twice: debug)\n"
		"  -h, --help          this text\n");
}

int cmd_revert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "backend", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "all", no_argument, NULL, 'A' },
		{ "jobs", required_argument, NULL, 'J' },
		{ 0 }
	};
	struct kpl_apply_opts ao = { .sz = sizeof(ao) };
	struct kpl_target_opts to = { .sz = sizeof(to) };
	struct kpl_target *t = NULL;
	struct kpl_stats st = { 0 };
	struct kpl_fleet_opts fo = { .sz = sizeof(fo) };
	bool json = false, all = false;
	pid_t pid = 0;
	int c, err, v = 0;
	sigset_t old;

	while ((c = getopt_long(argc, argv, "p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			all = true;
			break;
		case 'J':
			fo.jobs = atoi(optarg);
			break;
		case 'p':
			pid = cli_parse_pid(optarg);
			if (pid < 0)
				return KPL_EXIT_USAGE;
			break;
		case 'f':
			ao.force = true;
			break;
		case 't':
			ao.timeout_ms = atoi(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'b':
			to.backend = optarg;
			break;
		case 'v':
			v++;
			break;
		case 'h':
			revert_usage(stdout);
			return KPL_EXIT_OK;
		default:
			revert_usage(stderr);
			return KPL_EXIT_USAGE;
		}
	}
	if (!pid == !all || optind != argc - 1) {
		fprintf(stderr, "kpl revert: need -p PID or --all, and one "
			"patch id\n");
		revert_usage(stderr);
		return KPL_EXIT_USAGE;
	}
	cli_set_verbosity(v);
	if (all) {
		fo.apply = &ao;
		fo.target = &to;
		cli_block_signals(&old);
		err = cli_fleet("revert", NULL, argv[optind], &fo, json);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return err;
	}
	ao.stats = &st;
	err = kpl_target__open(pid, &to, &t);
	if (err) {
		fprintf(stderr, "kpl revert: cannot open pid %d: %s\n", pid,
			kpl_strerror(err));
		return cli_exit_code(err);
	}
	cli_block_signals(&old);
	err = kpl_target__revert(t, argv[optind], &ao);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err)
		fprintf(stderr, "kpl revert: %s on pid %d failed: %s\n",
			argv[optind], pid, kpl_strerror(err));
	if (json) {
		printf("{\"command\":\"revert\",\"pid\":%d,\"patch\":", pid);
		cli_json_str(stdout, argv[optind]);
		printf(",\"ok\":%s,\"error\":", err ? "false" : "true");
		cli_json_str(stdout, err ? kpl_strerror(err) : "");
		printf(",\"pause_us\":%.1f,\"total_us\":%.1f}\n",
		       st.pause_ns / 1e3, st.total_ns / 1e3);
	} else if (!err) {
		printf("kpl revert: %s reverted in pid %d (pause %.3f ms, "
		       "total %.3f ms)\n", argv[optind], pid, st.pause_ns / 1e6,
		       st.total_ns / 1e6);
	}
	kpl_target__close(t);
	return cli_exit_code(err);
}
