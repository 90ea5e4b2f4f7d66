// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-bench: how long a live patch stops a process, measured the way
 * the design's reference figures were (the longest gap a spinning
 * thread sees), beside the engine's own figures and the wall time of the
 * `kpl apply` command.  One cell = one kpl-spin process with T threads
 * and one patch of F functions, applied and reverted N times; see
 * tools/bench/README.md for what every number means.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_PATCHES 8
#define MAX_THREADS 16
#define SETTLE_NS (100 * 1000000ull)

struct patch {
	const char *path;
	char id[128];
	unsigned int nr_funcs;
};

/* Every metric is kept per run, in microseconds. */
enum metric {
	M_SPIN_BASE,
	M_SPIN_APPLY,
	M_SPIN_REVERT,
	M_APPLY_PAUSE,
	M_REVERT_PAUSE,
	M_APPLY_TOTAL,
	M_REVERT_TOTAL,
	M_APPLY_WALL,
	M_REVERT_WALL,
	M_WINDOW,
	NR_METRICS
};

static const char *const metric_name[NR_METRICS] = {
	[M_SPIN_BASE] = "spin_base",	   [M_SPIN_APPLY] = "spin_apply",
	[M_SPIN_REVERT] = "spin_revert",   [M_APPLY_PAUSE] = "apply_pause",
	[M_REVERT_PAUSE] = "revert_pause", [M_APPLY_TOTAL] = "apply_total",
	[M_REVERT_TOTAL] = "revert_total", [M_APPLY_WALL] = "apply_wall",
	[M_REVERT_WALL] = "revert_wall",   [M_WINDOW] = "window",
};

struct cell {
	int threads;
	const struct patch *patch;
	double *m[NR_METRICS]; /* [runs] each */
	unsigned int stopped; /* threads the engine stopped */
	unsigned int attempts_max;
	unsigned int retried; /* runs whose apply needed > 1 attempt */
	unsigned long eintr; /* EINTRs in sleeping threads, all runs */
	char backend[32]; /* as kpl apply reported it */
	double secs;
};

struct opts {
	const char *kpl, *spin, *out, *rev;
	const char *backend; /* --backend for kpl; NULL: kpl's choice */
	struct patch patches[MAX_PATCHES];
	int nr_patches;
	int threads[MAX_THREADS];
	int nr_threads;
	int runs;
	int procs; /* target processes per cell, runs split among them */
	int nice; /* for kpl-bench, kpl-spin and kpl alike */
};

void bench_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kpl-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: with 21 runs p99 is the largest value (rank 21). */
static double rank(const double *sorted, int n, double pct)
{
	int r = (int)(pct / 100.0 * n + 0.999999);

	return sorted[(r < 1 ? 1 : r > n ? n : r) - 1];
}

