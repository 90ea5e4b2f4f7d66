// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-bench: how long a live patch stops a process, measured the way
 * the design's reference figures were (the longest gap a spinning
 * thread sees), beside the engine's own figures and the wall time of the
 * `kpl apply` command.  One cell = one kpl-spin process with T threads, S
 * of them spinning (the main thread first), and one patch of F functions,
 * applied and reverted N times; see tools/bench/README.md for what every
 * number means.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void sort_cell(struct bench_cell *c, int runs)
{
	int m;

	for (m = 0; m < NR_METRICS; m++)
		bench_sort(c->m[m], runs);
}

static void print_progress(const struct bench_opts *o,
			   const struct bench_cell *c)
{
	int n = o->runs;

	fprintf(stderr,
		"kpl-bench: %2d threads (%d spin), %2u funcs: worst thread "
		"%.3f ms apply, %.3f ms revert, %.3f ms idle; kpl pause "
		"%.3f ms, %.0f stops; apply cmd %.3f ms (median of %d, %.1f s, "
		"other cpu %.0f%%)\n",
		c->threads, c->spinners, c->patch->nr_funcs,
		bench_median(c->m[M_SPIN_APPLY], n) / 1e3,
		bench_median(c->m[M_SPIN_REVERT], n) / 1e3,
		bench_median(c->m[M_SPIN_BASE], n) / 1e3,
		bench_median(c->m[M_APPLY_PAUSE], n) / 1e3,
		bench_median(c->m[M_APPLY_STOPS], n),
		bench_median(c->m[M_APPLY_WALL], n) / 1e3, n, c->secs,
		c->other_cpu);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kpl-bench [options] --patch PATCH.kpl [--patch ...]\n\n"
		"Apply and revert each patch in kpl-spin targets of each "
		"thread count;\nwrite medians, p99s and samples as JSON.\n\n"
		"options:\n"
		"  --kpl PATH       the kpl CLI (build/release/kpl)\n"
		"  --spin PATH      the kpl-spin target (build/it/kpl-spin)\n"
		"  --patch PATH     a patch for libspin; repeat for more\n"
		"  --threads LIST   target thread counts, the main thread "
		"spinning and\n"
		"                   the others asleep (1,4,16,64)\n"
		"  --busy LIST      target thread counts where every thread "
		"spins,\n"
		"                   first patch only (none)\n"
		"  --runs N         measured runs per cell ($BENCH_RUNS or "
		"21)\n"
		"  --out FILE       JSON output (stdout)\n"
		"  --rev REV        source revision to record in the JSON\n"
		"  --backend NAME   passed to kpl apply/revert (kpl's "
		"default)\n"
		"  --apply-arg ARG  one more argument for every kpl apply,\n"
		"                   e.g. --apply-arg=--keys=DIR; repeatable\n"
		"  --procs P        target processes per cell (3)\n"
		"  --nice N         run everything at nice N (0)\n"
		"  -h, --help       this text\n");
}

