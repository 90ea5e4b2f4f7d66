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
 *
 * A single-process command has no fleet to share with, and the scan
 * (seven windows of glibc 2.36's text before its __restore_rt) was a
 * fifth of the instructions `kpl apply` ran.  So where they were found
 * in libc is also kept across commands, in kpl's root-owned run
 * directory (GCACHE below), keyed by the file's device, inode, size and
 * modification time as stat() of /proc/PID/map_files gives them.  The
 * file is only a hint too, used exactly as the command's: an entry is
 * believed only where the process's own bytes, read now, hold that kind
 * of gadget, so a forged or stale entry costs the full scan, never a
 * wrong gadget (tests/integration/test_gadget_cache.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "maps.h"
#include "ptrace.h"
#include "share.h"

#define WINDOW 65536
#define CHECK_LEN 16	/* more than the longest gadget */

/*
 * The cache across commands: one file, read whole, replaced whole
 * (rename), written and believed only when kpl runs as root and the file
 * and /run/kpatch-lite are root's and writable by nobody else.
 */
#define GCACHE_DIR "/run/kpatch-lite"
#define GCACHE GCACHE_DIR "/gadgets"
#define GCACHE_MAGIC "KPLGADG1"
#define GCACHE_NR 8

struct gcache_key {
	uint64_t dev, inode, size;
	int64_t mtime_sec, mtime_nsec;
};

struct gcache_ent {
	struct gcache_key key;
	uint64_t syscall_ret, sigreturn;	/* offsets in the file */
};

struct gcache_file {
	char magic[8];
	uint32_t nr, zero;
	struct gcache_ent e[GCACHE_NR];
};

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

/* Both gadgets at file offsets @off of @file into @g, if both are there. */
static bool both_at(struct kpl_proc *p, const struct kpl_maps *m,
		    const struct kpl_map *file,
		    const struct kpl_arch_gadgets *off,
		    struct kpl_arch_gadgets *g)
{
	struct kpl_arch_gadgets at;

	at.syscall_ret = check_at(p, m, file, off->syscall_ret, false);
	at.sigreturn = check_at(p, m, file, off->sigreturn, true);
	if (!at.syscall_ret || !at.sigreturn)
		return false;
	*g = at;
	return true;
}

/* Both gadgets where the command found them in a file @m maps. */
static int from_cache(struct kpl_proc *p, const struct kpl_maps *m,
		      struct kpl_arch_gadgets *g)
{
	struct kpl_arch_gadgets off;
	struct kpl_share_file f;
	size_t i;

	for (i = 0; i < m->nr; i++) {
		if (!file_text(&m->v[i]))
			continue;
		to_share(p->pid, &m->v[i], &f);
		if (kpl_share__gadgets(&f, &off) &&
		    both_at(p, m, &m->v[i], &off, g))
			return 0;
	}
	return -ENOENT;
}

/* The key of the file @mp maps, from the process's own view of it. */
static bool gcache_key(pid_t pid, const struct kpl_map *mp,
		       struct gcache_key *k)
{
	char path[80];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)mp->start, (unsigned long long)mp->end);
	if (stat(path, &st) || !S_ISREG(st.st_mode) ||
	    st.st_ino != mp->inode)
		return false;
	*k = (struct gcache_key){ st.st_dev, st.st_ino, st.st_size,
				  st.st_mtim.tv_sec, st.st_mtim.tv_nsec };
	return true;
}

/* Root's, and writable by root alone; @dir: a directory, else a file. */
static bool root_only(const struct stat *st, bool dir)
{
	return (dir ? S_ISDIR(st->st_mode) : S_ISREG(st->st_mode)) &&
	       st->st_uid == 0 && !(st->st_mode & 022);
}

/* May the cache be believed or written at all: are we root, and is
 * its directory root's alone? */
static bool gcache_dir_ok(void)
{
	struct stat st;

	return !geteuid() && !lstat(GCACHE_DIR, &st) && root_only(&st, true);
}

/* The cache file into @c; false when there is none to believe. */
static bool gcache_read(struct gcache_file *c)
{
	struct stat st;
	bool ok;
	int fd;

	if (!gcache_dir_ok())
		return false;
	fd = open(GCACHE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = !fstat(fd, &st) && root_only(&st, false) &&
	     st.st_size == sizeof(*c) &&
	     pread(fd, c, sizeof(*c), 0) == sizeof(*c) &&
	     !memcmp(c->magic, GCACHE_MAGIC, sizeof(c->magic)) &&
	     c->nr <= GCACHE_NR;
	close(fd);
	return ok;
}

/* Where the gadgets were in libc, from the cache, if its bytes agree. */
static int from_disk(struct kpl_proc *p, const struct kpl_maps *m,
		     struct kpl_arch_gadgets *g)
{
	struct gcache_file c;
	struct gcache_key k;
	const struct kpl_map *lib = NULL;
	size_t i;

	for (i = 0; i < m->nr && !lib; i++)
		if (file_text(&m->v[i]) && is_libc(&m->v[i]))
			lib = &m->v[i];
	if (!lib || !gcache_read(&c) || !gcache_key(p->pid, lib, &k))
		return -ENOENT;
	for (i = 0; i < c.nr; i++) {
		struct kpl_arch_gadgets off = { c.e[i].syscall_ret,
						c.e[i].sigreturn };

		if (!memcmp(&c.e[i].key, &k, sizeof(k)))
			return both_at(p, m, lib, &off, g) ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/*
 * Put @e first in the cache, with up to GCACHE_NR - 1 entries of other
 * files it held.  Best effort: a cache that cannot be written is only
 * a slower next command.
 */
static void gcache_write(const struct gcache_ent *e)
{
	struct gcache_file old, c = { .magic = GCACHE_MAGIC, .nr = 1 };
	char tmp[64];
	ssize_t n;
	size_t i;
	int fd;

	if (!gcache_read(&old)) {
		if (!gcache_dir_ok())
			return;
		old.nr = 0;
	}
	c.e[0] = *e;
	for (i = 0; i < old.nr && c.nr < GCACHE_NR; i++)
		if (memcmp(&old.e[i].key, &e->key, sizeof(e->key)))
			c.e[c.nr++] = old.e[i];
	snprintf(tmp, sizeof(tmp), GCACHE ".%d", (int)gettid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;
	/* open() honours the umask; the mode is checked on read. */
	n = fchmod(fd, 0644) ? -1 : write(fd, &c, sizeof(c));
	if (close(fd) || n != sizeof(c) || rename(tmp, GCACHE))
		unlink(tmp);
}

/*
 * Keep where @g is as offsets in a file, if both are in one file: for
 * this command, and if that file is libc for the next commands too.
 */
static void keep(pid_t pid, const struct kpl_maps *m,
		 const struct kpl_arch_gadgets *g, size_t in_sys, size_t in_sig)
{
	const struct kpl_map *a = &m->v[in_sys], *b = &m->v[in_sig];
	struct kpl_arch_gadgets off;
	struct kpl_share_file f;
	struct gcache_ent e;

	if (!file_text(a) || !file_text(b) || !same_file(a, b))
		return;
	off.syscall_ret = g->syscall_ret - a->start + a->offset;
	off.sigreturn = g->sigreturn - b->start + b->offset;
	to_share(pid, a, &f);
	kpl_share__keep_gadgets(&f, &off);
	if (!is_libc(a) || !gcache_key(pid, a, &e.key))
		return;
	e.syscall_ret = off.syscall_ret;
	e.sigreturn = off.sigreturn;
	gcache_write(&e);
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
	if (err)
		err = from_disk(p, m, &pp->g);
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
