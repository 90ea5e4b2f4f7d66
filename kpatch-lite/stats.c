// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: the module-wide counters of /sys/kernel/kpatch_lite/stats.
 *
 * A leaf: every file that does something worth counting calls
 * kpl_stat_inc(), and this file calls nothing else in the module, so
 * counting never makes a file depend on the status files (status.c),
 * which read the guards and the sessions.
 */
#include <linux/atomic.h>
#include <linux/sysfs.h>

#include "kpl.h"

static atomic64_t kpl_stats[KPL_STAT_NR];
static const char *const kpl_stat_names[KPL_STAT_NR] = {
	[KPL_STAT_STOPS] = "stops",
	[KPL_STAT_STOP_FAILS] = "stop_failures",
	[KPL_STAT_RESUMES] = "releases",
	[KPL_STAT_WRITES] = "writes",
	[KPL_STAT_MAPS] = "maps",
	[KPL_STAT_GUARD_HITS] = "guard_hits",
	[KPL_STAT_EVENTS] = "events",
};

void kpl_stat_inc(enum kpl_stat stat)
{
	atomic64_inc(&kpl_stats[stat]);
}

/**
 * kpl_stats_show() - append one "name value" line per counter
 * @buf: a sysfs page
 * @len: bytes of @buf already used
 *
 * Return: the new length of @buf.
 */
int kpl_stats_show(char *buf, int len)
{
	int i;

	for (i = 0; i < KPL_STAT_NR; i++)
		len += sysfs_emit_at(buf, len, "%s %lld\n", kpl_stat_names[i],
				     atomic64_read(&kpl_stats[i]));
	return len;
}
