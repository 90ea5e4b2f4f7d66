/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-lite: declarations shared by the module's files.
 *
 *   main.c     the misc device, sessions, ioctl dispatch, the hold timer
 *   target.c   attaching to a process, the refusals, its address space
 *   quiesce.c  stopping every thread with task work, and releasing them
 *   held.c     describing the held threads; running requests in one
 *   mem.c      reading, writing and mapping in the target
 *   batch.c    verifying and writing many entries at once
 *   guard.c    guards: a uprobe on each old entry, for unpatched processes
 *   guard_hold.c  what a guard does with an unpatched process's thread
 *   guard_status.c  the guards and guarded processes as sysfs shows them
 *   record.c   reading the patch record libkpl leaves in a process
 *   event.c    the guards' events, read() from the device
 *   status.c   /sys/kernel/kpatch_lite: sessions, guards, processes
 *   stats.c    the module-wide counters, a leaf every file may call
 *
 * guard.h holds what only the guard files share, quiesce.h the stop's
 * own structures.
 */
#ifndef _KPATCH_LITE_KPL_H
#define _KPATCH_LITE_KPL_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <uapi/linux/kpatch_lite.h>

struct kpl_guard;
struct kpl_quiesce;
struct mm_struct;
struct vm_area_struct;
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
 * @node:      in the list of open sessions (status.c)
 * @ev_next:   number of the next event this file reads (event.c)
 * @stops, @writes, @maps: what this session did, for the status files
 */
struct kpl_session {
	struct mutex lock;
	struct pid *pid;
	struct mm_struct *mm;
	struct kpl_quiesce *q;
	ktime_t hold_until;
	bool expired;
	struct delayed_work hold_work;
	struct list_head node;
	u64 ev_next;
	u64 stops;
	u64 writes;
	u64 maps;
};

/* The module's counters (stats.c). */
enum kpl_stat {
	KPL_STAT_STOPS,
	KPL_STAT_STOP_FAILS,
	KPL_STAT_RESUMES,
	KPL_STAT_WRITES,
	KPL_STAT_MAPS,
	KPL_STAT_GUARD_HITS,
	KPL_STAT_EVENTS,
	KPL_STAT_NR
};

/* endbr64: guarded entries start with it; libkpl's jump comes after. */
#define KPL_ENDBR64_LEN 4
/* The bytes of a record's head the module reads: up to nr_funcs. */
#define KPL_REC_HEAD (KPL_REC_OFF_NR_FUNCS + 4)

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
size_t kpl_mm_read(struct mm_struct *mm, unsigned long addr, void *buf,
		   size_t len);
size_t kpl_mm_access_locked(struct mm_struct *mm, unsigned long addr, void *buf,
			    size_t len, bool write);

/* batch.c */
int kpl_batch_write(struct kpl_session *s, struct kpl_batch *req);

/* guard.c, guard_hold.c */
int kpl_guard_add(struct kpl_guard_add *req);
int kpl_guard_del(const struct kpl_guard_del *req);
unsigned int kpl_guard_nr(void);
void kpl_guard_kick(void);
bool kpl_guard_task_held(struct task_struct *t, const struct kpl_guard *g);
int kpl_guard_show(char *buf);
int kpl_guard_show_processes(char *buf);

/* record.c */
const char *kpl_record_vma_id(struct vm_area_struct *vma);
bool kpl_record_head_ok(const u8 *head, const char *id, u32 *phase);
int kpl_record_target(const char *id, unsigned long entry, unsigned long *ip);

/* event.c */
int kpl_event_init(void);
void kpl_event_exit(void);
void kpl_event_emit(u32 type, u32 reason, const struct kpl_guard *g,
		    unsigned int func, unsigned long addr);
u64 kpl_event_head(void);
ssize_t kpl_event_read(struct kpl_session *s, char __user *buf, size_t len,
		       bool nonblock);
__poll_t kpl_event_poll(struct kpl_session *s, struct file *file,
			poll_table *pt);

/* status.c */
int kpl_status_init(void);
void kpl_status_exit(void);
void kpl_status_add_session(struct kpl_session *s);
void kpl_status_del_session(struct kpl_session *s);

/* stats.c */
void kpl_stat_inc(enum kpl_stat stat);
int kpl_stats_show(char *buf, int len);

#endif /* _KPATCH_LITE_KPL_H */