/* @list of thread counts, each 1..@max, into @v[*@nr]. */
static int parse_list(const char *what, const char *list, int max, int *v,
		      int *nr)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = !copy;

	*nr = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long n = strtol(tok, &end, 10);

		if (*end || n < 1 || n > max || *nr == MAX_THREADS)
			err = -1;
		else
			v[(*nr)++] = (int)n;
	}
	free(copy);
	if (err || (!*nr && *list))
		bench_err("bad --%s list \"%s\" (numbers 1..%d)", what, list,
			  max);
	return err || (!*nr && *list) ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option lopts[] = {
		{ "kpl", required_argument, NULL, 'k' },
		{ "spin", required_argument, NULL, 's' },
		{ "patch", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "busy", required_argument, NULL, 'B' },
		{ "runs", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "rev", required_argument, NULL, 'r' },
		{ "nice", required_argument, NULL, 'N' },
		{ "procs", required_argument, NULL, 'P' },
		{ "backend", required_argument, NULL, 'b' },
		{ "apply-arg", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *env = getenv("BENCH_RUNS");
	int c;

	o->kpl = "build/release/kpl";
	o->spin = "build/it/kpl-spin";
	o->runs = 21;
	if (env && *env && bench_parse_int("BENCH_RUNS", env, 1, 100000, &o->runs))
		return 2;
	o->procs = 3;
	if (parse_list("threads", "1,4,16,64", 4096, o->threads,
		       &o->nr_threads))
		return 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kpl = optarg;
			break;
		case 's':
			o->spin = optarg;
			break;
		case 'p':
			if (o->nr_patches == MAX_PATCHES) {
				bench_err("at most %d patches", MAX_PATCHES);
				return 2;
			}
			o->patches[o->nr_patches++].path = optarg;
			break;
		case 't':
			if (parse_list("threads", optarg, 4096, o->threads,
				       &o->nr_threads))
				return 2;
			break;
		case 'B':
			/* Each spinner needs a slot in the report page. */
			if (parse_list("busy", optarg, 64, o->busy,
				       &o->nr_busy))
				return 2;
			break;
		case 'n':
			if (bench_parse_int("--runs", optarg, 1, 100000, &o->runs))
				return 2;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'r':
			o->rev = optarg;
			break;
		case 'N':
			if (bench_parse_int("--nice", optarg, -20, 19, &o->nice))
				return 2;
			break;
		case 'P':
			if (bench_parse_int("--procs", optarg, 1, 1000, &o->procs))
				return 2;
			break;
		case 'b':
			o->backend = optarg;
			break;
		case 'a':
			if (o->nr_apply_args == MAX_APPLY_ARGS) {
				bench_err("at most %d --apply-arg",
					  MAX_APPLY_ARGS);
				return 2;
			}
			o->apply_args[o->nr_apply_args++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->runs < 1 || o->runs > 100000) {
		bench_err("runs must be 1..100000, not %d", o->runs);
		return 2;
	}
	if (o->procs < 1 || o->procs > 1000) {
		bench_err("procs must be 1..1000, not %d", o->procs);
		return 2;
	}
	if (!o->nr_patches || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	struct bench_cell *cells;
	struct bench_cpu cpu0, cpu1;
	double *floor, other0;
	int i, j, nr, err;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err == 1 ? 0 : 2;
	for (i = 0; i < o.nr_patches; i++)
		if (bench_kpl__info(o.kpl, o.patches[i].path, o.patches[i].id,
				    sizeof(o.patches[i].id),
				    &o.patches[i].nr_funcs))
			return 1;
	nr = o.nr_threads * o.nr_patches + o.nr_busy;
	if (!nr) {
		bench_err("nothing to measure: --threads and --busy are empty");
		return 2;
	}
	cells = calloc((size_t)nr, sizeof(*cells));
	floor = calloc((size_t)o.runs, sizeof(double));
	if (!cells || !floor)
		return 1;
	for (i = 0; i < nr; i++) {
		if (i < o.nr_threads * o.nr_patches) {
			cells[i].threads = o.threads[i / o.nr_patches];
			cells[i].spinners = 1;
			cells[i].patch = &o.patches[i % o.nr_patches];
		} else {
			cells[i].threads =
				o.busy[i - o.nr_threads * o.nr_patches];
			cells[i].spinners = cells[i].threads;
			cells[i].patch = &o.patches[0];
		}
		for (j = 0; j < NR_METRICS; j++) {
			cells[i].m[j] = calloc((size_t)o.runs, sizeof(double));
			if (!cells[i].m[j])
				return 1;
		}
	}
	/* Children inherit it: the target and every kpl run alike. */
	if (o.nice && setpriority(PRIO_PROCESS, 0, o.nice)) {
		bench_err("failed to set nice %d: %s", o.nice, strerror(errno));
		return 1;
	}
	/* Is anything else running?  Half a second tells. */
	bench_cpu__sample(&cpu0);
	bench_sleep_ns(500 * 1000000ull);
	bench_cpu__sample(&cpu1);
	other0 = bench_cpu__other(&cpu0, &cpu1);
	if (other0 > 10)
		fprintf(stderr,
			"kpl-bench: other processes use %.0f%% of the CPUs: "
			"expect noisy figures; compare the idle column\n",
			other0);
	err = bench_exec_floor(&o, floor);
	for (i = 0; !err && i < nr; i++) {
		err = bench_cell__run(&o, &cells[i]);
		if (!err) {
			sort_cell(&cells[i], o.runs);
			print_progress(&o, &cells[i]);
		}
	}
	if (!err)
		err = bench_json__write(&o, cells, nr, floor, other0);
	for (i = 0; i < nr; i++)
		for (j = 0; j < NR_METRICS; j++)
			free(cells[i].m[j]);
	free(cells);
	free(floor);
	return err ? 1 : 0;
}
