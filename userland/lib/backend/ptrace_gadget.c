// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ptrace backend's gadgets: a system call followed by a return, and
 * the C library's rt_sigreturn trampoline, in the target's own text
 * (ptrace_inject.c says what they are for).
 *
 * They are found while the process runs, before any stop: a borrowed
 * stop must not wait for a maps read and a scan of libc's text.  Any of
 * its threads may change its text at any time, stopped or not, so
 * finding them in a stop would prove nothing more; a gadget that is gone
 * when used makes the injected syscall fail, and the insurance frame
 * restores the thread.
 *
 * The scan reads libc's text in 64 KiB windows until both are found.
 * Every process of a fleet maps the same libc, so where they were found
 * is kept for the command as offsets in the file (share.c), keyed by the
 * file's device, inode and path; the next process rebases the offsets
 * onto its own mapping of that file and reads only those few bytes.
 * They are a hint: a process whose copy of the text differs there (it
 * wrote to it, or the key matched another file) is scanned in full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backend.h"
#include "internal.h"
#include "maps.h"
#include "ptrace.h"
#include "share.h"

#define WINDOW 65536
#define CHECK_LEN 16	/* more than the longest gadget */

static bool is_libc(const struct kpl_map *mp)
{
	return strstr(mp->path, "/libc.so") || strstr(mp->path, "/libc-") ||
	       strstr(mp->path, "ld-musl");
}

/* An executable mapping of a file, which the cache may know. */
static bool file_text(const struct kpl_map *mp)
{
	return (mp->prot & PROT_EXEC) && mp->inode && mp->path[0] == '/' &&
	       !mp->cut;
}

static void to_share(pid_t pid, const struct kpl_map *mp,
		     struct kpl_share_file *f)
{
	*f = (struct kpl_share_file){ pid, mp->start, mp->end, mp->dev_major,
				      mp->dev_minor, mp->inode, mp->path };
}

static bool same_file(const struct kpl_map *a, const struct kpl_map *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->path, b->path);
}

/*
 * The address of file offset @off in @m's executable mappings of @file's
 * file, if a gadget of the kind @sig says is there now; else 0.
 */
static uint64_t check_at(struct kpl_proc *p, const struct kpl_maps *m,
			 const struct kpl_map *file, uint64_t off, bool sig)
{
	struct kpl_arch_gadgets g = { 0 };
	uint8_t buf[CHECK_LEN];
	uint64_t a;
	size_t i, n;

	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *mp = &m->v[i];

		if (!file_text(mp) || !same_file(mp, file) ||
		    off < mp->offset || off - mp->offset >= mp->end - mp->start)
			continue;
		a = mp->start + (off - mp->offset);
		n = mp->end - a < CHECK_LEN ? (size_t)(mp->end - a) : CHECK_LEN;
		if (kpl_proc__read(p, a, buf, n))
			return 0;
		kpl_arch_find_gadgets(buf, n, a, &g);
		return (sig ? g.sigreturn : g.syscall_ret) == a ? a : 0;
	}
	return 0;
}

/* Both gadgets where the command found them in a file @m maps. */
static int from_cache(struct kpl_proc *p, const struct kpl_maps *m,
		      struct kpl_arch_gadgets *g)
{
	struct kpl_arch_gadgets off, at;
	struct kpl_share_file f;
	size_t i;

	for (i = 0; i < m->nr; i++) {
		if (!file_text(&m->v[i]))
			continue;
		to_share(p->pid, &m->v[i], &f);
		if (!kpl_share__gadgets(&f, &off))
			continue;
		at.syscall_ret = check_at(p, m, &m->v[i], off.syscall_ret,
					  false);
		at.sigreturn = check_at(p, m, &m->v[i], off.sigreturn, true);
		if (at.syscall_ret && at.sigreturn) {
			*g = at;
			return 0;
		}
	}
	return -ENOENT;
}

/* Keep where @g is as offsets in a file, if both are in one file. */
static void keep(pid_t pid, const struct kpl_maps *m,
		 const struct kpl_arch_gadgets *g, size_t in_sys, size_t in_sig)
{
	const struct kpl_map *a = &m->v[in_sys], *b = &m->v[in_sig];
	struct kpl_arch_gadgets off;
	struct kpl_share_file f;

	if (!file_text(a) || !file_text(b) || !same_file(a, b))
		return;
	off.syscall_ret = g->syscall_ret - a->start + a->offset;
	off.sigreturn = g->sigreturn - b->start + b->offset;
	to_share(pid, a, &f);
	kpl_share__keep_gadgets(&f, &off);
}

/* Scan the executable mappings, libc's first, in overlapping windows. */
static int scan(struct kpl_proc *p, const struct kpl_maps *m,
		struct kpl_arch_gadgets *g)
{
	size_t ov = kpl_arch_gadget_overlap(), i, pass, in_sys = 0, in_sig = 0;
	uint8_t *buf;
	int err = -ENOENT;

	buf = malloc(WINDOW);
	if (!buf)
		return -ENOMEM;
	for (pass = 0; pass < 2 && err; pass++) {
		for (i = 0; i < m->nr && err; i++) {
			const struct kpl_map *mp = &m->v[i];
			uint64_t a;

			if (!(mp->prot & PROT_EXEC) ||
			    (pass == 0) != is_libc(mp) ||
			    !strcmp(mp->path, "[vsyscall]"))
				continue;
			for (a = mp->start; a < mp->end && err;
			     a += WINDOW - ov) {
				size_t n = mp->end - a < WINDOW ? mp->end - a
								: WINDOW;

				if (kpl_proc__read(p, a, buf, n))
					break;
				if (!g->syscall_ret)
					in_sys = i;
				if (!g->sigreturn)
					in_sig = i;
				err = kpl_arch_find_gadgets(buf, n, a, g);
			}
		}
	}
	free(buf);
	if (!err)
		keep(p->pid, m, g, in_sys, in_sig);
	return err;
}

/*
 * Find the gadgets, once per process, in the target's maps when it lent
 * them (even if kpl mapped something since: a gadget is used only where
 * its bytes were just read, so an old map costs at most a failed search).
 */
int kpl_pt_find_gadgets(struct kpl_proc *p, struct kpl_pt *pp)
{
	struct kpl_maps *own = NULL;
	const struct kpl_maps *m = p->maps;
	int err;

	if (pp->g.syscall_ret && pp->g.sigreturn)
		return 0;
	if (!m) {
		err = kpl_maps__read(p->pid, &own);
		if (err)
			return err;
		m = own;
	}
	err = from_cache(p, m, &pp->g);
	if (err) {
		pp->g = (struct kpl_arch_gadgets){ 0 };
		err = scan(p, m, &pp->g);
	}
	kpl_maps__free(own);
	if (err == -ENOMEM)
		return err;
	if (err)
		pr_warn("ptrace: pid %d has no %s in its text: cannot run a "
			"syscall in it safely\n", p->pid,
			kpl_arch_gadget_missing(&pp->g));
	return err ? -KPL_E_BACKEND : 0;
}
