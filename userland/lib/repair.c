// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Repair: finish or roll back a transaction that an invocation killed
 * half way left behind.  The record's phase says which:
 *   PREPARED   nothing was written: unmap
 *   APPLYING   roll back: entries holding our jump get `prev` again
 *   REVERTING  roll forward: entries holding our jump get `orig`
 *   REPLACED   already superseded: unmap
 *   RETIRED    reverted, code was on a stack: unmap once no stack holds it
 * (APPLYING, REVERTING and RETIRED unwind every thread first: a mapping
 * any frame will return into becomes or stays RETIRED, never unmapped)
 * then every APPLIED record's jumps are re-asserted where an interrupted
 * replace had already put the library's bytes back.
 *
 * A mapping named like a patch whose record is missing, unreadable or
 * invalid (target.c, state.c) is garbage: an invocation killed between
 * creating the mapping and writing its record leaves one, and a hostile
 * process can forge one.  No jump can lead into it (jumps are written
 * only after a valid record), so it is unmapped, and said so.
 */
#include <errno.h>
#include <string.h>

#include "eh_reg.h"
#include "internal.h"
#include "patch_image.h"
#include "txn.h"

/*
 * Return 1 when @f's code is still on a stack: it is (or becomes)
 * RETIRED and stays mapped.
 */
static int repair_one(struct kpl_target *t, struct kpl_found *f)
{
	struct kpl_apply_opts opts = { .sz = sizeof(opts) };
	struct kpl_stats st = { 0 };
	struct kpl_txn x = { 0 };
	uint32_t phase = f->st->phase;
	bool forward = phase == KPL_PHASE_REVERTING, kept;
	struct kpl_state_unwind u;
	size_t i;
	int err = 0;

	kpl_eh__trailer(t, f->st, &u);
	/* A prepared patch may have a registration call running: a thread
	 * in it returns into the patch's mark stub, so unwind first too. */
	if (phase == KPL_PHASE_APPLYING || forward ||
	    phase == KPL_PHASE_RETIRED ||
	    (phase == KPL_PHASE_PREPARED && u.eh_area)) {
		/* Jumps may have led there: before unmapping, unwind. */
		err = kpl_txn__add_keepout(&x, f->st->text_lo, f->st->text_hi,
					   f->st->id);
		if (!err)
			err = kpl_txn__add_mark(&x, f, phase, phase);
		if (!err)
			x.marks[0].kept = KPL_PHASE_RETIRED;
		for (i = 0; !err && phase != KPL_PHASE_RETIRED &&
			    i < f->st->nr_funcs; i++) {
			struct kpl_state_func *sf = &f->st->funcs[i];
			uint8_t cur[KPL_STATE_BYTES];

			err = kpl_proc__read(t->proc, sf->addr, cur, sf->len);
			if (err || memcmp(cur, sf->jump, sf->len))
				continue;
			err = kpl_txn__add_write(&x, sf->addr, sf->len,
						 sf->jump,
						 forward ? sf->orig : sf->prev,
						 sf->name);
		}
		/* An entry to write must not be running (activeness). */
		if (!err && x.nr_w)
			err = kpl_txn__add_busy(&x, f->st->text_lo,
						f->st->text_hi, f->st->id);
		if (!err)
			err = kpl_txn__commit(t, &x, &opts, &st);
		kept = x.kept;
		kpl_txn__free(&x);
		if (err)
			return err;
		if (kept && phase == KPL_PHASE_RETIRED)
			return 1;
		if (kept) {
			pr_warn("repair: pid %d: patch %s was left %s by an "
				"interrupted kpl; %s, but its code is still on "
				"a stack: retired\n", t->pid, f->st->id,
				kpl_phase_name(phase),
				forward ? "revert finished" : "rolled back");
			return 1;
		}
	}
	if (phase == KPL_PHASE_RETIRED)
		pr_info("repair: pid %d: retired patch %s left no stack: "
			"unmapped\n", t->pid, f->st->id);
	else
		pr_warn("repair: pid %d: patch %s was left %s by an "
			"interrupted kpl; %s\n", t->pid, f->st->id,
			kpl_phase_name(phase),
			forward ? "revert finished" : "rolled back");
	return kpl_eh__unmap(t, f->st, &u, "repair");
}

/* Put back the top APPLIED jump where an entry holds the bottom bytes. */
static int reassert(struct kpl_target *t)
{
	struct kpl_apply_opts opts = { .sz = sizeof(opts), .force = true };
	struct kpl_stats st = { 0 };
	struct kpl_txn x = { 0 };
	size_t i, j, k, l;
	int err = 0;

	for (i = 0; !err && i < t->nr_found; i++) {
		struct kpl_state *lo = t->found[i].st;

		if (lo->phase != KPL_PHASE_APPLIED)
			continue;
		for (j = 0; !err && j < lo->nr_funcs; j++) {
			struct kpl_state_func *bottom = &lo->funcs[j], *top;
			uint8_t cur[KPL_STATE_BYTES];

			top = bottom;
			for (k = i + 1; k < t->nr_found; k++) {
				struct kpl_state *hi = t->found[k].st;

				if (hi->phase != KPL_PHASE_APPLIED)
					continue;
				for (l = 0; l < hi->nr_funcs; l++)
					if (hi->funcs[l].addr == bottom->addr)
						top = &hi->funcs[l];
			}
			if (kpl_proc__read(t->proc, bottom->addr, cur,
					   bottom->len) ||
			    memcmp(cur, bottom->prev, bottom->len))
				continue;
			err = kpl_txn__add_write(&x, bottom->addr, bottom->len,
						 bottom->prev, top->jump,
						 top->name);
		}
	}
	if (!err && x.nr_w)
		err = kpl_txn__commit(t, &x, &opts, &st);
	kpl_txn__free(&x);
	return err;
}

static int remove_garbage(struct kpl_target *t, unsigned int *nr)
{
	size_t i;
	int err;

	for (i = 0; i < t->nr_garbage; i++) {
		const struct kpl_garbage *g = &t->garbage[i];

		err = kpl_patch_image__unmap(t->proc, g->base, g->size);
		if (err) {
			pr_warn("repair: pid %d: failed to remove %s at "
				"0x%llx, which holds no valid patch record "
				"(%s): %s\n", t->pid, g->name,
				(unsigned long long)g->base, g->why,
				kpl_strerror(err));
			return err;
		}
		pr_warn("repair: pid %d: removed %s at 0x%llx: no valid "
			"patch record (%s)\n", t->pid, g->name,
			(unsigned long long)g->base, g->why);
		(*nr)++;
	}
	return 0;
}

KPL_API int kpl_target__repair(struct kpl_target *t, unsigned int *nr)
{
	unsigned int done = 0;
	bool any = false;
	size_t i;
	int err;

	err = kpl_target__refresh_if_changed(t);
	if (!err && t->nr_garbage) {
		err = remove_garbage(t, &done);
		if (!err)
			err = kpl_target__refresh(t);
	}
	for (i = 0; !err && i < t->nr_found; i++) {
		if (t->found[i].st->phase == KPL_PHASE_APPLIED)
			continue;
		err = repair_one(t, &t->found[i]);
		if (err > 0) {
			err = 0;	/* retired, still on a stack */
			continue;
		}
		if (!err)
			done++;
		any = true;
	}
	if (!err && any) {
		err = kpl_target__refresh(t);
		if (!err)
			err = reassert(t);
		if (!err)
			err = kpl_target__refresh(t);
	}
	if (!err && nr)
		*nr = done;
	return err;
}
