// SPDX-License-Identifier: GPL-2.0
/*
 * What every kpld file may call, and that calls no other kpld file: the
 * states' names, finding a patch in the store's table, the clocks, the
 * process filter, the escaper for what processes name.  A leaf, so that
 * the files the store calls (the guard, the hold, the journal, the
 * watchdog) never call back into the store for these.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kpl/escape.h"
#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

static const char *const state_names[KPLD_NR_STATES] = {
	[KPLD_AVAILABLE] = "available",
	[KPLD_INSTALLED] = "installed",
	[KPLD_REVERTED] = "reverted",
	[KPLD_QUARANTINED] = "quarantined",
	[KPLD_SUPERSEDED] = "superseded",
	[KPLD_INVALID] = "invalid",
};

const char *kpld_state_name(enum kpld_state s)
{
	return s < KPLD_NR_STATES ? state_names[s] : "unknown";
}

uint64_t kpld_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t kpld_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct kpld_patch *kpld_find(struct kpld *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->nr_patches; i++)
		if (!strcmp(d->patches[i].id, id))
			return &d->patches[i];
	return NULL;
}

const char *kpld_esc(const char *s)
{
	static __thread char buf[2][1024];
	static __thread unsigned int next;

	return kpl_escape_str(buf[next++ & 1], sizeof(buf[0]), s);
}

void kpld_filter(struct kpld *d, pid_t *pids, size_t *nr)
{
	int err = kpl_fleet__filter(&d->cfg.filter, pids, nr);

	if (err) {
		fprintf(stderr, "kpld: the only/never filters cannot be applied (%s): patching no process\n",
			kpl_strerror(err));
		*nr = 0;
	}
}

bool kpld_takes(struct kpld *d, pid_t pid)
{
	size_t n = 1;

	kpld_filter(d, &pid, &n);
	return n == 1;
}
