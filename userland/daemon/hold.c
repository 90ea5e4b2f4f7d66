// SPDX-License-Identifier: GPL-2.0
/*
 * Holding new processes (the BPF path, when the kernel module's guards,
 * guard.c, are not there or refuse a patch): a uprobe on the DT_INIT
 * entry of each library an installed patch targets fires in a process
 * that has just mapped and relocated that library and is about to run
 * its first code.  The BPF program (hold.bpf.c, loaded here on its own,
 * whatever becomes of the watchdog's) stops the process (SIGSTOP); kpld
 * patches it and lets it go (SIGCONT).  So a process started after the
 * install never runs the vulnerable function.  The uprobe is per inode:
 * it covers every later mapping of that file.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kpl/elf.h"
#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "hold.skel.h"
#include "kpld.h"
#include "watch.h"

static struct hold_bpf *skel;
static struct ring_buffer *rb;
static char why[KPLD_WHY_MAX];

static struct hold {
	char path[512];
	dev_t dev;		/* the file: one uprobe per inode */
	ino_t ino;
	struct bpf_link *link;
} *holds;
static size_t nr_holds;

/* Hold the new users of the file @path, which @st describes. */
static int attach(const char *path, const struct stat *st)
{
	struct bpf_program *prog = skel ? skel->progs.kpld_hold : NULL;
	struct hold *h;
	uint64_t off;
	size_t i;

	/* A container's file comes as /proc/PID/map_files/..., another
	 * name each time: the same file is the same inode. */
	for (i = 0; i < nr_holds; i++)
		if (holds[i].dev == st->st_dev && holds[i].ino == st->st_ino)
			return 0;
	/* Offset 0 is the ELF header: no DT_INIT can be there. */
	if (!prog || kpl_elf_init_offset(path, &off) || !off)
		return -ENOENT;
	h = realloc(holds, (nr_holds + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	holds = h;
	h = &holds[nr_holds];
	h->link = bpf_program__attach_uprobe(prog, false, -1, path, off);
	if (!h->link)
		return -errno;
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->dev = st->st_dev;
	h->ino = st->st_ino;
	nr_holds++;
	fprintf(stderr, "kpld: holding new processes of %s at its DT_INIT "
		"(+0x%" PRIx64 ")\n", kpld_esc(path), off);
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct kpld_crash *e = data;

	if (len >= sizeof(*e) && e->kind == KPLD_EV_HOLD)
		kpld_on_hold(ctx, e->pid);
	return 0;
}

int kpld_hold_open(struct kpld *d)
{
	int err;

	skel = hold_bpf__open();
	if (!skel) {
		err = errno ? -errno : -ENOMEM;
		goto fail;
	}
	skel->rodata->kpld_fault = kpld_bpf_prepare("hold");
	skel->rodata->kpld_pidns_ino = kpld_bpf_pidns();
	err = hold_bpf__load(skel);
	if (err)
		goto fail;
	err = kpld_bpf_ring(skel->maps.events, on_event, d, &rb);
	if (err >= 0)
		return err;
fail:
	kpld_bpf_why(err, why, sizeof(why));
	hold_bpf__destroy(skel);
	skel = NULL;
	return err;
}

const char *kpld_hold_why(void)
{
	return skel ? NULL : why;
}

void kpld_hold_read(void)
{
	if (rb)
		ring_buffer__consume(rb);
}

/*
 * Learn, from the processes @pids that map @p's library, every file it is
 * (a process in a container maps its own copy, by a path that names
 * another file or none in kpld's mount namespace) and hold each one's new
 * users.  Only a path that names the file here is kept in p->lib_path,
 * for the superseded check: the files of containers are held through
 * /proc/PID/map_files (the uprobe is per inode, so it outlives that
 * process) but not watched for replacement.
 */
void kpld_hold_learn(struct kpld *d, struct kpld_patch *p, const pid_t *pids,
		     size_t nr)
{
	struct file_id { dev_t dev; ino_t ino; } *seen = NULL, *ns;
	size_t i, j, nr_seen = 0;
	char path[512];
	struct stat st;
	bool same;

	for (i = 0; i < nr; i++) {
		if (kpl_fleet__library_here(p->kp, pids[i], path, sizeof(path),
					    &same) ||
		    stat(path, &st))
			continue;
		for (j = 0; j < nr_seen; j++)
			if (seen[j].dev == st.st_dev && seen[j].ino == st.st_ino)
				break;
		if (j < nr_seen)
			continue;
		ns = realloc(seen, (nr_seen + 1) * sizeof(*seen));
		if (!ns)
			break;
		seen = ns;
		seen[nr_seen++] = (struct file_id){ st.st_dev, st.st_ino };
		if (same && !p->lib_path[0])
			snprintf(p->lib_path, sizeof(p->lib_path), "%s", path);
		/* The module's guard instead, unless it refuses (it takes
		 * one file per patch). */
		if (kpld_guard_enabled() && !kpld_guard_learn(d, p, path))
			continue;
		attach(path, &st);
	}
	free(seen);
}

void kpld_on_hold(struct kpld *d, int pid)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = 1 };
	uint64_t t0 = kpld_mono_ns();
	char detail[800], pidstr[16];
	size_t i;

	/* Journaled first: a kpld dying before the SIGCONT below must not
	 * leave this process stopped for good (see the replay). */
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	kpld_journal_event(d, "-", "held", pidstr);
	d->holds++;

	for (i = 0; i < d->nr_patches; i++) {
		struct kpld_patch *p = &d->patches[i];
		struct kpl_fleet_result *res = NULL;
		char path[512];

		if (p->state != KPLD_INSTALLED || !p->kp ||
		    kpl_fleet__library_path(p->kp, pid, path, sizeof(path)) ||
		    !kpld_takes(d, pid))
			continue;
		kpl_fleet__apply(p->kp, &pid, 1, &fo, &res);
		kpld_note_pause(d, res, 1);
		snprintf(detail, sizeof(detail),
			 "pid %d held at %s's DT_INIT: %s in %.1f ms", pid, path,
			 res && !res[0].err ? "patched"
					    : kpl_strerror(res ? res[0].err : 0),
			 (kpld_mono_ns() - t0) / 1e6);
		kpld_journal_event(d, p->id, "hold", detail);
		fprintf(stderr, "kpld: %s: %s\n", p->id, kpld_esc(detail));
		free(res);
	}
	kpld_note_all();
	kill(pid, SIGCONT);
	kpld_journal_event(d, "-", "released", pidstr);
}

/* Is @pid stopped (state T)? */
static bool stopped(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] == 'T';
}

void kpld_hold_release_leftovers(struct kpld *d)
{
	char pidstr[16];
	size_t i;

	for (i = 0; i < d->nr_held; i++) {
		int pid = d->held[i];

		snprintf(pidstr, sizeof(pidstr), "%d", pid);
		if (stopped(pid)) {
			fprintf(stderr, "kpld: pid %d was held by a kpld that "
				"died; patched by the rescan, letting it go\n",
				pid);
			kill(pid, SIGCONT);
		}
		kpld_journal_event(d, "-", "released", pidstr);
	}
	d->nr_held = 0;
}
