/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-lite: the guards, shared by guard.c (adding, removing, the
 * uprobe handler), guard_hold.c (the policies) and guard_status.c
 * (what sysfs shows of them).
 */
#ifndef _KPATCH_LITE_GUARD_H
#define _KPATCH_LITE_GUARD_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/uprobes.h>

#include "kpl.h"

struct kpl_guard;

/* One guarded entry: its own consumer, so the handler knows which. */
struct kpl_guard_func {
	struct uprobe_consumer uc;
	struct kpl_guard *g;
	loff_t offset;
	unsigned int idx;
	bool registered;
	atomic64_t hits;
};

/**
 * struct kpl_guard - one KPL_IOC_GUARD_ADD
 * @node:	    in kpl_guards, under kpl_guard_mutex
 * @id:		    what userland names it by
 * @policy:	    KPL_GUARD_* for unpatched processes
 * @hold_ms:	    HOLD: longest hold
 * @timeout_policy: HOLD: what happens after @hold_ms
 * @patch_id:	    the patch whose record marks a process patched
 * @path:	    the library (referenced: keeps the inode the probes use)
 * @inode:	    its inode, as uprobes name it
 * @dying:	    being deleted: held threads leave, new ones pass
 * @held:	    threads held now
 * @patched:	    traps in patched processes (sent to the new function)
 * @holds, @allows, @kills, @timeouts: what the policy did
 * @nr_funcs:	    entries in @funcs
 *
 * Handlers use a guard without a reference: uprobe_unregister() returns
 * only once no handler of that consumer runs, so a guard is freed after
 * all its funcs are unregistered.
 */
struct kpl_guard {
	struct list_head node;
	u32 id;
	u32 policy;
	u32 hold_ms;
	u32 timeout_policy;
	char patch_id[KPL_PATCH_ID_MAX + 8];
	struct path path;
	struct inode *inode;
	bool dying;
	atomic_t held;
	atomic64_t patched;
	atomic64_t holds;
	atomic64_t allows;
	atomic64_t kills;
	atomic64_t timeouts;
	unsigned int nr_funcs;
	struct kpl_guard_func funcs[];
};

/* Guards by id; the handler never takes the mutex (see guard.c). */
extern struct mutex kpl_guard_mutex;
extern struct list_head kpl_guards;

/* guard_hold.c */
int kpl_guard_policy(struct kpl_guard_func *f, struct pt_regs *regs,
		     unsigned long entry);
unsigned int kpl_guard_held_in(pid_t tgid, const struct kpl_guard *g);

/* guard_status.c */
s64 kpl_guard_hits(struct kpl_guard *g);

#endif /* _KPATCH_LITE_GUARD_H */
