// SPDX-License-Identifier: GPL-2.0
/*
 * Holding new processes with the kernel module: when /dev/kpatch_lite
 * is there (ABI 2.1, guards), kpld asks it to guard the entry of every
 * old function of an installed patch, in the library file, instead of
 * holding at DT_INIT with BPF (hold.c).  A thread of a process that has
 * not been patched is held at the entry, before the old function's
 * first instruction; the module reports it (KPL_EVENT_HOLD), kpld
 * patches that process (the kmod backend, the only one that can stop a
 * process with a thread held in the module) and the thread goes on in
 * the new function.  This is the one file of kpld that knows the ABI.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/linux/kpatch_lite.h>

#include "elfobj.h"
#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"
#include "patch.h"

/* A held process waits this long for kpld, then runs the old code. */
#define GUARD_HOLD_MS 10000

#define GUARD_LIST "/sys/kernel/" KPL_DEVICE_NAME "/guards"

static struct guard {
	char id[KPL_ID_MAX + 1];
	char path[512];
	uint32_t gid;	/* 0: the module refused it */
	int err;
} *guards;
static size_t nr_guards;
static int dev = -1;

int kpld_guard_open(void)
{
	struct kpl_version v = { 0 };
	int fd;

	fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, KPL_IOC_VERSION, &v) ||
	    v.abi_version >> 16 != KPL_ABI_VERSION_MAJOR ||
	    !(v.flags & KPL_VERSION_F_GUARD)) {
		fprintf(stderr, "kpld: %s has no guards (ABI %u.%u); holding "
			"new processes with BPF\n", KPL_DEVICE_PATH,
			v.abi_version >> 16, v.abi_version & 0xffff);
		close(fd);
		return -EOPNOTSUPP;
	}
	dev = fd;
	fprintf(stderr, "kpld: holding new processes with the guards of %s "
		"(ABI %u.%u)\n", KPL_DEVICE_PATH, v.abi_version >> 16,
		v.abi_version & 0xffff);
	return fd;
}

bool kpld_guard_enabled(void)
{
	return dev >= 0;
}

/* File offset of the link-time address @vaddr, through the PT_LOADs. */
static int file_offset(const struct kpl_elf *elf, uint64_t vaddr,
		       uint64_t *off)
{
	size_t i, n;

	if (elf_getphdrnum(elf->elf, &n))
		return -KPL_E_FORMAT;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf->elf, (int)i, &ph) &&
		    ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -KPL_E_SYMBOL;
}

/* The file offsets of @kp's old functions' entries in @path. */
static int entries(const struct kpl_patch *kp, const char *path,
		   uint64_t *off)
{
	struct kpl_elf *elf = NULL;
	size_t i;
	int err;

	err = kpl_elf__open(path, &elf);
	for (i = 0; !err && i < kp->nr_funcs; i++) {
		const struct kpl_elf_sym *sym;

		err = kpl_elf__find(elf, kp->funcs[i].old_name,
				    kp->funcs[i].old_file, &sym);
		if (!err)
			err = file_offset(elf, sym->value, &off[i]);
		if (err)
			fprintf(stderr, "kpld: guard: %s in %s: %s\n",
				kp->funcs[i].old_name, kpld_esc(path),
				kpl_strerror(err));
	}
	kpl_elf__close(elf);
	return err;
}

/* The id of the module's guard for patch @id (a kpld killed earlier
 * left it), or 0. */
static uint32_t existing(const char *id)
{
	char line[1024], pid[KPL_PATCH_ID_MAX + 8];
	uint32_t gid = 0, g;
	FILE *f = fopen(GUARD_LIST, "re");

	while (f && !gid && fgets(line, sizeof(line), f))
		if (sscanf(line, "guard %" SCNu32 " patch %71s", &g, pid) == 2 &&
		    !strcmp(pid, id))
			gid = g;
	if (f)
		fclose(f);
	return gid;
}

