// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics for Prometheus, through node_exporter's textfile collector:
 * with "metrics_dir = DIR" in kpld.conf, kpld writes DIR/kpld.prom in
 * the text exposition format after every rescan.  The collector reads
 * every *.prom file of DIR at each scrape, so the file is written to a
 * hidden temporary name first and renamed over (kpld_publish(), also
 * used for vex_file): a scrape sees the old file or the new one, never
 * half of one.  docs/kpld.md lists the
 * metrics.  Label values are patch ids and state names, which libkpl
 * and the lifecycle table restrict to [A-Za-z0-9._-]: nothing to escape.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpld.h"

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void write_all(struct kpld *d, FILE *f)
{
	size_t nr_state[KPLD_NR_STATES] = { 0 }, i, s;

	for (i = 0; i < d->nr_patches; i++)
		if (d->patches[i].state < KPLD_NR_STATES)
			nr_state[d->patches[i].state]++;
	help(f, "kpld_patches", "gauge",
	     "Patches in kpld's store, by lifecycle state.");
	for (s = 0; s < KPLD_NR_STATES; s++)
		fprintf(f, "kpld_patches{state=\"%s\"} %zu\n",
			kpld_state_name(s), nr_state[s]);

	help(f, "kpld_patch_processes", "gauge",
	     "Processes mapping a patch's library: covered (the patch is "
	     "applied) or uncovered (the old code runs).");
	for (i = 0; i < d->nr_patches; i++) {
		struct kpld_patch *p = &d->patches[i];
		bool *patched = NULL;
		pid_t *pids = NULL;
		size_t nr = 0, ok = 0;

		if (p->state == KPLD_INVALID ||
		    kpld_coverage(p, &pids, &nr, &patched, &ok))
			continue;
		fprintf(f,
			"kpld_patch_processes{patch=\"%s\",state=\"%s\","
			"coverage=\"covered\"} %zu\n",
			p->id, kpld_state_name(p->state), ok);
		fprintf(f,
			"kpld_patch_processes{patch=\"%s\",state=\"%s\","
			"coverage=\"uncovered\"} %zu\n",
			p->id, kpld_state_name(p->state), nr - ok);
		free(pids);
		free(patched);
	}

	help(f, "kpld_holds_total", "counter",
	     "Processes held (BPF hold or module guard) until patched, "
	     "since kpld started.");
	fprintf(f, "kpld_holds_total %llu\n", (unsigned long long)d->holds);
	help(f, "kpld_quarantines_total", "counter",
	     "Patches quarantined by the crash watchdog since kpld started.");
	fprintf(f, "kpld_quarantines_total %llu\n",
		(unsigned long long)d->quarantines);
	help(f, "kpld_last_apply_pause_seconds", "gauge",
	     "Longest stop of a patched process's threads in kpld's last "
	     "apply.");
	fprintf(f, "kpld_last_apply_pause_seconds %.9f\n",
		d->last_pause_ns / 1e9);
	help(f, "kpld_last_apply_timestamp_seconds", "gauge",
	     "When kpld's last apply ran (Unix time), 0 before the first.");
	fprintf(f, "kpld_last_apply_timestamp_seconds %.3f\n",
		d->last_apply_ns / 1e9);
}

void kpld_metrics_write(struct kpld *d)
{
	static int last_err;
	char path[300];

	if (!d->cfg.metrics_dir[0] ||
	    snprintf(path, sizeof(path), "%s/kpld.prom", d->cfg.metrics_dir) >=
		    (int)sizeof(path))
		return;
	kpld_publish(d, path, write_all, &last_err);
}
