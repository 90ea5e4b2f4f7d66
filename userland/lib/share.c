// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The per-command cache (share.h).  Two locks: dw_lock serialises libdw
 * and libelf (and guards the file list, whose Elfs libdwfl uses), lock
 * guards the holder count, the parsed objects, the bytes read from them,
 * the analyses, the gadgets, the unwind verdicts and the lock directory.  Order: dw_lock, then lock.
 *
 * Sharing one Elf between several Dwfls relies on libelf's reference
 * count: elf_begin(fd, ELF_C_READ, elf) of a plain file returns @elf
 * with its count raised, and each elf_end() lowers it, the last one
 * freeing it.  The count is not atomic in a libelf built without thread
 * safety, hence dw_lock around libdwfl's elf_end() (dwfl_end()) too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "arch.h"
#include "elfobj.h"
#include "internal.h"
#include "share.h"

/* Bounds, whatever a fleet of hostile processes maps. */
#define MAX_FILES 128		/* open descriptors held */
#define MAX_ANALYSES 4096
#define MAX_ANALYSED_BYTES (16u << 20)
#define MAX_VERDICTS 16		/* patches of fleet commands at once */

struct file_ent {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char *path;
	int fd;
	Elf *elf;		/* NULL: tried, cannot be shared */
};

/* A parsed object (elfobj.h), by the same key; NULL: cannot be shared. */
struct kelf_ent {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char *path;
	struct kpl_elf *ke;
};

struct analysis {
	uint8_t *code;
	size_t size;
	int err;
	struct kpl_arch_prologue pro;
	const char *why;
};

/* Where the gadgets are in a file, as offsets in it; same key. */
struct gadget_ent {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char *path;
	struct kpl_arch_gadgets off;
};

/* Bytes read from a kept object's file (kpl_share__elf_read()). */
struct read_ent {
	const struct kpl_elf *ke;
	uint64_t vaddr;
	size_t len;
	uint8_t *bytes;
};

/* A patch's unwind verdict (kpl_share__keep_unwind()). */
struct verdict {
	const struct kpl_patch *patch;
	int err;
	bool unwinds;
};

static pthread_mutex_t dw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int holders;
static struct file_ent *files;	/* dw_lock */
static size_t nr_files;
static struct kelf_ent *kelfs;	/* lock */
static size_t nr_kelfs;
static struct analysis *analyses;	/* lock */
static size_t nr_analyses, analysed_bytes;
static struct gadget_ent *gadgets;	/* lock */
static size_t nr_gadgets;
static struct verdict verdicts[MAX_VERDICTS];	/* lock */
static char lock_dir[64];	/* lock; "" unknown */
static struct read_ent *reads;	/* lock */
static size_t nr_reads, read_bytes;

void kpl_share__lock(void)
{
	pthread_mutex_lock(&dw_lock);
}

void kpl_share__unlock(void)
{
	pthread_mutex_unlock(&dw_lock);
}

void kpl_share__get(void)
{
	pthread_mutex_lock(&lock);
	holders++;
	pthread_mutex_unlock(&lock);
}

void kpl_share__put(void)
{
	struct analysis *a = NULL;
	struct file_ent *f = NULL;
	struct kelf_ent *k = NULL;
	struct gadget_ent *g = NULL;
	struct read_ent *r = NULL;
	size_t i, nf = 0, na = 0, nk = 0, ng = 0, nr = 0;

	pthread_mutex_lock(&dw_lock);
	pthread_mutex_lock(&lock);
	if (holders && !--holders) {
		f = files;
		nf = nr_files;
		files = NULL;
		nr_files = 0;
		k = kelfs;
		nk = nr_kelfs;
		kelfs = NULL;
		nr_kelfs = 0;
		a = analyses;
		na = nr_analyses;
		analyses = NULL;
		nr_analyses = analysed_bytes = 0;
		g = gadgets;
		ng = nr_gadgets;
		gadgets = NULL;
		nr_gadgets = 0;
		lock_dir[0] = '\0';
		r = reads;
		nr = nr_reads;
		reads = NULL;
		nr_reads = read_bytes = 0;
	}
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nf; i++) {
		if (f[i].elf)
			elf_end(f[i].elf);
		if (f[i].fd >= 0)
			close(f[i].fd);
		free(f[i].path);
	}
	pthread_mutex_unlock(&dw_lock);
	free(f);
	for (i = 0; i < nk; i++) {
		kpl_elf__close(k[i].ke);
		free(k[i].path);
	}
	free(k);
	for (i = 0; i < na; i++)
		free(a[i].code);
	free(a);
	for (i = 0; i < ng; i++)
		free(g[i].path);
	free(g);
	for (i = 0; i < nr; i++)
		free(r[i].bytes);
	free(r);
}