int kpld_guard_learn(struct kpld *d, struct kpld_patch *p, const char *path)
{
	struct kpl_guard_add a = { .size = sizeof(a) };
	const struct kpl_patch *kp = p->kp;
	uint64_t *off = NULL;
	struct guard *g;
	char detail[700];
	int lfd = -1, err;
	size_t i;

	if (dev < 0)
		return -ENODEV;
	for (i = 0; i < nr_guards; i++)
		if (!strcmp(guards[i].id, p->id))
			return strcmp(guards[i].path, path) ? -EEXIST
							    : guards[i].err;
	if (!kp || !kp->nr_funcs || kp->nr_funcs > KPL_GUARD_FUNCS_MAX ||
	    strlen(p->id) > KPL_PATCH_ID_MAX)
		return -EINVAL;
	g = realloc(guards, (nr_guards + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	guards = g;
	g = &guards[nr_guards];
	off = calloc(kp->nr_funcs, sizeof(*off));
	err = off ? entries(kp, path, off) : -ENOMEM;
	if (err)
		goto out;
	lfd = open(path, O_RDONLY | O_CLOEXEC);
	if (lfd < 0) {
		err = -errno;
		goto out;
	}
	a.lib_fd = lfd;
	a.policy = KPL_GUARD_HOLD;
	a.hold_ms = GUARD_HOLD_MS;
	a.timeout_policy = KPL_GUARD_ALLOW;
	a.nr_funcs = (uint32_t)kp->nr_funcs;
	a.offsets = (uintptr_t)off;
	snprintf(a.patch_id, sizeof(a.patch_id), "%s", p->id);
	err = ioctl(dev, KPL_IOC_GUARD_ADD, &a) ? -errno : 0;
	if (err == -EEXIST && (a.id = existing(p->id)))
		err = 0;	/* ours, from a kpld that was killed */
out:
	/* Remembered either way: a refusal is not retried every rescan. */
	snprintf(g->id, sizeof(g->id), "%s", p->id);
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->gid = err ? 0 : a.id;
	g->err = err;
	nr_guards++;
	if (lfd >= 0)
		close(lfd);
	free(off);
	if (err) {
		snprintf(detail, sizeof(detail), "no guard on %s (%s): holding "
			 "with BPF", path, kpl_strerror(err));
		kpld_journal_event(d, p->id, "guard", detail);
		fprintf(stderr, "kpld: %s: %s\n", p->id, kpld_esc(detail));
		return err;
	}
	snprintf(detail, sizeof(detail),
		 "guard %u on %s: %zu function(s), hold up to %u ms", a.id,
		 path, kp->nr_funcs, GUARD_HOLD_MS);
	kpld_journal_event(d, p->id, "guard", detail);
	fprintf(stderr, "kpld: %s: %s\n", p->id, kpld_esc(detail));
	return 0;
}

static void del(size_t i)
{
	struct kpl_guard_del r = { .size = sizeof(r), .id = guards[i].gid };

	if (guards[i].gid && ioctl(dev, KPL_IOC_GUARD_DEL, &r) &&
	    errno != ENOENT)
		fprintf(stderr, "kpld: %s: deleting guard %u: %s\n",
			guards[i].id, guards[i].gid, strerror(errno));
	guards[i] = guards[--nr_guards];
}

void kpld_guard_forget(struct kpld *d, struct kpld_patch *p)
{
	char detail[64];
	size_t i;

	for (i = 0; dev >= 0 && i < nr_guards; i++) {
		if (strcmp(guards[i].id, p->id))
			continue;
		snprintf(detail, sizeof(detail), "guard %u deleted",
			 guards[i].gid);
		if (guards[i].gid)
			kpld_journal_event(d, p->id, "guard", detail);
		del(i);
		return;
	}
}

void kpld_guard_close(void)
{
	while (dev >= 0 && nr_guards)
		del(0);
}

static void on_hold(struct kpld *d, const struct kpl_event *ev)
{
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .jobs = 1 };
	struct kpl_fleet_result *res = NULL;
	struct kpld_patch *p = kpld_find(d, ev->patch_id);
	pid_t pid = ev->pid;
	char detail[700];
	int err;

	if (!p || p->state != KPLD_INSTALLED || !p->kp || pid <= 0)
		return;
	err = kpl_fleet__apply(p->kp, &pid, 1, &fo, &res);
	if (res)
		err = res[0].err;
	free(res);
	/* Another thread's hold, the install or the rescan came first. */
	if (err == -KPL_E_APPLIED)
		return;
	snprintf(detail, sizeof(detail),
		 "pid %d held by guard %u at %s's entry (0x%" PRIx64 "): "
		 "%s in %.1f ms", pid, ev->guard,
		 ev->func < p->kp->nr_funcs ? p->kp->funcs[ev->func].old_name
					    : "?",
		 (uint64_t)ev->addr, err ? kpl_strerror(err) : "patched",
		 (kpld_mono_ns() - ev->time_ns) / 1e6);
	kpld_journal_event(d, p->id, "hold", detail);
	fprintf(stderr, "kpld: %s: %s\n", p->id, detail);
	kpld_note_all();
}

void kpld_guard_read(struct kpld *d, int fd)
{
	static const char *const why[] = {
		[KPL_RELEASE_ALLOWED] = "held too long: ran the old function",
		[KPL_RELEASE_KILLED] = "held too long: killed",
		[KPL_RELEASE_DIED] = "died while held",
	};
	struct kpl_event ev[16];
	char detail[160];
	ssize_t n;
	size_t i;

	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			ev[i].patch_id[KPL_PATCH_ID_MAX] = '\0';
			if (ev[i].lost)
				fprintf(stderr, "kpld: guard events lost: %u\n",
					ev[i].lost);
			if (ev[i].type == KPL_EVENT_HOLD) {
				on_hold(d, &ev[i]);
			} else if ((ev[i].type == KPL_EVENT_RELEASE &&
				    ev[i].reason < sizeof(why) / sizeof(*why) &&
				    why[ev[i].reason]) ||
				   ev[i].type == KPL_EVENT_ALLOW ||
				   ev[i].type == KPL_EVENT_KILL) {
				snprintf(detail, sizeof(detail),
					 "pid %d, guard %u: %s", ev[i].pid,
					 ev[i].guard,
					 ev[i].type == KPL_EVENT_RELEASE ?
						 why[ev[i].reason] :
					 ev[i].type == KPL_EVENT_ALLOW ?
						 "ran the old function" :
						 "killed");
				kpld_journal_event(d, ev[i].patch_id, "guard",
						   detail);
				fprintf(stderr, "kpld: %s: %s\n",
					ev[i].patch_id, detail);
			}
		}
	}
}
