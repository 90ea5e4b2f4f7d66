// SPDX-License-Identifier: GPL-2.0
/*
 * What every kpld file may call, and that calls no other kpld file: the
 * states' names, finding a patch in the store's table, the clocks, the
 * process filter, the escaper for what processes name, JSON strings,
 * the last apply's pause (for the metrics), and writing a file whole
 * (the metrics and VEX files).  A leaf, so that
 * the files the store calls (the guard, the hold, the journal, the
 * watchdog) never call back into the store for these.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

void kpld_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		/* Valid JSON for any bytes: controls and non-ASCII escaped. */
		if (c == '"' || c == '\\')
			fputc('\\', f);
		if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void kpld_note_pause(struct kpld *d, const struct kpl_fleet_result *res,
		     size_t nr)
{
	uint64_t pause = 0;
	size_t i;

	if (!res || !nr)
		return;
	for (i = 0; i < nr; i++)
		if (!res[i].err && res[i].stats.pause_ns > pause)
			pause = res[i].stats.pause_ns;
	d->last_pause_ns = pause;
	d->last_apply_ns = kpld_realtime_ns();
}

int kpld_publish(struct kpld *d, const char *path,
		 void (*fill)(struct kpld *d, FILE *f), int *last_err)
{
	const char *slash = strrchr(path, '/');
	char tmp[600];
	FILE *f;
	int fd, err = 0;

	if (!slash ||
	    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - path),
		     path, slash + 1) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A new file of ours, never one found there (O_EXCL after the
	 * unlink: a leftover or a planted file is not written through).
	 * Readable by node_exporter or a scanner, not running as root. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fill(d, f);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err) {
		unlink(tmp);
		/* Every rescan: say it once, until it changes. */
		if (err != *last_err)
			fprintf(stderr, "kpld: cannot write %s: %s\n",
				kpld_esc(path), strerror(-err));
	}
	*last_err = err;
	return err;
}
