// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ptrace backend's map and unmap: system calls run in one borrowed
 * thread of the target (ptrace_inject.c), one stop for each.
 */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

static int sys_check(const char *what, long ret)
{
	if (ret < 0 && ret > -4096) {
		pr_warn("ptrace: remote %s failed: %s\n", what,
			strerror((int)-ret));
		return (int)ret;
	}
	return 0;
}

/*
 * mmap in the borrowed thread; its result in *@r.  Return 0, or <0 (its
 * error, -EEXIST when something is mapped there).
 */
static int inj_mmap(struct kpl_pt_inj *ij, uint64_t addr, uint64_t len,
		    int prot, int flags, long fd, uint64_t off, long *r)
{
	uint64_t a[6] = { addr, len, (uint64_t)prot, (uint64_t)flags,
			  (uint64_t)fd, off };
	int err = kpl_pt_inj_syscall(ij, SYS_mmap, a, r);

	if (!err && *r == -EEXIST)
		return -EEXIST;
	if (!err)
		err = sys_check("mmap", *r);
	if (!err && (uint64_t)*r != addr) {
		/* A kernel without MAP_FIXED_NOREPLACE put it elsewhere:
		 * undo that one. */
		uint64_t u[6] = { (uint64_t)*r, len };

		kpl_pt_inj_syscall(ij, SYS_munmap, u, r);
		err = -EEXIST;
	}
	return err;
}

/*
 * The region's mappings: the whole of it read-only from the memfd in one
 * mmap (MAP_FIXED_NOREPLACE, so it takes the whole range or nothing),
 * then each range that is not plain read-only memfd mapped over its own
 * part of it (MAP_FIXED) with its final protection.  A patch's state and
 * read-only data are read-only: a typical patch is two mmaps, the whole
 * and its text, and a third for the image page below it, if any.  Each
 * mmap creates its mapping with the protection it keeps, so nothing
 * gains PROT_EXEC later: MDWE allows it.  Should kpl die between two of
 * them, what is mapped is a region without a record yet, which
 * `kpl repair` removes (and its page with it: eh_reg.c).
 */
static int inj_map_ranges(struct kpl_pt_inj *ij, uint64_t addr, size_t len,
			  size_t head, long fd, const struct kpl_map_range *rg,
			  size_t nr, uint64_t *mapped)
{
	size_t i;
	long r;
	int err;

	err = inj_mmap(ij, addr, len, PROT_READ,
		       MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0, &r);
	if (err)
		return err;
	*mapped = addr;
	/* The image page, from past the region's end in the file: its
	 * own mapping, so the record stays the first line at offset 0. */
	if (head) {
		err = inj_mmap(ij, addr - head, head, PROT_READ,
			       MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, len, &r);
		if (err)
			return err;
		*mapped = addr - head;
	}
	for (i = 0; !err && i < nr; i++) {
		if (rg[i].prot == PROT_READ && !rg[i].anon)
			continue;
		/* Filled through FOLL_FORCE like the rest; an anonymous
		 * maps line has no name, which kpl_maps__read() gives
		 * back from the memfd around it. */
		err = inj_mmap(ij, addr + rg[i].off, rg[i].len, rg[i].prot,
			       MAP_PRIVATE | MAP_FIXED |
				       (rg[i].anon ? MAP_ANONYMOUS : 0),
			       rg[i].anon ? -1 : fd, rg[i].anon ? 0 : rg[i].off,
			       &r);
	}
	return err;
}

/*
 * Size the target's memfd @fd from here through pidfd_getfd() on @pfd,
 * the target's pidfd (its own file description and access mode), saving
 * the borrowed thread a syscall.  Other threads could put another file at
 * @fd meanwhile: only a tmpfs file named as our memfd is sized (no FUSE
 * file to hang kpl).  Return 0, or <0: the caller then injects ftruncate
 * as before.
 */
static int own_ftruncate(int pfd, long fd, const char *name, size_t len)
{
	char want[KPL_PT_SCRATCH + 32], link[sizeof(want)], path[48];
	int mfd = -1, err = -ENOENT;
	struct statfs sf;
	ssize_t n;

	if (pfd < 0)
		return -ENOSYS;
	mfd = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
	if (mfd < 0)
		return -errno;
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || (size_t)n != strlen(want) ||
	    memcmp(link, want, (size_t)n) || fstatfs(mfd, &sf) ||
	    sf.f_type != TMPFS_MAGIC)
		goto out;
	err = ftruncate(mfd, (off_t)len) ? -errno : 0;
