// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: guards, a uprobe on each old function's entry so that
 * processes started later, or not patched yet, never run it.
 *
 * The probe is on the library's inode, so it is in every process that
 * maps the library, now or later (uprobes install it at mmap).  Its
 * handler runs in the thread that entered the function, before the
 * function's first instruction:
 *
 *   patched process  -> the new function; the breakpoint leaves this
 *                       process (UPROBE_HANDLER_REMOVE), which then takes
 *                       no trap per call, only this first one
 *   unpatched        -> the guard's policy (guard_hold.c)
 *
 * Where the probe sits.  Uprobes write 0xCC over the first byte of the
 * entry in every process, whatever that process holds there, and
 * single-step a copy of the page cache's instruction.  libkpl writes
 * its 5-byte jump after endbr64 (entry + 4) and keeps the endbr64, so a
 * probe on an entry that starts with endbr64 never overlaps a jump, in
 * either order of probe and patch; entries without one are refused.
 * The handler always moves the IP itself, so nothing is single-stepped.
 *
 * Lifetime.  Guards are kernel objects, not tied to the descriptor that
 * made them: each holds a module reference, so the module cannot be
 * unloaded while a guard exists (rmmod fails; delete the guards first).
 * A guard is freed only after every probe of it is unregistered:
 * uprobe_unregister() waits for running handlers, so none can still use
 * it.  Lock order: kpl_guard_mutex, then a uprobe's register_rwsem
 * (uprobe_register/unregister), then mmap locks; the handler runs under
 * register_rwsem and never takes kpl_guard_mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/overflow.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uprobes.h>

#include "guard.h"
#include "kpl.h"

DEFINE_MUTEX(kpl_guard_mutex);
LIST_HEAD(kpl_guards);
static u32 kpl_guard_last_id;
static unsigned int kpl_guard_count;

static const u8 kpl_endbr64[KPL_ENDBR64_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };

static int kpl_guard_handler(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	struct kpl_guard_func *f = container_of(uc, struct kpl_guard_func, uc);
	struct kpl_guard *g = f->g;
	/* handle_swbp() has put the IP back on the int3: the entry. */
	unsigned long entry = instruction_pointer(regs);
	unsigned long ip;

	atomic64_inc(&f->hits);
	kpl_stat_inc(KPL_STAT_GUARD_HITS);
	if (!kpl_record_target(g->patch_id, entry, &ip)) {
		atomic64_inc(&g->patched);
		kpl_event_emit(KPL_EVENT_PATCHED, 0, g, f->idx, entry);
		instruction_pointer_set(regs, ip);
		return UPROBE_HANDLER_REMOVE;
	}
	if (READ_ONCE(g->dying)) {
		instruction_pointer_set(regs, entry + KPL_ENDBR64_LEN);
		return 0;
	}
	return kpl_guard_policy(f, regs, entry);
}

static bool kpl_patch_id_ok(const char *id)
{
	size_t i, n = strnlen(id, KPL_PATCH_ID_MAX + 1);

	if (!n || n > KPL_PATCH_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum(id[i]) && id[i] != '.' && id[i] != '_' &&
		    id[i] != '-')
			return false;
	return true;
}

