// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "txn.h"

#define DEFAULT_TIMEOUT_MS 3000
#define STOP_TIMEOUT_MS 1000

uint64_t kpl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *grow(void *v, size_t nr, size_t size)
{
	return realloc(v, (nr + 1) * size);
}

int kpl_txn__add_write(struct kpl_txn *x, uint64_t addr, uint32_t len,
		       const uint8_t *expect, const uint8_t *bytes,
		       const char *name)
{
	struct kpl_write *w = grow(x->w, x->nr_w, sizeof(*w));

	if (!w)
		return -ENOMEM;
	x->w = w;
	w = &x->w[x->nr_w++];
	memset(w, 0, sizeof(*w));
	w->addr = addr;
	w->len = len;
	memcpy(w->expect, expect, len);
	memcpy(w->bytes, bytes, len);
	w->name = name;
	return 0;
}

int kpl_txn__add_busy(struct kpl_txn *x, uint64_t lo, uint64_t hi,
		      const char *name)
{
	struct kpl_range *r = grow(x->busy, x->nr_busy, sizeof(*r));

	if (!r)
		return -ENOMEM;
	x->busy = r;
	x->busy[x->nr_busy++] = (struct kpl_range){ lo, hi, name };
	return 0;
}

int kpl_txn__add_keepout(struct kpl_txn *x, uint64_t lo, uint64_t hi,
			 const char *name)
{
	struct kpl_range *r = grow(x->keepout, x->nr_keepout, sizeof(*r));

	if (!r)
		return -ENOMEM;
	x->keepout = r;
	x->keepout[x->nr_keepout++] = (struct kpl_range){ lo, hi, name };
	return 0;
}

int kpl_txn__add_mark(struct kpl_txn *x, struct kpl_found *f,
		      enum kpl_phase before, enum kpl_phase after)
{
	struct kpl_mark *m = grow(x->marks, x->nr_marks, sizeof(*m));

	if (!m)
		return -ENOMEM;
	x->marks = m;
	x->marks[x->nr_marks++] = (struct kpl_mark){ f, before, after, after,
						     f->st->phase };
	return 0;
}

void kpl_txn__free(struct kpl_txn *x)
{
	free(x->w);
	free(x->busy);
	free(x->keepout);
	free(x->marks);
	memset(x, 0, sizeof(*x));
}

/* No thread may sit strictly inside bytes about to change. */
static int torn_check(struct kpl_target *t, struct kpl_txn *x)
{
	size_t i, j;

	for (i = 0; i < t->proc->nr_threads; i++) {
		uint64_t ip = t->proc->threads[i].ip;

		for (j = 0; j < x->nr_w; j++) {
			if (ip > x->w[j].addr && ip < x->w[j].addr + x->w[j].len) {
				pr_info("txn: thread %d is inside the bytes of "
					"%s\n", t->proc->threads[i].tid,
					x->w[j].name);
				return -KPL_E_BUSY;
			}
		}
	}
	return 0;
}

/* The entries are read in one read of their span (one, not one each). */
static int verify(struct kpl_target *t, struct kpl_txn *x)
{
	uint8_t cur[KPL_STATE_BYTES];
	struct kpl_span span;
	size_t i;
	int err;

	kpl_span__init(&span);
	for (i = 0; i < x->nr_w; i++)
		kpl_span__add(&span, x->w[i].addr, x->w[i].len);
	kpl_proc__span_read(t->proc, &span);
	for (i = 0; i < x->nr_w; i++) {
		err = kpl_proc__span_get(t->proc, &span, x->w[i].addr, cur,
					 x->w[i].len);
		if (err)
			return err;
		if (memcmp(cur, x->w[i].expect, x->w[i].len)) {
			pr_warn("txn: bytes at %s (0x%llx) changed since they "
				"were checked; nothing written\n", x->w[i].name,
				(unsigned long long)x->w[i].addr);
			return -KPL_E_MISMATCH;
		}
	}
	return 0;
}

