// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: the patch record libkpl keeps at the start of each patch
 * mapping ("/memfd:kpl:<id>"), read by the guards.
 *
 * The state lives with the process (docs/design.md), so this is how the
 * module knows whether a process is patched, whoever patched it (either
 * backend, kpl or kpld) and even when nobody told the module.  The
 * record is the process's own memory: it can only mislead the process
 * about itself, so it is checked for shape, not trusted for more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>

#include "kpl.h"

/* More functions than any patch has: bounds a scan of a bad record. */
#define KPL_REC_FUNCS_MAX 4096

#define KPL_REC_PREFIX "memfd:kpl:"

/**
 * kpl_record_vma_id() - the patch id a mapping holds the record of
 * @vma: a mapping, its mm's lock held
 *
 * Return: the id (inside the file's name, valid while the mapping is),
 * or NULL when @vma is not the start of a private "memfd:kpl:<id>".
 */
const char *kpl_record_vma_id(struct vm_area_struct *vma)
{
	const char *name;

	if (!vma->vm_file || vma->vm_pgoff || (vma->vm_flags & VM_SHARED))
		return NULL;
	/* An unlinked shmem file is never renamed. */
	name = file_dentry(vma->vm_file)->d_name.name;
	if (strncmp(name, KPL_REC_PREFIX, sizeof(KPL_REC_PREFIX) - 1))
		return NULL;
	return name + sizeof(KPL_REC_PREFIX) - 1;
}

/* Start of the record of patch @id in current->mm, or 0. */
static unsigned long kpl_record_find(const char *id)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long start = 0;
	VMA_ITERATOR(vmi, mm, 0);

	if (mmap_read_lock_killable(mm))
		return 0;
	for_each_vma(vmi, vma) {
		const char *vid = kpl_record_vma_id(vma);

		if (vid && !strcmp(vid, id)) {
			start = vma->vm_start;
			break;
		}
	}
	mmap_read_unlock(mm);
	return start;
}

/**
 * kpl_record_head_ok() - is @head the start of an applied record of @id?
 * @head: the first KPL_REC_HEAD bytes of a record
 * @id:	  the patch id wanted, or NULL for any
 * @phase: out, if not NULL: the record's phase (0 when not a record)
 */
bool kpl_record_head_ok(const u8 *head, const char *id, u32 *phase)
{
	const char *rid = (const char *)head + KPL_REC_OFF_ID;
	u32 ph;

	if (phase)
		*phase = 0;
	if (memcmp(head, KPL_REC_MAGIC, 8) ||
	    get_unaligned((const u32 *)(head + KPL_REC_OFF_VERSION)) !=
		    KPL_REC_VERSION ||
	    strnlen(rid, KPL_REC_ID_LEN) == KPL_REC_ID_LEN)
		return false;
	ph = get_unaligned((const u32 *)(head + KPL_REC_OFF_PHASE));
	if (phase)
		*phase = ph;
	if (id && strcmp(rid, id))
		return false;
	return ph == KPL_REC_PHASE_APPLIED;
}

/**
 * kpl_record_target() - where a thread entering @entry should go
 * @id:	   the guard's patch id
 * @entry: the function entry it trapped on, in current's process
 * @ip:	   out: where to go on
 *
 * Runs in the trapping thread (current->mm is the process), may fault
 * and sleep.  The process counts as patched when the record of @id is
 * applied and lists @entry.  If the record's jump is in place the thread
 * goes straight to the new function; if another jump replaced it (a
 * later patch stacked on top), it goes past endbr64 onto that jump, as
 * it would without the probe.
 *
 * Return: 0 with *@ip, or -ENOENT (not patched here), -EFAULT.
 */
int kpl_record_target(const char *id, unsigned long entry, unsigned long *ip)
{
	u8 head[KPL_REC_HEAD], f[KPL_REC_FUNC_OFF_JUMP + KPL_REC_BYTES];
	u8 cur[KPL_REC_BYTES];
	unsigned long rec = kpl_record_find(id);
	const u8 __user *fp;
	u32 nr, i, len;
	u64 addr, new;

	if (!rec)
		return -ENOENT;
	if (copy_from_user(head, (const void __user *)rec, sizeof(head)))
		return -EFAULT;
	if (!kpl_record_head_ok(head, id, NULL))
		return -ENOENT;
	nr = get_unaligned((const u32 *)(head + KPL_REC_OFF_NR_FUNCS));
	nr = min_t(u32, nr, KPL_REC_FUNCS_MAX);
	fp = (const u8 __user *)rec + KPL_REC_OFF_FUNCS;
	for (i = 0; i < nr; i++, fp += KPL_REC_FUNC_SIZE) {
		if (copy_from_user(f, fp, sizeof(f)))
			return -EFAULT;
		if (get_unaligned((const u64 *)(f + KPL_REC_FUNC_OFF_ENTRY)) !=
		    entry)
			continue;
		addr = get_unaligned((const u64 *)(f + KPL_REC_FUNC_OFF_ADDR));
		new = get_unaligned((const u64 *)(f + KPL_REC_FUNC_OFF_NEW));
		len = get_unaligned((const u32 *)(f + KPL_REC_FUNC_OFF_LEN));
		if (!len || len > KPL_REC_BYTES || new >= TASK_SIZE_MAX)
			return -ENOENT;
		if (copy_from_user(cur, (const void __user *)addr, len))
			return -EFAULT;
		if (!memcmp(cur, f + KPL_REC_FUNC_OFF_JUMP, len)) {
			*ip = new;
			return 0;
		}
		/* 0xE9: jmp rel32, another patch's, after endbr64. */
		if (addr == entry + KPL_ENDBR64_LEN && cur[0] == 0xe9) {
			*ip = addr;
			return 0;
		}
		return -ENOENT;
	}
	return -ENOENT;
}
