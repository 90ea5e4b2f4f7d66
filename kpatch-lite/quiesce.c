// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: stop every thread of a process without ptrace or signals.
 *
 * Each thread gets a task work item queued with TWA_RESUME: it runs in
 * that thread's own context before the thread next executes a user
 * instruction, and waits there until the stop is released.  TWA_RESUME
 * sets TIF_NOTIFY_RESUME and kicks a running thread with an IPI, but
 * wakes no sleeper, so a thread blocked in a system call stays blocked
 * and sees no EINTR.  A thread is quiescent once it is parked in the
 * work, or once it is seen off-CPU after the work was queued: to run
 * user code again it must pass the exit-to-user-mode loop, which runs
 * the work first.
 *
 * Lifetime.  task_work_cancel() is not exported on 6.1, so a queued item
 * cannot be taken back: a thread asleep for hours runs it hours later,
 * after the stop ended, perhaps while exiting.  Each item is therefore
 * its own allocation, freed by the work function, and holds a reference
 * on its struct kpl_quiesce; a late item finds @released set and only
 * serialises the core.  The thread records (@thr) belong to the stopper
 * and are freed at release, so work items touch them under @lock and
 * only while !@released.  Each stop holds a module reference, dropped
 * with its last item, so the work function's text outlives every item.
 *
 * While held, the threads can be described and put to work: held.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/wait.h>
#include <asm/sync_core.h>
#include <asm/unistd.h>
#include <asm/unistd_32_ia32.h>

#include "kpl.h"
#include "quiesce.h"

struct kpl_qwork {
	struct callback_head cb;
	struct kpl_quiesce *q;
	unsigned int idx;
};

/*
 * Drop a reference.  The last one may be dropped by a late work item, in
 * a thread that runs this module's code only until module_put() returns:
 * it is the final call, so the compiler makes it a tail call and no
 * instruction of this module runs after the module may have gone.
 */
static void kpl_quiesce_put(struct kpl_quiesce *q)
{
	if (refcount_dec_and_test(&q->ref)) {
		kfree(q);
		module_put(THIS_MODULE);
	}
}

/* Under wait_event: released, or a request for this very thread. */
static bool kpl_park_wake(struct kpl_quiesce *q, struct kpl_qreq **reqp)
{
	bool wake;

	spin_lock(&q->lock);
	wake = q->released;
	if (!wake && q->req && q->req->task == current && !q->req->taken) {
		q->req->taken = true;
		*reqp = q->req;
		wake = true;
	}
	spin_unlock(&q->lock);
	return wake;
}

/*
 * Wait for release, serving requests meanwhile.  TASK_KILLABLE: SIGKILL
 * (a kill, an exit_group, an exec in another thread) ends the wait, and
 * the thread then dies without running user code.  Not TASK_INTERRUPTIBLE,
 * which would let an ordinary signal through to a handler.
 */
static void kpl_park(struct kpl_quiesce *q, unsigned int idx)
{
	struct kpl_qreq *req;

	for (;;) {
		req = NULL;
		if (wait_event_killable(q->park_wq, kpl_park_wake(q, &req)))
			break;
		if (!req)
			break;
		req->ret = req->fn(req->arg);
		complete(&req->done);
	}

	spin_lock(&q->lock);
	if (!q->released) {
		/* Killed: still quiescent, but can serve no request now. */
		q->thr[idx].flags &= ~KPL_THREAD_PARKED;
		req = q->req;
		if (req && req->task == current && !req->taken) {
			req->taken = true;
			req->died = true;
			complete(&req->done);
		}
	}
	spin_unlock(&q->lock);
}

