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