static double median(const double *sorted, int n)
{
	return n % 2 ? sorted[n / 2] :
		       (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

static int kpl_op(const struct opts *o, const char *verb, pid_t pid,
		  const char *what, struct bench_result *res)
{
	char *argv[10] = { (char *)o->kpl, (char *)verb, "--json", "-p" };
	char spid[16];
	int n = 4;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	argv[n++] = spid;
	if (o->backend) {
		argv[n++] = "--backend";
		argv[n++] = (char *)o->backend;
	}
	argv[n++] = (char *)what;
	argv[n] = NULL;
	if (bench_kpl__run(argv, res))
		return -1;
	if (!res->ok) {
		bench_err("kpl %s %s on pid %d failed: %s", verb, what,
			  (int)pid, res->error);
		return -1;
	}
	if (o->backend && res->backend[0] && strcmp(o->backend, res->backend)) {
		bench_err("kpl %s used backend %s, not %s", verb, res->backend,
			  o->backend);
		return -1;
	}
	return 0;
}

/*
 * One run: reset the spinner's gap, apply, read the gap (which resets
 * it), revert, read it, then an idle window as long as the apply one.
 * Run @i < 0 is the warm-up and records nothing.
 */
static int one_run(const struct opts *o, struct bench_spin *s, struct cell *c,
		   int i)
{
	const struct patch *p = c->patch;
	struct bench_result a, r;
	struct bench_report r0, r1, r2, r3;
	uint64_t window, sent;

	if (bench_spin__report(s, &r0) ||
	    kpl_op(o, "apply", s->pid, p->path, &a))
		return -1;
	sent = bench_now_ns();
	if (bench_spin__report(s, &r1))
		return -1;
	window = sent - r0.at_ns;
	if (r1.f0 < 1000) {
		bench_err("pid %d: spin_f0 still unpatched after apply of %s",
			  s->pid, p->id);
		return -1;
	}
	if (kpl_op(o, "revert", s->pid, p->id, &r) ||
	    bench_spin__report(s, &r2))
		return -1;
	if (r2.f0 >= 1000) {
		bench_err("pid %d: spin_f0 still patched after revert of %s",
			  s->pid, p->id);
		return -1;
	}
	bench_sleep_ns(window);
	if (bench_spin__report(s, &r3))
		return -1;
	if (r3.iters <= r0.iters) {
		bench_err("pid %d: the spinning thread made no progress",
			  s->pid);
		return -1;
	}
	snprintf(c->backend, sizeof(c->backend), "%s",
		 a.backend[0] ? a.backend : "unknown");
	if (i < 0)
		return 0;
	c->m[M_SPIN_BASE][i] = (double)r3.gap_ns / 1e3;
	c->m[M_SPIN_APPLY][i] = (double)r1.gap_ns / 1e3;
	c->m[M_SPIN_REVERT][i] = (double)r2.gap_ns / 1e3;
	c->m[M_APPLY_PAUSE][i] = a.pause_us;
	c->m[M_REVERT_PAUSE][i] = r.pause_us;
	c->m[M_APPLY_TOTAL][i] = a.total_us;
	c->m[M_REVERT_TOTAL][i] = r.total_us;
	c->m[M_APPLY_WALL][i] = a.wall_us;
	c->m[M_REVERT_WALL][i] = r.wall_us;
	c->m[M_WINDOW][i] = (double)window / 1e3;
	c->stopped = a.threads;
	if (a.attempts > c->attempts_max)
		c->attempts_max = a.attempts;
	c->retried += a.attempts > 1;
	c->eintr += r3.eintr - r0.eintr;
	return 0;
}

/*
 * The runs are split over o->procs target processes, one after the
 * other: a median over one process alone carries that process's luck
 * (which core its spinner landed on, where its threads sleep), and the
 * medians of one cell differ by up to a third from one invocation to
 * the next on the 2-core machine.
 */
static int run_cell(const struct opts *o, struct cell *c)
{
	uint64_t t0 = bench_now_ns();
	int k, i, err = 0;

	for (k = 0; !err && k < o->procs; k++) {
		int from = o->runs * k / o->procs;
		int to = o->runs * (k + 1) / o->procs;
		struct bench_spin s;

		if (from == to)
			continue;
		if (bench_spin__start(&s, o->spin, c->threads))
			return -1;
		/* Let every thread reach its loop or its blocking call. */
		bench_sleep_ns(SETTLE_NS);
		err = one_run(o, &s, c, -1);
		for (i = from; !err && i < to; i++)
			err = one_run(o, &s, c, i);
		bench_spin__stop(&s);
	}
	c->secs = (double)(bench_now_ns() - t0) / 1e9;
	return err;
}

/*
 * What starting kpl costs before it does anything: exec, dynamic
 * linking, exit.  apply_wall minus this and apply_total is the time the
 * CLI spends opening the patch and the target.
 */
static int exec_floor(const struct opts *o, double *v)
{
	char *argv[] = { (char *)o->kpl, "apply", "--help", NULL };
	int i;

	for (i = 0; i < o->runs; i++)
		if (bench_kpl__wall(argv, &v[i]))
			return -1;
	qsort(v, (size_t)o->runs, sizeof(double), cmp_double);
	return 0;
}

static void sort_cell(struct cell *c, int runs)
{
	int m;

	for (m = 0; m < NR_METRICS; m++)
		qsort(c->m[m], (size_t)runs, sizeof(double), cmp_double);
}

static void print_progress(const struct opts *o, const struct cell *c)
{
	int n = o->runs;

	fprintf(stderr,
		"kpl-bench: %2d threads, %2u funcs: spinner %.3f ms apply, "
		"%.3f ms revert, %.3f ms idle; engine pause %.3f ms; "
		"apply cmd %.3f ms (median of %d, %.1f s)\n",
		c->threads, c->patch->nr_funcs,
		median(c->m[M_SPIN_APPLY], n) / 1e3,
		median(c->m[M_SPIN_REVERT], n) / 1e3,
		median(c->m[M_SPIN_BASE], n) / 1e3,
		median(c->m[M_APPLY_PAUSE], n) / 1e3,
		median(c->m[M_APPLY_WALL], n) / 1e3, n, c->secs);
}

/* ,"@name":{"median":...,"samples":[...]} of @n sorted values. */
static void write_stats(FILE *f, const char *name, const double *v, int n)
{
	int i;

	fprintf(f,
		",\"%s\":{\"median\":%.1f,\"p99\":%.1f,\"min\":%.1f,"
		"\"max\":%.1f,\"samples\":[",
		name, median(v, n), rank(v, n, 99), v[0], v[n - 1]);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.1f", i ? "," : "", v[i]);
	fputs("]}", f);
}

/* One cell per line: tools/bench/table.awk reads it line by line. */
static void write_cell(FILE *f, const struct opts *o, const struct cell *c,
		       bool last)
{
	int m, n = o->runs;

	fprintf(f,
		"    {\"backend\":\"%s\",\"threads\":%d,\"funcs\":%u,"
		"\"patch\":\"%s\",\"runs\":%d,"
		"\"stopped_threads\":%u,\"attempts_max\":%u,\"retried_runs\":%u,"
		"\"eintr\":%lu,\"seconds\":%.2f",
		c->backend, c->threads, c->patch->nr_funcs, c->patch->id, n,
		c->stopped, c->attempts_max, c->retried, c->eintr, c->secs);
	for (m = 0; m < NR_METRICS; m++)
		write_stats(f, metric_name[m], c->m[m], n);
	fprintf(f, "}%s\n", last ? "" : ",");
}

/* The 1-minute load average: other work on the machine shows up here
 * and in the idle gaps, and makes every figure noisier. */
static double loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static int write_json(const struct opts *o, struct cell *cells, int nr,
		      const double *floor, double load0)
{
	FILE *f = o->out ? fopen(o->out, "w") : stdout;
	char date[32];
	struct utsname u;
	time_t now = time(NULL);
	int i, err;

	if (!f) {
		bench_err("failed to create %s: %s", o->out, strerror(errno));
		return -1;
	}
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f,
		"{\n  \"bench\":\"kpl-pause\",\"format\":1,\"unit\":\"us\","
		"\"backend\":\"%s\",\n  \"date\":\"%s\",\"rev\":\"%s\","
		"\"kernel\":\"%s\",\"cpus\":%ld,\"runs\":%d,\"procs\":%d,"
		"\"nice\":%d,\"loadavg_start\":%.2f,\"loadavg_end\":%.2f,\n"
		"  \"kpl\":\"%s\",\"target\":\"%s\",\n  \"exec\":\"%s apply --help\"",
		cells[0].backend, date, o->rev ? o->rev : "", u.release,
		sysconf(_SC_NPROCESSORS_ONLN), o->runs, o->procs, o->nice,
		load0, loadavg(), o->kpl, o->spin, o->kpl);
	write_stats(f, "exec_floor", floor, o->runs);
	fputs(",\n  \"cells\":[\n", f);
	for (i = 0; i < nr; i++)
		write_cell(f, o, &cells[i], i == nr - 1);
	fputs("  ]\n}\n", f);
	err = ferror(f);
	if (f != stdout)
		err |= fclose(f);
	else
		err |= fflush(f);
	if (err) {
		bench_err("failed to write %s", o->out ? o->out : "stdout");
		return -1;
	}
	return 0;
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
		"  --threads LIST   target thread counts (1,4,16,64)\n"
		"  --runs N         measured runs per cell ($BENCH_RUNS or "
		"21)\n"
		"  --out FILE       JSON output (stdout)\n"
		"  --rev REV        source revision to record in the JSON\n"
		"  --backend NAME   passed to kpl apply/revert (kpl's "
		"default)\n"
		"  --procs P        target processes per cell (3)\n"
		"  --nice N         run everything at nice N (0)\n"
		"  -h, --help       this text\n");
}