static void kpl_qwork_fn(struct callback_head *cb)
{
	struct kpl_qwork *w = container_of(cb, struct kpl_qwork, cb);
	struct kpl_quiesce *q = w->q;
	unsigned int idx = w->idx;
	bool park = false;

	kfree(w);
	spin_lock(&q->lock);
	/*
	 * Exiting threads (the work runs from exit_task_work() too) have no
	 * mm any more and will not run user code: nothing to hold.
	 */
	if (!q->released && !(current->flags & PF_EXITING) &&
	    current->mm == q->mm) {
		/* Seen off-CPU earlier, parked now: report the latter. */
		q->thr[idx].flags = KPL_THREAD_PARKED;
		WRITE_ONCE(q->parks, q->parks + 1);
		park = true;
	}
	spin_unlock(&q->lock);

	if (park) {
		wake_up(&q->stop_wq);
		kpl_park(q, idx);
	}
	/*
	 * The patcher may have rewritten code this thread is about to run
	 * on this CPU: the SDM's cross-modifying code rule asks for a
	 * serialising instruction first, and the return to user mode may be
	 * SYSRET, which is not one.  Late items get here too, for threads
	 * that slept through the whole stop.
	 */
	sync_core();
	kpl_quiesce_put(q);
}

static int kpl_cmp_ptr(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(void *const *)a;
	unsigned long y = (unsigned long)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Held references make a task pointer a stable identity. */
static bool kpl_known(struct kpl_quiesce *q, struct task_struct *t)
{
	return q->nr &&
	       bsearch(&t, q->known, q->nr, sizeof(*q->known), kpl_cmp_ptr);
}

/* Room for @want threads; @thr moves under @lock, work items read it. */
static int kpl_quiesce_grow(struct kpl_quiesce *q, unsigned int want)
{
	struct kpl_qthread *thr, *old_thr;
	struct task_struct **known;
	unsigned int cap;

	if (want <= q->cap)
		return 0;
	cap = max(want, 2 * q->cap);
	thr = kvcalloc(cap, sizeof(*thr), GFP_KERNEL);
	known = kvcalloc(cap, sizeof(*known), GFP_KERNEL);
	if (!thr || !known) {
		kvfree(thr);
		kvfree(known);
		return -ENOMEM;
	}
	memcpy(known, q->known, q->nr * sizeof(*known));
	kvfree(q->known);
	q->known = known;

	spin_lock(&q->lock);
	memcpy(thr, q->thr, q->nr * sizeof(*thr));
	old_thr = q->thr;
	q->thr = thr;
	q->cap = cap;
	spin_unlock(&q->lock);
	kvfree(old_thr);
	return 0;
}

/*
 * Queue a work item on each task of @batch (references handed over).
 * Everything is allocated first, so the items go out in a tight loop and
 * the threads start parking at nearly the same time.
 */
static int kpl_quiesce_add(struct kpl_quiesce *q, struct task_struct **batch,
			   unsigned int n)
{
	struct kpl_qwork **works;
	unsigned int i, idx;
	int ret;

	if (q->nr + n > KPL_THREADS_MAX) {
		ret = -E2BIG;
		goto err_tasks;
	}
	ret = kpl_quiesce_grow(q, q->nr + n);
	if (ret)
		goto err_tasks;
	works = kvcalloc(n, sizeof(*works), GFP_KERNEL);
	if (!works) {
		ret = -ENOMEM;
		goto err_tasks;
	}
	for (i = 0; i < n; i++) {
		works[i] = kmalloc(sizeof(*works[i]), GFP_KERNEL);
		if (!works[i]) {
			ret = -ENOMEM;
			goto err_works;
		}
	}

	if (!q->stop_ns)
		q->stop_ns = ktime_get_ns();
	for (i = 0; i < n; i++) {
		struct kpl_qwork *w = works[i];

		idx = q->nr + i;
		q->thr[idx] = (struct kpl_qthread){ .task = batch[i] };
		q->known[idx] = batch[i];
		w->q = q;
		w->idx = idx;
		init_task_work(&w->cb, kpl_qwork_fn);
		refcount_inc(&q->ref);
		/* Too late (past exit_task_work): it exits, no user code. */
		if (task_work_add(batch[i], &w->cb, TWA_RESUME)) {
			refcount_dec(&q->ref);
			kfree(w);
			q->thr[idx].quiet = true;
			q->thr[idx].gone = true;
		}
	}
	spin_lock(&q->lock);
	q->nr += n;
	spin_unlock(&q->lock);
	sort(q->known, q->nr, sizeof(*q->known), kpl_cmp_ptr, NULL);
	kvfree(works);
	return n;

err_works:
	for (i = 0; i < n; i++)
		kfree(works[i]);
	kvfree(works);
err_tasks:
	for (i = 0; i < n; i++)
		put_task_struct(batch[i]);
	return ret;
}

/* Queue work on every thread not seen yet.  Return how many were new. */
static int kpl_quiesce_collect(struct kpl_quiesce *q,
			       struct task_struct *leader)
{
	struct task_struct **batch, *t;
	unsigned int n, room;
	int added = 0, ret;
	bool more;

	do {
		/* A thread cloned meanwhile only costs one more round. */
		room = READ_ONCE(leader->signal->nr_threads) + 8;
		room = min_t(unsigned int, room, KPL_THREADS_MAX + 1);
		batch = kvcalloc(room, sizeof(*batch), GFP_KERNEL);
		if (!batch)
			return -ENOMEM;
		n = 0;
		more = false;
		rcu_read_lock();
		for_each_thread(leader, t) {
			/* io_uring workers and exiting threads run no user
			 * code; kernel threads are never in a user group. */
			if (t->flags & (PF_KTHREAD | PF_IO_WORKER | PF_EXITING))
				continue;
			if (kpl_known(q, t))
				continue;
			if (n == room) {
				more = true;
				break;
			}
			get_task_struct(t);
			batch[n++] = t;
		}
		rcu_read_unlock();
		ret = n ? kpl_quiesce_add(q, batch, n) : 0;
		kvfree(batch);
		if (ret < 0)
			return ret;
		added += ret;
	} while (more);
	return added;
}

/*
 * Is @t, seen off-CPU, inside fork, vfork, clone or clone3?  Such a call
 * can still add a thread, or a vfork child running on this very memory,
 * so its caller only counts once parked.  An exception's error code can
 * look like one of these numbers: that only delays the stop a little.
 */
static bool kpl_in_fork(struct task_struct *t)
{
	long nr = task_pt_regs(t)->orig_ax;

	if (task_thread_info(t)->status & TS_COMPAT)
		return nr == __NR_ia32_fork || nr == __NR_ia32_vfork ||
		       nr == __NR_ia32_clone || nr == __NR_ia32_clone3;
	nr &= ~(long)__X32_SYSCALL_BIT;
	return nr == __NR_fork || nr == __NR_vfork || nr == __NR_clone ||
	       nr == __NR_clone3;
}

/* Look at every thread not known to be quiescent.  True if all are. */
static bool kpl_quiesce_check(struct kpl_quiesce *q)
{
	bool all = true;
	unsigned int i;

	/*
	 * Pairs with the full barrier the scheduler has between setting
	 * ->on_cpu and the thread reading its TIF flags on the way out: if
	 * we see on_cpu == 0 after queueing (task_work_add() is a full
	 * barrier), the thread will see TIF_NOTIFY_RESUME.
	 */
	smp_mb();
	spin_lock(&q->lock);
	for (i = 0; i < q->nr; i++) {
		struct kpl_qthread *r = &q->thr[i];
		struct task_struct *t = r->task;

		if (r->quiet)
			continue;
		if (r->flags & KPL_THREAD_PARKED) {
			r->quiet = true;
			continue;
		}
		if (READ_ONCE(t->on_cpu)) {
			all = false;
			continue;
		}
		/* task_lock: a thread whose ->mm is still ours has not got
		 * past exit_mm(), so its stack (and pt_regs) still exist. */
		task_lock(t);
		if (t->mm != q->mm) {
			r->quiet = true;
			r->gone = true;
		} else if (kpl_in_fork(t)) {
			all = false;
		} else {
			r->quiet = true;
			r->flags |= KPL_THREAD_OFFCPU;
		}
		task_unlock(t);
	}
	spin_unlock(&q->lock);
	return all;
}

/* Wait until every known thread is quiescent, or the deadline. */
static int kpl_quiesce_wait(struct kpl_quiesce *q, ktime_t deadline)
{
	u64 poll_ns = 20 * NSEC_PER_USEC;

	for (;;) {
		unsigned int parks = READ_ONCE(q->parks);
		long ret;

		if (kpl_quiesce_check(q))
			return 0;
		if (ktime_after(ktime_get(), deadline))
			return -EBUSY;
		/* Parking threads wake us; threads that go off-CPU don't,
		 * hence the poll, backing off to a millisecond. */
		ret = wait_event_interruptible_hrtimeout(
			q->stop_wq, READ_ONCE(q->parks) != parks,
			ns_to_ktime(poll_ns));
		if (ret == -ERESTARTSYS)
			return -EINTR;
		poll_ns = min_t(u64, 2 * poll_ns, NSEC_PER_MSEC);
	}
}

/**
 * kpl_quiesce_start() - stop every thread of a process
 * @leader:     its thread group leader (a zombie leader will do)
 * @mm:	        its address space; threads not on it are not held
 * @timeout_ms: give up after this long
 * @out:        the stop, on success
 *
 * Queue the work on every thread, wait until each is quiescent, then
 * list the threads again: one that was cloned meanwhile gets its work
 * and another wait, until a pass finds no new thread.  Runs in the
 * caller's context; interruptible by signals.
 *
 * Return: 0 and the stop in *@out (release it with kpl_quiesce_release()),
 * or -EBUSY (not quiescent in time), -EINTR (signal), -ESRCH (no thread
 * left), -E2BIG (more than KPL_THREADS_MAX threads), -ENOMEM.  On error
 * every thread has been released.
 */
int kpl_quiesce_start(struct task_struct *leader, struct mm_struct *mm,
		      unsigned int timeout_ms, struct kpl_quiesce **out)
{
	ktime_t deadline = ktime_add_ms(ktime_get(), timeout_ms);
	struct kpl_quiesce *q;
	unsigned int i;
	int added, ret;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	refcount_set(&q->ref, 1);
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->park_wq);
	init_waitqueue_head(&q->stop_wq);
	q->mm = mm;
	__module_get(THIS_MODULE);

	do {
		added = kpl_quiesce_collect(q, leader);
		if (added < 0) {
			ret = added;
			goto err_release;
		}
		ret = kpl_quiesce_wait(q, deadline);
		if (ret)
			goto err_release;
	} while (added);

	ret = -ESRCH;
	for (i = 0; i < q->nr; i++)
		if (!q->thr[i].gone)
			ret = 0;
	if (ret)
		goto err_release;
	q->quiesce_ns = ktime_get_ns() - q->stop_ns;
	*out = q;
	return 0;

err_release:
	kpl_quiesce_release(q);
	return ret;
}

/**
 * kpl_quiesce_release() - let every thread of a stop run again
 * @q: the stop; freed by this call or by the last late work item
 *
 * Parked threads wake, serialise their core and return to user mode;
 * threads that were only seen off-CPU do the same whenever they get
 * there.  Safe at any point after kpl_quiesce_start() allocated @q,
 * whatever the threads did meanwhile (exited, were killed, exec'd).
 */
void kpl_quiesce_release(struct kpl_quiesce *q)
{
	unsigned int i;

	spin_lock(&q->lock);
	q->released = true;
	spin_unlock(&q->lock);
	wake_up_all(&q->park_wq);

	/* No work item looks at @thr once @released is set. */
	for (i = 0; i < q->nr; i++)
		put_task_struct(q->thr[i].task);
	kvfree(q->thr);
	kvfree(q->known);
	q->thr = NULL;
	q->known = NULL;
	q->nr = 0;
	kpl_quiesce_put(q);
}
