// SPDX-License-Identifier: GPL-2.0
/* The options apply, check and revert share, parsed in one place. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --KEY VALUE (c = 1000 + key) or --exclude KEY=VALUE (c = 'X'). */
static int add_rule(struct cli_txn_args *a, int c, char *arg)
{
	struct kpl_fleet_rule r;
	char spec[4200];
	const char *key = c == 'X' ? NULL : kpl_fleet__key_name(c - 1000);

	if (a->filter.nr_rules == CLI_RULES_MAX) {
		fprintf(stderr, "kpl: at most %d filters\n", CLI_RULES_MAX);
		return -1;
	}
	if (key)
		snprintf(spec, sizeof(spec), "%s=%s", key, arg);
	if (kpl_fleet__rule_parse(key ? spec : arg, c == 'X', &r)) {
		static const char *const want[] = {
			[KPL_FLEET_UNIT] = "a unit name (no '/')",
			[KPL_FLEET_CGROUP] = "an absolute cgroup path",
			[KPL_FLEET_EXE] = "an absolute path",
			[KPL_FLEET_EXE_BUILD_ID] = "a build-id in hex",
			[KPL_FLEET_USER] = "a user name or uid",
			[KPL_FLEET_CONTAINER] = "none, any or a name",
		};

		fprintf(stderr, "kpl: invalid filter %s%s '%s': want %s\n",
			key ? "--" : "--exclude", key ? key : "",
			cli_esc(arg),
			key ? want[c - 1000]
			    : "KEY=VALUE, KEY one of unit, cgroup, exe, "
			      "exe-build-id, user, container");
		return -1;
	}
	/* The value must outlive @spec: point it into argv. */
	if (key)
		r.value = arg;
	a->rules[a->filter.nr_rules++] = r;
	a->filter.rules = a->rules;
	return 0;
}

int cli_txn_args(int argc, char **argv, bool apply_only,
		 struct cli_txn_args *a, void (*usage)(FILE *, const char *))
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'A' },
		{ "yes", no_argument, NULL, 'y' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "backend", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		/* apply and check only */
		{ "atomic", no_argument, NULL, 'a' },
		{ "keys", required_argument, NULL, 'k' },
		{ "insecure-allow-unsigned", no_argument, NULL, 'U' },
		{ "perf-map", no_argument, NULL, 'P' },
		/* --all filters: the value is the key's index + 1000 */
		{ "unit", required_argument, NULL, 1000 + KPL_FLEET_UNIT },
		{ "cgroup", required_argument, NULL, 1000 + KPL_FLEET_CGROUP },
		{ "exe", required_argument, NULL, 1000 + KPL_FLEET_EXE },
		{ "exe-build-id", required_argument, NULL,
		  1000 + KPL_FLEET_EXE_BUILD_ID },
		{ "user", required_argument, NULL, 1000 + KPL_FLEET_USER },
		{ "container", required_argument, NULL,
		  1000 + KPL_FLEET_CONTAINER },
		{ "exclude", required_argument, NULL, 'X' },
		{ 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->ao.sz = sizeof(a->ao);
	a->to.sz = sizeof(a->to);
	a->fo.sz = sizeof(a->fo);
	a->vo.sz = sizeof(a->vo);
	a->vo.no_legacy_names = true;	/* kpl never looks them up */
	while ((c = getopt_long(argc, argv, "p:vh", opts, NULL)) != -1) {
		if (!apply_only && strchr("akUP", c)) {
			usage(stderr, argv[0]);
			return KPL_EXIT_USAGE;
		}
		if (c >= 1000 || c == 'X') {
			if (add_rule(a, c, optarg))
				return KPL_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'p':
			a->pid = cli_parse_pid(optarg);
			if (a->pid < 0)
				return KPL_EXIT_USAGE;
			break;
		case 'A':
			a->all = true;
			break;
		case 'y':
			a->yes = true;
			break;
		case 'J':
			if (cli_parse_int("--jobs", optarg, 1, KPL_CLI_JOBS_MAX,
					  &a->fo.jobs))
				return KPL_EXIT_USAGE;
			break;
		case 'a':
			a->fo.atomic = true;
			break;
		case 'f':
			a->ao.force = true;
			break;
		case 't':
			if (cli_parse_int("--timeout", optarg, 1,
					  KPL_CLI_TIMEOUT_MAX_MS,
					  &a->ao.timeout_ms))
				return KPL_EXIT_USAGE;
			break;
		case 'j':
			a->json = true;
			break;
		case 'b':
			a->to.backend = optarg;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'k':
			a->vo.keys_dir = optarg;
			break;
		case 'U':
			a->vo.allow_unsigned = true;
			break;
		case 'P':
			a->ao.perf_map = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return -1;
		default:
			usage(stderr, argv[0]);
			return KPL_EXIT_USAGE;
		}
	}
	if (a->yes && !a->all) {
		fprintf(stderr, "kpl %s: --yes answers --all's question: give "
			"--all too\n", argv[0]);
		return KPL_EXIT_USAGE;
	}
	if (a->filter.nr_rules && !a->all) {
		fprintf(stderr, "kpl %s: --%s selects among --all's processes: "
				"give --all too\n", argv[0],
			kpl_fleet__key_name(a->rules[0].key));
		return KPL_EXIT_USAGE;
	}
	cli_set_verbosity(a->verbose);
	a->fo.apply = &a->ao;
	a->fo.target = &a->to;
	return 0;
}

void cli_json_stops(FILE *f, const struct kpl_stats *st)
{
	unsigned int i, n = st->nr_stops < KPL_STATS_STOPS ? st->nr_stops
							  : KPL_STATS_STOPS;

	fprintf(f, ",\"nr_stops\":%u,\"stops_us\":%.1f,\"stops\":[",
		st->nr_stops, st->stops_ns / 1e3);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{\"us\":%.1f,\"threads\":%u,\"all\":%s}",
			i ? "," : "", st->stops[i].ns / 1e3,
			st->stops[i].threads, st->stops[i].all ? "true" : "false");
	fputc(']', f);
}

void cli_text_stops(FILE *f, const struct kpl_stats *st)
{
	unsigned int i, n = st->nr_stops < KPL_STATS_STOPS ? st->nr_stops
							  : KPL_STATS_STOPS;

	fprintf(f, "pause %.3f ms, %u stop%s:", st->pause_ns / 1e6,
		st->nr_stops, st->nr_stops == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(f, " %.3f ms (%s%u thread%s)", st->stops[i].ns / 1e6,
			st->stops[i].all ? "all " : "borrowed ",
			st->stops[i].threads,
			st->stops[i].threads == 1 ? "" : "s");
	if (st->nr_stops > n)
		fprintf(f, " ...");
	fprintf(f, ", %.3f ms in all", st->stops_ns / 1e6);
}
