// SPDX-License-Identifier: GPL-2.0
/* kpl status: what is applied where, read from the processes themselves. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/target.h"

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: kpl status [-p PID] [--cve CVE-ID] [--json]\n\n"
		"List the patches applied to PID, or to every process on the "
		"system\nwhen no pid is given.  The records are read from "
		"each process's\npatch mappings (/memfd:kpl:ID in "
		"/proc/PID/maps); the CVEs each\npatch fixes from kpld's "
		"store, when kpld runs.\n\n"
		"options:\n"
		"  -p, --pid PID   only this process\n"
		"      --cve ID    only patches that fix CVE ID, then (from "
		"kpld) the\n"
		"                  processes that still run the old code\n"
		"      --json      JSON: a list of {pid, patches: [...]}\n"
		"  -h, --help      this text\n");
}

/* The space-separated words of @s (CVE ids) as JSON strings. */
static void json_words(const char *s)
{
	char w[KPL_CVE_LEN + 1];
	size_t n;
	bool first = true;

	while (*s) {
		n = strcspn(s, " ");
		if (n && n < sizeof(w)) {
			memcpy(w, s, n);
			w[n] = '\0';
			printf("%s", first ? "" : ",");
			cli_json_str(stdout, w);
			first = false;
		}
		s += n + (s[n] == ' ');
	}
}

/* Does /proc/PID/maps show a patch mapping?  Cheap pre-filter. */
static bool has_patch(pid_t pid)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/memfd:kpl:") != NULL;
	fclose(f);
	return found;
}

/* The CVE ids of one patch, blank-separated. */
struct cve_list {
	char s[KPL_CVE_MAX * (KPL_CVE_LEN + 1) + 1];
};

/* kpld's status reply, for the CVEs of each patch; NULL without kpld. */
static char *kpld_reply;
/* --cve: only patches that fix it. */
static const char *want_cve;

static void load_kpld(void)
{
	kpld_reply = malloc(CLI_REPLY_MAX);
	if (kpld_reply && cli_kpld("status", kpld_reply, CLI_REPLY_MAX)) {
		free(kpld_reply);
		kpld_reply = NULL;
	}
}

/* Whether the space-separated list @cves holds @cve. */
static bool lists(const char *cves, const char *cve)
{
	size_t n = strlen(cve);
	const char *s;

	for (s = cves; (s = strstr(s, cve)); s += n)
		if ((s == cves || s[-1] == ' ') && (!s[n] || s[n] == ' '))
			return true;
	return false;
}

/* Per patch id, how many processes have it (the summary at the end). */
static struct tally {
	char id[KPL_ID_MAX + 1];
	unsigned int nr;
} *tally;
static size_t nr_tally;

static void count(const char *id)
{
	struct tally *t;
	size_t i;

	for (i = 0; i < nr_tally; i++) {
		if (!strcmp(tally[i].id, id)) {
			tally[i].nr++;
			return;
		}
	}
	t = realloc(tally, (nr_tally + 1) * sizeof(*t));
	if (!t)
		return;
	tally = t;
	snprintf(tally[nr_tally].id, sizeof(tally[nr_tally].id), "%s", id);
	tally[nr_tally++].nr = 1;
}

/* The summary: per patch, and kpld's view of its store when it runs. */
static void summary(void)
{
	char reply[65536], prot[600], *line, *save = NULL;
	size_t i;

	if (nr_tally)
		printf("\npatches:\n");
	for (i = 0; i < nr_tally; i++)
		printf("  %-20s applied in %u process%s\n",
		       cli_esc(tally[i].id),
		       tally[i].nr, tally[i].nr == 1 ? "" : "es");
	if (cli_kpld("status", reply, sizeof(reply)))
		return;
	/* A kpld running with a protection missing must show here. */
	if (!cli_kpld_protections(reply, prot, sizeof(prot)))
		printf("\nkpld protections: %s", cli_esc(prot));
	/* A person reads a table; a script gets kpld's reply whole. */
	if (isatty(STDOUT_FILENO)) {
		printf("\n");
		if (!cli_status_table(stdout, reply))
			return;
	}
	/* kpld's reply names processes and patches: escaped line by line. */
	printf("\nkpld (%s): ", cli_kpld_socket());
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("%s\n", cli_esc(line));
}

/* --cve: how many processes kpld says run the fix, and which do not. */
static void still_affected(void)
{
	pid_t fixed[256], aff[256];
	size_t nf = 0, na = 0, i;
	char req[64], *doc = malloc(CLI_REPLY_MAX);

	snprintf(req, sizeof(req), "vex %s", want_cve);
	if (!doc || cli_kpld(req, doc, CLI_REPLY_MAX) ||
	    cli_kpld_vex_pids(doc, fixed, &nf, aff, &na, 256)) {
		printf("\n%s: kpld did not answer which processes still run "
		       "the old code\n",
		       want_cve);
		free(doc);
		return;
	}
	printf("\n%s: %zu process%s patched, %zu still run%s the old code%s",
	       want_cve, nf, nf == 1 ? "" : "es", na, na == 1 ? "s" : "",
	       na ? ":" : "");
	for (i = 0; i < na; i++)
		printf(" %d", aff[i]);
	printf("\n");
	free(doc);
}

