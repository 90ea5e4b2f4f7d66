/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-bench: pause and apply-time benchmark for kpl.  main.c reads the
 * command line, cell.c measures one cell, spin.c drives the kpl-spin
 * target, run.c runs the kpl CLI, json.c writes the results, util.c
 * (a leaf) has the helpers they all call.
 * Functions print their own errors through bench_err() and return 0 or
 * -1; only main() picks the exit status.
 */
#ifndef KPL_BENCH_H
#define KPL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Print "kpl-bench: <message>\n" to stderr. */
__attribute__((format(printf, 1, 2))) void bench_err(const char *fmt, ...);

uint64_t bench_now_ns(void);
void bench_sleep_ns(uint64_t ns);
/*
 * @s, all of it a decimal number from @min to @max, into *@out; else
 * says which setting (@what, "--runs") is wrong and returns -1.
 */
int bench_parse_int(const char *what, const char *s, int min, int max,
		    int *out);

/*
 * spin.c: a `kpl-spin --shm` process.  Every spinning thread (the main
 * one first) keeps its longest gap in a page shared with kpl-bench
 * (tests/integration/fixtures/spin_shm.h), so no thread of the target
 * does anything but spin or sleep while it is measured.
 */
struct spin_shm;
struct bench_spin {
	pid_t pid;
	int fd; /* read end of its stdout, -1 when closed */
	int spinners;
	struct spin_shm *shm;
	char buf[256];
	size_t len;
};

/* What the spinning threads saw since the previous take. */
struct bench_gaps {
	uint64_t max_ns; /* the worst-hit thread's longest gap */
	uint64_t min_ns; /* the least-hit thread's longest gap */
	int64_t f0_min, f0_max; /* spin_f0(0) as the threads last saw it */
	uint64_t eintr; /* EINTRs the sleeping threads saw, total */
	uint64_t iters; /* iterations of all spinners, total */
};

/*
 * bench_spin__start() - start @path with @threads threads of which
 * @spinners spin, wait for "ready".  The child gets SIGKILL if kpl-bench
 * dies.  Stop with bench_spin__stop().
 */
int bench_spin__start(struct bench_spin *s, const char *path, int threads,
		      int spinners);

/*
 * bench_spin__take() - wait until every spinning thread finished the
 * iteration it was in and one more (so a stop that just ended is in its
 * gap, and its f0 comes from the code in place now), then take and reset
 * every thread's longest gap.
 */
int bench_spin__take(struct bench_spin *s, struct bench_gaps *g);

/* bench_spin__stop() - SIGTERM, then SIGKILL, reap.  Safe to repeat. */
void bench_spin__stop(struct bench_spin *s);

/* run.c: one kpl command and the fields of its --json line. */
struct bench_result {
	bool ok;
	double pause_us; /* engine: longest stop (all or one thread) */
	double nr_stops; /* engine: stops of any kind */
	double stops_us; /* engine: all stops, summed */
	double total_us; /* engine: kpl_target__apply/revert call */
	double wall_us; /* fork, exec, run, exit, waitpid */
	unsigned int attempts; /* apply only; 0 when not printed */
	unsigned int threads; /* apply only: threads stopped */
	char backend[32]; /* apply only */
	char error[160];
};

/*
 * bench_kpl__run() - run @argv (argv[0] is the kpl binary), time it and
 * parse its --json line into *@res.  Returns -1 only when the command
 * could not be run or printed no JSON; a failed apply is res->ok false.
 */
int bench_kpl__run(char *const argv[], struct bench_result *res);

/*
 * bench_kpl__wall() - run @argv, output discarded; *@wall_us as above.
 * Returns -1 when it could not be run or exited non-zero.
 */
int bench_kpl__wall(char *const argv[], double *wall_us);

/*
 * bench_kpl__info() - read the patch id and the number of functions from
 * `kpl info --json @patch`.
 */
int bench_kpl__info(const char *kpl, const char *patch, char *id, size_t id_sz,
		    unsigned int *nr_funcs);

#define MAX_PATCHES 8
#define MAX_THREADS 16
#define MAX_APPLY_ARGS 8

