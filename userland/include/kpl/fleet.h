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

/*
 * kpl_fleet__library_here() - like kpl_fleet__library_path(), but a path
 * that names the same file in the caller's mount namespace: the maps
 * path when it does there (same device and inode), *@same then true;
 * else, as for a process in a container, "/proc/PID/map_files/LO-HI",
 * which names the file @pid maps for as long as it maps it (opening it
 * needs CAP_SYS_ADMIN), *@same false.  @same may be NULL.
 */
int kpl_fleet__library_here(const struct kpl_patch *patch, pid_t pid,
			    char *buf, size_t len, bool *same);

/* kpl_fleet__find_applied() - the processes that have patch @id. */
int kpl_fleet__find_applied(const char *id, pid_t **pids, size_t *nr);

/* What a filter rule looks at. */
enum kpl_fleet_key {
	KPL_FLEET_UNIT,		/* a systemd unit: a component of one of the
				 * process's cgroup paths, "nginx" matching
				 * "nginx.service" too */
	KPL_FLEET_CGROUP,	/* a cgroup path, or one above the process's */
	KPL_FLEET_EXE,		/* the executable's path (/proc/PID/exe) */
	KPL_FLEET_EXE_BUILD_ID,	/* the executable's GNU build-id, in hex */
	KPL_FLEET_USER,		/* a user name or uid: the effective uid */
	KPL_FLEET_CONTAINER,	/* "none": in kpl's own pid namespace;
				 * "any": in another; else that namespace's
				 * inode or a component of a cgroup path */
};

struct kpl_fleet_rule {
	enum kpl_fleet_key key;
	const char *value;
	bool exclude;		/* never take a process that matches */
};

/*
 * Which processes --all takes: for each key that has include rules, one
 * of them must match, and no exclude rule may match.  No rules: all.
 */
struct kpl_fleet_filter {
	const struct kpl_fleet_rule *rules;
	size_t nr_rules;
};

/*
 * kpl_fleet__rule_parse() - "KEY=VALUE" (KEY: unit, cgroup, exe,
 * exe-build-id, user, container) into @out, which points into @spec.
 * Return: 0, or -EINVAL for an unknown key, an empty or malformed value
 * (an exe that is not absolute, a build-id that is not hex, "container"
 * other than none, any or a name).
 */
int kpl_fleet__rule_parse(char *spec, bool exclude,
			  struct kpl_fleet_rule *out);

/* kpl_fleet__key_name() - "unit", "cgroup", ...; NULL if unknown. */
const char *kpl_fleet__key_name(enum kpl_fleet_key key);

/*
 * kpl_fleet__filter() - keep, in place and in order, those of the *@nr
 * @pids that @f takes.  A process gone meanwhile is dropped.
 * Return: 0, -EINVAL for a user name that does not exist (logged).
 */
int kpl_fleet__filter(const struct kpl_fleet_filter *f, pid_t *pids,
		      size_t *nr);

/*
 * One mapping of a patch in a process, as /proc/PID/maps lists it: a
 * patch's memory is "/memfd:kpl:<id>", one line per protection, and,
 * when the ptrace backend mapped it, one more just below the record
 * for the patch's ELF image page (a file offset past the region's end).
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
