// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Options structs that grow: see opts.h for the convention.  A leaf:
 * it reads the caller's struct and logs, and calls nothing else.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kpl/guard.h"
#include "kpl/patch.h"
#include "log.h"
#include "opts.h"

bool kpl_opts_valid(const void *opts, size_t sz, size_t known, const char *type)
{
	const uint8_t *p = opts;
	size_t i;

	if (sz < sizeof(size_t)) {
		pr_warn("options: struct %s has sz %zu, smaller than its sz field: set sz = sizeof(struct %s)\n",
			type, sz, type);
		return false;
	}
	for (i = known; i < sz; i++) {
		if (p[i]) {
			pr_warn("options: struct %s has sz %zu, and byte %zu is not zero: this libkpl knows only its first %zu bytes\n",
				type, sz, i, known);
			return false;
		}
	}
	return true;
}

int kpl_apply_opts_get(const struct kpl_apply_opts *in,
		       struct kpl_apply_opts *out)
{
	if (!KPL_OPTS_VALID(in, kpl_apply_opts, perf_map))
		return -EINVAL;
	/* Field by field on zeroed bytes: *out is handed on as options
	 * (fleet.c), and its padding after perf_map must read as zero. */
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->force = KPL_OPTS_GET(in, force, false);
	out->dry_run = KPL_OPTS_GET(in, dry_run, false);
	out->timeout_ms = KPL_OPTS_GET(in, timeout_ms, 0);
	out->stats = KPL_OPTS_GET(in, stats, NULL);
	out->perf_map = KPL_OPTS_GET(in, perf_map, false);
	return 0;
}

int kpl_fleet_opts_get(const struct kpl_fleet_opts *in,
		       struct kpl_fleet_opts *out)
{
	const struct kpl_target_opts *t;
	const struct kpl_apply_opts *a;

	if (!KPL_OPTS_VALID(in, kpl_fleet_opts, ctx))
		return -EINVAL;
	a = KPL_OPTS_GET(in, apply, NULL);
	t = KPL_OPTS_GET(in, target, NULL);
	if (!KPL_OPTS_VALID(a, kpl_apply_opts, perf_map) ||
	    !KPL_OPTS_VALID(t, kpl_target_opts, backend))
		return -EINVAL;
	*out = (struct kpl_fleet_opts){
		.sz = sizeof(*out),
		.jobs = KPL_OPTS_GET(in, jobs, 0),
		.atomic = KPL_OPTS_GET(in, atomic, false),
		.apply = a,
		.target = t,
		.progress = KPL_OPTS_GET(in, progress, NULL),
		.ctx = KPL_OPTS_GET(in, ctx, NULL),
	};
	return 0;
}

/* A new field goes after the last one: move `last` above when adding. */
#define KPL_OPTS_LAST(type, last)                                           \
	_Static_assert(sizeof(struct type) -                                \
				       kpl_offsetofend(struct type, last) < \
			       sizeof(void *),                              \
		       "a field after " #last " in struct " #type)
KPL_OPTS_LAST(kpl_apply_opts, perf_map);
KPL_OPTS_LAST(kpl_fleet_opts, ctx);
KPL_OPTS_LAST(kpl_target_opts, backend);
KPL_OPTS_LAST(kpl_verify_opts, no_legacy_names);
KPL_OPTS_LAST(kpl_guard_opts, kill_on_timeout);