/* Is @ke one the cache parsed (alive until the last holder lets go)? */
static bool kept_kelf(const struct kpl_elf *ke)
{
	size_t i;

	for (i = 0; holders && i < nr_kelfs; i++)
		if (kelfs[i].ke == ke)
			return true;
	return false;
}

int kpl_share__elf_read(const struct kpl_elf *ke, uint64_t vaddr, void *buf,
			size_t len)
{
	struct read_ent *v;
	uint8_t *copy;
	size_t i;
	int err;

	pthread_mutex_lock(&lock);
	for (i = 0; kept_kelf(ke) && i < nr_reads; i++) {
		if (reads[i].ke == ke && reads[i].vaddr == vaddr &&
		    reads[i].len == len) {
			memcpy(buf, reads[i].bytes, len);
			pthread_mutex_unlock(&lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&lock);
	err = kpl_elf__read(ke, vaddr, buf, len);
	if (err)
		return err;
	pthread_mutex_lock(&lock);
	if (kept_kelf(ke) && nr_reads < MAX_ANALYSES &&
	    len <= MAX_ANALYSED_BYTES - read_bytes) {
		copy = malloc(len ? len : 1);
		v = copy ? realloc(reads, (nr_reads + 1) * sizeof(*v)) : NULL;
		if (v) {
			memcpy(copy, buf, len);
			reads = v;
			reads[nr_reads++] = (struct read_ent){ ke, vaddr, len,
							       copy };
			read_bytes += len;
		} else {
			free(copy);
		}
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

bool kpl_share__lock_dir(char *dir, size_t len)
{
	bool known;

	pthread_mutex_lock(&lock);
	known = holders && lock_dir[0] && strlen(lock_dir) < len;
	if (known)
		memcpy(dir, lock_dir, strlen(lock_dir) + 1);
	pthread_mutex_unlock(&lock);
	return known;
}

void kpl_share__keep_lock_dir(const char *dir)
{
	pthread_mutex_lock(&lock);
	if (holders && strlen(dir) < sizeof(lock_dir))
		memcpy(lock_dir, dir, strlen(dir) + 1);
	pthread_mutex_unlock(&lock);
}

static int extra_workers;

void kpl_share__add_workers(int n)
{
	__atomic_add_fetch(&extra_workers, n, __ATOMIC_RELAXED);
}

int kpl_share__workers(void)
{
	return 1 + __atomic_load_n(&extra_workers, __ATOMIC_RELAXED);
}

static bool held(void)
{
	bool h;

	pthread_mutex_lock(&lock);
	h = holders > 0;
	pthread_mutex_unlock(&lock);
	return h;
}

static bool same(const struct kpl_share_file *f, unsigned int maj,
		 unsigned int min, uint64_t inode, const char *path)
{
	return inode == f->inode && maj == f->dev_major &&
	       min == f->dev_minor && !strcmp(path, f->path);
}

/* Open @f's inode as the maps name it, or -1. */
static int open_file(const struct kpl_share_file *f)
{
	struct stat st;
	char path[96];
	int fd;

	/* map_files names have no leading zeros, unlike maps lines. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 f->pid, f->start, f->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The file the maps line names, and nothing else (a FIFO or a
	 * device would block or lie). */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino != f->inode ||
	    major(st.st_dev) != f->dev_major ||
	    minor(st.st_dev) != f->dev_minor) {
		close(fd);
		return -1;
	}
	return fd;
}

Elf *kpl_share__elf(const struct kpl_share_file *f)
{
	struct file_ent *e = NULL;
	size_t i;

	if (!held() || !f->inode)
		return NULL;
	for (i = 0; i < nr_files; i++) {
		if (same(f, files[i].dev_major, files[i].dev_minor,
			 files[i].inode, files[i].path)) {
			e = &files[i];
			break;
		}
	}
	if (!e) {
		struct file_ent *v;

		if (nr_files >= MAX_FILES)
			return NULL;
		v = realloc(files, (nr_files + 1) * sizeof(*v));
		if (!v)
			return NULL;
		files = v;
		e = &files[nr_files];
		*e = (struct file_ent){ f->dev_major, f->dev_minor, f->inode,
					strdup(f->path), -1, NULL };
		if (!e->path)
			return NULL;
		nr_files++;
		e->fd = open_file(f);
		if (e->fd >= 0) {
			elf_version(EV_CURRENT);
			/* pread what libdw asks for: .eh_frame_hdr and
			 * .eh_frame, not the whole file. */
			e->elf = elf_begin(e->fd, ELF_C_READ, NULL);
			if (e->elf && elf_kind(e->elf) != ELF_K_ELF) {
				elf_end(e->elf);
				e->elf = NULL;
			}
		}
	}
	if (!e->elf)
		return NULL;
	/* Another reference to the same Elf, for libdwfl to end. */
	return elf_begin(e->fd, ELF_C_READ, e->elf);
}

struct kpl_elf *kpl_share__kelf(const struct kpl_share_file *f)
{
	struct kelf_ent *e = NULL, *v;
	const struct kpl_elf_sym *syms;
	struct kpl_elf *ke = NULL;
	char path[64];
	size_t i, nr;
	int fd;

	if (!f->inode)
		return NULL;
	pthread_mutex_lock(&lock);
	if (!holders)
		goto out;
	for (i = 0; i < nr_kelfs; i++) {
		if (same(f, kelfs[i].dev_major, kelfs[i].dev_minor,
			 kelfs[i].inode, kelfs[i].path)) {
			ke = kelfs[i].ke;
			goto out;
		}
	}
	if (nr_kelfs >= MAX_FILES)
		goto out;
	v = realloc(kelfs, (nr_kelfs + 1) * sizeof(*v));
	if (!v)
		goto out;
	kelfs = v;
	e = &kelfs[nr_kelfs];
	*e = (struct kelf_ent){ f->dev_major, f->dev_minor, f->inode,
				strdup(f->path), NULL };
	if (!e->path)
		goto out;
	nr_kelfs++;
	/* Parsed under the lock: the other workers want the same file,
	 * and wait for it rather than parse it again. */
	fd = open_file(f);
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (kpl_elf__open(path, &e->ke))
			e->ke = NULL;
		/* Workers share it: its tables are read now, under the
		 * lock, and never changed after (elfobj.h). */
		else if (kpl_elf__symbols(e->ke, &syms, &nr)) {
			kpl_elf__close(e->ke);
			e->ke = NULL;
		}
		close(fd);
	}
	ke = e->ke;
out:
	pthread_mutex_unlock(&lock);
	return ke;
}

static struct analysis *find_analysis(const uint8_t *code, size_t size)
{
	size_t i;

	for (i = 0; i < nr_analyses; i++)
		if (analyses[i].size == size &&
		    !memcmp(analyses[i].code, code, size))
			return &analyses[i];
	return NULL;
}

int kpl_share__analyse(const uint8_t *code, size_t size, uint64_t addr,
		       struct kpl_arch_prologue *out, const char **why)
{
	struct kpl_arch_prologue pro;
	const char *reason = NULL;
	struct analysis *a, *v;
	int err;

	if (!code || !out || !held())
		return kpl_arch_analyse(code, size, addr, out, why);
	pthread_mutex_lock(&lock);
	a = find_analysis(code, size);
	if (a) {
		err = a->err;
		pro = a->pro;
		reason = a->why;
	}
	pthread_mutex_unlock(&lock);
	if (!a) {
		/* Outside the lock: workers analyse different functions
		 * at once, and one analysed twice is only time. */
		err = kpl_arch_analyse(code, size, addr, &pro, &reason);
		pthread_mutex_lock(&lock);
		/* Only the verdicts: a failure to start capstone is not
		 * the function's. */
		if ((!err || err == -KPL_E_PROLOGUE) && holders &&
		    !find_analysis(code, size) &&
		    nr_analyses < MAX_ANALYSES &&
		    analysed_bytes + size <= MAX_ANALYSED_BYTES &&
		    (v = realloc(analyses, (nr_analyses + 1) * sizeof(*v)))) {
			analyses = v;
			v = &analyses[nr_analyses];
			v->code = malloc(size ? size : 1);
			if (v->code) {
				memcpy(v->code, code, size);
				*v = (struct analysis){ v->code, size, err,
							pro, reason };
				nr_analyses++;
				analysed_bytes += size;
			}
		}
		pthread_mutex_unlock(&lock);
	}
	if (err) {
		if (why)
			*why = reason;
		return err;
	}
	*out = pro;
	return 0;
}

static struct gadget_ent *find_gadgets(const struct kpl_share_file *f)
{
	size_t i;

	for (i = 0; i < nr_gadgets; i++)
		if (same(f, gadgets[i].dev_major, gadgets[i].dev_minor,
			 gadgets[i].inode, gadgets[i].path))
			return &gadgets[i];
	return NULL;
}

bool kpl_share__gadgets(const struct kpl_share_file *f,
			struct kpl_arch_gadgets *off)
{
	struct gadget_ent *e;

	if (!f->inode)
		return false;
	pthread_mutex_lock(&lock);
	e = holders ? find_gadgets(f) : NULL;
	if (e)
		*off = e->off;
	pthread_mutex_unlock(&lock);
	return e != NULL;
}

void kpl_share__keep_gadgets(const struct kpl_share_file *f,
			     const struct kpl_arch_gadgets *off)
{
	struct gadget_ent *e, *v;

	if (!f->inode)
		return;
	pthread_mutex_lock(&lock);
	e = holders ? find_gadgets(f) : NULL;
	if (e) {
		e->off = *off;	/* the latest process's: checked anyway */
	} else if (holders && nr_gadgets < MAX_FILES &&
		   (v = realloc(gadgets, (nr_gadgets + 1) * sizeof(*v)))) {
		gadgets = v;
		e = &gadgets[nr_gadgets];
		*e = (struct gadget_ent){ f->dev_major, f->dev_minor,
					  f->inode, strdup(f->path), *off };
		if (e->path)
			nr_gadgets++;
	}
	pthread_mutex_unlock(&lock);
}

void kpl_share__keep_unwind(const struct kpl_patch *patch, int err,
			    bool unwinds)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_VERDICTS; i++) {
		if (!verdicts[i].patch) {
			verdicts[i] = (struct verdict){ patch, err, unwinds };
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

void kpl_share__drop_unwind(const struct kpl_patch *patch)
{
	size_t i;

	pthread_mutex_lock(&lock);
	/* One entry: another command may have kept the same patch. */
	for (i = 0; i < MAX_VERDICTS; i++) {
		if (verdicts[i].patch == patch) {
			verdicts[i].patch = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

bool kpl_share__unwind(const struct kpl_patch *patch, int *err,
		       bool *unwinds)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_VERDICTS && !found; i++) {
		if (verdicts[i].patch == patch) {
			*err = verdicts[i].err;
			*unwinds = verdicts[i].unwinds;
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}
