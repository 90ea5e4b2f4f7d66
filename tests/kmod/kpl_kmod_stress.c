// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_stress: the module under things going wrong at the same time,
 * inside the test VM (root, module loaded, kpl on PATH, spin10.kpl at
 * $KPL_SPIN_PATCH, its trusted key in $KPL_KEYS_DIR).  The kernel's
 * reaction is judged by vm-run from dmesg; this program checks that
 * every command ends, with success or a clean error, and that the module
 * still works afterwards.
 *
 *   kpl_kmod_stress exit      the target exits or is killed while kpl
 *                             applies a patch to it (random moments)
 *   kpl_kmod_stress churn     a 64-thread target whose threads create
 *                             and end threads, patched and reverted
 *   kpl_kmod_stress parallel  several processes issue requests at once:
 *                             stops of the same and of other targets,
 *                             memory requests, guards, status reads,
 *                             event readers, and kpl CLIs
 *
 * Targets are this program run again ("target", kmod_spin.h).  One
 * "pass:"/"FAIL:" line per check; exit 1 if any failed.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kmod_util.h"
#include "kmod_spin.h"

static const char *patch_path;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* kpl VERB on @pid in a child; return its pid (the status is its exit). */
static pid_t kpl_bg(const char *verb, pid_t pid, const char *arg)
{
	pid_t c = fork();

	if (c == 0) {
		char out[2048];
		int r = ks_kpl(verb, "kmod", pid, arg, out, sizeof(out));

		if (r >= 128 || r < 0)
			printf("# kpl %s died: %d: %s\n", verb, r, out);
		_exit(r < 0 ? 255 : r);
	}
	return c;
}

/* Reap @c within @ms; return its exit code, or -1 if it hangs. */
static int reap(pid_t c, int ms)
{
	int i, status;

	for (i = 0; i < ms / 5; i++) {
		if (waitpid(c, &status, WNOHANG) == c)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		usleep(5000);
	}
	kill(c, SIGKILL);
	waitpid(c, &status, 0);
	return -1;
}

static int test_exit(void)
{
	struct ks_opts o = { .spinners = 1, .sleepers = 6 };
	int i, applied = 0, failed = 0, hung = 0, crashed = 0, n = 16;
	struct ks_target t;
	char out[2048];
	uint64_t t0, span;

	/* How long an apply takes here, to aim the ends across it. */
	if (ks_start(&t, &o))
		return 1;
	t0 = ku_now_ns();
	ku_errno(-ks_kpl("apply", "kmod", t.pid, patch_path, out, sizeof(out)),
		 0, "an apply, timed");
	span = (ku_now_ns() - t0) / 1000 * 5 / 4 + 1;
	ks_stop(&t);
	for (i = 0; i < n; i++) {
		pid_t c;
		int r;

		if (ks_start(&t, &o))
			return 1;
		c = kpl_bg("apply", t.pid, patch_path);
		/* Anywhere from before the stop to after the release. */
		usleep(rnd() % span);
		if (i % 2)
			kill(t.pid, SIGKILL);
		else
			atomic_store(&t.sh->exit_now, 1);
		ks_wait_exit(&t, 5000);
		r = reap(c, 20000);
		if (r == 0)
			applied++;
		else if (r < 0)
			hung++;
		else if (r >= 128)
			crashed++;
		else
			failed++;
		ks_stop(&t);
	}
	printf("# %d applies, the target ending within %llu ms of the start: "
	       "%d done before, %d failed cleanly, %d crashed, %d hung\n",
	       n, (unsigned long long)span / 1000, applied, failed, crashed,
	       hung);
	ku_check(!hung && !crashed,
		 "every kpl apply ended while its target exited or was killed");

	/* The module still patches a fresh process. */
	if (ks_start(&t, &o))
		return 1;
	ku_errno(-ks_kpl("apply", "kmod", t.pid, patch_path, out, sizeof(out)),
		 0, "then a new target is patched");
	ku_check(WAIT_FOR(atomic_load(&t.sh->spin_new) > 0, 5000),
		 "and runs the patch");
	ks_stop(&t);
	return 0;
}

