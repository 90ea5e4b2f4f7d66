/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Patching a running process: open it, check or apply a patch, revert a
 * patch by id, list what is applied.  Every call is all or nothing: on
 * failure the process is exactly as before.
 */
#ifndef KPL_TARGET_H
#define KPL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kpl/format.h"

struct kpl_patch;
struct kpl_target;

struct kpl_target_opts {
	size_t sz;		/* sizeof(struct kpl_target_opts) */
	const char *backend;	/* "ptrace", "kmod" or NULL for the best */
};

/*
 * kpl_target__open() - prepare to patch process @pid.
 * Nothing is stopped or written yet.
 * Return: 0 and *@out (free with kpl_target__close()), -ESRCH when the
 * process is gone, -EPERM/-EACCES when it is not ours to patch.
 */
int kpl_target__open(pid_t pid, const struct kpl_target_opts *opts,
		     struct kpl_target **out);
void kpl_target__close(struct kpl_target *t);
pid_t kpl_target__pid(const struct kpl_target *t);
const char *kpl_target__backend(const struct kpl_target *t);

/* The first stops of one call, in order, are kept. */
#define KPL_STATS_STOPS 8

/* One time the target's threads (all, or one borrowed) were held. */
struct kpl_stop_stat {
	uint64_t ns;		/* from the first interrupt to the last release */
	unsigned int threads;	/* threads held */
	bool all;		/* every thread (else: one thread borrowed) */
};

/*
 * Measurements of one apply or revert (optional output).  Every stop of
 * any of the target's threads is counted, not only the all-thread one:
 * the pause a thread of the target sees is the longest stop that held it.
 */
struct kpl_stats {
	uint64_t pause_ns;	/* longest single stop (the target's gap) */
	uint64_t total_ns;	/* the whole call */
	unsigned int attempts;	/* all-thread stops tried (busy retries + 1) */
	unsigned int threads;	/* threads stopped in the last attempt */
	unsigned int nr_stops;	/* stops of any kind, all counted */
	uint64_t stops_ns;	/* all stops, summed */
	struct kpl_stop_stat stops[KPL_STATS_STOPS];	/* the first ones */
};

struct kpl_apply_opts {
	size_t sz;		/* sizeof(struct kpl_apply_opts) */
	bool force;		/* skip the activeness check (only) */
	bool dry_run;		/* resolve and check everything, write nothing */
	int timeout_ms;		/* retry budget while busy; 0 = 3000 */
	struct kpl_stats *stats;	/* filled on success if non-NULL */
	/* Name patch code for perf: /tmp/perf-PID.map lines, its text
	 * mapped anonymously (ptrace backend); see kpl(8) --perf-map. */
	bool perf_map;
};

/*
 * kpl_target__apply() - apply @patch to the process.
 * @patch must have been verified (kpl_patch__open_verified() or
 * kpl_patch__verify()), else -KPL_E_SIGNATURE.
 * Return: 0; -KPL_E_BUILD_ID, -KPL_E_NO_TARGET, -KPL_E_SYMBOL,
 * -KPL_E_PROLOGUE, -KPL_E_BUSY, -KPL_E_APPLIED, ... (see errors.h)
 */
int kpl_target__apply(struct kpl_target *t, const struct kpl_patch *patch,
		      const struct kpl_apply_opts *opts);

/* kpl_target__check() - kpl_target__apply() with dry_run set. */
int kpl_target__check(struct kpl_target *t, const struct kpl_patch *patch,
		      const struct kpl_apply_opts *opts);

/*
 * kpl_target__revert() - take patch @id out: restore the original bytes
 * and unmap the patch.  -KPL_E_NOT_APPLIED when it is not applied,
 * -KPL_E_ORDER when a later patch of the same function is still on top.
 */
int kpl_target__revert(struct kpl_target *t, const char *id,
		       const struct kpl_apply_opts *opts);

/* One applied patch, as recorded in the process. */
struct kpl_applied {
	char id[KPL_ID_MAX + 1];
	char description[128];
	char soname[64];
	char backend[16];
	char build_id[2 * KPL_BUILD_ID_MAX + 1];	/* hex */
	const char *phase;	/* "applied", "applying", ... */
	uint32_t version;
	uint32_t flags;
	uint32_t nr_funcs;
	uint64_t base, size;
	uint64_t applied_ns;
};

/*
 * kpl_target__status() - list the patches recorded in the process, in
 * apply order.  *@list is malloc'ed (free()), *@nr its length.  It only
 * reads: a half-done transaction shows in its phase ("applying", ...);
 * call kpl_target__repair() first to finish or roll it back.
 */
int kpl_target__status(struct kpl_target *t, struct kpl_applied **list,
		       size_t *nr);

/*
 * kpl_target__symfile() - an ELF file describing the code of patch @id
 * in the process, for a debugger (gdb's add-symbol-file): an ET_DYN
 * whose sections lie at the addresses the patch has in the process, with
 * a function symbol named after each function the patch replaced, at
 * its new code, one "kpl:ID+0xOFFSET" for other code an unwind entry
 * covers, and the patch's .eh_frame, if it carries one.  Made from the
 * patch's record and unwind table, read from the process and validated;
 * it only reads, and needs no patch file.
 * Return: 0 and *@buf (malloc'ed, free()) of *@len bytes;
 * -KPL_E_NOT_APPLIED when no patch @id is mapped there, -KPL_E_STATE
 * when its record is not valid.
 */
int kpl_target__symfile(struct kpl_target *t, const char *id, void **buf,
			size_t *len);

/*
 * kpl_target__repair() - finish or roll back what an interrupted kpl
 * left in the process: a transaction killed half way (its record's phase
 * says which way), a retired patch whose code no stack holds any more,
 * a mapping named like a patch that holds no valid record.  Under the
 * process's lock, taken by kpl_target__open(): an apply in flight is
 * never touched.  kpl_target__apply() and kpl_target__revert() repair
 * first; a caller that only watches (kpld's rescan) calls this.
 * @nr: NULL, or on success the records repaired and mappings removed
 * Return: 0, or -errno / -KPL_E_* when a step failed (logged); what was
 * repaired before it stays repaired.
 */
int kpl_target__repair(struct kpl_target *t, unsigned int *nr);

#endif
