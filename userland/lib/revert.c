// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Revert: the entries get back what the record says they held, checked
 * first to still hold this patch's jumps (a patch stacked on top must be
 * reverted first), in one all-thread stop; then the patch's mapping goes,
 * or stays retired while a thread will still return into it.
 */
#include <stdio.h>
#include <string.h>

#include "eh_reg.h"
#include "kpl/escape.h"
#include "internal.h"
#include "opts.h"
#include "txn.h"

/* Name the APPLIED record other than @self whose jump sits at @addr. */
static const char *top_owner(struct kpl_target *t, struct kpl_found *self,
			     uint64_t addr, const uint8_t *cur, uint32_t len)
{
	struct kpl_found *o = kpl_found__owner(t, addr, cur, len);

	return o && o != self ? o->st->id : NULL;
}

KPL_API int kpl_target__revert(struct kpl_target *t, const char *id,
			       const struct kpl_apply_opts *opts)
{
	struct kpl_apply_opts o;
	struct kpl_stats stats = { 0 };
	uint64_t t0 = kpl_now_ns();
	struct kpl_txn x = { 0 };
	struct kpl_span span;
	struct kpl_found *f;
	unsigned int repaired;
	size_t i;
	int err;

	err = kpl_apply_opts_get(opts, &o);
	if (err)
		return err;
	opts = &o;
	t->proc->log = &stats;
	err = kpl_target__repair(t, &repaired);
	if (err)
		goto out;
	f = kpl_found__by_id(t, id);
	if (!f) {
		char name[KPL_ESCAPE_MAX(KPL_ID_MAX + 1)];

		/* The id comes from a command line or a kpld client. */
		pr_warn("revert: patch %s is not applied in pid %d\n",
			kpl_escape(name, sizeof(name), id,
				   strnlen(id, KPL_ID_MAX + 1), false),
			t->pid);
		err = -KPL_E_NOT_APPLIED;
		goto out;
	}
	if (f->st->phase != KPL_PHASE_APPLIED) {
		pr_warn("revert: patch %s is %s in pid %d, not applied\n",
			f->st->id, kpl_phase_name(f->st->phase), t->pid);
		err = -KPL_E_STATE;
		goto out;
	}
	err = kpl_txn__add_mark(&x, f, KPL_PHASE_REVERTING,
				KPL_PHASE_REVERTING);
	if (!err) {
		x.marks[0].kept = KPL_PHASE_RETIRED;
		err = kpl_txn__add_busy(&x, f->st->text_lo, f->st->text_hi,
					f->st->id);
	}
	/* The code is unmapped next: if, with --force, a frame of any
	 * thread is still there, it is retired instead. */
	if (!err)
		err = kpl_txn__add_keepout(&x, f->st->text_lo, f->st->text_hi,
					   f->st->id);
	kpl_span__init(&span);
	for (i = 0; i < f->st->nr_funcs; i++)
		kpl_span__add(&span, f->st->funcs[i].addr, f->st->funcs[i].len);
	if (!err)
		kpl_proc__span_read(t->proc, &span);
	for (i = 0; !err && i < f->st->nr_funcs; i++) {
		struct kpl_state_func *sf = &f->st->funcs[i];
		uint8_t cur[KPL_STATE_BYTES];
		const char *other;

		err = kpl_proc__span_get(t->proc, &span, sf->addr, cur,
					 sf->len);
		if (err)
			break;
		if (memcmp(cur, sf->jump, sf->len)) {
			char name[KPL_ESCAPE_MAX(sizeof(sf->name))];

			kpl_escape_str(name, sizeof(name), sf->name);
			other = top_owner(t, f, sf->addr, cur, sf->len);
			if (other)
				pr_warn("revert: %s patches '%s' on top of %s; "
					"revert %s first\n",
					other, name, f->st->id, other);
			else
				pr_warn("revert: entry of '%s' no longer holds "
					"the jump of %s\n",
					name, f->st->id);
			err = other ? -KPL_E_ORDER : -KPL_E_MISMATCH;
			break;
		}
		err = kpl_txn__add_write(&x, sf->addr, sf->len, sf->jump,
					 sf->orig, sf->name);
	}
	if (!err)
		err = kpl_txn__commit(t, &x, opts, &stats);
	if (!err && x.kept)
		pr_warn("revert: pid %d: %s reverted, but a thread will still "
			"return into its code: its mapping stays, retired, "
			"until a later kpl finds no stack holding it\n",
			t->pid, id);
	else if (!err)
		err = kpl_eh__unmap_found(t, f->st, "revert");
	kpl_txn__free(&x);
out:
	t->proc->log = NULL;
	stats.total_ns = kpl_now_ns() - t0;
	if (!err && opts->stats)
		*opts->stats = stats;
	return err;
}
