// SPDX-License-Identifier: GPL-2.0
/* kpl apply --all / kpl revert --all: the whole machine at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/fleet.h"
#include "kpl/patch.h"

/* A progress bar on stderr, only when it is a terminal. */
static void progress(void *ctx, size_t done, size_t total)
{
	const char *what = ctx;
	int width = 40, fill = total ? (int)(done * width / total) : width;

	fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", what, fill,
		"========================================", width - fill, "",
		done, total);
	if (done == total)
		fputc('\n', stderr);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void report(const char *cmd, const char *id, int err,
		   const struct kpl_fleet_result *res, size_t nr, bool json,
		   double ms)
{
	size_t i, ok = 0, back = 0;

	for (i = 0; i < nr; i++) {
		ok += !res[i].err && !res[i].rolled_back;
		back += res[i].rolled_back;
	}
	if (json) {
		printf("{\"command\":\"%s\",\"all\":true,\"patch\":", cmd);
		cli_json_str(stdout, id);
		printf(",\"ok\":%s,\"done\":%zu,\"processes\":%zu,"
		       "\"rolled_back\":%zu,\"ms\":%.1f,\"results\":[",
		       err ? "false" : "true", ok, nr, back, ms);
		for (i = 0; i < nr; i++) {
			printf("%s{\"pid\":%d,\"comm\":", i ? "," : "",
			       res[i].pid);
			cli_json_str(stdout, res[i].comm);
			printf(",\"ok\":%s,\"error\":",
			       res[i].err ? "false" : "true");
			cli_json_str(stdout,
				     res[i].err ? kpl_strerror(res[i].err) : "");
			printf(",\"rolled_back\":%s,\"pause_us\":%.1f}",
			       res[i].rolled_back ? "true" : "false",
			       res[i].stats.pause_ns / 1e3);
		}
		printf("]}\n");
		return;
	}
	for (i = 0; i < nr; i++)
		if (res[i].err || res[i].rolled_back)
			printf("  pid %-7d %-16s %s\n", res[i].pid,
			       cli_esc(res[i].comm),
			       res[i].err ? kpl_strerror(res[i].err)
					  : "rolled back (--atomic)");
	printf("kpl %s: %s %s in %zu of %zu process%s (%.1f ms)%s\n", cmd,
	       cli_esc(id),
	       strcmp(cmd, "apply") ? "reverted" : "applied", ok, nr,
	       nr == 1 ? "" : "es", ms,
	       back ? "; the others were rolled back" : "");
}

#define CONFIRM_LIST_MAX 20

/*
 * --all with no filter on a terminal: show what it is about to touch (at
 * most CONFIRM_LIST_MAX processes by pid and name, then a count) and ask.
 * True when the answer starts with 'y'.
 */
static bool confirm(const char *cmd, const char *id, const pid_t *pids,
		    size_t nr)
{
	char path[64], comm[64], answer[16];
	size_t i;
	FILE *f;

	fprintf(stderr, "kpl %s --all: %s %s in %zu process%s:\n", cmd, cmd,
		cli_esc(id), nr, nr == 1 ? "" : "es");
	for (i = 0; i < nr && i < CONFIRM_LIST_MAX; i++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pids[i]);
		f = fopen(path, "re");
		if (!f || !fgets(comm, sizeof(comm), f))
			snprintf(comm, sizeof(comm), "?");
		if (f)
			fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		/* The name is the process's own choice: escaped. */
		fprintf(stderr, "  %7d %s\n", pids[i], cli_esc(comm));
	}
	if (nr > CONFIRM_LIST_MAX)
		fprintf(stderr, "  ... and %zu more\n", nr - CONFIRM_LIST_MAX);
	fprintf(stderr, "proceed? (filters: kpl %s --help; skip this: --yes) "
		"[y/N] ", cmd);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

int cli_fleet(const char *cmd, const struct kpl_patch *patch, const char *id,
	      const struct kpl_fleet_opts *in,
	      const struct kpl_fleet_filter *filter, bool json, bool yes)
{
	struct kpl_fleet_opts fo = *in;
	struct kpl_fleet_result *res = NULL;
	pid_t *pids = NULL;
	size_t nr = 0;
	double t0 = now_ms();
	int err;

	err = patch ? kpl_fleet__find(patch, &pids, &nr)
		    : kpl_fleet__find_applied(id, &pids, &nr);
	if (!err)
		err = kpl_fleet__filter(filter, pids, &nr);
	if (err) {
		fprintf(stderr, "kpl %s: cannot list processes: %s\n", cmd,
			kpl_strerror(err));
		return cli_exit_code(err);
	}
	if (!nr) {
		if (json)
			printf("{\"command\":\"%s\",\"all\":true,\"ok\":true,"
			       "\"done\":0,\"processes\":0,\"results\":[]}\n",
			       cmd);
		else
			printf("kpl %s: no process %s %s%s\n", cmd,
			       patch ? "maps the library of" : "has",
			       cli_esc(id),
			       filter->nr_rules ? " among those the filters take"
						: "");
		free(pids);
		return KPL_EXIT_OK;
	}
	if (!yes && !filter->nr_rules && !json && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO) && !confirm(cmd, id, pids, nr)) {
		fprintf(stderr, "kpl %s: nothing done\n", cmd);
		free(pids);
		return KPL_EXIT_FAIL;
	}
	if (isatty(STDERR_FILENO) && !json) {
		fo.progress = progress;
		fo.ctx = (void *)cmd;
	}
	err = patch ? kpl_fleet__apply(patch, pids, nr, &fo, &res)
		    : kpl_fleet__revert(id, pids, nr, &fo, &res);
	if (res)
		report(cmd, id, err, res, nr, json, now_ms() - t0);
	free(res);
	free(pids);
	return cli_exit_code(err);
}
