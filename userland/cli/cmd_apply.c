// SPDX-License-Identifier: GPL-2.0
/* kpl apply / kpl check: the same path, check writes nothing. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/fleet.h"
#include "kpl/patch.h"
#include "kpl/target.h"

static void apply_usage(FILE *f, const char *cmd)
{
	bool check = !strcmp(cmd, "check");

	fprintf(f,
		"usage: kpl %s -p PID [options] PATCH.kpl\n"
		"       kpl %s --all [--atomic] [--jobs N] [options] PATCH.kpl\n\n"
		"%s\n\n"
		"options:\n"
		"  -p, --pid PID       the process to patch\n"
		"      --all           every process that maps the patch's\n"
		"                      library (by build-id), in parallel\n"
		"      --atomic        with --all: all or none; if any process\n"
		"                      fails, the ones done are rolled back\n"
		"                      (default: best effort, with a report)\n"
		"      --jobs N        with --all: parallel workers (one per CPU)\n"
		"      --yes           with --all and no filter: do not list the\n"
		"                      processes and ask first (only asked on a\n"
		"                      terminal)\n"
		"      --keys DIR      trusted public keys (*.pub, PEM Ed25519),\n"
		"                      default " KPL_KEYS_DIR "; the patch\n"
		"                      must carry a signature one of them verifies\n"
		"      --insecure-allow-unsigned\n"
		"                      accept a patch with no signature at all\n"
		"                      (with a warning); a bad or untrusted\n"
		"                      signature is refused all the same\n"
		"      --force         skip the activeness check (a patched\n"
		"                      function may be running); the torn-\n"
		"                      instruction check still applies\n"
		"      --timeout MS    retry while busy for up to MS (3000)\n"
		"      --perf-map      name the patch's functions for perf:\n"
		"                      lines kpl:ID:NAME in /tmp/perf-PID.map,\n"
		"                      the code in anonymous memory (ptrace)\n"
		"      --json          print the result as JSON\n"
		"      --backend NAME  ptrace or kmod (default: kmod when\n"
		"                      /dev/kpatch_lite exists, else ptrace)\n"
		"  -v, --verbose       more detail (twice: debug)\n"
		"  -h, --help          this text\n"
		CLI_FILTER_HELP,
		cmd, cmd,
		check ? "Dry run: parse the patch, find the library, check its "
			"build-id,\nresolve every symbol and relocation, analyse "
			"every function.\nNothing is written to the process."
		      : "Apply a patch to a running process.  The process is "
			"stopped only\nto check that no thread is inside a "
			"patched function and to\nwrite the jumps; on any "
			"failure it is left exactly as before.");
}

static int run(int argc, char **argv, bool check)
{
	struct cli_txn_args a;
	struct kpl_target *t = NULL;
	struct kpl_patch *patch = NULL;
	struct kpl_stats st = { 0 };
	uint8_t kid[KPL_KEY_ID_LEN];
	int err, rc;
	sigset_t old;

	err = cli_txn_args(argc, argv, true, &a, apply_usage);
	if (err)
		return err < 0 ? KPL_EXIT_OK : err;
	if (!a.pid == !a.all || optind != argc - 1 || (check && a.all)) {
		fprintf(stderr, "kpl %s: need -p PID%s and one patch file\n",
			argv[0], check ? "" : " or --all");
		apply_usage(stderr, argv[0]);
		return KPL_EXIT_USAGE;
	}
	a.ao.stats = &st;
	err = kpl_patch__open_verified(argv[optind], &a.vo, &patch);
	if (err) {
		fprintf(stderr, "kpl %s: cannot use patch %s: %s\n", argv[0],
			cli_esc(argv[optind]), kpl_strerror(err));
		return cli_patch_exit_code(err);
	}
	if (kpl_patch__key_id(patch, kid) == -ENODATA)
		fprintf(stderr,
			"kpl %s: WARNING: %s IS NOT SIGNED.  Nobody vouches for "
			"the code it puts\n"
			"kpl %s: WARNING: into %s; it is used only because of "
			"--insecure-allow-unsigned.\n",
			argv[0], cli_esc(argv[optind]), argv[0],
			a.all ? "every process that maps the library" :
			      "the process");
	if (a.all) {
		a.ao.stats = NULL;
		cli_block_signals(&old);
		err = cli_fleet("apply", patch, kpl_patch__id(patch), &a.fo,
				&a.filter, a.json, a.yes);
		sigprocmask(SIG_SETMASK, &old, NULL);
		kpl_patch__free(patch);
		return err;
	}
	err = kpl_target__open(a.pid, &a.to, &t);
	if (err) {
		fprintf(stderr, "kpl %s: cannot open pid %d: %s\n", argv[0],
			a.pid, kpl_strerror(err));
		rc = cli_target_exit_code(argv[0], err, a.pid);
		goto out;
	}
	/* Ctrl-C mid-transaction would leave a journal to repair; finish. */
	cli_block_signals(&old);
	err = check ? kpl_target__check(t, patch, &a.ao)
		    : kpl_target__apply(t, patch, &a.ao);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "kpl %s: %s on pid %d failed: %s\n", argv[0],
			cli_esc(kpl_patch__id(patch)), a.pid,
			kpl_strerror(err));
	}
	rc = cli_target_exit_code(argv[0], err, a.pid);
	if (a.json) {
		printf("{\"command\":\"%s\",\"pid\":%d,\"patch\":", argv[0], a.pid);
		cli_json_str(stdout, kpl_patch__id(patch));
		printf(",\"ok\":%s,\"error\":", err ? "false" : "true");
		cli_json_str(stdout, err ? kpl_strerror(err) : "");
		printf(",\"backend\":");
		cli_json_str(stdout, t ? kpl_target__backend(t) : "");
		printf(",\"pause_us\":%.1f,"
		       "\"total_us\":%.1f,\"attempts\":%u,\"threads\":%u",
		       st.pause_ns / 1e3,
		       st.total_ns / 1e3, st.attempts, st.threads);
		cli_json_stops(stdout, &st);
		printf("}\n");
	} else if (!err && check) {
		printf("kpl check: %s can be applied to pid %d\n",
		       cli_esc(kpl_patch__id(patch)), a.pid);
	} else if (!err) {
		printf("kpl apply: %s applied to pid %d (%zu function%s, ",
		       cli_esc(kpl_patch__id(patch)), a.pid,
		       kpl_patch__nr_funcs(patch),
		       kpl_patch__nr_funcs(patch) == 1 ? "" : "s");
		cli_text_stops(stdout, &st);
		printf("; total %.3f ms, backend %s)\n", st.total_ns / 1e6,
		       kpl_target__backend(t));
	}
out:
	kpl_target__close(t);
	kpl_patch__free(patch);
	return rc;
}

int cmd_apply(int argc, char **argv)
{
	return run(argc, argv, false);
}

int cmd_check(int argc, char **argv)
{
	return run(argc, argv, true);
}
