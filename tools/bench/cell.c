// SPDX-License-Identifier: GPL-2.0
/*
 * One cell: kpl-spin targets with T threads, one patch, N runs of apply,
 * revert and an idle window; and the CPU accounting that says whether
 * anything else ran meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

#define SETTLE_NS (100 * 1000000ull)

static int kpl_op(const struct bench_opts *o, const char *verb, pid_t pid,
		  const char *what, struct bench_result *res)
{
	char *argv[10 + MAX_APPLY_ARGS] = { (char *)o->kpl, (char *)verb,
					    "--json", "-p" };
	char spid[16];
	int i, n = 4;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	argv[n++] = spid;
	if (o->backend) {
		argv[n++] = "--backend";
		argv[n++] = (char *)o->backend;
	}
	for (i = 0; !strcmp(verb, "apply") && i < o->nr_apply_args; i++)
		argv[n++] = (char *)o->apply_args[i];
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
 * The idle window: as long as the apply window and, like it, holding one
 * command, /bin/true, so that what a fork and exec cost the target's
 * threads on a busy core is in the baseline too.
 */
static int idle_window(uint64_t window)
{
	char *argv[] = { "/bin/true", NULL };
	uint64_t t0 = bench_now_ns(), spent;
	double wall;

	if (bench_kpl__wall(argv, &wall))
		return -1;
	spent = bench_now_ns() - t0;
	if (spent < window)
		bench_sleep_ns(window - spent);
	return 0;
}

/*
 * One run: take (reset) the gaps, apply, take them, revert, take them,
 * then an idle window as long as the apply one.  Each take waits until
 * every spinning thread ran again, so a stop that just ended is counted.
 * Run @i < 0 is the warm-up and records nothing.
 */
static int one_run(const struct bench_opts *o, struct bench_spin *s,
		   struct bench_cell *c, int i)
{
	const struct bench_patch *p = c->patch;
	struct bench_result a, r;
	struct bench_gaps g0, g1, g2, g3;
	double bare, bare_release;
	uint64_t window, t0;

	if (bench_spin__take(s, &g0))
		return -1;
	t0 = bench_now_ns();
	if (kpl_op(o, "apply", s->pid, p->path, &a) || bench_spin__take(s, &g1))
		return -1;
	window = bench_now_ns() - t0;
	if (g1.f0_min < 1000) {
		bench_err("pid %d: spin_f0 still unpatched in a thread after "
			  "apply of %s",
			  s->pid, p->id);
		return -1;
	}
	if (kpl_op(o, "revert", s->pid, p->id, &r) || bench_spin__take(s, &g2))
		return -1;
	if (g2.f0_max >= 1000) {
		bench_err("pid %d: spin_f0 still patched in a thread after "
			  "revert of %s",
			  s->pid, p->id);
		return -1;
	}
	if (bench_spin__take(s, &g3) || idle_window(window) ||
	    bench_spin__take(s, &g3))
		return -1;
	/* After the idle window's take: the next run's first take resets
	 * the gaps the bare stops leave. */
	if (bench_bare_stop(s->pid, &bare, &bare_release))
		return -1;
	if (g3.iters <= g0.iters) {
		bench_err("pid %d: the spinning threads made no progress",
			  s->pid);
		return -1;
	}
	snprintf(c->backend, sizeof(c->backend), "%s",
		 a.backend[0] ? a.backend : "unknown");
	if (i < 0)
		return 0;
	c->m[M_SPIN_BASE][i] = (double)g3.max_ns / 1e3;
	c->m[M_SPIN_APPLY][i] = (double)g1.max_ns / 1e3;
	c->m[M_SPIN_REVERT][i] = (double)g2.max_ns / 1e3;
	c->m[M_SPIN_BASE_MIN][i] = (double)g3.min_ns / 1e3;
	c->m[M_SPIN_APPLY_MIN][i] = (double)g1.min_ns / 1e3;
	c->m[M_SPIN_REVERT_MIN][i] = (double)g2.min_ns / 1e3;
	c->m[M_APPLY_PAUSE][i] = a.pause_us;
	c->m[M_REVERT_PAUSE][i] = r.pause_us;
	c->m[M_APPLY_STOPS][i] = a.nr_stops;
	c->m[M_REVERT_STOPS][i] = r.nr_stops;
	c->m[M_APPLY_STOPS_SUM][i] = a.stops_us;
	c->m[M_REVERT_STOPS_SUM][i] = r.stops_us;
	c->m[M_APPLY_TOTAL][i] = a.total_us;
	c->m[M_REVERT_TOTAL][i] = r.total_us;
	c->m[M_APPLY_WALL][i] = a.wall_us;
	c->m[M_REVERT_WALL][i] = r.wall_us;
	c->m[M_WINDOW][i] = (double)window / 1e3;
	c->m[M_BARE_STOP][i] = bare;
	c->m[M_BARE_STOP_RELEASE][i] = bare_release;
	c->stopped = a.threads;
	if (a.attempts > c->attempts_max)
		c->attempts_max = a.attempts;
	c->retried += a.attempts > 1;
	c->eintr += g3.eintr - g0.eintr;
	return 0;
}

