// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: KPL_IOC_WRITE_BATCH, every entry of a patch in one request.
 *
 * A patch's entry writes (a jump per function, the record's phase) must
 * land together or not at all.  One KPL_IOC_WRITE per entry verifies and
 * writes each under the mmap lock, but between two of them the lock is
 * dropped and the patcher runs: the stop lasts one round trip per entry,
 * and a mismatch found at the last entry leaves the earlier ones written
 * for userland to put back.  Here the whole batch is one critical
 * section: everything from the caller is copied and checked first (no
 * fault under the lock), then, with the lock held for writing, every
 * entry is read and compared, and only if all match is anything
 * written.  A write that faults half way (a page the force cannot write)
 * puts back every byte written before it, from the copies just read.
 *
 * The process must be stopped: the batch is the stop's work, and writing
 * several entries of code a thread is running is what the stop prevents.
 *
 * A fatal signal to the caller is checked once between the compares and
 * the writes.  One that arrives during the writes (a few pages, no
 * sleeping) makes get_user_pages_remote() refuse the next page, and the
 * put-back too: that narrow case returns -EFAULT with part of the batch
 * written, as KPL_IOC_WRITE would with part of one entry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kpl.h"

/* One entry, copied in: its new, expected and current bytes. */
struct kpl_bent {
	u64 addr;
	u32 len;
	bool check;
	u8 new[KPL_BATCH_BYTES];
	u8 exp[KPL_BATCH_BYTES];
	u8 old[KPL_BATCH_BYTES];
};

static int kpl_batch_check(const struct kpl_batch *req)
{
	if (req->flags || req->reserved)
		return -EINVAL;
	if (!req->nr_entries || req->nr_entries > KPL_BATCH_MAX)
		return -EINVAL;
	if (req->entry_size != sizeof(struct kpl_batch_entry) || !req->entries)
		return -EINVAL;
	return 0;
}

/* Copy entry @i from the caller into @b; -EINVAL for a bad field. */
static int kpl_batch_copy_one(const struct kpl_batch *req, unsigned int i,
			      struct kpl_bent *b)
{
	const struct kpl_batch_entry __user *src =
		u64_to_user_ptr(req->entries);
	struct kpl_batch_entry e;

	if (copy_from_user(&e, &src[i], sizeof(e)))
		return -EFAULT;
	if (e.flags || !e.len || e.len > KPL_BATCH_BYTES || !e.buf)
		return -EINVAL;
	if (e.addr + e.len < e.addr || e.addr + e.len > TASK_SIZE_MAX)
		return -EINVAL;
	b->addr = e.addr;
	b->len = e.len;
	b->check = e.expect != 0;
	if (copy_from_user(b->new, u64_to_user_ptr(e.buf), e.len))
		return -EFAULT;
	if (b->check &&
	    copy_from_user(b->exp, u64_to_user_ptr(e.expect), e.len))
		return -EFAULT;
	return 0;
}

/*
 * Verify, then write; the caller holds the mmap lock for writing.
 * Return 0, or -EILSEQ/-EFAULT with the failing entry in *@failed.
 */
static int kpl_batch_locked(struct mm_struct *mm, struct kpl_bent *b,
			    unsigned int nr, u32 *failed)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < nr; i++) {
		if (kpl_mm_access_locked(mm, b[i].addr, b[i].old, b[i].len,
					 false) != b[i].len) {
			*failed = i;
			return -EFAULT;
		}
		if (b[i].check && memcmp(b[i].old, b[i].exp, b[i].len)) {
			*failed = i;
			return -EILSEQ;
		}
	}
	/* Killed now, the writes could stop half way: write nothing. */
	if (fatal_signal_pending(current))
		return -EINTR;
	for (i = 0; i < nr; i++) {
		n = kpl_mm_access_locked(mm, b[i].addr, b[i].new, b[i].len,
					 true);
		if (n == b[i].len)
			continue;
		*failed = i;
		kpl_mm_access_locked(mm, b[i].addr, b[i].old, n, true);
		while (i--)
			kpl_mm_access_locked(mm, b[i].addr, b[i].old, b[i].len,
					     true);
		return -EFAULT;
	}
	return 0;
}

/**
 * kpl_batch_write() - KPL_IOC_WRITE_BATCH
 * @s:	 an attached, stopped session, its lock held
 * @req: the request, copied from userland; @req->failed is set
 *
 * Return: 0, or -EINVAL (bad request, overlapping entries), -EILSEQ (an
 * entry differs from its expected bytes), -EFAULT, -EINTR, -ESRCH,
 * -ENOMEM.  Nothing is written unless 0 is returned.
 */
int kpl_batch_write(struct kpl_session *s, struct kpl_batch *req)
{
	struct kpl_bent *b;
	unsigned int i, j;
	int ret;

	req->failed = req->nr_entries;
	ret = kpl_batch_check(req);
	if (ret)
		return ret;
	b = kvcalloc(req->nr_entries, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < req->nr_entries; i++) {
		ret = kpl_batch_copy_one(req, i, &b[i]);
		if (ret)
			goto err_free;
	}
	/* Verify-all-then-write-all means nothing if entries overlap. */
	for (i = 0; i < req->nr_entries; i++) {
		for (j = i + 1; j < req->nr_entries; j++) {
			if (b[i].addr < b[j].addr + b[j].len &&
			    b[j].addr < b[i].addr + b[i].len) {
				ret = -EINVAL;
				goto err_free;
			}
		}
	}
	if (!mmget_not_zero(s->mm)) {
		ret = -ESRCH;
		goto err_free;
	}
	if (mmap_write_lock_killable(s->mm)) {
		ret = -EINTR;
		goto err_put;
	}
	ret = kpl_batch_locked(s->mm, b, req->nr_entries, &req->failed);
	mmap_write_unlock(s->mm);
	if (!ret) {
		s->writes += req->nr_entries;
		kpl_stat_inc(KPL_STAT_WRITES);
	}
err_put:
	mmput(s->mm);
err_free:
	kvfree(b);
	return ret;
}
