// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: what can be done with the threads of a stop while they
 * are held: describe them (their user registers), and have a parked one
 * run a request in its own context, where current->mm is the target's.
 *
 * A held thread may still die (SIGKILL ends a parked wait; a thread
 * seen off-CPU may have been woken by one): its kernel stack, and the
 * user registers at its top, go when it gets past exit_mm().  So its
 * registers are read under task_lock() and only while ->mm is still the
 * target's, which exit_mm() clears under that same lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/spinlock.h>

#include "kpl.h"
#include "quiesce.h"

/**
 * kpl_quiesce_regs() - describe the stopped threads
 * @q:   a stop that kpl_quiesce_start() returned, not released
 * @out: room for @max entries, or NULL to count only
 * @max: entries in @out
 *
 * Return: how many threads there are to describe (may exceed @max; only
 * @max are written).  A thread that died since it was held is left out.
 */
unsigned int kpl_quiesce_regs(struct kpl_quiesce *q,
			      struct kpl_thread_regs *out, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < q->nr; i++) {
		struct kpl_qthread *r = &q->thr[i];
		struct task_struct *t = r->task;
		struct kpl_thread_regs *o;
		struct pt_regs *pt;

		if (r->gone)
			continue;
		task_lock(t);
		if (t->mm != q->mm) {
			task_unlock(t);
			continue;
		}
		if (!out || n >= max) {
			task_unlock(t);
			n++;
			continue;
		}
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		pt = task_pt_regs(t);
		o->tid = task_pid_vnr(t);
		o->flags = READ_ONCE(r->flags);
		/* The held list has its own lock, taken inside task_lock. */
		if (kpl_guard_task_held(t, NULL))
			o->flags |= KPL_THREAD_GUARDED;
		o->regs[KPL_REG_R15] = pt->r15;
		o->regs[KPL_REG_R14] = pt->r14;
		o->regs[KPL_REG_R13] = pt->r13;
		o->regs[KPL_REG_R12] = pt->r12;
		o->regs[KPL_REG_RBP] = pt->bp;
		o->regs[KPL_REG_RBX] = pt->bx;
		o->regs[KPL_REG_R11] = pt->r11;
		o->regs[KPL_REG_R10] = pt->r10;
		o->regs[KPL_REG_R9] = pt->r9;
		o->regs[KPL_REG_R8] = pt->r8;
		o->regs[KPL_REG_RAX] = pt->ax;
		o->regs[KPL_REG_RCX] = pt->cx;
		o->regs[KPL_REG_RDX] = pt->dx;
		o->regs[KPL_REG_RSI] = pt->si;
		o->regs[KPL_REG_RDI] = pt->di;
		o->regs[KPL_REG_ORIG_RAX] = pt->orig_ax;
		o->regs[KPL_REG_RIP] = pt->ip;
		o->regs[KPL_REG_CS] = pt->cs;
		o->regs[KPL_REG_EFLAGS] = pt->flags;
		o->regs[KPL_REG_RSP] = pt->sp;
		o->regs[KPL_REG_SS] = pt->ss;
		/* Saved at the last switch-out: current for a sleeper. */
		o->regs[KPL_REG_FS_BASE] = t->thread.fsbase;
		o->regs[KPL_REG_GS_BASE] = t->thread.gsbase;
		o->regs[KPL_REG_DS] = t->thread.ds;
		o->regs[KPL_REG_ES] = t->thread.es;
		o->regs[KPL_REG_FS] = t->thread.fsindex;
		o->regs[KPL_REG_GS] = t->thread.gsindex;
		task_unlock(t);
		o->ip = o->regs[KPL_REG_RIP];
		o->sp = o->regs[KPL_REG_RSP];
		o->bp = o->regs[KPL_REG_RBP];
	}
	return n;
}

/**
 * kpl_quiesce_run() - run @fn in the context of a parked thread
 * @q:   a stop that kpl_quiesce_start() returned, not released
 * @fn:  what to run; current->mm is the target's there
 * @arg: its argument
 * @ret: @fn's return value, on success
 *
 * Waits for @fn uninterruptibly: a parked thread takes a request at once
 * and @fn only does bounded work.
 *
 * Return: 0, or -ENOENT when no thread is parked (all of them sit in the
 * kernel, off-CPU): the caller must find another way.
 */
int kpl_quiesce_run(struct kpl_quiesce *q, long (*fn)(void *), void *arg,
		    long *ret)
{
	struct kpl_qreq req = { .fn = fn, .arg = arg };
	unsigned int i;

	for (;;) {
		init_completion(&req.done);
		req.taken = false;
		req.died = false;
		spin_lock(&q->lock);
		for (i = 0; i < q->nr; i++)
			if (q->thr[i].flags & KPL_THREAD_PARKED)
				break;
		if (i == q->nr) {
			spin_unlock(&q->lock);
			return -ENOENT;
		}
		req.task = q->thr[i].task;
		q->req = &req;
		spin_unlock(&q->lock);

		wake_up_process(req.task);
		wait_for_completion(&req.done);

		spin_lock(&q->lock);
		q->req = NULL;
		spin_unlock(&q->lock);
		/* Killed before it took the request: it unparked, retry. */
		if (!req.died)
			break;
	}
	*ret = req.ret;
	return 0;
}

/**
 * kpl_quiesce_times() - when a stop began and how long quiescing took
 * @q:		 a stop that kpl_quiesce_start() returned
 * @stop_ns:	 CLOCK_MONOTONIC when the first work item was queued
 * @quiesce_ns: from then until every thread was quiescent
 */
void kpl_quiesce_times(const struct kpl_quiesce *q, u64 *stop_ns,
		       u64 *quiesce_ns)
{
	*stop_ns = q->stop_ns;
	*quiesce_ns = q->quiesce_ns;
}