static int test_churn(void)
{
	struct ks_opts o = { .spinners = 2, .sleepers = 54, .churners = 8 };
	unsigned long c0, c1, s0;
	struct ks_target t;
	char out[2048];
	int i, ok = 0, n = 4;

	if (ks_start(&t, &o))
		return 1;
	c0 = atomic_load(&t.sh->churned);
	for (i = 0; i < n; i++) {
		int ra, rr;
		bool live;

		ra = ks_kpl("apply", "kmod", t.pid, patch_path, out,
			    sizeof(out));
		if (ra)
			printf("# apply %d: %s", i, out);
		s0 = atomic_load(&t.sh->spin_new);
		live = WAIT_FOR(atomic_load(&t.sh->spin_new) > s0 + 100, 5000);
		rr = ks_kpl("revert", "kmod", t.pid, "SPIN-10", out,
			    sizeof(out));
		if (rr)
			printf("# revert %d: %s", i, out);
		if (!ra && !rr && live)
			ok++;
	}
	c1 = atomic_load(&t.sh->churned);
	ku_check(ok == n,
		 "%d/%d applies and reverts of a 64-thread target whose "
		 "threads come and go",
		 ok, n);
	ku_check(c1 - c0 > 100, "%lu threads created and ended meanwhile",
		 c1 - c0);
	s0 = atomic_load(&t.sh->spin_new);
	ku_sleep_ms(100);
	ku_check(atomic_load(&t.sh->spin_new) == s0 &&
			 atomic_load(&t.sh->spins) > 0,
		 "reverted: the spinners run the old functions");
	ks_stop(&t);
	return 0;
}

/*
 * Workers of "parallel" run for @seconds, and on until they did their
 * thing at least a few times (a loaded host may starve them), but never
 * past KEEP_GOING_MAX.
 */
#define KEEP_GOING_MAX 30000000000ull
#define KEEP_GOING(end, done, min)                 \
	(ku_now_ns() < (end) ||                    \
	 ((done) < (min) && ku_now_ns() < (end) + KEEP_GOING_MAX))

/* One worker of "parallel": stop, read, write, map, resume, in a loop. */
static int stopper(pid_t target, int seconds)
{
	static struct kpl_thread_regs regs[128];
	uint64_t end = ku_now_ns() + (uint64_t)seconds * 1000000000ull;
	unsigned long stops = 0, busy = 0, odd = 0;
	uint8_t buf[64];
	int fd = ku_open();

	if (fd < 0 || ku_attach(fd, target, 0))
		return 1;
	while (KEEP_GOING(end, stops, 3)) {
		int r = ku_stop(fd, target, 1000, 0, regs, 128, NULL);

		if (r == -EBUSY) {
			busy++;
			usleep(100);
			continue;
		}
		if (r) {
			odd++;
			printf("# stopper: stop: %s\n", strerror(-r));
			continue;
		}
		stops++;
		if (ku_read(fd, regs[0].sp & ~7ull, buf, sizeof(buf)))
			odd++;
		/* Its own scratch page: nobody else writes there. */
		r = ku_map(fd, 0x200000000000ull + ((uint64_t)getpid() << 16),
			   4096, PROT_READ | PROT_WRITE, "kpl:stress");
		if (r && r != -EEXIST)
			odd++;
		if (ku_write(fd, 0x200000000000ull + ((uint64_t)getpid() << 16),
			     buf, NULL, 8))
			odd++;
		if (ku_resume(fd))
			odd++;
		ku_range(fd, KPL_IOC_UNMAP,
			 0x200000000000ull + ((uint64_t)getpid() << 16), 4096,
			 0);
	}
	close(fd);
	printf("# stopper %d: %lu stops, %lu busy, %lu odd\n", getpid(), stops,
	       busy, odd);
	return odd || !stops ? 1 : 0;
}

/* Guards on spin_guard come and go; nothing here calls it. */
static int guarder(int seconds)
{
	uint64_t end = ku_now_ns() + (uint64_t)seconds * 1000000000ull;
	uintptr_t a = (uintptr_t)spin_guard;
	char line[512], path[256] = "";
	unsigned long lo, hi, off, adds = 0, odd = 0;
	uint64_t entry = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	int fd = ku_open(), lfd;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &lo, &hi, &off,
			   path) == 4 &&
		    a >= lo && a < hi) {
			entry = a - lo + off;
			break;
		}
	if (f)
		fclose(f);
	lfd = open(path, O_RDONLY);
	if (fd < 0 || lfd < 0 || !entry)
		return 1;
	while (KEEP_GOING(end, adds, 3)) {
		struct kpl_guard_add g = { .size = sizeof(g),
					   .lib_fd = lfd,
					   .policy = KPL_GUARD_ALLOW,
					   .nr_funcs = 1,
					   .offsets = (uintptr_t)&entry };
		struct kpl_guard_del d = { .size = sizeof(d) };
		int r;

		strcpy(g.patch_id, "SPIN-STRESS");
		r = ku_ioctl(fd, KPL_IOC_GUARD_ADD, &g);
		if (r == -EEXIST)
			continue;
		if (r) {
			odd++;
			continue;
		}
		adds++;
		d.id = g.id;
		if (ku_ioctl(fd, KPL_IOC_GUARD_DEL, &d))
			odd++;
	}
	printf("# guarder: %lu guards added and deleted, %lu odd\n", adds,
	       odd);
	close(fd);
	close(lfd);
	return odd || !adds ? 1 : 0;
}

