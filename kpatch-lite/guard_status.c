// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: the guards as /sys/kernel/kpatch_lite shows them.
 *
 * "guards" is the module's own state.  "processes" is looked up at read
 * time, process by process: which mappings are patch records (and their
 * phase, read from the record), which map a guarded library, and how
 * many of their threads a guard holds.  Reading it costs a walk of every
 * process's mappings, which is fine for a status file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "guard.h"
#include "kpl.h"

/* Processes looked at, and patch mappings per process, at most. */
#define KPL_SCAN_MAX 4096
#define KPL_SCAN_RECS 16
/* Room kept at the end of the page for "...\n". */
#define KPL_SHOW_SLACK 160

static const char *const kpl_policy_names[] = {
	[KPL_GUARD_HOLD] = "hold",
	[KPL_GUARD_ALLOW] = "allow",
	[KPL_GUARD_KILL] = "kill",
};

static const char *const kpl_phase_names[] = {
	"unknown", "prepared", "applying", "applied", "reverting", "replaced",
};

/**
 * kpl_guard_show() - the "guards" file
 * @buf: a page
 *
 * Return: bytes written.
 */
int kpl_guard_show(char *buf)
{
	char *path, *p;
	struct kpl_guard *g;
	unsigned int i;
	int len = 0;

	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	len = sysfs_emit(buf,
			 "# guard ID patch ID policy P hold_ms N timeout P lib PATH hits N patched N holds N allows N kills N timeouts N held N\n#   func I offset OFF hits N\n");
	mutex_lock(&kpl_guard_mutex);
	list_for_each_entry(g, &kpl_guards, node) {
		if (len > PAGE_SIZE - KPL_SHOW_SLACK) {
			len += sysfs_emit_at(buf, len, "...\n");
			break;
		}
		p = d_path(&g->path, path, PATH_MAX);
		len += sysfs_emit_at(
			buf, len,
			"guard %u patch %s policy %s hold_ms %u timeout %s lib %s hits %lld patched %lld holds %lld allows %lld kills %lld timeouts %lld held %d\n",
			g->id, g->patch_id, kpl_policy_names[g->policy],
			g->policy == KPL_GUARD_HOLD ? g->hold_ms : 0,
			g->policy == KPL_GUARD_HOLD ?
				kpl_policy_names[g->timeout_policy] :
				"-",
			IS_ERR(p) ? "?" : p, kpl_guard_hits(g),
			atomic64_read(&g->patched), atomic64_read(&g->holds),
			atomic64_read(&g->allows), atomic64_read(&g->kills),
			atomic64_read(&g->timeouts), atomic_read(&g->held));
		for (i = 0; i < g->nr_funcs; i++) {
			if (len > PAGE_SIZE - KPL_SHOW_SLACK)
				break;
			len += sysfs_emit_at(buf, len,
					     "  func %u offset 0x%llx hits %lld\n",
					     i, (u64)g->funcs[i].offset,
					     atomic64_read(&g->funcs[i].hits));
		}
	}
	mutex_unlock(&kpl_guard_mutex);
	kfree(path);
	return len;
}

/* Sum of the entries' hits. */
s64 kpl_guard_hits(struct kpl_guard *g)
{
	s64 n = 0;
	unsigned int i;

	for (i = 0; i < g->nr_funcs; i++)
		n += atomic64_read(&g->funcs[i].hits);
	return n;
}

struct kpl_scan {
	unsigned long rec[KPL_SCAN_RECS];
	char id[KPL_SCAN_RECS][KPL_REC_ID_LEN];
	u32 phase[KPL_SCAN_RECS];
	unsigned int nr_recs;
	u64 guarded; /* bit i: maps the library of the i-th guard */
};

