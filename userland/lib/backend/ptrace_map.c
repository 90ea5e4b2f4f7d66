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
#include "maps.h"
#include "ptrace.h"

/* Ranges of a region a chain maps (a patch has at most four), and the
 * pieces they make at most. */
#define CHAIN_RANGES 6
#define CHAIN_PIECES (2 * CHAIN_RANGES + 1)

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

/* A chain's mmap of the region's [@off, @end) with @prot. */
struct piece {
	uint64_t off, end;
	int prot;
};

/*
 * The region as pieces for a chain: each run of ranges of one protection
 * (the gaps between ranges read-only, as the stepped path maps them).
 * A chain cannot look at one mmap's result before the next, so each
 * piece is mapped with MAP_FIXED_NOREPLACE on its own, where the
 * stepped path maps the whole and then its parts over it.  Return the
 * number of pieces, or 0 when a range is anonymous (--perf-map) or the
 * ranges are out of order: then inject one by one.
 */
static size_t chain_pieces(const struct kpl_map_range *rg, size_t nr,
			   size_t len, struct piece *pc, size_t max)
{
	uint64_t off = 0;
	size_t n = 0, i;

	for (i = 0; i <= nr; i++) {
		uint64_t s = i < nr ? rg[i].off : len;
		uint64_t e = i < nr ? rg[i].off + rg[i].len : len;
		struct piece add[2] = { { off, s, PROT_READ },
					{ s, e, i < nr ? rg[i].prot : 0 } };
		size_t k;

		if (i < nr && (rg[i].anon || s < off || e > len || e < s))
			return 0;
		for (k = 0; k < (i < nr ? 2u : 1u); k++) {
			if (add[k].end <= add[k].off)
				continue;
			if (n && pc[n - 1].prot == add[k].prot &&
			    pc[n - 1].end == add[k].off) {
				pc[n - 1].end = add[k].end;
				continue;
			}
			if (n == max)
				return 0;
			pc[n++] = add[k];
		}
		off = e;
	}
	return n;
}

static void mmap_call(struct kpl_pt_call1 *c, uint64_t addr, uint64_t len,
		      int prot, long fd, uint64_t off)
{
	memset(c, 0, sizeof(*c));
	c->nr = SYS_mmap;
	c->a[0] = addr;
	c->a[1] = len;
	c->a[2] = (uint64_t)prot;
	c->a[3] = MAP_PRIVATE | MAP_FIXED_NOREPLACE;
	c->a[4] = (uint64_t)fd;
	c->a[5] = off;
}

#ifdef KPL_FAULT_INJECT
/* $KPL_FAULT_CHAIN_CLASH: the command's first chain aims its second mmap
 * at the first's place, where it cannot go (test_chain.sh). */
static void chain_clash(struct kpl_pt_call1 *c, size_t nmaps)
{
	static bool done;

	if (done || nmaps < 2 || !getenv("KPL_FAULT_CHAIN_CLASH"))
		return;
	done = true;
	c[1].a[0] = c[0].a[0];
}
#else
static void chain_clash(struct kpl_pt_call1 *c, size_t nmaps)
{
	(void)c;
	(void)nmaps;
}
#endif

/*
 * ftruncate, the region's pieces, the image page below it and close,
 * as one chain (kpl_pt_inj_chain()): one stop where each syscall took
 * two.  -EOPNOTSUPP: nothing ran.
 */
static int map_chain(struct kpl_pt_inj *ij, uint64_t addr, size_t len,
		     size_t head, long fd, const struct piece *pc, size_t npc,
		     int sig, bool same_ns)
{
	struct kpl_pt_call1 c[CHAIN_PIECES + 3] = { 0 };
	size_t nc = 0, i;

	c[nc].nr = SYS_ftruncate;
	c[nc].a[0] = (uint64_t)fd;
	c[nc++].a[1] = len + head;
	for (i = 0; i < npc; i++)
		mmap_call(&c[nc++], addr + pc[i].off, pc[i].end - pc[i].off,
			  pc[i].prot, fd, pc[i].off);
	if (head)
		mmap_call(&c[nc++], addr - head, head, PROT_READ, fd, len);
	chain_clash(c + 1, nc - 1);
	c[nc].nr = SYS_close;
	c[nc++].a[0] = (uint64_t)fd;
	return kpl_pt_inj_chain(ij, c, nc, sig, true, same_ns);
}

/*
 * After a chain: is every piece, and the image page, mapped from the
 * memfd at its place with its protection and offset?  With @failed (the
 * chain did not hand the thread back), what it mapped is undone all the
 * same: the caller gives up the region, as the stepped path does.  The chain's
 * results are not known: /proc/PID/maps says, once the thread runs
 * again (the region is nobody's until the jumps are written).  Ours are
 * the mappings named @path ("/memfd:kpl:ID (deleted)"), all of one
 * inode: a process that maps a memfd of that name there itself has only
 * fooled itself.  Else each mapping of ours in [@addr - @head, @addr +
 * @len) is unmapped again (nothing else there is touched), and -EEXIST:
 * the caller places the region elsewhere.
 */
