/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guard requests and what the module says about guards, as calls
 * for kpl_kmod_guard: where spin_guard is (the library and its file
 * offset, from our own mapping), adding and deleting a guard on it, the
 * device's events, and the guards and processes status files.  Include
 * after kmod_util.h and kmod_spin.h.
 */
#ifndef KPL_TESTS_KMOD_GUARD_H
#define KPL_TESTS_KMOD_GUARD_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATCH_ID "SPIN-GUARD"
#define SYSFS "/sys/kernel/kpatch_lite/"

static int dev = -1; /* opened first: its events start then */
static char lib_path[256];
static uint64_t entry_off; /* spin_guard in the library file */

/* The library and spin_guard's file offset, from our own mapping. */
static int find_entry(void)
{
	uintptr_t a = (uintptr_t)spin_guard;
	char line[512], perms[8], path[256];
	unsigned long lo, hi, off;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %255s", &lo, &hi,
			   perms, &off, path) < 4)
			continue;
		if (a >= lo && a < hi && path[0] == '/') {
			snprintf(lib_path, sizeof(lib_path), "%s", path);
			entry_off = a - lo + off;
			fclose(f);
			return 0;
		}
	}
	if (f)
		fclose(f);
	printf("FAIL: spin_guard is in no mapped file\n");
	return -1;
}

static int g_add_at(int lfd, const uint64_t *off, uint32_t n, uint32_t policy,
		    uint32_t hold_ms, uint32_t tpol, const char *id,
		    uint32_t *out)
{
	struct kpl_guard_add a = {
		.size = sizeof(a),
		.lib_fd = lfd,
		.policy = policy,
		.hold_ms = hold_ms,
		.timeout_policy = tpol,
		.nr_funcs = n,
		.offsets = (uintptr_t)off,
	};
	int r;

	snprintf(a.patch_id, sizeof(a.patch_id), "%s", id);
	r = ku_ioctl(dev, KPL_IOC_GUARD_ADD, &a);
	if (!r && out)
		*out = a.id;
	return r;
}

static int g_add(uint32_t policy, uint32_t hold_ms, uint32_t tpol,
		 uint32_t *out)
{
	int lfd = open(lib_path, O_RDONLY | O_CLOEXEC), r;

	r = g_add_at(lfd, &entry_off, 1, policy, hold_ms, tpol, PATCH_ID, out);
	close(lfd);
	return r;
}

static int g_del(uint32_t id)
{
	struct kpl_guard_del d = { .size = sizeof(d), .id = id };

	return ku_ioctl(dev, KPL_IOC_GUARD_DEL, &d);
}

/* Events read but not yet asked for. */
static struct kpl_event pending[KPL_EVENTS_KEPT];
static unsigned int nr_pending;

static const char *ev_name(uint32_t type)
{
	static const char *const n[] = { "?",	  "hold", "release",
					 "allow", "kill", "patched" };

	return type < 6 ? n[type] : "?";
}

static void ev_fetch(int ms)
{
	struct pollfd p = { .fd = dev, .events = POLLIN };
	struct kpl_event ev[16];
	ssize_t n, i;

	if (poll(&p, 1, ms) <= 0)
		return;
	n = read(dev, ev, sizeof(ev));
	for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
		printf("# event %llu %s pid %d tid %d guard %u func %u addr "
		       "0x%llx reason %u lost %u\n",
		       (unsigned long long)ev[i].seq, ev_name(ev[i].type),
		       ev[i].pid, ev[i].tid, ev[i].guard, ev[i].func,
		       (unsigned long long)ev[i].addr, ev[i].reason,
		       ev[i].lost);
		if (nr_pending < KPL_EVENTS_KEPT)
			pending[nr_pending++] = ev[i];
	}
}

/* Wait up to @ms for an event of @type about process @pid. */
static bool ev_wait(uint32_t type, pid_t pid, int ms, struct kpl_event *out)
{
	uint64_t end = ku_now_ns() + (uint64_t)ms * 1000000;
	unsigned int i;

	for (;;) {
		for (i = 0; i < nr_pending; i++) {
			if (pending[i].type != type || pending[i].pid != pid)
				continue;
			if (out)
				*out = pending[i];
			memmove(&pending[i], &pending[i + 1],
				(nr_pending - i - 1) * sizeof(pending[0]));
			nr_pending--;
			return true;
		}
		if (ku_now_ns() >= end)
			return false;
		ev_fetch(20);
	}
}

/* Field @key of guard @id's line in the guards file, or -1. */
static long guard_field(uint32_t id, const char *key)
{
	char line[1024], pat[64];
	FILE *f = fopen(SYSFS "guards", "r");
	unsigned int g;
	long v = -1;
	char *p;

	snprintf(pat, sizeof(pat), " %s ", key);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "guard %u ", &g) != 1 || g != id)
			continue;
		p = strstr(line, pat);
		if (p)
			v = strtol(p + strlen(pat), NULL, 10);
		break;
	}
	if (f)
		fclose(f);
	return v;
}

/* Does the processes file have a line starting "PID " holding @what? */
static bool proc_line(pid_t pid, const char *what)
{
	char line[512], pfx[16];
	FILE *f = fopen(SYSFS "processes", "r");
	bool found = false;

	snprintf(pfx, sizeof(pfx), "%d ", pid);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, pfx, strlen(pfx)) && strstr(line, what))
			found = true;
	if (f)
		fclose(f);
	return found;
}

static void show_file(const char *name)
{
	char line[512];
	FILE *f = fopen(name, "r");

	while (f && fgets(line, sizeof(line), f))
		printf("# %s: %s", name + strlen(SYSFS), line);
	if (f)
		fclose(f);
}

#endif