/* Status files and events, read over and over. */
static int reader(int seconds)
{
	static const char *const files[] = {
		"/sys/kernel/kpatch_lite/stats",
		"/sys/kernel/kpatch_lite/sessions",
		"/sys/kernel/kpatch_lite/guards",
		"/sys/kernel/kpatch_lite/processes",
	};
	uint64_t end = ku_now_ns() + (uint64_t)seconds * 1000000000ull;
	unsigned long reads = 0, odd = 0;
	static char buf[8192];
	int fd = open(KPL_DEVICE_PATH, O_RDONLY | O_NONBLOCK), i;

	while (KEEP_GOING(end, reads, 3)) {
		struct kpl_event ev[4];

		for (i = 0; i < 4; i++) {
			int f = open(files[i], O_RDONLY);
			ssize_t r = f < 0 ? -1 : read(f, buf, sizeof(buf));

			if (r <= 0) {
				if (odd++ < 5)
					printf("# reader: %s: %zd %s\n", files[i],
					       r, strerror(errno));
			}
			if (f >= 0)
				close(f);
		}
		if (read(fd, ev, sizeof(ev)) < 0 && errno != EAGAIN)
			odd++;
		reads++;
	}
	printf("# reader: %lu rounds, %lu odd\n", reads, odd);
	close(fd);
	return odd ? 1 : 0;
}

static int test_parallel(void)
{
	struct ks_opts o = { .spinners = 2, .sleepers = 6, .churners = 1 };
	struct ks_target t[4];
	pid_t w[16], c[4];
	int nw = 0, i, bad = 0, r, secs = 3;
	unsigned long s0[4];

	for (i = 0; i < 4; i++)
		if (ks_start(&t[i], &o))
			return 1;
	/* Three sessions fight over target 0, one each for 1 and 2. */
	for (i = 0; i < 5; i++) {
		pid_t tgt = t[i < 3 ? 0 : i - 2].pid;

		w[nw] = fork();
		if (w[nw] == 0)
			_exit(stopper(tgt, secs));
		nw++;
	}
	w[nw] = fork();
	if (w[nw] == 0)
		_exit(guarder(secs));
	nw++;
	w[nw] = fork();
	if (w[nw] == 0)
		_exit(reader(secs));
	nw++;
	/* Meanwhile kpl patches target 3, twice at once, and reverts. */
	for (i = 0; i < 2; i++)
		c[i] = kpl_bg("apply", t[3].pid, patch_path);
	for (i = 0; i < 2; i++) {
		r = reap(c[i], 30000);
		printf("# kpl apply %d: exit %d\n", i, r);
		if (r < 0 || r >= 128)
			bad++;
	}
	ku_check(!bad, "two kpl apply at once on one target: both end, no "
		       "crash");
	ku_check(WAIT_FOR(atomic_load(&t[3].sh->spin_new) > 0, 5000),
		 "the target is patched once (SPIN-10 live)");
	c[2] = kpl_bg("revert", t[3].pid, "SPIN-10");
	r = reap(c[2], 30000);
	ku_check(r == 0, "kpl revert meanwhile (exit %d)", r);

	bad = 0;
	for (i = 0; i < nw; i++) {
		r = reap(w[i], (secs + 30) * 1000);
		if (r)
			bad++;
	}
	ku_check(!bad, "%d workers issuing requests at once for %d s: every "
		       "answer 0 or an expected errno", nw, secs);

	for (i = 0; i < 4; i++)
		s0[i] = atomic_load(&t[i].sh->spins);
	ku_sleep_ms(100);
	for (i = 0, bad = 0; i < 4; i++)
		if (atomic_load(&t[i].sh->spins) == s0[i])
			bad++;
	ku_check(!bad, "every target runs afterwards (%d frozen)", bad);
	for (i = 0; i < 4; i++)
		ks_stop(&t[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct ku_test tests[] = {
		{ "exit", test_exit },
		{ "churn", test_churn },
		{ "parallel", test_parallel },
	};

	if (argc >= 2 && !strcmp(argv[1], "target"))
		return ks_target_main(argc, argv);
	patch_path = getenv("KPL_SPIN_PATCH");
	if (!patch_path)
		patch_path = "/root/spin10.kpl";
	rng ^= ku_now_ns();
	return ku_run(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
