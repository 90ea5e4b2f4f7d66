/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A transaction: a set of entry writes done in one stop of the process,
 * each verified against the bytes expected before any is written, with
 * the journal phases around them.  Apply, revert, replace and repair are
 * all transactions; only what they write differs.
 */
#ifndef KPL_LIB_TXN_H
#define KPL_LIB_TXN_H

#include "state.h"
#include "target.h"
#include "unwind.h"

struct kpl_write {
	uint64_t addr;
	uint32_t len;
	uint8_t expect[KPL_STATE_BYTES];
	uint8_t bytes[KPL_STATE_BYTES];
	const char *name;
};

struct kpl_mark {
	struct kpl_found *f;	/* record in the target */
	enum kpl_phase before;	/* written before the entries */
	enum kpl_phase after;	/* written after them */
	enum kpl_phase kept;	/* written instead of @after if kept */
	uint32_t was;		/* its phase before the transaction */
};

struct kpl_txn {
	struct kpl_write *w;
	size_t nr_w;
	struct kpl_range *busy;	/* no frame may be here (activeness) */
	size_t nr_busy;
	/* Code about to be unmapped: unwound in every thread, even with
	 * --force; if any frame is there, the transaction sets @kept, each
	 * mark gets its @kept phase and nothing may be unmapped. */
	struct kpl_range *keepout;
	size_t nr_keepout;
	bool kept;
	/* A failure could not be fully rolled back: the target may hold
	 * jumps into mappings, so nothing may be unmapped. */
	bool dirty;
	struct kpl_mark *marks;
	size_t nr_marks;
};

int kpl_txn__add_write(struct kpl_txn *x, uint64_t addr, uint32_t len,
		       const uint8_t *expect, const uint8_t *bytes,
		       const char *name);
int kpl_txn__add_busy(struct kpl_txn *x, uint64_t lo, uint64_t hi,
		      const char *name);
int kpl_txn__add_keepout(struct kpl_txn *x, uint64_t lo, uint64_t hi,
			 const char *name);
int kpl_txn__add_mark(struct kpl_txn *x, struct kpl_found *f,
		      enum kpl_phase before, enum kpl_phase after);
void kpl_txn__free(struct kpl_txn *x);

/*
 * kpl_txn__commit() - stop the process, check, write, resume; retry with
 * backoff while a thread is busy, up to the timeout in @opts.
 */
int kpl_txn__commit(struct kpl_target *t, struct kpl_txn *x,
		    const struct kpl_apply_opts *opts, struct kpl_stats *st);


#endif