static int chain_check(struct kpl_proc *p, uint64_t addr, size_t len,
		       size_t head, const char *path, const struct piece *pc,
		       size_t npc, bool failed)
{
	struct kpl_maps *m = NULL;
	uint64_t lo = addr - head, hi = addr + len, ino = 0;
	size_t i, j;
	int err = kpl_maps__read(p->pid, &m), e2;

	if (err)
		return err;
	for (i = 0; i <= npc; i++) {
		uint64_t s = i < npc ? addr + pc[i].off : lo;
		uint64_t e = i < npc ? addr + pc[i].end : addr;
		uint64_t foff = i < npc ? pc[i].off : len;
		int prot = i < npc ? pc[i].prot : PROT_READ;
		uint64_t at = s;

		for (j = 0; j < m->nr && at < e; j++) {
			const struct kpl_map *l = &m->v[j];

			if (l->start > at || l->end <= at)
				continue;
			if (!ino)
				ino = l->inode;
			if (l->cut || strcmp(l->path, path) ||
			    l->inode != ino || l->prot != prot ||
			    l->offset + (at - l->start) != foff + (at - s))
				break;
			at = l->end;
		}
		if (at < e) {
			err = -EEXIST;
			break;
		}
	}
	if (failed && !err)
		err = -ECANCELED;
	for (j = 0; err && j < m->nr; j++) {
		const struct kpl_map *l = &m->v[j];
		uint64_t s = l->start < lo ? lo : l->start;
		uint64_t e = l->end > hi ? hi : l->end;

		if (l->cut || strcmp(l->path, path) || e <= s)
			continue;
		e2 = kpl_pt_unmap(p, s, e - s);
		if (e2) {
			err = e2;
			break;
		}
	}
	if (err == -EEXIST)
		pr_info("ptrace: pid %d: the region's mmaps did not all take "
			"their place: undone, placing it again\n", p->pid);
	if (!err) {	/* kept for the unwinder */
		kpl_proc__keep_maps(p, m);
		m = NULL;
	}
	kpl_maps__free(m);
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
	uint64_t caught = ~0ull;
	struct piece pc[CHAIN_PIECES];
	size_t npc = 0;
	long fd = -1, r;
	struct kpl_pt_inj ij;
	bool chained = false, same_ns = false;
	int err, e2, pfd, sig;

	if (nlen > KPL_PT_SCRATCH)
		return -ENAMETOOLONG;
	err = kpl_pt_find_gadgets(p, pp);
	if (err)
		return err;
	if (nr <= CHAIN_RANGES)
		npc = chain_pieces(rg, nr, len, pc, CHAIN_PIECES);
	if (npc) {
		caught = kpl_pt_sigcatch(p->pid, &same_ns);
	}
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
	sig = npc ? kpl_pt_chain_signal(caught, ij.mask) : 0;
	if (!err && sig) {
		err = map_chain(&ij, addr, len, head, fd, pc, npc, sig,
				same_ns);
		chained = err != -EOPNOTSUPP;
		if (chained)
			goto out_end;
		err = 0;	/* nothing ran: one by one */
	}
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
	/* Even when the chain failed: what it mapped is looked for. */
	if (chained) {
		char path[KPL_PT_SCRATCH + 32];

		snprintf(path, sizeof(path), "/memfd:%s (deleted)", name);
		e2 = chain_check(p, addr, len, head, path, pc, npc, err != 0);
		if (!err)
			err = e2;
	}
out_pfd:
	if (pfd >= 0)
		close(pfd);
	return err;
}

/*
 * Is the range still mapped after a chained munmap, whose result is not
 * known?  A munmap takes all of its range or nothing, so one byte says:
 * -EBUSY when it still reads, and it is said.
 */
static int unmapped_check(struct kpl_proc *p, uint64_t addr, size_t len)
{
	uint8_t b;

	if (kpl_proc__read(p, addr, &b, 1))
		return 0;
	pr_warn("ptrace: pid %d: 0x%llx-0x%llx is still mapped after munmap\n",
		p->pid, (unsigned long long)addr,
		(unsigned long long)(addr + len));
	return -EBUSY;
}

/*
 * munmap in one borrowed stop: as a chain of one (kpl_pt_inj_chain()),
 * one stop of the thread fewer, and the maps looked at afterwards; else
 * injected alone, its result read.
 */
int kpl_pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	struct kpl_pt *pp = p->priv, one;
	struct kpl_pt_thread *t;
	struct kpl_pt_call1 c = { SYS_munmap, { addr, len } };
	uint64_t caught;
	struct kpl_pt_inj ij;
	bool chained = false, same_ns;
	long r;
	int err, e2, sig;

	err = kpl_pt_find_gadgets(p, pp);
	if (err)
		return err;
	caught = kpl_pt_sigcatch(p->pid, &same_ns);
	err = kpl_pt_borrow(p, pp, &one, &t, true);
	if (err)
		return err;
	err = kpl_pt_inj_begin(&ij, p, pp, t, NULL, 0);
	if (!err) {
		sig = kpl_pt_chain_signal(caught, ij.mask);
		err = sig ? kpl_pt_inj_chain(&ij, &c, 1, sig, false, same_ns)
			  : -EOPNOTSUPP;
		chained = err != -EOPNOTSUPP;
		if (!chained)
			err = kpl_pt_inj_syscall(&ij, SYS_munmap, c.a, &r);
		if (!chained && !err)
			err = sys_check("munmap", r);
		e2 = kpl_pt_inj_end(&ij);
		if (!err)
			err = e2;
	}
	kpl_pt_give_back(p, &one);
	if (chained && !err)
		err = unmapped_check(p, addr, len);
	return err;
}
