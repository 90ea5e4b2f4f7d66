// SPDX-License-Identifier: GPL-2.0
/*
 * Medians, percentiles and the JSON file.  One cell per line, because
 * tools/bench/table.awk reads the file line by line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

const char *const bench_metric_name[NR_METRICS] = {
	[M_SPIN_BASE] = "spin_base",
	[M_SPIN_APPLY] = "spin_apply",
	[M_SPIN_REVERT] = "spin_revert",
	[M_SPIN_BASE_MIN] = "spin_base_min",
	[M_SPIN_APPLY_MIN] = "spin_apply_min",
	[M_SPIN_REVERT_MIN] = "spin_revert_min",
	[M_APPLY_PAUSE] = "apply_pause",
	[M_REVERT_PAUSE] = "revert_pause",
	[M_APPLY_STOPS] = "apply_stops",
	[M_REVERT_STOPS] = "revert_stops",
	[M_APPLY_STOPS_SUM] = "apply_stops_sum",
	[M_REVERT_STOPS_SUM] = "revert_stops_sum",
	[M_APPLY_TOTAL] = "apply_total",
	[M_REVERT_TOTAL] = "revert_total",
	[M_APPLY_WALL] = "apply_wall",
	[M_REVERT_WALL] = "revert_wall",
	[M_WINDOW] = "window",
	[M_BARE_STOP] = "bare_stop",
	[M_BARE_STOP_RELEASE] = "bare_stop_release",
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: with 21 runs p99 is the largest value (rank 21). */
double bench_rank(const double *sorted, int n, double pct)
{
	int r = (int)(pct / 100.0 * n + 0.999999);

	return sorted[(r < 1 ? 1 : r > n ? n : r) - 1];
}

void bench_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
}

double bench_median(const double *sorted, int n)
{
	return n % 2 ? sorted[n / 2] :
		       (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

/* ,"@name":{"median":...,"samples":[...]} of @n sorted values. */
static void write_stats(FILE *f, const char *name, const double *v, int n)
{
	int i;

	fprintf(f,
		",\"%s\":{\"median\":%.1f,\"p99\":%.1f,\"min\":%.1f,"
		"\"max\":%.1f,\"samples\":[",
		name, bench_median(v, n), bench_rank(v, n, 99), v[0], v[n - 1]);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.1f", i ? "," : "", v[i]);
	fputs("]}", f);
}

/* One cell per line: tools/bench/table.awk reads it line by line. */
static void write_cell(FILE *f, const struct bench_opts *o,
		       const struct bench_cell *c, bool last)
{
	int m, n = o->runs;

	fprintf(f,
		"    {\"backend\":\"%s\",\"threads\":%d,\"spinners\":%d,"
		"\"funcs\":%u,"
		"\"patch\":\"%s\",\"runs\":%d,"
		"\"stopped_threads\":%u,\"attempts_max\":%u,\"retried_runs\":%u,"
		"\"eintr\":%lu,\"other_cpu_pct\":%.1f,\"seconds\":%.2f",
		c->backend, c->threads, c->spinners, c->patch->nr_funcs,
		c->patch->id, n, c->stopped, c->attempts_max, c->retried,
		c->eintr, c->other_cpu, c->secs);
	for (m = 0; m < NR_METRICS; m++)
		write_stats(f, bench_metric_name[m], c->m[m], n);
	fprintf(f, "}%s\n", last ? "" : ",");
}

/* The 1-minute load average, for the record: it lags by minutes, so
 * other_cpu_pct is the figure to trust. */
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

int bench_json__write(const struct bench_opts *o, struct bench_cell *cells,
		      int nr, const double *floor, double other0)
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
		"{\n  \"bench\":\"kpl-pause\",\"format\":2,\"unit\":\"us\","
		"\"backend\":\"%s\",\n  \"date\":\"%s\",\"rev\":\"%s\","
		"\"kernel\":\"%s\",\"cpus\":%ld,\"runs\":%d,\"procs\":%d,"
		"\"nice\":%d,\"other_cpu_pct_start\":%.1f,\"loadavg_end\":%.2f,\n"
		"  \"kpl\":\"%s\",\"target\":\"%s\",\n  \"exec\":\"%s apply --help\"",
		cells[0].backend, date, o->rev ? o->rev : "", u.release,
		sysconf(_SC_NPROCESSORS_ONLN), o->runs, o->procs, o->nice,
		other0, loadavg(), o->kpl, o->spin, o->kpl);
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