out:
	close(mfd);
	return err;
}

/*
 * memfd_create + ftruncate + the mmaps + close, in one borrowed stop.
 * The mapping shows as "/memfd:NAME (deleted)" in /proc/PID/maps, which
 * is how later invocations find the patch.  The file is @len + @head
 * bytes: the region, then the image page.
 */
int kpl_pt_map(struct kpl_proc *p, uint64_t addr, size_t len, size_t head,
	       const char *name, const struct kpl_map_range *rg, size_t nr)
{
	struct kpl_pt *pp = p->priv, one;
	struct kpl_pt_thread *t;
	uint64_t a[6] = { 0 };
	size_t nlen = strlen(name) + 1;
	uint64_t mapped = 0;	/* the lowest address mapped, or 0 */
	long fd = -1, r;
	struct kpl_pt_inj ij;
	int err, e2, pfd;

	if (nlen > KPL_PT_SCRATCH)
		return -ENAMETOOLONG;
	err = kpl_pt_find_gadgets(p, pp);
	if (err)
		return err;
	/* Opened (and closed) outside the stop; -1: the thread sizes it. */
	pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	err = kpl_pt_borrow(p, pp, &one, &t, true);
	if (err)
		goto out_pfd;
	/* The frame and the close-on-death step below it, one write. */
	err = kpl_pt_inj_begin_closing(&ij, p, pp, t, name, nlen);
	if (err)
		goto out;
	a[0] = ij.scratch;
	a[1] = MFD_CLOEXEC;
	kpl_fault_tag("memfd in flight");
	if (!err)
		err = kpl_pt_inj_syscall(&ij, SYS_memfd_create, a, &fd);
	if (!err)
		err = sys_check("memfd_create", fd);
	if (err) {
		kpl_fault_tag(NULL);
		goto out_end;
	}
	err = kpl_pt_inj_close_on_death(&ij, fd);
	kpl_fault_tag(NULL);
	memset(a, 0, sizeof(a));
	a[0] = (uint64_t)fd;
	a[1] = len + head;
	if (!err && own_ftruncate(pfd, fd, name, len + head)) {
		err = kpl_pt_inj_syscall(&ij, SYS_ftruncate, a, &r);
		if (!err)
			err = sys_check("ftruncate", r);
	}
	if (!err)
		err = inj_map_ranges(&ij, addr, len, head, fd, rg, nr, &mapped);
	if (err && mapped) {
		/* Only what this call mapped, which is ours. */
		uint64_t u[6] = { mapped, addr + len - mapped };

		kpl_pt_inj_syscall(&ij, SYS_munmap, u, &r);
	}
	memset(a, 0, sizeof(a));
	a[0] = (uint64_t)fd;
	ij.sp = ij.frame;	/* closed next: no more closing on death */
	if (!kpl_pt_inj_syscall(&ij, SYS_close, a, &r) && !err)
		err = sys_check("close", r);
out_end:
	e2 = kpl_pt_inj_end(&ij);
	if (!err)
		err = e2;
out:
	kpl_pt_give_back(p, &one);
out_pfd:
	if (pfd >= 0)
		close(pfd);
	return err;
}

int kpl_pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	struct kpl_pt *pp = p->priv, one;
	struct kpl_pt_thread *t;
	uint64_t a[6] = { addr, len };
	struct kpl_pt_inj ij;
	long r;
	int err, e2;

	err = kpl_pt_find_gadgets(p, pp);
	if (!err)
		err = kpl_pt_borrow(p, pp, &one, &t, true);
	if (err)
		return err;
	err = kpl_pt_inj_begin(&ij, p, pp, t, NULL, 0);
	if (!err) {
		err = kpl_pt_inj_syscall(&ij, SYS_munmap, a, &r);
		if (!err)
			err = sys_check("munmap", r);
		e2 = kpl_pt_inj_end(&ij);
		if (!err)
			err = e2;
	}
	kpl_pt_give_back(p, &one);
	return err;
}
