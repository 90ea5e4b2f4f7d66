// SPDX-License-Identifier: GPL-2.0
/*
 * Holding new processes with the kernel module: when /dev/kpatch_lite
 * is there (ABI 2.1, guards), kpld asks it to guard the entry of every
 * old function of an installed patch, in the library file, instead of
 * holding at DT_INIT with BPF (hold.c).  A thread of a process that has
 * not been patched is held at the entry, before the old function's
 * first instruction; the module reports it (KPL_GUARD_EV_HOLD), kpld
 * patches that process (the kmod backend, the only one that can stop a
 * process with a thread held in the module) and the thread goes on in
 * the new function.  kpld asks through libkpl's <kpl/guard.h>: the
 * module's ABI is libkpl's business.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpl/fleet.h"
#include "kpl/guard.h"
#include "kpl/kpl.h"
#include "kpld.h"

/* A held process waits this long for kpld, then runs the old code. */
#define GUARD_HOLD_MS 10000

static struct guard {
	char id[KPL_ID_MAX + 1];
	char path[512];
	uint32_t gid;	/* 0: the module refused it */
	int err;
} *guards;
static size_t nr_guards;
static struct kpl_guards *dev;

int kpld_guard_open(void)
{
	uint32_t abi;
	int err;

	err = kpl_guards__open(&dev);
	if (err == -EOPNOTSUPP)
		fprintf(stderr, "kpld: the module has no guards; holding new "
			"processes with BPF\n");
	if (err)
		return err;
	abi = kpl_guards__abi_version(dev);
	fprintf(stderr, "kpld: holding new processes with the module's "
		"guards (ABI %u.%u)\n", abi >> 16, abi & 0xffff);
	return kpl_guards__fd(dev);
}

bool kpld_guard_enabled(void)
{
	return dev != NULL;
}

int kpld_guard_learn(struct kpld *d, struct kpld_patch *p, const char *path)
{
	struct kpl_guard_opts o = { .sz = sizeof(o), .hold_ms = GUARD_HOLD_MS };
	uint32_t id = 0;
	struct guard *g;
	char detail[700];
	size_t i;
	int err;

	if (!dev)
		return -ENODEV;
	for (i = 0; i < nr_guards; i++)
		if (!strcmp(guards[i].id, p->id))
			return strcmp(guards[i].path, path) ? -EEXIST
							    : guards[i].err;
	if (!p->kp)
		return -EINVAL;
	g = realloc(guards, (nr_guards + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	guards = g;
	g = &guards[nr_guards];
	err = kpl_guards__add(dev, p->kp, path, &o, &id);
	if (err == -EEXIST && !kpl_guards__find(dev, p->id, &id))
		err = 0;	/* ours, from a kpld that was killed */
	/* Remembered either way: a refusal is not retried every rescan. */
	snprintf(g->id, sizeof(g->id), "%s", p->id);
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->gid = err ? 0 : id;
	g->err = err;
	nr_guards++;
	if (err) {
		snprintf(detail, sizeof(detail), "no guard on %s (%s): holding "
			 "with BPF", path, kpl_strerror(err));
		kpld_journal_event(d, p->id, "guard", detail);
		fprintf(stderr, "kpld: %s: %s\n", p->id, kpld_esc(detail));
		return err;
	}
	snprintf(detail, sizeof(detail),
		 "guard %u on %s: %zu function(s), hold up to %u ms", id, path,
		 kpl_patch__nr_funcs(p->kp), GUARD_HOLD_MS);
	kpld_journal_event(d, p->id, "guard", detail);
	fprintf(stderr, "kpld: %s: %s\n", p->id, kpld_esc(detail));
	return 0;
}

static void del(size_t i)
{
	int err = guards[i].gid ? kpl_guards__del(dev, guards[i].gid) : 0;

	if (err && err != -ENOENT)
		fprintf(stderr, "kpld: %s: deleting guard %u: %s\n",
			guards[i].id, guards[i].gid, kpl_strerror(err));
	guards[i] = guards[--nr_guards];
}

void kpld_guard_forget(struct kpld *d, struct kpld_patch *p)
{
	char detail[64];
	size_t i;

	for (i = 0; dev && i < nr_guards; i++) {
		if (strcmp(guards[i].id, p->id))
			continue;
		snprintf(detail, sizeof(detail), "guard %u deleted",
			 guards[i].gid);
		if (guards[i].gid)
			kpld_journal_event(d, p->id, "guard", detail);
		del(i);
		return;
	}
}

void kpld_guard_close(void)
{
	while (dev && nr_guards)
		del(0);
	kpl_guards__close(dev);
	dev = NULL;
}

static void on_hold(struct kpld *d, const struct kpl_guard_event *ev)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = 1 };
	struct kpl_fleet_result *res = NULL;
	struct kpld_patch *p = kpld_find(d, ev->patch_id);
	const char *func;
	pid_t pid = ev->pid;
	char detail[700];
	int err;

	if (!p || p->state != KPLD_INSTALLED || !p->kp || pid <= 0 ||
	    !kpld_takes(d, pid))
		return;
	err = kpl_fleet__apply(p->kp, &pid, 1, &fo, &res);
	if (res)
		err = res[0].err;
	kpld_note_pause(d, res, 1);
	free(res);
	/* Another thread's hold, the install or the rescan came first. */
	if (err == -KPL_E_APPLIED)
		return;
	d->holds++;
	func = kpl_patch__func_old(p->kp, ev->func);
	snprintf(detail, sizeof(detail),
		 "pid %d held by guard %u at %s's entry (0x%" PRIx64 "): "
		 "%s in %.1f ms", pid, ev->guard,
		 func ? func : "?",
		 (uint64_t)ev->addr, err ? kpl_strerror(err) : "patched",
		 (kpld_mono_ns() - ev->time_ns) / 1e6);
	kpld_journal_event(d, p->id, "hold", detail);
	fprintf(stderr, "kpld: %s: %s\n", p->id, detail);
	kpld_note_all();
}

void kpld_guard_read(struct kpld *d, int fd)
{
	static const char *const why[] = {
		[KPL_GUARD_REL_ALLOWED] = "held too long: ran the old function",
		[KPL_GUARD_REL_KILLED] = "held too long: killed",
		[KPL_GUARD_REL_DIED] = "died while held",
	};
	struct kpl_guard_event ev[16];
	char detail[160];
	int n, i;

	(void)fd;	/* kpl_guards__fd(dev), polled by main */
	while (dev && (n = kpl_guards__read(dev, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].lost)
				fprintf(stderr, "kpld: guard events lost: %u\n",
					ev[i].lost);
			if (ev[i].type == KPL_GUARD_EV_HOLD) {
				on_hold(d, &ev[i]);
			} else if ((ev[i].type == KPL_GUARD_EV_RELEASE &&
				    ev[i].reason < sizeof(why) / sizeof(*why) &&
				    why[ev[i].reason]) ||
				   ev[i].type == KPL_GUARD_EV_ALLOW ||
				   ev[i].type == KPL_GUARD_EV_KILL) {
				snprintf(detail, sizeof(detail),
					 "pid %d, guard %u: %s", ev[i].pid,
					 ev[i].guard,
					 ev[i].type == KPL_GUARD_EV_RELEASE ?
						 why[ev[i].reason] :
					 ev[i].type == KPL_GUARD_EV_ALLOW ?
						 "ran the old function" :
						 "killed");
				kpld_journal_event(d, ev[i].patch_id, "guard",
						   detail);
				fprintf(stderr, "kpld: %s: %s\n",
					ev[i].patch_id, detail);
			}
		}
	}
}
