// SPDX-License-Identifier: GPL-2.0
/*
 * The patch store and each patch's lifecycle.  Transitions are a table:
 * anything not in it is refused, and every accepted one is journaled
 * before the daemon acts on it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

/* allowed[from] has bit (1 << to) set when from -> to is a transition. */
#define B(s) (1u << (s))
static const unsigned int allowed[KPLD_NR_STATES] = {
	[KPLD_AVAILABLE] = B(KPLD_INSTALLED) | B(KPLD_INVALID),
	[KPLD_INSTALLED] = B(KPLD_REVERTED) | B(KPLD_QUARANTINED) |
			   B(KPLD_SUPERSEDED) | B(KPLD_AVAILABLE),
	[KPLD_REVERTED] = B(KPLD_INSTALLED) | B(KPLD_AVAILABLE),
	[KPLD_QUARANTINED] = B(KPLD_AVAILABLE),
	[KPLD_SUPERSEDED] = B(KPLD_REVERTED) | B(KPLD_QUARANTINED),
	[KPLD_INVALID] = B(KPLD_AVAILABLE),
};

int kpld_transition(struct kpld *d, struct kpld_patch *p, enum kpld_state to,
		    const char *reason)
{
	struct kpld_patch from;
	int err;

	if (p->state != to && !(allowed[p->state] & B(to))) {
		fprintf(stderr, "kpld: %s: no transition from %s to %s\n",
			p->id, kpld_state_name(p->state), kpld_state_name(to));
		return -EINVAL;
	}
	from = *p;
	p->prev = p->state;
	p->state = to;
	p->since_ns = kpld_realtime_ns();
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	/* Journaled first: a transition that is not on disk does not
	 * happen, or a restart would undo or miss what was done. */
	err = kpld_journal_state(d, p);
	if (err) {
		fprintf(stderr, "kpld: %s: not moving to %s: the journal write "
			"failed: %s\n", p->id, kpld_state_name(to),
			strerror(-err));
		p->state = from.state;
		p->prev = from.prev;
		p->since_ns = from.since_ns;
		memcpy(p->reason, from.reason, sizeof(p->reason));
		return err;
	}
	if (to == KPLD_QUARANTINED)
		d->quarantines++;
	/* Revert, quarantine, superseded: nothing left to hold for. */
	if (p->prev == KPLD_INSTALLED && to != KPLD_INSTALLED)
		kpld_guard_forget(d, p);
	fprintf(stderr, "kpld: %s v%u -> %s (%s)\n", p->id, p->version,
		kpld_state_name(to), reason);
	return 0;
}

int kpld_open_patch(struct kpld *d, const char *path, struct kpl_patch **out)
{
	struct kpl_verify_opts vo = { .sz = sizeof(vo) };
	int err;

	vo.keys_dir = d->cfg.keys;
	vo.allow_unsigned = d->cfg.allow_unsigned;
	vo.no_legacy_names = true;	/* kpld never looks them up */
	err = kpl_patch__open_verified(path, &vo, out);
	/* Refused at install, not once per process at every scan. */
	if (!err && (err = kpl_patch__check_unwind(*out))) {
		kpl_patch__free(*out);
		*out = NULL;
	}
	return err;
}

static struct kpld_patch *add_patch(struct kpld *d, const char *id)
{
	struct kpld_patch *p;