/* A patch to apply, with what `kpl info` says of it. */
struct bench_patch {
	const char *path;
	char id[128];
	unsigned int nr_funcs;
};

/* cell.c: what one cell measured, per run, in microseconds. */
enum bench_metric {
	M_SPIN_BASE,
	M_SPIN_APPLY,
	M_SPIN_REVERT,
	M_SPIN_BASE_MIN,
	M_SPIN_APPLY_MIN,
	M_SPIN_REVERT_MIN,
	M_APPLY_PAUSE,
	M_REVERT_PAUSE,
	M_APPLY_STOPS,
	M_REVERT_STOPS,
	M_APPLY_STOPS_SUM,
	M_REVERT_STOPS_SUM,
	M_APPLY_TOTAL,
	M_REVERT_TOTAL,
	M_APPLY_WALL,
	M_REVERT_WALL,
	M_WINDOW,
	M_BARE_STOP,
	M_BARE_STOP_RELEASE,
	NR_METRICS
};

struct bench_cell {
	int threads;
	int spinners; /* threads that spin and report a gap; the rest sleep */
	const struct bench_patch *patch;
	double *m[NR_METRICS]; /* [runs] each */
	unsigned int stopped; /* threads the engine stopped */
	unsigned int attempts_max;
	unsigned int retried; /* runs whose apply needed > 1 attempt */
	unsigned long eintr; /* EINTRs in sleeping threads, all runs */
	char backend[32]; /* as kpl apply reported it */
	double other_cpu; /* % of all CPUs used by other processes */
	double secs;
};

/* What the command line asked for. */
struct bench_opts {
	const char *kpl, *spin, *out, *rev;
	const char *backend; /* --backend for kpl; NULL: kpl's choice */
	const char *apply_args[MAX_APPLY_ARGS]; /* e.g. --keys=DIR */
	int nr_apply_args;
	struct bench_patch patches[MAX_PATCHES];
	int nr_patches;
	int threads[MAX_THREADS]; /* one spinner, the rest sleep */
	int nr_threads;
	int busy[MAX_THREADS]; /* every thread spins (first patch only) */
	int nr_busy;
	int runs;
	int procs; /* target processes per cell, runs split among them */
	int nice; /* for kpl-bench, kpl-spin and kpl alike */
};

/*
 * bench_cell__run() - measure cell @c: o->runs runs over o->procs target
 * processes.  Fills c->m[][] (unsorted) and the counters.
 */
int bench_cell__run(const struct bench_opts *o, struct bench_cell *c);

/* bench_exec_floor() - wall time of `kpl apply --help`, o->runs times. */
int bench_exec_floor(const struct bench_opts *o, double *v);

/*
 * bare.c: bench_bare_stop() - two all-thread ptrace stops of @pid that do
 * nothing (bare.c says how), as SCHED_FIFO until the last detach
 * (*@boosted_us) and only until the last stop (*@release_us).
 */
#define BENCH_BARE_MAX 4096
int bench_bare_stop(pid_t pid, double *boosted_us, double *release_us);

/*
 * CPU time of the whole machine and of kpl-bench with its reaped
 * children, to tell how much other work ran during a measurement.
 */
struct bench_cpu {
	double busy, total; /* /proc/stat, in seconds of CPU time */
	double ours; /* getrusage(SELF) + getrusage(CHILDREN) */
};

void bench_cpu__sample(struct bench_cpu *c);
/* % of all CPUs' time between @a and @b spent by other processes. */
double bench_cpu__other(const struct bench_cpu *a, const struct bench_cpu *b);

/* json.c: statistics and the JSON file. */
extern const char *const bench_metric_name[NR_METRICS];
void bench_sort(double *v, int n);
double bench_median(const double *sorted, int n);
double bench_rank(const double *sorted, int n, double pct);
int bench_json__write(const struct bench_opts *o, struct bench_cell *cells,
		      int nr, const double *floor, double other0);

/* run.c: the number (string) after "@key": in kpl's JSON line @s. */
bool bench_json_num(const char *s, const char *key, double *out);
bool bench_json_str(const char *s, const char *key, char *out, size_t sz);

#endif