static int set_marks(struct kpl_target *t, struct kpl_txn *x, bool after)
{
	size_t i;
	int err;

	for (i = 0; i < x->nr_marks; i++) {
		enum kpl_phase ph = !after ? x->marks[i].before :
				    x->kept ? x->marks[i].kept :
					      x->marks[i].after;

		err = kpl_found__set_phase(t, x->marks[i].f, ph);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Put back the first @done entries and every record's phase as it was
 * before the transaction.  If that too fails, the target may hold jumps
 * into a patch: mark the transaction dirty so nothing gets unmapped, and
 * leave the records for repair.
 */
static void rollback(struct kpl_target *t, struct kpl_txn *x, size_t done)
{
	size_t i;

	for (i = done; i-- > 0;)
		if (kpl_proc__write(t->proc, x->w[i].addr, x->w[i].expect,
				    x->w[i].len))
			x->dirty = true;
	for (i = 0; i < x->nr_marks && !x->dirty; i++)
		if (kpl_found__set_phase(t, x->marks[i].f, x->marks[i].was))
			x->dirty = true;
	if (x->dirty)
		pr_warn("txn: pid %d: could not roll back a failed write; its "
			"patch mappings are left in place for `kpl status` to "
			"repair\n", t->pid);
	else
		pr_warn("txn: write to pid %d failed; rolled back\n", t->pid);
}

/*
 * Fault injection for the journal tests: KPL_FAULT_KILL_AFTER=N makes the
 * calling process SIGKILL itself after writing N entries, exactly as an
 * admin's `kill -9` mid-apply would; KPL_FAULT_FAIL_AFTER=N makes entry
 * write N fail with EIO, as a write into a vanishing mapping would.
 * Unset, each costs one getenv.
 */
static long fault_after(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 10) : -1;
}

/*
 * The backend verifies and writes in one step (kmod): the entries and
 * the records' final phases together, all or nothing, so no phase in
 * between is ever visible and nothing is left to roll back.
 */
static int commit_batch(struct kpl_target *t, struct kpl_txn *x)
{
	size_t n = x->nr_w + x->nr_marks, i, failed = n;
	struct kpl_batch_write *w = calloc(n ? n : 1, sizeof(*w));
	/* version and phase of each record, one write each (see
	 * kpl_found__set_phase()) */
	uint32_t *ph = calloc(x->nr_marks ? x->nr_marks * 2 : 1, sizeof(*ph));
	int err = -ENOMEM;

	if (!w || !ph)
		goto out;
	for (i = 0; i < x->nr_w; i++)
		w[i] = (struct kpl_batch_write){ x->w[i].addr, x->w[i].bytes,
						 x->w[i].expect, x->w[i].len };
	for (i = 0; i < x->nr_marks; i++) {
		uint32_t after = x->kept ? x->marks[i].kept : x->marks[i].after;

		ph[2 * i] = after == KPL_PHASE_RETIRED ?
				    KPL_STATE_VERSION_RETIRED : KPL_STATE_VERSION;
		ph[2 * i + 1] = after;
		w[x->nr_w + i] = (struct kpl_batch_write){
			x->marks[i].f->base + offsetof(struct kpl_state, version),
			&ph[2 * i], NULL, 2 * sizeof(ph[0])
		};
	}
	err = kpl_proc__write_batch(t->proc, w, n, &failed);
	if (err == -KPL_E_MISMATCH && failed < x->nr_w)
		pr_warn("txn: bytes at %s (0x%llx) changed since they were "
			"checked; nothing written\n", x->w[failed].name,
			(unsigned long long)x->w[failed].addr);
	else if (err)
		pr_warn("txn: write to pid %d failed: %s; nothing written\n",
			t->pid, kpl_strerror(err));
	for (i = 0; !err && i < x->nr_marks; i++)
		x->marks[i].f->st->phase = ph[2 * i + 1];
out:
	free(ph);
	free(w);
	return err;
}

/*
 * Does no frame lie in the busy ranges (unless @force) nor in the
 * keep-out ranges?  Asked at once when both are asked, so that each
 * thread's stack is read and scanned once in the stop, not once per
 * question (a revert asks both of the same range).  False also when only
 * one question is asked, or on any hit: the caller then asks apart.
 */
static bool both_clear(struct kpl_txn *x, struct kpl_unwind *uw, bool force)
{
	const struct kpl_range *hit = NULL;
	struct kpl_range *all;
	size_t nb = force ? 0 : x->nr_busy, n = nb + x->nr_keepout;
	bool clear;
	int tid = 0;

	if (!uw || !nb || !x->nr_keepout)
		return false;
	all = malloc(n * sizeof(*all));
	if (!all)
		return false;
	memcpy(all, x->busy, nb * sizeof(*all));
	memcpy(all + nb, x->keepout, x->nr_keepout * sizeof(*all));
	clear = kpl_unwind__busy(uw, all, n, &hit, &tid) == 0;
	free(all);
	return clear;
}

/*
 * The activeness check: -KPL_E_BUSY if a frame (unless @force) is in a
 * busy range; x->kept if one is in a keep-out range.
 */
static int check_stacks(struct kpl_txn *x, struct kpl_unwind *uw, bool force,
			char *why, size_t why_len)
{
	const struct kpl_range *hit = NULL;
	int err, tid = 0;

	x->kept = false;
	/* Most stacks hold neither: one walk of each stack answers both
	 * questions, and only a hit needs them asked apart. */
	if (both_clear(x, uw, force))
		return 0;
	if (!force && uw && x->nr_busy) {
		err = kpl_unwind__busy(uw, x->busy, x->nr_busy, &hit, &tid);
		if (err) {
			snprintf(why, why_len, "thread %d is busy in %s", tid,
				 hit ? hit->name : "code it cannot unwind");
			pr_info("txn: %s\n", why);
			return err;
		}
	}
	/* Not an error: the code stays mapped, and since the threads are
	 * parked until the entries are restored, what holds no frame there
	 * now never will. */
	if (x->nr_keepout &&
	    kpl_unwind__busy(uw, x->keepout, x->nr_keepout, &hit, &tid)) {
		pr_info("txn: thread %d %s %s: its mapping stays\n", tid,
			hit ? "has a frame in" : "has a stack that cannot be "
			"unwound, so it may be in", hit ? hit->name
							: x->keepout[0].name);
		x->kept = true;
	}
	return 0;
}

/* The stop itself: everything here happens with every thread parked. */
static int commit_stopped(struct kpl_target *t, struct kpl_txn *x,
			  struct kpl_unwind *uw, bool force, char *why,
			  size_t why_len)
{
	size_t done;
	int err;
	long kill_after, fail_after;

	err = torn_check(t, x);
	if (err) {
		snprintf(why, why_len, "a thread is inside bytes to change");
		return err;
	}
	err = check_stacks(x, uw, force, why, why_len);
	if (err)
		return err;
	kill_after = fault_after("KPL_FAULT_KILL_AFTER");
	fail_after = fault_after("KPL_FAULT_FAIL_AFTER");
	/* The faults act between entries: only the per-entry path has any. */
	if (kpl_proc__has_write_batch(t->proc) && kill_after < 0 && fail_after < 0)
		return commit_batch(t, x);
	err = verify(t, x);
	if (err)
		return err;
	err = set_marks(t, x, false);
	if (err)
		return err;
	for (done = 0; done < x->nr_w; done++) {
		if ((long)done == kill_after)
			raise(SIGKILL);
		err = (long)done == fail_after ? -EIO :
			kpl_proc__write(t->proc, x->w[done].addr,
					x->w[done].bytes, x->w[done].len);
		if (err)
			break;
	}
	if (!err)
		err = set_marks(t, x, true);
	if (err)
		rollback(t, x, done);
	return err;
}

/*
 * While every target thread is parked, nothing the target does can make
 * progress until we finish: run as a real-time task from just before the
 * stop until the threads run again, so other load on the machine cannot
 * stretch the pause.  Needs
 * CAP_SYS_NICE; without it we simply run as we were.
 */
struct sched_saved {
	int policy;
	struct sched_param param;
};

/* Both calls act on the calling thread only: fleet workers boost alone. */
static bool boost_on(struct sched_saved *saved)
{
	struct sched_param sp = { .sched_priority = 1 };

	saved->policy = sched_getscheduler(0);
	if (saved->policy < 0 || sched_getparam(0, &saved->param))
		return false;
	return sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
}

static void boost_off(const struct sched_saved *saved)
{
	sched_setscheduler(0, saved->policy, &saved->param);
}

int kpl_txn__commit(struct kpl_target *t, struct kpl_txn *x,
		    const struct kpl_apply_opts *opts, struct kpl_stats *st)
{
	int timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms
						   : DEFAULT_TIMEOUT_MS;
	uint64_t deadline = kpl_now_ns() + (uint64_t)timeout * 1000000ull;
	bool force = opts && opts->force;
	struct kpl_unwind *uw = NULL;
	struct kpl_stats *log = NULL;
	unsigned int backoff_us = 500;
	char why[160] = "";
	int err;

	if ((!force && x->nr_busy) || x->nr_keepout) {
		err = kpl_unwind__new(t->proc, &uw);
		if (err)
			return err;
	}
	/* Stops count into the caller's log (an apply that repaired
	 * first counts the repair's stops too), else into @st. */
	if (!t->proc->log)
		t->proc->log = log = st;
	for (;;) {
		uint64_t t0, t1, t2, t3, pause;
		struct sched_saved saved;
		bool boosted;

		st->attempts++;
		/* Before the stop: its system calls are then not inside the
		 * pause, and nothing preempts us while the threads park. */
		boosted = boost_on(&saved);
		t0 = kpl_now_ns();
		err = kpl_proc__stop(t->proc, STOP_TIMEOUT_MS);
		if (err) {
			if (boosted)
				boost_off(&saved);
			break;
		}
		st->threads = (unsigned int)t->proc->nr_threads;
		t1 = kpl_now_ns();
		err = commit_stopped(t, x, uw, force, why, sizeof(why));
		t2 = kpl_now_ns();
		kpl_proc__resume(t->proc);
		t3 = kpl_now_ns();
		/* The target runs again: dropping the boost, and being
		 * preempted as we do, is our time, not its pause. */
		if (boosted)
			boost_off(&saved);
		/* The backend says when the threads began to stop; seizing
		 * them beforehand costs the target nothing. */
		if (t->proc->stop_ns > t0)
			t0 = t->proc->stop_ns;
		pause = t3 - t0;
		kpl_proc__log_stop(t->proc, t0, t0 + pause,
				   st->threads, true);
		pr_debug("txn: pid %d attempt %u: stop %llu us, check+write "
			 "%llu us, resume %llu us (%zu threads)\n", t->pid,
			 st->attempts, (unsigned long long)(t1 - t0) / 1000,
			 (unsigned long long)(t2 - t1) / 1000,
			 (unsigned long long)(t3 - t2) / 1000,
			 (size_t)st->threads);
		if (err != -KPL_E_BUSY || kpl_now_ns() > deadline)
			break;
		/* Back off like livepatch's transition: let the threads
		 * leave the functions, then try again. */
		struct timespec ts = { 0, (long)backoff_us * 1000 };

		nanosleep(&ts, NULL);
		if (backoff_us < 64000)
			backoff_us *= 2;
	}
	if (err == -KPL_E_BUSY)
		pr_warn("txn: pid %d still busy after %u attempts in %d ms: "
			"%s\n", t->pid, st->attempts, timeout, why);
	if (log)
		t->proc->log = NULL;
	kpl_unwind__free(uw);
	return err;
}