/* Look at the mappings of @mm.  Guard mutex held. */
static void kpl_scan_mm(struct mm_struct *mm, struct kpl_scan *sc)
{
	struct vm_area_struct *vma;
	struct kpl_guard *g;
	unsigned int i;
	VMA_ITERATOR(vmi, mm, 0);

	memset(sc, 0, sizeof(*sc));
	if (mmap_read_lock_killable(mm))
		return;
	for_each_vma(vmi, vma) {
		const char *id = kpl_record_vma_id(vma);

		if (id && sc->nr_recs < KPL_SCAN_RECS) {
			sc->rec[sc->nr_recs] = vma->vm_start;
			strscpy(sc->id[sc->nr_recs], id, KPL_REC_ID_LEN);
			sc->nr_recs++;
			continue;
		}
		if (!vma->vm_file)
			continue;
		i = 0;
		list_for_each_entry(g, &kpl_guards, node) {
			if (i < 64 && file_inode(vma->vm_file) == g->inode)
				sc->guarded |= 1ull << i;
			i++;
		}
	}
	mmap_read_unlock(mm);

	/* The records themselves, read as KPL_IOC_READ would. */
	for (i = 0; i < sc->nr_recs; i++) {
		u8 head[KPL_REC_HEAD];

		if (kpl_mm_read(mm, sc->rec[i], head, sizeof(head)) ==
		    sizeof(head))
			kpl_record_head_ok(head, NULL, &sc->phase[i]);
	}
}

static bool kpl_scan_applied(const struct kpl_scan *sc, const char *id)
{
	unsigned int i;

	for (i = 0; i < sc->nr_recs; i++)
		if (sc->phase[i] == KPL_REC_PHASE_APPLIED &&
		    !strcmp(sc->id[i], id))
			return true;
	return false;
}

static int kpl_show_task(struct task_struct *t, struct kpl_scan *sc, char *buf,
			 int len)
{
	char comm[TASK_COMM_LEN];
	struct kpl_guard *g;
	struct mm_struct *mm;
	unsigned int i;
	pid_t pid;

	mm = get_task_mm(t);
	if (!mm)
		return len;
	kpl_scan_mm(mm, sc);
	mmput(mm);
	get_task_comm(comm, t);
	pid = task_tgid_vnr(t);
	for (i = 0; i < sc->nr_recs; i++) {
		u32 ph = sc->phase[i];

		if (len > PAGE_SIZE - KPL_SHOW_SLACK)
			return len;
		len += sysfs_emit_at(buf, len, "%d %s patch %s %s\n", pid, comm,
				     sc->id[i],
				     ph < ARRAY_SIZE(kpl_phase_names) ?
					     kpl_phase_names[ph] :
					     "unknown");
	}
	i = 0;
	list_for_each_entry(g, &kpl_guards, node) {
		if (i < 64 && (sc->guarded & (1ull << i))) {
			if (len > PAGE_SIZE - KPL_SHOW_SLACK)
				return len;
			len += sysfs_emit_at(
				buf, len, "%d %s guard %u %s held %u\n", pid,
				comm, g->id,
				kpl_scan_applied(sc, g->patch_id) ?
					"patched" :
					"unpatched",
				kpl_guard_held_in(t->tgid, g));
		}
		i++;
	}
	return len;
}

/**
 * kpl_guard_show_processes() - the "processes" file
 * @buf: a page
 *
 * Return: bytes written.
 */
int kpl_guard_show_processes(char *buf)
{
	struct task_struct **tasks, *p;
	struct kpl_scan *sc;
	unsigned int i, n = 0;
	bool more = false;
	int len;

	tasks = kvcalloc(KPL_SCAN_MAX, sizeof(*tasks), GFP_KERNEL);
	sc = kmalloc(sizeof(*sc), GFP_KERNEL);
	if (!tasks || !sc) {
		kvfree(tasks);
		kfree(sc);
		return -ENOMEM;
	}
	rcu_read_lock();
	for_each_process(p) {
		if (p->flags & PF_KTHREAD)
			continue;
		if (n == KPL_SCAN_MAX) {
			more = true;
			break;
		}
		get_task_struct(p);
		tasks[n++] = p;
	}
	rcu_read_unlock();

	len = sysfs_emit(buf, "# pid comm patch ID PHASE | guard ID patched|unpatched held N\n");
	mutex_lock(&kpl_guard_mutex);
	for (i = 0; i < n; i++) {
		if (len <= PAGE_SIZE - KPL_SHOW_SLACK)
			len = kpl_show_task(tasks[i], sc, buf, len);
		else
			more = true;
		put_task_struct(tasks[i]);
	}
	mutex_unlock(&kpl_guard_mutex);
	if (more || len > PAGE_SIZE - KPL_SHOW_SLACK)
		len += sysfs_emit_at(buf, len, "...\n");
	kvfree(tasks);
	kfree(sc);
	return len;
}
