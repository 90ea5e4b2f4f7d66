/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-lite: the state of one stop, shared by quiesce.c (stopping and
 * releasing) and held.c (what can be done with held threads).
 */
#ifndef _KPATCH_LITE_QUIESCE_H
#define _KPATCH_LITE_QUIESCE_H

#include <linux/completion.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct mm_struct;
struct task_struct;

/* One thread of the stopped process, owned by the stopper. */
struct kpl_qthread {
	struct task_struct *task; /* referenced */
	u32 flags; /* KPL_THREAD_*, under q->lock */
	bool quiet; /* runs no user code until release */
	bool gone; /* exiting: nothing to report */
};

/* A request run by a parked thread in its own context. */
struct kpl_qreq {
	struct task_struct *task; /* the thread asked to run it */
	long (*fn)(void *arg);
	void *arg;
	long ret;
	bool taken; /* under q->lock */
	bool died; /* @task was killed instead */
	struct completion done;
};

/**
 * struct kpl_quiesce - one stop of one process
 * @ref:	the stopper's reference plus one per queued work item
 * @lock:	@released, @thr (pointer and flags), @parks, @req
 * @released:	the stop is over: work items leave, or never park
 * @mm:		the address space being held (compared, not referenced)
 * @park_wq:	parked threads wait here for release or a request
 * @stop_wq:	the stopper waits here for threads to park
 * @parks:	how many times a thread parked, so the stopper sees progress
 * @thr:	the threads found so far
 * @known:	their task pointers, sorted, to spot new threads quickly
 * @nr:		entries used in @thr and @known
 * @cap:	entries allocated
 * @req:	the request handed to a parked thread, or NULL
 * @stop_ns:	CLOCK_MONOTONIC when the first work item was queued
 * @quiesce_ns: how long until every thread was quiescent
 */
struct kpl_quiesce {
	refcount_t ref;
	spinlock_t lock;
	bool released;
	struct mm_struct *mm;
	wait_queue_head_t park_wq;
	wait_queue_head_t stop_wq;
	unsigned int parks;
	struct kpl_qthread *thr;
	struct task_struct **known;
	unsigned int nr, cap;
	struct kpl_qreq *req;
	u64 stop_ns;
	u64 quiesce_ns;
};

#endif /* _KPATCH_LITE_QUIESCE_H */