static int show(pid_t pid, bool json, bool *first)
{
	struct kpl_target *t = NULL;
	struct kpl_applied *v = NULL;
	struct cve_list *cves;
	size_t n = 0, i, k, shown = 0;
	int err;

	err = kpl_target__open(pid, NULL, &t);
	/* Status is where an interrupted transaction is noticed. */
	if (!err)
		err = kpl_target__repair(t, NULL);
	if (!err)
		err = kpl_target__status(t, &v, &n);
	kpl_target__close(t);
	if (err) {
		fprintf(stderr, "kpl status: cannot read pid %d: %s\n", pid,
			kpl_strerror(err));
		return cli_target_exit_code("status", err, pid);
	}
	/* The CVEs of each patch, from kpld (a process's record has none). */
	cves = calloc(n ? n : 1, sizeof(*cves));
	if (!cves) {
		free(v);
		return KPL_EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		cli_kpld_cves(kpld_reply, v[i].id, v[i].version, cves[i].s,
			      sizeof(cves[i].s));
		shown += !want_cve || lists(cves[i].s, want_cve);
	}
	if (!shown && want_cve)
		goto out;
	if (json) {
		printf("%s{\"pid\":%d,\"patches\":[", *first ? "" : ",", pid);
		for (i = 0, k = 0; i < n; i++) {
			if (want_cve && !lists(cves[i].s, want_cve))
				continue;
			printf("%s{\"id\":", k++ ? "," : "");
			cli_json_str(stdout, v[i].id);
			printf(",\"version\":%u,\"state\":\"%s\",\"library\":",
			       v[i].version, v[i].phase);
			cli_json_str(stdout, v[i].soname);
			printf(",\"build_id\":\"%s\",\"functions\":%u,"
			       "\"backend\":", v[i].build_id, v[i].nr_funcs);
			cli_json_str(stdout, v[i].backend);
			printf(",\"base\":\"0x%llx\","
			       "\"size\":%llu,\"applied_ns\":%llu,"
			       "\"description\":",
			       (unsigned long long)v[i].base,
			       (unsigned long long)v[i].size,
			       (unsigned long long)v[i].applied_ns);
			cli_json_str(stdout, v[i].description);
			printf(",\"cves\":[");
			json_words(cves[i].s);
			printf("]}");
		}
		printf("]}");
	} else {
		printf("pid %d: %zu patch%s\n", pid, shown,
		       shown == 1 ? "" : "es");
		for (i = 0; i < n; i++) {
			if (want_cve && !lists(cves[i].s, want_cve))
				continue;
			count(v[i].id);
			time_t when = (time_t)(v[i].applied_ns / 1000000000ull);
			char ts[32];

			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S",
				 localtime(&when));
			printf("  %-20s v%-3u %-9s %s (%u function%s, backend "
			       "%s, at 0x%llx, since %s)\n", cli_esc(v[i].id),
			       v[i].version, v[i].phase, cli_esc(v[i].soname),
			       v[i].nr_funcs, v[i].nr_funcs == 1 ? "" : "s",
			       cli_esc(v[i].backend),
			       (unsigned long long)v[i].base,
			       ts);
			if (cves[i].s[0])
				printf("  %-20s fixes %s\n", "", cves[i].s);
		}
	}
	*first = false;
out:
	free(cves);
	free(v);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "cve", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false, first = true;
	pid_t pid = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = cli_parse_pid(optarg);
			if (pid < 0)
				return KPL_EXIT_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'C':
			if (!kpl_cve_valid(optarg)) {
				fprintf(stderr,
					"kpl status: '%s' is not a CVE "
					"id (CVE-YYYY-NNNN, 4 to 19 digits)\n",
					cli_esc(optarg));
				return KPL_EXIT_USAGE;
			}
			want_cve = optarg;
			break;
		case 'h':
			status_usage(stdout);
			return KPL_EXIT_OK;
		default:
			status_usage(stderr);
			return KPL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		status_usage(stderr);
		return KPL_EXIT_USAGE;
	}
	load_kpld();
	if (want_cve && !kpld_reply) {
		fprintf(stderr,
			"kpl status: --cve needs kpld, which knows what "
			"each patch fixes: not reachable at %s\n",
			cli_kpld_socket());
		return KPL_EXIT_FAIL;
	}
	if (json)
		printf("[");
	if (pid) {
		rc = show(pid, json, &first);
	} else {
		DIR *d = opendir("/proc");
		struct dirent *de;
		unsigned int nr = 0;

		while (d && (de = readdir(d))) {
			pid_t p = (pid_t)atoi(de->d_name);

			if (p > 0 && has_patch(p) && !show(p, json, &first))
				nr++;
		}
		if (d)
			closedir(d);
		if (!json && !nr)
			printf("no patched processes\n");
		if (!json && !want_cve)
			summary();
	}
	if (json)
		printf("]\n");
	else if (want_cve)
		still_affected();
	free(kpld_reply);
	return rc;
}
