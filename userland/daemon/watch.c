// SPDX-License-Identifier: GPL-2.0
/*
 * The crash watchdog.  A patched process that dies of a fatal signal
 * within the configured window after its patch was installed takes the
 * patch out everywhere: it is reverted from every process and
 * quarantined, with the evidence (signal, addresses, where the IP was)
 * in the journal, until an admin releases it or a newer version arrives.
 * With watchdog_scope = patch (the default), only a crash whose IP is in
 * the patch's own code counts.  Its BPF program (watch.bpf.c) is an
 * object of its own: a kernel that refuses it still gets the hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "kpld.h"
#include "watch.h"
#include "watch.skel.h"

static struct watch_bpf *skel;
static struct ring_buffer *rb;
static char why[KPLD_WHY_MAX];

/* Patch mappings by process, remembered for processes that die fast. */
struct seen {
	int pid;
	char id[KPL_ID_MAX + 1];
	uint64_t lo, hi;
};
static struct seen *seen;
static size_t nr_seen;

/*
 * The patch mapping of @pid that @ip is in, from /proc/PID/maps.
 * Return: 1 when a mapping holds @ip, 0 when none does (a dying process
 * may show no mappings at all), -errno when the file is gone.
 */
static int where(int pid, uint64_t ip, char *id, size_t idlen, uint64_t *lo,
		 bool *in_patch, char *what, size_t wlen)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*in_patch = false;
	snprintf(what, wlen, "unknown code");
	while (getline(&line, &cap, f) > 0) {
		uint64_t a, b, off;
		char name[300] = "";
		char *k;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64
			   " %*s %*s %299[^\n]", &a, &b, &off, name) < 3)
			continue;
		k = strstr(name, "/memfd:kpl:");
		if (k && !found) {
			/* Remember which patches this process has. */
			snprintf(id, idlen, "%.*s", (int)strcspn(k + 11, " "),
				 k + 11);
		}
		if (ip < a || ip >= b)
			continue;
		found = 1;
		*in_patch = k != NULL;
		*lo = a - off;
		if (k)
			snprintf(id, idlen, "%.*s", (int)strcspn(k + 11, " "),
				 k + 11);
		snprintf(what, wlen, "%s+0x%" PRIx64, name[0] ? name : "[anon]",
			 ip - (a - off));
	}
	free(line);
	fclose(f);
	return found;
}

static int on_crash(void *ctx, void *data, size_t len)
{
	struct kpld *d = ctx;
	const struct kpld_crash *c = data;
	char id[KPL_ID_MAX + 1] = "", what[400] = "unknown code", ev[600];
	struct kpld_patch *p;
	bool in_patch = false;
	uint64_t lo = 0;
	size_t i;

	if (len < sizeof(*c) || c->kind != KPLD_EV_CRASH)
		return 0;
	/* What the last scan saw first: the process is usually gone. */
	for (i = 0; i < nr_seen; i++) {
		if (seen[i].pid != c->pid)
			continue;
		snprintf(id, sizeof(id), "%s", seen[i].id);
		in_patch = c->ip >= seen[i].lo && c->ip < seen[i].hi;
		if (in_patch) {
			snprintf(what, sizeof(what),
				 "/memfd:kpl:%s+0x%llx", seen[i].id,
				 c->ip - seen[i].lo);
			break;
		}
		snprintf(what, sizeof(what), "code outside the patch");
	}
	/* Still mapped: name the mapping and offset precisely. */
	{
		char id2[sizeof(id)] = "", what2[sizeof(what)];
		bool in2 = false;

		if (where(c->pid, c->ip, id2, sizeof(id2), &lo, &in2, what2,
			  sizeof(what2)) == 1 && id2[0]) {
			snprintf(id, sizeof(id), "%s", id2);
			snprintf(what, sizeof(what), "%s", what2);
			in_patch = in2;
		}
	}
	p = id[0] ? kpld_find(d, id) : NULL;
	if (!p || p->state != KPLD_INSTALLED)
		return 0;
	snprintf(ev, sizeof(ev), "pid %d (%s) thread %d: signal %d code %d, "
		 "fault address 0x%llx, ip 0x%llx in %s", c->pid, c->comm,
		 c->tid, c->sig, c->code, c->addr, c->ip, what);
	kpld_journal_event(d, p->id, "crash", ev);
	fprintf(stderr, "kpld: crash: %s\n", ev);
	if (kpld_mono_ns() - p->installed_mono_ns >
	    (uint64_t)d->cfg.watch_window_s * 1000000000ull)
		return 0;
	if (!d->cfg.watch_anywhere && !in_patch)
		return 0;
	d->quarantine(d, p, KPLD_QUARANTINED, ev);
	return 0;
}