/*
 * The runs are split over o->procs target processes, one after the
 * other: a median over one process alone carries that process's luck
 * (which core its spinner landed on, where its threads sleep), and the
 * medians of one cell differ by up to a third from one invocation to
 * the next on the 2-core machine.
 */
int bench_cell__run(const struct bench_opts *o, struct bench_cell *c)
{
	uint64_t t0 = bench_now_ns();
	struct bench_cpu cpu0, cpu1;
	int k, i, err = 0;

	bench_cpu__sample(&cpu0);

	for (k = 0; !err && k < o->procs; k++) {
		int from = o->runs * k / o->procs;
		int to = o->runs * (k + 1) / o->procs;
		struct bench_spin s;

		if (from == to)
			continue;
		if (bench_spin__start(&s, o->spin, c->threads, c->spinners))
			return -1;
		/* Let every thread reach its loop or its blocking call. */
		bench_sleep_ns(SETTLE_NS);
		err = one_run(o, &s, c, -1);
		for (i = from; !err && i < to; i++)
			err = one_run(o, &s, c, i);
		bench_spin__stop(&s);
	}
	bench_cpu__sample(&cpu1);
	c->other_cpu = bench_cpu__other(&cpu0, &cpu1);
	c->secs = (double)(bench_now_ns() - t0) / 1e9;
	return err;
}

/*
 * What starting kpl costs before it does anything: exec, dynamic
 * linking, exit.  apply_wall minus this and apply_total is the time the
 * CLI spends opening the patch and the target.
 */
int bench_exec_floor(const struct bench_opts *o, double *v)
{
	char *argv[] = { (char *)o->kpl, "apply", "--help", NULL };
	int i;

	for (i = 0; i < o->runs; i++)
		if (bench_kpl__wall(argv, &v[i]))
			return -1;
	bench_sort(v, o->runs);
	return 0;
}

static double rusage_secs(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void bench_cpu__sample(struct bench_cpu *c)
{
	unsigned long long v[8] = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");

	memset(c, 0, sizeof(*c));
	if (f) {
		/* user nice system idle iowait irq softirq steal */
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) < 4)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	c->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
	c->total = c->busy + (double)(v[3] + v[4]) / hz;
	c->ours = rusage_secs(RUSAGE_SELF) + rusage_secs(RUSAGE_CHILDREN);
}

double bench_cpu__other(const struct bench_cpu *a, const struct bench_cpu *b)
{
	double total = b->total - a->total;
	double other = (b->busy - a->busy) - (b->ours - a->ours);

	if (total <= 0)
		return -1;
	return other > 0 ? 100.0 * other / total : 0;
}
