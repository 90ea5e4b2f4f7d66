/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KPL_CLI_H
#define KPL_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in kpl --help and the README. */
enum {
	KPL_EXIT_OK = 0,
	KPL_EXIT_FAIL = 1,	/* anything not listed below */
	KPL_EXIT_USAGE = 2,	/* bad command line */
	KPL_EXIT_PATCH = 3,	/* patch file unreadable, malformed, unsigned */
	KPL_EXIT_TARGET = 4,	/* wrong build-id, library or symbol missing */
	KPL_EXIT_BUSY = 5,	/* function stayed busy, or timeout */
	KPL_EXIT_STATE = 6,	/* already applied, not applied, wrong order */
	KPL_EXIT_ACCESS = 7,	/* process gone or not ours to patch */
};

struct kpl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_apply(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_revert(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_symfile(int argc, char **argv);
int cmd_daemon(int argc, char **argv);	/* install ... store, vex */

/* kpld's socket path, and one request/reply exchange with it. */
#define CLI_REPLY_MAX (4u << 20)	/* the longest reply kpl reads */
const char *cli_kpld_socket(void);
int cli_kpld(const char *request, char *reply, size_t len);
/*
 * From kpld's status @reply, the protections it runs as one line of
 * printable text ("hold=bpf watchdog=on", each missing one with its
 * reason).  Return: 0, or -ENOENT when the reply does not say.
 */
int cli_kpld_protections(const char *reply, char *line, size_t len);

/*
 * The CVE ids kpld's status @reply gives patch @id version @version, as
 * "CVE-A CVE-B" in @out (only well-formed ids; "" for none).
 * Return: 0, -ENOENT when kpld does not have that patch, -EPROTO.
 */
/*
 * The string "@key" in a kpld reply from @json up to @end (NULL: the
 * end), unescaped, printable ASCII only (the rest '?').  Return: 0, or
 * -ENOENT without the field, -EPROTO when it is cut short.
 */
int cli_json_field(const char *json, const char *end, const char *key,
		   char *out, size_t len);
/*
 * kpl status on a terminal: kpld's status @reply as a table of patches by
 * state, each with a bar of its coverage (processes running it of those
 * mapping its library).  Return: 0, or -ENOENT when @reply has no store.
 */
int cli_status_table(FILE *f, const char *reply);
int cli_kpld_cves(const char *reply, const char *id, uint32_t version,
		  char *out, size_t len);
/*
 * From kpld's VEX document @doc, the processes it says are fixed and
 * affected (at most @max of each).  Return: 0 or -EPROTO.
 */
int cli_kpld_vex_pids(const char *doc, pid_t *fixed, size_t *nr_fixed,
		      pid_t *affected, size_t *nr_affected, size_t max);

#include "kpl/fleet.h"
#include "kpl/log.h"
#include "kpl/patch.h"
#include "kpl/target.h"

struct kpl_patch;

/* What apply, check and revert are told (txn_args.c). */
#define CLI_RULES_MAX 32
/* --jobs 1..KPL_CLI_JOBS_MAX, --timeout 1..KPL_CLI_TIMEOUT_MAX_MS (an hour) */
#define KPL_CLI_JOBS_MAX 1024
#define KPL_CLI_TIMEOUT_MAX_MS 3600000

struct cli_txn_args {
	pid_t pid;
	bool all, json;
	bool yes;	/* --yes: --all acts without showing and asking */
	/* --unit, --user, --exclude, ...: which processes --all takes */
	struct kpl_fleet_rule rules[CLI_RULES_MAX];
	struct kpl_fleet_filter filter;
	int verbose;
	struct kpl_apply_opts ao;
	struct kpl_target_opts to;
	struct kpl_fleet_opts fo;	/* apply/target point at the above */
	struct kpl_verify_opts vo;
};

/* A call's stops: each one's length and threads, and the sum. */
void cli_json_stops(FILE *f, const struct kpl_stats *st);
void cli_text_stops(FILE *f, const struct kpl_stats *st);

/*
 * Parse the shared options into @a; @apply_only also accepts --atomic,
 * --keys and --insecure-allow-unsigned.  Return: 0 to go on, -1 after
 * --help (exit 0), or an exit code.
 */
int cli_txn_args(int argc, char **argv, bool apply_only,
		 struct cli_txn_args *a, void (*usage)(FILE *, const char *));
/*
 * --all: @cmd ("apply" or "revert") @patch (apply) or patch @id (revert)
 * in every process concerned, in parallel.  With no filter, on a
 * terminal and without @yes, it first lists them and asks.  Returns the
 * exit code.
 */
int cli_fleet(const char *cmd, const struct kpl_patch *patch, const char *id,
	      const struct kpl_fleet_opts *in,
	      const struct kpl_fleet_filter *filter, bool json, bool yes);

/* The filter options' help, shared by apply and revert. */
#define CLI_FILTER_HELP                                                       \
	"  with --all, take only the processes that match (repeat an option\n" \
	"  for either of several values; different options must all match):\n" \
	"      --unit UNIT     in systemd unit UNIT (nginx: nginx.service)\n"  \
	"      --cgroup PATH   in cgroup PATH or below it\n"                   \
	"      --exe PATH      running the executable PATH\n"                  \
	"      --exe-build-id HEX  running an executable with that build-id\n" \
	"      --user USER     running as USER (name or uid, effective)\n"     \
	"      --container C   none: not in a container; any: in one; else\n"  \
	"                      the pid namespace inode or cgroup name C\n"     \
	"      --exclude KEY=VALUE  never those (KEY: unit, cgroup, exe,\n"    \
	"                      exe-build-id, user, container)\n"

/* util.c: the log hook main installs (kpl_set_print()). */
int cli_print(enum kpl_print_level level, const char *fmt, va_list ap);
/* Map a libkpl error to an exit code. */
int cli_exit_code(int err);
/* The exit code when opening a patch file failed: 3 but for ENOMEM. */
int cli_patch_exit_code(int err);
/*
 * The exit code of a failed command on @pid: 7 when the process died
 * meanwhile (whatever error that caused: Bad address, ...), and says so.
 */
int cli_target_exit_code(const char *cmd, int err, pid_t pid);
/* Parse a pid argument; prints an error and returns -1 if invalid. */
pid_t cli_parse_pid(const char *s);
/*
 * Parse the value @s of option @opt ("--jobs"): all of it a decimal
 * number from @min to @max, into *@out.  Else prints an error naming
 * @opt and returns -1, leaving *@out alone.
 */
int cli_parse_int(const char *opt, const char *s, int min, int max, int *out);
/*
 * Print @s as a JSON string (with quotes), valid JSON whatever its bytes
 * (escape.h: not UTF-8 becomes U+FFFD).
 */
void cli_json_str(FILE *f, const char *s);
/*
 * "cves":[...],"advisory":{"id":...,"url":...,"text":...} of @patch (no
 * braces around), for --json outputs: [] and "" when it names none.
 */
void cli_json_vuln(FILE *f, const struct kpl_patch *patch);
/*
 * @s escaped for a terminal (escape.h: \x1b for ESC): anything a process
 * or a file controls is printed through this.  The result lives in one
 * of a few static buffers, reused after CLI_ESC_SLOTS more calls.
 */
#define CLI_ESC_SLOTS 8
const char *cli_esc(const char *s);
/*
 * Block SIGINT/SIGTERM/SIGHUP around a transaction: finishing it beats
 * leaving a journal to repair.  Restore with sigprocmask(SIG_SETMASK).
 */
void cli_block_signals(sigset_t *old);
/* Set libkpl's verbosity: 0 warnings, 1 info, 2 debug. */
void cli_set_verbosity(int v);

#endif
