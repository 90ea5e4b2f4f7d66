// SPDX-License-Identifier: GPL-2.0
/*
 * Reconciliation at start: the journal says what kpld decided, the
 * processes say what is true.  A kpld killed between journaling a
 * transition and finishing it, or a journal lost or damaged, leaves the
 * two apart; this brings them together before kpld serves anyone.
 * What the processes contain is read from them (libkpl's fleet scan),
 * never assumed from the journal:
 *
 *   state        processes running it    action
 *   installed    some or none            cover the rest (kpld_cover_new)
 *   reverted     any                     revert it from them
 *   quarantined  any                     revert it from them
 *   available    any, and its revert     revert it from them
 *                was journaled but not
 *                reported done
 *   available    any, and the journal    adopt it: installed, then
 *                has no record of it     covered like any installed one
 *   superseded   any                     none: old processes keep it
 *
 * A patch that is available with no interrupted transition and is
 * running somewhere was applied by hand (`kpl apply`): kpld leaves it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

static void take_out(struct kpld *d, struct kpld_patch *p, const pid_t *pids,
		     size_t nr, const char *why)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = d->cfg.jobs };
	struct kpl_fleet_result *res = NULL;
	char detail[400];
	size_t i, ok = 0;

	kpl_fleet__revert(p->id, pids, nr, &fo, &res);
	for (i = 0; res && i < nr; i++)
		ok += !res[i].err;
	snprintf(detail, sizeof(detail),
		 "reconciled at start (%s): reverted "
		 "from %zu of the %zu processes still running it",
		 why, ok, nr);
	fprintf(stderr, "kpld: %s: %s\n", p->id, detail);
	for (i = 0; res && i < nr; i++)
		if (res[i].err)
			fprintf(stderr, "kpld: %s: pid %d: revert failed: %s\n",
				p->id, res[i].pid, kpl_strerror(res[i].err));
	kpld_journal_event(d, p->id, "revert", detail);
	snprintf(p->last, sizeof(p->last), "revert: %s", detail);
	free(res);
}

static void adopt(struct kpld *d, struct kpld_patch *p, size_t nr)
{
	char why[160];

	snprintf(why, sizeof(why),
		 "adopted at start: running in %zu "
		 "processes, and the journal has no record of it",
		 nr);
	if (kpld_transition(d, p, KPLD_INSTALLED, why))
		return;
	p->installed_mono_ns = kpld_mono_ns();
	kpld_journal_event(d, p->id, "apply", why);
	snprintf(p->last, sizeof(p->last), "apply: %s", why);
}

static void reconcile_one(struct kpld *d, struct kpld_patch *p)
{
	pid_t *pids = NULL;
	size_t nr = 0;
	int err;

	err = kpl_fleet__find_applied(p->id, &pids, &nr);
	if (err) {
		fprintf(stderr,
			"kpld: %s: cannot tell which processes run it: "
			"%s\n",
			p->id, kpl_strerror(err));
		return;
	}
	switch (p->state) {
	case KPLD_REVERTED:
	case KPLD_QUARANTINED:
		if (nr)
			take_out(d, p, pids, nr, kpld_state_name(p->state));
		break;
	case KPLD_AVAILABLE:
		if (nr && p->replayed && p->unfinished &&
		    (p->prev == KPLD_INSTALLED || p->prev == KPLD_SUPERSEDED))
			take_out(d, p, pids, nr, "an interrupted revert");
		else if (nr && !p->replayed && p->present)
			adopt(d, p, nr);
		break;
	default:
		break;
	}
	free(pids);
}

void kpld_reconcile(struct kpld *d)
{
	size_t i;

	if (d->journal_rejected)
		fprintf(stderr,
			"kpld: the journal had %u damaged records; "
			"states are checked against the processes\n",
			d->journal_rejected);
	for (i = 0; i < d->nr_patches; i++)
		reconcile_one(d, &d->patches[i]);
}
