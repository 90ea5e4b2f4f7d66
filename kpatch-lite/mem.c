// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: the target's memory: read, write, map, protect, unmap.
 *
 * Reads and writes walk the attached mm_struct itself, page by page,
 * with FOLL_FORCE as ptrace and /proc/PID/mem do (this is what
 * access_process_vm() does, minus looking the mm up from a task again:
 * the session's mm cannot be swapped by an exec under us).
 *
 * Mappings are made with vm_mmap()/vm_munmap(), which act on current->mm,
 * so they run where current->mm is the target's: in one of its own
 * threads when the process is stopped and a thread is parked in the
 * module's work, and otherwise in a kworker that borrows the address
 * space with kthread_use_mm().  The second way is needed because a
 * process whose threads all sleep in system calls has no parked thread,
 * and it spares a running process a stop just to map memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "kpl.h"

#define KPL_MEMFD_PREFIX "memfd:"

/**
 * kpl_mm_access_locked() - copy to or from another address space
 * @mm:	   the address space, its mmap lock held (for writing if @write)
 * @addr:  where in it
 * @buf:   kernel buffer of @len bytes
 * @len:   bytes
 * @write: copy @buf into @mm rather than out of it
 *
 * Return: the bytes copied: fewer than @len when a page cannot be had
 * (unmapped, a PROT_NONE or VM_IO mapping, a fatal signal).
 */
size_t kpl_mm_access_locked(struct mm_struct *mm, unsigned long addr, void *buf,
			    size_t len, bool write)
{
	unsigned int gup_flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
	size_t done = 0;

	while (done < len && !fatal_signal_pending(current)) {
		unsigned long a = addr + done;
		size_t off = offset_in_page(a);
		size_t n = min_t(size_t, len - done, PAGE_SIZE - off);
		struct page *page;
		void *kaddr;

		if (get_user_pages_remote(mm, a, 1, gup_flags, &page, NULL,
					  NULL) <= 0)
			break;
		kaddr = kmap_local_page(page);
		if (write) {
			/* x86's copy_to_user_page(): no icache to flush. */
			memcpy(kaddr + off, buf + done, n);
			set_page_dirty_lock(page);
		} else {
			memcpy(buf + done, kaddr + off, n);
		}
		kunmap_local(kaddr);
		put_page(page);
		done += n;
	}
	return done;
}

static size_t kpl_mm_access(struct mm_struct *mm, unsigned long addr, void *buf,
			    size_t len)
{
	size_t n;

	if (mmap_read_lock_killable(mm))
		return 0;
	n = kpl_mm_access_locked(mm, addr, buf, len, false);
	mmap_read_unlock(mm);
	return n;
}

/**
 * kpl_mm_read() - read another address space, as KPL_IOC_READ does
 * @mm:	  an address space the caller holds a user reference on (mmget)
 * @addr: where
 * @buf:  kernel buffer of @len bytes
 * @len:  bytes wanted
 *
 * Return: the bytes read, fewer when a page cannot be had.
 */
size_t kpl_mm_read(struct mm_struct *mm, unsigned long addr, void *buf,
		   size_t len)
{
	return kpl_mm_access(mm, addr, buf, len);
}

static int kpl_mem_check(const struct kpl_mem *req)
{
	if (req->flags || !req->len || req->len > KPL_MEM_MAX || !req->buf)
		return -EINVAL;
	if (req->addr + req->len < req->addr ||
	    req->addr + req->len > TASK_SIZE_MAX)
		return -EFAULT;
	return 0;
}

/**
 * kpl_mem_read() - KPL_IOC_READ
 * @s:	 an attached session, its lock held
 * @req: the request, copied from userland
 *
 * Return: 0 with @req->len bytes at @req->buf, or -EINVAL (bad request),
 * -EFAULT (some byte unreadable; nothing copied out), -ESRCH (the
 * address space is gone), -ENOMEM.
 */
int kpl_mem_read(struct kpl_session *s, const struct kpl_mem *req)
{
	void *kbuf;
	size_t n;
	int ret;

	ret = kpl_mem_check(req);
	if (ret)
		return ret;
	if (req->expect)
		return -EINVAL;
	kbuf = kvmalloc(req->len, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	if (!mmget_not_zero(s->mm)) {
		ret = -ESRCH;
		goto out_free;
	}
	n = kpl_mm_access(s->mm, req->addr, kbuf, req->len);
	mmput(s->mm);
	if (n != req->len)
		ret = -EFAULT;
	else if (copy_to_user(u64_to_user_ptr(req->buf), kbuf, req->len))
		ret = -EFAULT;
out_free:
	kvfree(kbuf);
	return ret;
}

/* Compare @len bytes of @have with user memory @expect, a chunk at a time. */
/**
 * kpl_mem_write() - KPL_IOC_WRITE: compare, then write, all or nothing
 * @s:	 an attached session, its lock held
 * @req: the request, copied from userland
 *
 * Reads the current bytes first: if any is unreadable or differs from
 * @req->expect, nothing is written.  A write that faults half way (a
 * page the force cannot write, e.g. a shared read-only mapping) puts the
 * bytes it changed back.
 *
 * All of it happens under the target's mmap lock held for writing, so
 * the comparison and the write are one step for everything else that
 * changes text.  That includes uprobes: a thread that hit a guard's
 * breakpoint may be off-CPU in the kernel, hence quiescent, while it
 * takes the breakpoint out of its process (UPROBE_HANDLER_REMOVE), and
 * that copies the page and swaps the copy in under the lock held for
 * reading: a write between the copy and the swap would be lost.
 *
 * Return: 0, or -EINVAL, -EILSEQ (the bytes are not the expected ones),
 * -EFAULT, -ESRCH, -ENOMEM, -EINTR (killed while waiting for the lock).
 */
int kpl_mem_write(struct kpl_session *s, const struct kpl_mem *req)
{
	void *old, *new, *exp = NULL;
	size_t n;
	int ret;

	ret = kpl_mem_check(req);
	if (ret)
		return ret;
	old = kvmalloc(req->len, GFP_KERNEL);
	new = kvmalloc(req->len, GFP_KERNEL);
	if (req->expect)
		exp = kvmalloc(req->len, GFP_KERNEL);
	if (!old || !new || (req->expect && !exp)) {
		ret = -ENOMEM;
		goto out_free;
	}
	/* Everything from the caller first: no fault under the lock. */
	if (copy_from_user(new, u64_to_user_ptr(req->buf), req->len) ||
	    (exp && copy_from_user(exp, u64_to_user_ptr(req->expect),
				   req->len))) {
		ret = -EFAULT;
		goto out_free;
	}
	if (!mmget_not_zero(s->mm)) {
		ret = -ESRCH;
		goto out_free;
	}
	if (mmap_write_lock_killable(s->mm)) {
		ret = -EINTR;
		goto out_put;
	}
	n = kpl_mm_access_locked(s->mm, req->addr, old, req->len, false);
	if (n != req->len) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (exp && memcmp(old, exp, req->len)) {
		ret = -EILSEQ;
		goto out_unlock;
	}
	n = kpl_mm_access_locked(s->mm, req->addr, new, req->len, true);
	if (n != req->len) {
		kpl_mm_access_locked(s->mm, req->addr, old, n, true);
		ret = -EFAULT;
	} else {
		s->writes++;
		kpl_stat_inc(KPL_STAT_WRITES);
	}
out_unlock:
	mmap_write_unlock(s->mm);
out_put:
	mmput(s->mm);
out_free:
	kvfree(exp);
	kvfree(new);
	kvfree(old);
	return ret;
}

/* A kworker borrowing the target's address space for one call. */
struct kpl_mm_call {
	struct work_struct work;
	struct mm_struct *mm;
	long (*fn)(void *arg);
	void *arg;
	long ret;
};

static void kpl_mm_call_fn(struct work_struct *work)
{
	struct kpl_mm_call *c = container_of(work, struct kpl_mm_call, work);

	kthread_use_mm(c->mm);
	c->ret = c->fn(c->arg);
	kthread_unuse_mm(c->mm);
}

/*
 * Run @fn with current->mm the target's.  Return 0 and @fn's value in
 * *@ret, or -ESRCH when the address space is gone.
 */
static int kpl_in_target(struct kpl_session *s, long (*fn)(void *), void *arg,
			 long *ret)
{
	struct kpl_mm_call c = { .mm = s->mm, .fn = fn, .arg = arg };
	int err;

	if (!mmget_not_zero(s->mm))
		return -ESRCH;
	if (s->q) {
		err = kpl_quiesce_run(s->q, fn, arg, ret);
		if (err != -ENOENT)
			goto out_put;
	}
	INIT_WORK_ONSTACK(&c.work, kpl_mm_call_fn);
	queue_work(system_unbound_wq, &c.work);
	flush_work(&c.work);
	destroy_work_on_stack(&c.work);
	*ret = c.ret;
	err = 0;
out_put:
	mmput(s->mm);
	return err;
}

/* Page-aligned, non-empty, bounded, inside the user address space. */
static int kpl_range_check(u64 addr, u64 len, u32 prot, u32 flags, u32 reserved)
{
	if (flags || reserved || !len || len > KPL_MAP_MAX)
		return -EINVAL;
	if (!PAGE_ALIGNED(addr) ||
	    (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	/* Never writable and executable at once. */
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EINVAL;
	if (addr + PAGE_ALIGN(len) < addr ||
	    addr + PAGE_ALIGN(len) > TASK_SIZE_MAX)
		return -EINVAL;
	return 0;
}

struct kpl_map_call {
	const struct kpl_map *req;
	const struct kpl_map_part *parts;
	unsigned int nr;
	const char *name;
};

/*
 * Map @len bytes of @file from @off at exactly @want, never over
 * anything (MAP_FIXED_NOREPLACE): 0, -EEXIST, or what vm_mmap() says.
 */
static long kpl_map_one(struct file *file, unsigned long want,
			unsigned long len, unsigned long prot,
			unsigned long off)
{
	unsigned long addr = vm_mmap(file, want, len, prot,
				     MAP_PRIVATE | MAP_FIXED_NOREPLACE, off);

	if (IS_ERR_VALUE(addr))
		return (long)addr;
	if (addr != want) {
		vm_munmap(addr, len);
		return -EEXIST;
	}
	return 0;
}

/*
 * Map every part of the region in one go, from one shmem file, each at
 * its own offset in it: what KPL_IOC_PROTECT would leave after a MAP,
 * without a second request.  Then the head, if any: read-only, from
 * the file past the region, just below it.  On error the parts mapped
 * so far go.
 */
static long kpl_map_fn(void *arg)
{
	struct kpl_map_call *c = arg;
	unsigned long len = PAGE_ALIGN(c->req->len);
	unsigned long head = c->req->head;
	struct file *file;
	unsigned int i;
	long ret = 0;

	/*
	 * What memfd_create() makes, so /proc/PID/maps names it the same:
	 * VM_NORESERVE too, as the private mapping accounts its own pages.
	 * The head's bytes lie past the region's, so its file offset is
	 * never 0: a head is never taken for the record (kpl_record_vma_id()).
	 */
	file = shmem_file_setup(c->name, len + head, VM_NORESERVE);
	if (IS_ERR(file))
		return PTR_ERR(file);
	for (i = 0; !ret && i < c->nr; i++)
		ret = kpl_map_one(file, c->req->addr + c->parts[i].off,
				  c->parts[i].len, c->parts[i].prot,
				  c->parts[i].off);
	if (ret)
		i--;	/* the part that failed is not mapped */
	if (!ret && head)
		ret = kpl_map_one(file, c->req->addr - head, head, PROT_READ,
				  len);
	/* Only what this call mapped: MAP_FIXED_NOREPLACE kept the rest. */
	while (ret && i--)
		vm_munmap(c->req->addr + c->parts[i].off, c->parts[i].len);
	fput(file);
	return ret;
}

/* Printable, no '/', non-empty, NUL-terminated within the field. */
static bool kpl_name_ok(const char *name)
{
	size_t i, n = strnlen(name, KPL_NAME_MAX);

	if (!n || n == KPL_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
			return false;
	return true;
}

/*
 * Copy and check the parts of @req into @parts: in order, contiguous,
 * page multiples, together exactly the region.  Without parts the
 * whole region is one part with @req->prot.  Return how many, or -errno.
 */
static int kpl_map_parts(const struct kpl_map *req, struct kpl_map_part *parts)
{
	u64 len = PAGE_ALIGN(req->len), off = 0;
	void __user *src = u64_to_user_ptr(req->parts);
	unsigned int i;
	int err;

	if (!req->nr_parts) {
		if (req->part_size || req->parts)
			return -EINVAL;
		parts[0] = (struct kpl_map_part){ 0, len, req->prot, 0 };
		return 1;
	}
	if (req->prot || req->nr_parts > KPL_MAP_PARTS_MAX ||
	    req->part_size != sizeof(*parts) || !req->parts)
		return -EINVAL;
	if (copy_from_user(parts, src, req->nr_parts * sizeof(*parts)))
		return -EFAULT;
	for (i = 0; i < req->nr_parts; i++) {
		const struct kpl_map_part *pt = &parts[i];

		/* Bounded by KPL_MAP_MAX first, so the sum cannot wrap. */
		if (pt->off != off || !pt->len || pt->len > len - off ||
		    !PAGE_ALIGNED(pt->len))
			return -EINVAL;
		err = kpl_range_check(req->addr + off, pt->len, pt->prot, 0,
				      pt->reserved);
		if (err)
			return err;
		off += pt->len;
	}
	return off == len ? (int)req->nr_parts : -EINVAL;
}

/*
 * The head (ABI 2.3): 0, or whole pages, at most KPL_MAP_HEAD_MAX, all
 * of it below @req->addr without wrapping, and not below the kernel's
 * default mmap_min_addr: a kworker maps with the kernel's credentials,
 * which vm_mmap()'s own check (CAP_SYS_RAWIO) would let map page 0, and
 * the sysctl's current value is not exported to modules.
 */
static int kpl_map_head_check(const struct kpl_map *req)
{
	if (!req->head)
		return 0;
	if (!PAGE_ALIGNED(req->head) || req->head > KPL_MAP_HEAD_MAX ||
	    req->head > req->addr ||
	    req->addr - req->head < CONFIG_DEFAULT_MMAP_MIN_ADDR)
		return -EINVAL;
	return 0;
}

/**
 * kpl_mem_map() - KPL_IOC_MAP
 * @s:	 an attached session, its lock held
 * @req: the request, copied from userland
 *
 * The region, its parts and its head are checked before anything is
 * mapped, and mapped in one call of kpl_in_target(): one kworker, or one
 * parked thread if the process is stopped.
 *
 * Return: 0, or -EINVAL (bad request), -EFAULT (bad @req->parts),
 * -EEXIST (something is mapped in the range or where the head goes),
 * -ESRCH, -ENOMEM, or what vm_mmap() says.  On error nothing stays
 * mapped.
 */
int kpl_mem_map(struct kpl_session *s, const struct kpl_map *req)
{
	char name[sizeof(KPL_MEMFD_PREFIX) + KPL_NAME_MAX];
	struct kpl_map_part parts[KPL_MAP_PARTS_MAX];
	struct kpl_map_call c = { .req = req, .parts = parts, .name = name };
	long ret;
	int err;

	/* With parts, @prot is 0 and each part's is checked below. */
	err = kpl_range_check(req->addr, req->len,
			      req->nr_parts ? PROT_READ : req->prot, req->flags,
			      req->reserved);
	if (err)
		return err;
	if (!kpl_name_ok(req->name))
		return -EINVAL;
	err = kpl_map_head_check(req);
	if (err)
		return err;
	err = kpl_map_parts(req, parts);
	if (err < 0)
		return err;
	c.nr = err;
	snprintf(name, sizeof(name), KPL_MEMFD_PREFIX "%s", req->name);
	err = kpl_in_target(s, kpl_map_fn, &c, &ret);
	if (!err && !ret) {
		s->maps++;
		kpl_stat_inc(KPL_STAT_MAPS);
	}
	return err ? err : (int)ret;
}

static bool kpl_vma_is_memfd(struct vm_area_struct *vma)
{
	const struct dentry *d;

	if (!vma->vm_file || (vma->vm_flags & VM_SHARED))
		return false;
	d = file_dentry(vma->vm_file);
	return !strncmp(d->d_name.name, KPL_MEMFD_PREFIX,
			sizeof(KPL_MEMFD_PREFIX) - 1);
}

static long kpl_protect_fn(void *arg)
{
	const struct kpl_range *req = arg;
	struct mm_struct *mm = current->mm;
	unsigned long len = PAGE_ALIGN(req->len);
	struct vm_area_struct *vma;
	unsigned long addr, off;
	struct file *file;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, req->addr);
	if (!vma || vma->vm_start > req->addr ||
	    req->addr + len > vma->vm_end || !kpl_vma_is_memfd(vma)) {
		mmap_read_unlock(mm);
		return -EINVAL;
	}
	file = get_file(vma->vm_file);
	off = (vma->vm_pgoff << PAGE_SHIFT) + (req->addr - vma->vm_start);
	mmap_read_unlock(mm);

	/*
	 * do_mprotect_pkey() is not exported: map the same file range again
	 * over it, with the new protection.  The range's private pages go,
	 * which is why protections come before contents.
	 */
	addr = vm_mmap(file, req->addr, len, req->prot, MAP_PRIVATE | MAP_FIXED,
		       off);
	fput(file);
	if (IS_ERR_VALUE(addr))
		return (long)addr;
	return 0;
}

/**
 * kpl_mem_protect() - KPL_IOC_PROTECT, by mapping the range afresh
 * @s:	 an attached session, its lock held
 * @req: the request, copied from userland
 *
 * Return: 0, or -EINVAL (bad request, or the range is not inside one
 * private memfd mapping), -ESRCH, or what vm_mmap() says.
 */
int kpl_mem_protect(struct kpl_session *s, const struct kpl_range *req)
{
	long ret;
	int err;

	err = kpl_range_check(req->addr, req->len, req->prot, req->flags,
			      req->reserved);
	if (err)
		return err;
	err = kpl_in_target(s, kpl_protect_fn, (void *)req, &ret);
	return err ? err : (int)ret;
}

static long kpl_unmap_fn(void *arg)
{
	const struct kpl_range *req = arg;

	return vm_munmap(req->addr, PAGE_ALIGN(req->len));
}

/**
 * kpl_mem_unmap() - KPL_IOC_UNMAP
 * @s:	 an attached session, its lock held
 * @req: the request, copied from userland
 *
 * Return: 0 (also when nothing was mapped there, as munmap()), or
 * -EINVAL, -ESRCH, or what vm_munmap() says.
 */
int kpl_mem_unmap(struct kpl_session *s, const struct kpl_range *req)
{
	long ret;
	int err;

	if (req->prot)
		return -EINVAL;
	err = kpl_range_check(req->addr, req->len, 0, req->flags,
			      req->reserved);
	if (err)
		return err;
	err = kpl_in_target(s, kpl_unmap_fn, (void *)req, &ret);
	return err ? err : (int)ret;
}
