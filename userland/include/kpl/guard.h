/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Guards: holding the processes that have not been patched yet, with the
 * kernel module (kpatch_lite.ko, ABI 2.1 and later; docs/kmod.md).
 *
 * A guard breaks on the entry of each old function of one patch, in the
 * library file, so it covers every process that maps the library, now
 * or later.  A thread of a process that has the patch goes on in the new
 * function; a thread of one that has not is held at the entry, before
 * the old function's first instruction, and reported: the caller
 * patches that process (kpl_fleet__apply(), which takes the kmod
 * backend: only it can stop a process with a thread held in the module)
 * and the thread goes on in the new function.  A guard is not bound to
 * the handle that added it: it lives until it is deleted.
 *
 *	struct kpl_guards *g;
 *	struct kpl_guard_event ev[16];
 *	uint32_t id;
 *	int n;
 *
 *	kpl_guards__open(&g);
 *	kpl_guards__add(g, patch, "/usr/lib/libfoo.so.1", NULL, &id);
 *	// poll(kpl_guards__fd(g), POLLIN), then:
 *	n = kpl_guards__read(g, ev, 16);	// patch ev[i].pid on a HOLD
 *	...
 *	kpl_guards__del(g, id);
 *	kpl_guards__close(g);
 */
#ifndef KPL_GUARD_H
#define KPL_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kpl/format.h"

struct kpl_patch;
struct kpl_guards;

/*
 * kpl_guards__open() - open the module's device for guards and events.
 * Return: 0 and *@out (close with kpl_guards__close()); -ENOENT when the
 * module is not loaded; -EOPNOTSUPP when it has no guards (another ABI
 * major, or a 2.0 module: logged); -errno (-EACCES: not root).
 */
int kpl_guards__open(struct kpl_guards **out);

/* kpl_guards__close() - close the handle; its guards stay.  NULL is fine. */
void kpl_guards__close(struct kpl_guards *g);

/* The module's ABI version: major << 16 | minor. */
uint32_t kpl_guards__abi_version(const struct kpl_guards *g);

/* A descriptor that polls readable (POLLIN) when events wait. */
int kpl_guards__fd(const struct kpl_guards *g);

struct kpl_guard_opts {
	size_t sz;		/* sizeof(struct kpl_guard_opts) */
	/* Longest hold of a thread, in ms; 0: the module's default (10 s). */
	unsigned int hold_ms;
	/* Past hold_ms: kill the process (default: let it run the old
	 * function, reported as KPL_GUARD_REL_ALLOWED). */
	bool kill_on_timeout;
};

/*
 * kpl_guards__add() - guard the entries of @patch's old functions in the
 * library file @path: a thread of a process without the patch is held.
 * The functions are found in @path's symbols as kpl_target__apply()
 * finds them (kpl_patch__func_old() and kpl_patch__func_file()), and
 * each function's index in @patch is the event's @func.
 * @opts: NULL for the defaults
 * @id:   on success the guard's id, never 0
 * Return: 0; -KPL_E_SYMBOL / -ENOTUNIQ / -KPL_E_RANGE when an old
 * function cannot be placed in @path (logged); -EINVAL when the patch
 * has more functions than a guard takes (64) or @opts is bad; -EEXIST
 * when an entry has another guard already (kpl_guards__find() tells
 * whether it is this patch's); -EOPNOTSUPP when an entry does not start
 * with endbr64; -ENOSPC when the module has all the guards it takes;
 * -errno.  All or nothing: on error no breakpoint stays.
 */
int kpl_guards__add(struct kpl_guards *g, const struct kpl_patch *patch,
		    const char *path, const struct kpl_guard_opts *opts,
		    uint32_t *id);

/*
 * kpl_guards__find() - the module's guard for patch @patch_id, whoever
 * added it (a caller that was killed leaves its guards).
 * Return: 0 and *@id, -ENOENT when there is none, -errno.
 */
int kpl_guards__find(const struct kpl_guards *g, const char *patch_id,
		     uint32_t *id);

/*
 * kpl_guards__del() - delete guard @id: held threads go on as if there
 * had been no guard (KPL_GUARD_REL_DELETED) and its breakpoints leave
 * every process.  Return: 0, -ENOENT when there is no such guard, -errno.
 */
int kpl_guards__del(struct kpl_guards *g, uint32_t id);

/* What happened (struct kpl_guard_event.type). */
enum kpl_guard_event_type {
	KPL_GUARD_EV_HOLD = 1,	/* a thread of an unpatched process held */
	KPL_GUARD_EV_RELEASE,	/* a held thread let go: see @reason */
	KPL_GUARD_EV_ALLOW,	/* an unpatched process ran the function */
	KPL_GUARD_EV_KILL,	/* an unpatched process killed */
	KPL_GUARD_EV_PATCHED,	/* a patched process entered the function */
};

/* Why a held thread was let go (KPL_GUARD_EV_RELEASE). */
enum kpl_guard_release {
	KPL_GUARD_REL_PATCHED = 1,	/* goes on in the new function */
	KPL_GUARD_REL_ALLOWED,		/* held too long: ran the old one */
	KPL_GUARD_REL_KILLED,		/* held too long: killed */
	KPL_GUARD_REL_DELETED,		/* the guard was deleted */
	KPL_GUARD_REL_DIED,		/* the process died while held */
};

struct kpl_guard_event {
	uint32_t type;		/* enum kpl_guard_event_type; others: skip */
	uint32_t reason;	/* enum kpl_guard_release, or 0 */
	pid_t pid;		/* in the caller's pid namespace; 0: not in it */
	pid_t tid;
	uint32_t guard;		/* the guard's id */
	uint32_t func;		/* the function's index in the patch */
	uint64_t addr;		/* its entry in that process */
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	uint32_t lost;		/* events missed just before this one */
	char patch_id[KPL_ID_MAX + 1];
};

/*
 * kpl_guards__read() - the events that happened since the handle was
 * opened and were not read yet, without blocking.
 * Return: the number written to @ev (at most @max; 0 when none wait), or
 * -errno.
 */
int kpl_guards__read(struct kpl_guards *g, struct kpl_guard_event *ev,
		     size_t max);

#endif
