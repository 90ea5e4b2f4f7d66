// SPDX-License-Identifier: GPL-2.0
/*
 * Processes started after a patch was installed: every rescan finds the
 * processes that map an installed patch's library but lack the patch,
 * and patches them.  With the kernel module's guard (guard.c), or the
 * BPF hold (hold.c), such a process is stopped before it can run the
 * library's code; the rescan is what then patches it.  A library
 * replaced on disk makes its patch superseded instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kpl/elf.h"
#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

/* Seconds since boot when @pid started, or -1. */
static double started_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	/* Field 22 (starttime) is the 20th after the ")" of comm. */
	for (i = 0; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, "%llu", &start) != 1)
		return -1;
	return (double)start / (double)sysconf(_SC_CLK_TCK);
}

static double boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool contains(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static void cover_one(struct kpld *d, struct kpld_patch *p)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = d->cfg.jobs };
	struct kpl_fleet_result *res = NULL;
	pid_t *all = NULL, *have = NULL, *need = NULL;
	size_t nr_all = 0, nr_have = 0, nr_need = 0, i;
	char detail[200];

	if (kpl_fleet__find(p->kp, &all, &nr_all))
		goto out;
	kpld_filter(d, all, &nr_all);
	/* Learn where the library lives, to hold its next users. */
	kpld_hold_learn(d, p, all, nr_all);
	if (kpl_fleet__find_applied(p->id, &have, &nr_have))
		goto out;
	need = calloc(nr_all ? nr_all : 1, sizeof(*need));
	for (i = 0; need && i < nr_all; i++)
		if (!contains(have, nr_have, all[i]))
			need[nr_need++] = all[i];
	if (!nr_need)
		goto out;
	kpl_fleet__apply(p->kp, need, nr_need, &fo, &res);
	kpld_note_pause(d, res, nr_need);
	for (i = 0; i < nr_need; i++) {
		double st = started_s(res[i].pid);

		snprintf(detail, sizeof(detail),
			 "pid %d (%s) started %.0f ms earlier: %s", res[i].pid,
			 res[i].comm, st < 0 ? -1.0 : (boot_s() - st) * 1e3,
			 res[i].err ? kpl_strerror(res[i].err) : "patched");
		kpld_journal_event(d, p->id, "cover", detail);
		fprintf(stderr, "kpld: cover %s: %s\n", p->id, detail);
	}
out:
	free(res);
	free(need);
	free(have);
	free(all);
}

/*
 * The library file was replaced by an update (another build-id, or gone):
 * new processes load the new file and need no patch, while the old ones
 * keep theirs.  The patch is superseded, not reverted.
 */
static void check_superseded(struct kpld *d, struct kpld_patch *p)
{
	uint8_t want[KPL_BUILD_ID_MAX], have[KPL_BUILD_ID_MAX];
	size_t wlen;
	char why[700];
	int n;

	if (!p->lib_path[0] || !p->kp)
		return;
	wlen = kpl_patch__build_id(p->kp, want, sizeof(want));
	n = kpl_elf_build_id(p->lib_path, have, sizeof(have));
	if (n == (int)wlen && !memcmp(have, want, wlen))
		return;
	snprintf(why, sizeof(why), "%s was replaced on disk (%s); processes "
		 "started from now on load the new library and need no patch, "
		 "those already running keep it", p->lib_path,
		 n < 0 ? "file gone" : "another build-id");
	kpld_transition(d, p, KPLD_SUPERSEDED, why);
}

int kpld_cover_new(struct kpld *d)
{
	size_t i;

	for (i = 0; i < d->nr_patches; i++)
		if (d->patches[i].state == KPLD_INSTALLED)
			check_superseded(d, &d->patches[i]);

	for (i = 0; i < d->nr_patches; i++)
		if (d->patches[i].state == KPLD_INSTALLED && d->patches[i].kp)
			cover_one(d, &d->patches[i]);
	kpld_note_all();
	return 0;
}