static int parse_threads(struct opts *o, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	o->nr_threads = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		int n = atoi(tok);

		if (n < 1 || n > 4096 || o->nr_threads == MAX_THREADS)
			err = -1;
		else
			o->threads[o->nr_threads++] = n;
	}
	free(copy);
	if (err || !o->nr_threads)
		bench_err("bad --threads list \"%s\"", list);
	return err || !o->nr_threads ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "kpl", required_argument, NULL, 'k' },
		{ "spin", required_argument, NULL, 's' },
		{ "patch", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "rev", required_argument, NULL, 'r' },
		{ "nice", required_argument, NULL, 'N' },
		{ "procs", required_argument, NULL, 'P' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *env = getenv("BENCH_RUNS");
	int c;

	o->kpl = "build/release/kpl";
	o->spin = "build/it/kpl-spin";
	o->runs = env && *env ? atoi(env) : 21;
	o->procs = 3;
	if (parse_threads(o, "1,4,16,64"))
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
			if (parse_threads(o, optarg))
				return 2;
			break;
		case 'n':
			o->runs = atoi(optarg);
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'r':
			o->rev = optarg;
			break;
		case 'N':
			o->nice = atoi(optarg);
			break;
		case 'P':
			o->procs = atoi(optarg);
			break;
		case 'b':
			o->backend = optarg;
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
	struct opts o = { 0 };
	struct cell *cells;
	double *floor, load0 = loadavg();
	int i, j, nr, err;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err == 1 ? 0 : 2;
	for (i = 0; i < o.nr_patches; i++)
		if (bench_kpl__info(o.kpl, o.patches[i].path, o.patches[i].id,
				    sizeof(o.patches[i].id),
				    &o.patches[i].nr_funcs))
			return 1;
	nr = o.nr_threads * o.nr_patches;
	cells = calloc((size_t)nr, sizeof(*cells));
	floor = calloc((size_t)o.runs, sizeof(double));
	if (!cells || !floor)
		return 1;
	for (i = 0; i < nr; i++) {
		cells[i].threads = o.threads[i / o.nr_patches];
		cells[i].patch = &o.patches[i % o.nr_patches];
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
	if (load0 > 0.5)
		fprintf(stderr,
			"kpl-bench: the machine is busy (load %.2f): expect "
			"noisy figures; compare the idle column\n",
			load0);
	err = exec_floor(&o, floor);
	for (i = 0; !err && i < nr; i++) {
		err = run_cell(&o, &cells[i]);
		if (!err) {
			sort_cell(&cells[i], o.runs);
			print_progress(&o, &cells[i]);
		}
	}
	if (!err)
		err = write_json(&o, cells, nr, floor, load0);
	for (i = 0; i < nr; i++)
		for (j = 0; j < NR_METRICS; j++)
			free(cells[i].m[j]);
	free(cells);
	free(floor);
	return err ? 1 : 0;
}
