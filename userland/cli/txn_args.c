// SPDX-License-Identifier: GPL-2.0
/* The options apply, check and revert share, parsed in one place. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_txn_args(int argc, char **argv, bool apply_only,
		 struct cli_txn_args *a, void (*usage)(FILE *, const char *))
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'A' },
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
		{ 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->ao.sz = sizeof(a->ao);
	a->to.sz = sizeof(a->to);
	a->fo.sz = sizeof(a->fo);
	a->vo.sz = sizeof(a->vo);
	while ((c = getopt_long(argc, argv, "p:vh", opts, NULL)) != -1) {
		if (!apply_only && strchr("akU", c)) {
			usage(stderr, argv[0]);
			return KPL_EXIT_USAGE;
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
		case 'J':
			a->fo.jobs = atoi(optarg);
			break;
		case 'a':
			a->fo.atomic = true;
			break;
		case 'f':
			a->ao.force = true;
			break;
		case 't':
			a->ao.timeout_ms = atoi(optarg);
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
		case 'h':
			usage(stdout, argv[0]);
			return -1;
		default:
			usage(stderr, argv[0]);
			return KPL_EXIT_USAGE;
		}
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