	p = realloc(d->patches, (d->nr_patches + 1) * sizeof(*p));
	if (!p)
		return NULL;
	d->patches = p;
	p = &d->patches[d->nr_patches++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->state = KPLD_AVAILABLE;
	return p;
}

/* One file of the store: new, newer, or already known. */
static void store_file(struct kpld *d, const char *path)
{
	struct kpl_patch *kp = NULL;
	struct kpld_patch *p;
	char why[160];
	uint32_t old;
	int err;

	err = kpld_open_patch(d, path, &kp);
	if (err) {
		fprintf(stderr, "kpld: %s: %s\n", path, kpl_strerror(err));
		return;
	}
	p = kpld_find(d, kpl_patch__id(kp));
	if (!p) {
		p = add_patch(d, kpl_patch__id(kp));
		if (!p)
			goto out;
		p->version = kpl_patch__version(kp);
		p->since_ns = kpld_realtime_ns();
		snprintf(p->reason, sizeof(p->reason), "found in the store");
		kpld_journal_state(d, p);
	} else if (kpl_patch__version(kp) > p->version) {
		/* A newer version lifts a quarantine and replaces the old. */
		snprintf(why, sizeof(why), "version %u replaces %u",
			 kpl_patch__version(kp), p->version);
		if (p->state == KPLD_INSTALLED)
			err = kpld_revert(d, p, KPLD_AVAILABLE, why);
		else if (p->state != KPLD_AVAILABLE)
			err = kpld_transition(d, p, KPLD_AVAILABLE, why);
		/* Not journaled: the next store scan tries again. */
		if (err)
			goto out;
		old = p->version;
		p->version = kpl_patch__version(kp);
		if (kpld_journal_state(d, p)) {
			p->version = old;
			goto out;
		}
	}
	snprintf(p->path, sizeof(p->path), "%s", path);
	kpl_patch__free(p->kp);
	p->kp = kp;
	kp = NULL;
	p->present = true;
	if (d->auto_install && p->state == KPLD_AVAILABLE)
		kpld_install(d, p, "auto-install");
out:
	kpl_patch__free(kp);
}

int kpld_store_scan(struct kpld *d)
{
	struct dirent *de;
	char path[800];
	size_t i;
	DIR *dir;

	for (i = 0; i < d->nr_patches; i++) {
		d->patches[i].present = false;
		kpl_patch__free(d->patches[i].kp);
		d->patches[i].kp = NULL;
	}
	dir = opendir(d->cfg.store);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".kpl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->cfg.store, de->d_name);
		store_file(d, path);
	}
	closedir(dir);
	return 0;
}

static void report(struct kpld *d, struct kpld_patch *p, const char *what,
		   const struct kpl_fleet_result *res, size_t nr)
{
	char detail[400];
	size_t i, ok = 0, off = 0;

	for (i = 0; i < nr; i++)
		ok += !res[i].err;
	off = (size_t)snprintf(detail, sizeof(detail), "%zu of %zu processes",
			       ok, nr);
	for (i = 0; i < nr && off < sizeof(detail) - 40; i++)
		if (res[i].err)
			off += (size_t)snprintf(detail + off,
						sizeof(detail) - off,
						"; pid %d (%s): %s", res[i].pid,
						res[i].comm,
						kpl_strerror(res[i].err));
	kpld_journal_event(d, p->id, what, detail);
	fprintf(stderr, "kpld: %s %s: %s\n", what, p->id, detail);
	snprintf(p->last, sizeof(p->last), "%s: %s", what, detail);
}

int kpld_install(struct kpld *d, struct kpld_patch *p, const char *why)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = d->cfg.jobs };
	struct kpl_fleet_result *res = NULL;
	struct kpl_patch *kp = p->kp;
	pid_t *pids = NULL;
	size_t nr = 0;
	int err;

	if (!kp) {
		kpld_journal_event(d, p->id, "install", "not in the store");
		return -ENOENT;
	}
	err = kpld_transition(d, p, KPLD_INSTALLED, why);
	if (err)
		goto out;
	p->installed_mono_ns = kpld_mono_ns();
	err = kpl_fleet__find(kp, &pids, &nr);
	if (!err)
		kpld_filter(d, pids, &nr);
	if (!err && nr) {
		/* Hold the library's next users before patching these. */
		kpld_hold_learn(d, p, pids, nr);
		kpl_fleet__apply(kp, pids, nr, &fo, &res);
		kpld_note_pause(d, res, nr);
		kpld_note_all();
	}
	/* Even for no process: the report marks the transition done. */
	if (!err)
		report(d, p, "apply", res, nr);
out:
	free(res);
	free(pids);
	return err;
}

int kpld_revert(struct kpld *d, struct kpld_patch *p, enum kpld_state to,
		const char *why)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = d->cfg.jobs };
	struct kpl_fleet_result *res = NULL;
	pid_t *pids = NULL;
	size_t nr = 0;
	int err;

	err = kpld_transition(d, p, to, why);
	if (err)
		return err;
	err = kpl_fleet__find_applied(p->id, &pids, &nr);
	if (!err && nr)
		kpl_fleet__revert(p->id, pids, nr, &fo, &res);
	if (!err)
		report(d, p, "revert", res, nr);
	free(res);
	free(pids);
	return err;
}