static int kpl_guard_check(const struct kpl_guard_add *req)
{
	if (req->flags || !req->nr_funcs ||
	    req->nr_funcs > KPL_GUARD_FUNCS_MAX || !req->offsets)
		return -EINVAL;
	if (!kpl_patch_id_ok(req->patch_id))
		return -EINVAL;
	switch (req->policy) {
	case KPL_GUARD_HOLD:
		if (req->hold_ms > KPL_GUARD_HOLD_MAX_MS ||
		    (req->timeout_policy != KPL_GUARD_ALLOW &&
		     req->timeout_policy != KPL_GUARD_KILL))
			return -EINVAL;
		return 0;
	case KPL_GUARD_ALLOW:
	case KPL_GUARD_KILL:
		return req->hold_ms || req->timeout_policy ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* Every entry inside the file, once, starting with endbr64. */
static int kpl_guard_check_entries(struct file *file, const u64 *off,
				   unsigned int n)
{
	loff_t size = i_size_read(file_inode(file));
	unsigned int i, j;
	u8 insn[KPL_ENDBR64_LEN];
	ssize_t got;

	for (i = 0; i < n; i++) {
		loff_t pos = off[i];

		if (off[i] > (u64)size || size - off[i] < KPL_ENDBR64_LEN)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (off[j] == off[i])
				return -EINVAL;
		/* The page cache, where uprobes take the instruction. */
		got = kernel_read(file, insn, sizeof(insn), &pos);
		if (got < 0)
			return got;
		if (got != sizeof(insn))
			return -EIO;
		if (memcmp(insn, kpl_endbr64, sizeof(insn)))
			return -EOPNOTSUPP;
	}
	return 0;
}

/* Is an entry of @inode at one of @off guarded already?  Mutex held. */
static bool kpl_guard_taken(struct inode *inode, const u64 *off,
			    unsigned int n)
{
	struct kpl_guard *g;
	unsigned int i, j;

	list_for_each_entry(g, &kpl_guards, node) {
		if (g->inode != inode)
			continue;
		for (i = 0; i < g->nr_funcs; i++)
			for (j = 0; j < n; j++)
				if (g->funcs[i].offset == off[j])
					return true;
	}
	return false;
}

static void kpl_guard_unregister(struct kpl_guard *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_funcs; i++) {
		if (g->funcs[i].registered)
			uprobe_unregister(g->inode, g->funcs[i].offset,
					  &g->funcs[i].uc);
		g->funcs[i].registered = false;
	}
}

static void kpl_guard_free(struct kpl_guard *g)
{
	path_put(&g->path);
	kfree(g);
}

/**
 * kpl_guard_add() - KPL_IOC_GUARD_ADD
 * @req: the request, copied from userland; @req->id is set on success
 *
 * Return: 0, or a negative errno as the ABI header lists.
 */
int kpl_guard_add(struct kpl_guard_add *req)
{
	struct kpl_guard *g;
	struct fd f;
	u64 *off;
	unsigned int i;
	int ret;

	ret = kpl_guard_check(req);
	if (ret)
		return ret;
	off = memdup_user(u64_to_user_ptr(req->offsets),
			  array_size(req->nr_funcs, sizeof(*off)));
	if (IS_ERR(off))
		return PTR_ERR(off);
	f = fdget(req->lib_fd);
	if (!f.file) {
		ret = -EBADF;
		goto err_off;
	}
	if (!S_ISREG(file_inode(f.file)->i_mode)) {
		ret = -EINVAL;
		goto err_fd;
	}
	ret = kpl_guard_check_entries(f.file, off, req->nr_funcs);
	if (ret)
		goto err_fd;

	g = kzalloc(struct_size(g, funcs, req->nr_funcs), GFP_KERNEL);
	if (!g) {
		ret = -ENOMEM;
		goto err_fd;
	}
	g->policy = req->policy;
	g->hold_ms = req->hold_ms ? req->hold_ms : KPL_GUARD_HOLD_DEFAULT_MS;
	g->timeout_policy = req->timeout_policy;
	strscpy(g->patch_id, req->patch_id, sizeof(g->patch_id));
	g->path = f.file->f_path;
	path_get(&g->path);
	/* What uprobe-based tracing probes too: the real inode. */
	g->inode = d_real_inode(g->path.dentry);
	g->nr_funcs = req->nr_funcs;
	for (i = 0; i < g->nr_funcs; i++) {
		g->funcs[i].uc.handler = kpl_guard_handler;
		g->funcs[i].g = g;
		g->funcs[i].offset = off[i];
		g->funcs[i].idx = i;
	}

	mutex_lock(&kpl_guard_mutex);
	if (kpl_guard_count >= KPL_GUARDS_MAX) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	if (kpl_guard_taken(g->inode, off, g->nr_funcs)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	for (i = 0; i < g->nr_funcs; i++) {
		ret = uprobe_register(g->inode, g->funcs[i].offset,
				      &g->funcs[i].uc);
		if (ret)
			goto err_unregister;
		g->funcs[i].registered = true;
	}
	do {
		g->id = ++kpl_guard_last_id;
	} while (!g->id);
	list_add_tail(&g->node, &kpl_guards);
	kpl_guard_count++;
	/* Pinned until deleted: the handler is this module's code. */
	__module_get(THIS_MODULE);
	pr_info("guard %u: patch %s, %u function(s), policy %u\n", g->id,
		g->patch_id, g->nr_funcs, g->policy);
	req->id = g->id;
	/* From here another caller may delete it. */
	mutex_unlock(&kpl_guard_mutex);

	fdput(f);
	kfree(off);
	return 0;

err_unregister:
	g->dying = true;
	kpl_guard_kick();
	kpl_guard_unregister(g);
err_unlock:
	mutex_unlock(&kpl_guard_mutex);
	kpl_guard_free(g);
err_fd:
	fdput(f);
err_off:
	kfree(off);
	return ret;
}

/**
 * kpl_guard_del() - KPL_IOC_GUARD_DEL
 * @req: the request, copied from userland
 *
 * Held threads go on past the entry, then the probes leave every
 * process.  Waits for threads still inside the handler.
 *
 * Return: 0, -EINVAL, or -ENOENT (no guard @req->id).
 */
int kpl_guard_del(const struct kpl_guard_del *req)
{
	struct kpl_guard *g;

	if (req->flags || req->reserved || !req->id)
		return -EINVAL;
	mutex_lock(&kpl_guard_mutex);
	list_for_each_entry(g, &kpl_guards, node)
		if (g->id == req->id)
			goto found;
	mutex_unlock(&kpl_guard_mutex);
	return -ENOENT;

found:
	list_del(&g->node);
	kpl_guard_count--;
	WRITE_ONCE(g->dying, true);
	kpl_guard_kick();
	kpl_guard_unregister(g);
	mutex_unlock(&kpl_guard_mutex);
	pr_info("guard %u: deleted\n", g->id);
	kpl_guard_free(g);
	module_put(THIS_MODULE);
	return 0;
}

/* Number of guards now. */
unsigned int kpl_guard_nr(void)
{
	return READ_ONCE(kpl_guard_count);
}