/* Note every process's patch mappings (called after each rescan). */
void kpld_watch_note(int pid, const char *id, uint64_t lo, uint64_t hi)
{
	struct seen *s;
	size_t i;

	for (i = 0; i < nr_seen; i++) {
		if (seen[i].pid == pid && !strcmp(seen[i].id, id)) {
			if (lo < seen[i].lo)
				seen[i].lo = lo;
			if (hi > seen[i].hi)
				seen[i].hi = hi;
			return;
		}
	}
	s = realloc(seen, (nr_seen + 1) * sizeof(*s));
	if (!s)
		return;
	seen = s;
	s = &seen[nr_seen++];
	s->pid = pid;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->lo = lo;
	s->hi = hi;
}

void kpld_watch_forget_all(void)
{
	/* A crash already reported is judged by the mappings seen before
	 * it: its process is usually gone, and would be forgotten here. */
	kpld_watch_read();
	nr_seen = 0;
}

int kpld_watch_open(struct kpld *d)
{
	int err;

	skel = watch_bpf__open();
	if (!skel) {
		err = errno ? -errno : -ENOMEM;
		goto fail;
	}
	skel->rodata->kpld_fault = kpld_bpf_prepare("watchdog");
	skel->rodata->kpld_pidns_ino = kpld_bpf_pidns();
	err = watch_bpf__load(skel);
	if (!err)
		err = watch_bpf__attach(skel);
	if (err)
		goto fail;
	err = kpld_bpf_ring(skel->maps.events, on_crash, d, &rb);
	if (err >= 0)
		return err;
fail:
	kpld_bpf_why(err, why, sizeof(why));
	watch_bpf__destroy(skel);
	skel = NULL;
	return err;
}

const char *kpld_watch_why(void)
{
	return skel ? NULL : why;
}

void kpld_watch_read(void)
{
	static bool reading;

	/* on_crash() may revert, and a revert may renote (below): the
	 * records being read are not read again from inside. */
	if (rb && !reading) {
		reading = true;
		ring_buffer__consume(rb);
		reading = false;
	}
}

/*
 * A kpl killed mid-write leaves a process half patched until some kpl
 * looks at it: kpld looks every rescan, and repairs (under the per-pid
 * lock, so an apply in flight is left alone).
 */
static void repair_pid(pid_t pid)
{
	struct kpl_target *t = NULL;

	if (!kpl_target__open(pid, NULL, &t))
		kpl_target__repair(t, NULL);
	kpl_target__close(t);
}

/*
 * Tell the watchdog which process has which patch mapped where (a
 * crashing process is usually gone by the time its event is read), and
 * repair the processes whose records say a transaction did not finish.
 */
void kpld_note_all(void)
{
	struct kpl_fleet_mapping *v = NULL;
	size_t n = 0, i;
	pid_t last = 0;

	kpld_watch_forget_all();
	if (kpl_fleet__mappings(&v, &n))
		return;
	for (i = 0; i < n; i++)
		kpld_watch_note(v[i].pid, v[i].id, v[i].start, v[i].end);
	/* One repair per process: a process's mappings are adjacent. */
	for (i = 0; i < n; i++) {
		if (v[i].unfinished && v[i].pid != last)
			repair_pid(v[i].pid);
		if (v[i].unfinished)
			last = v[i].pid;
	}
	free(v);
}
