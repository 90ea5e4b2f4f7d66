/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-lite: declarations shared by the module's files.
 *
 *   main.c     the misc device, sessions, ioctl dispatch, the hold timer
 *   target.c   attaching to a process, the refusals, its address space
 *   quiesce.c  stopping every thread with task work, and releasing them
 *   held.c     describing the held threads; running requests in one
 *   mem.c      reading, writing and mapping in the target
 */
#ifndef _KPATCH_LITE_KPL_H
#define _KPATCH_LITE_KPL_H

#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <uapi/linux/kpatch_lite.h>

struct kpl_quiesce;
struct mm_struct;
struct pid;
struct task_struct;

/**
 * struct kpl_session - the state of one open /dev/kpatch_lite
 * @lock:      serialises every request on this file, and the hold timer
 * @pid:       the attached process (its thread group), or NULL
 * @mm:        its address space at attach time (mmgrab'ed): requests act
 *	       on it while it has users, then fail with -ESRCH, so an exec
 *	       cannot redirect them to the new program
 * @q:	       the stop in progress, or NULL
 * @hold_until: when the hold timer may release @q; a late run of the
 *	       timer for an earlier stop sees a later deadline
 * @expired:   the hold timer released @q; requests fail until RESUME
 * @hold_work: releases a stop that outlived its hold_ms
 */
struct kpl_session {
	struct mutex lock;
	struct pid *pid;
	struct mm_struct *mm;
	struct kpl_quiesce *q;
	ktime_t hold_until;
	bool expired;
	struct delayed_work hold_work;
};

/* target.c */
int kpl_target_attach(struct kpl_session *s, const struct kpl_attach *a);
void kpl_target_detach(struct kpl_session *s);
struct task_struct *kpl_target_leader(struct kpl_session *s);
int kpl_target_check_caller(struct kpl_session *s);

/* quiesce.c */
int kpl_quiesce_start(struct task_struct *leader, struct mm_struct *mm,
		      unsigned int timeout_ms, struct kpl_quiesce **out);
void kpl_quiesce_release(struct kpl_quiesce *q);
unsigned int kpl_quiesce_regs(struct kpl_quiesce *q,
			      struct kpl_thread_regs *out, unsigned int max);
int kpl_quiesce_run(struct kpl_quiesce *q, long (*fn)(void *), void *arg,
		    long *ret);
void kpl_quiesce_times(const struct kpl_quiesce *q, u64 *stop_ns,
		       u64 *quiesce_ns);

/* mem.c */
int kpl_mem_read(struct kpl_session *s, const struct kpl_mem *req);
int kpl_mem_write(struct kpl_session *s, const struct kpl_mem *req);
int kpl_mem_map(struct kpl_session *s, const struct kpl_map *req);
int kpl_mem_protect(struct kpl_session *s, const struct kpl_range *req);
int kpl_mem_unmap(struct kpl_session *s, const struct kpl_range *req);

#endif /* _KPATCH_LITE_KPL_H */
