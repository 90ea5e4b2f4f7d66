/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Fleet operations: every process on the machine that maps a patch's
 * target library (by build-id), patched in parallel.
 */
#ifndef KPL_FLEET_H
#define KPL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kpl/format.h"
#include "kpl/target.h"

struct kpl_patch;

/* The outcome for one process. */
struct kpl_fleet_result {
	pid_t pid;
	char comm[16];
	int err;		/* 0, or why this process was not done */
	bool rolled_back;	/* applied, then reverted by --atomic */
	struct kpl_stats stats;
};

struct kpl_fleet_opts {
	size_t sz;		/* sizeof(struct kpl_fleet_opts) */
	int jobs;		/* parallel workers; 0 = one per CPU */
	bool atomic;		/* all or none: roll back on any failure */
	const struct kpl_apply_opts *apply;	/* per process; may be NULL */
	const struct kpl_target_opts *target;	/* may be NULL */
	/* Called from worker threads after each process (serialised). */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *ctx;
};

/*
 * kpl_fleet__find() - the processes that map @patch's target library
 * with its build-id, excluding the caller.  *@pids is malloc'ed.
 */
int kpl_fleet__find(const struct kpl_patch *patch, pid_t **pids, size_t *nr);

/*
 * kpl_fleet__library_path() - the path under which @pid maps @patch's
 * library (by build-id), into @buf.  Return: 0, or -ENOENT when it maps
 * none, or only a file since replaced on disk.
 */
int kpl_fleet__library_path(const struct kpl_patch *patch, pid_t pid,
			    char *buf, size_t len);

/* kpl_fleet__find_applied() - the processes that have patch @id. */
int kpl_fleet__find_applied(const char *id, pid_t **pids, size_t *nr);

/*
 * One mapping of a patch in a process, as /proc/PID/maps lists it: a
 * patch's memory is "/memfd:kpl:<id>", one line per protection.
 */
struct kpl_fleet_mapping {
	pid_t pid;
	char id[KPL_ID_MAX + 1];	/* from the name: the process's word */
	uint64_t start, end;
	/*
	 * Set on a patch's first mapping (offset 0, where its record
	 * lives) when the record does not say "applied": a transaction
	 * killed half way, a retired patch, or a record that is not one.
	 * Read from the process and not validated: a hint that
	 * kpl_target__repair() has work, which it checks.
	 */
	bool unfinished;
};

/*
 * kpl_fleet__mappings() - every patch mapping of every process, the
 * caller's included, in /proc order and then address order.  Nothing is
 * stopped or attached: the maps are read, and 4 bytes of each record.
 * *@list is malloc'ed (free()), *@nr its length.
 * Return: 0, or -errno (-ENOMEM, /proc unreadable).
 */
int kpl_fleet__mappings(struct kpl_fleet_mapping **list, size_t *nr);

/*
 * kpl_fleet__apply() - apply @patch to each of @pids in parallel.
 * *@res (malloc'ed, @nr entries, in @pids order) says what happened to
 * each.  Return: 0 when every process was patched; otherwise the first
 * error, and with @opts->atomic every process patched here is reverted.
 */
int kpl_fleet__apply(const struct kpl_patch *patch, const pid_t *pids,
		     size_t nr, const struct kpl_fleet_opts *opts,
		     struct kpl_fleet_result **res);

/* kpl_fleet__revert() - revert patch @id in each of @pids. */
int kpl_fleet__revert(const char *id, const pid_t *pids, size_t nr,
		      const struct kpl_fleet_opts *opts,
		      struct kpl_fleet_result **res);

#endif
