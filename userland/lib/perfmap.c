// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /tmp/perf-PID.map, written for perf as root in a directory every user
 * writes to, for a target that may be hostile: its user may have put
 * anything at that path before kpl comes.  So the path is never
 * followed (O_NOFOLLOW: a symbolic link gives ELOOP; O_EXCL when made),
 * and what opened is written only if fstat() shows a regular file with
 * one link (no hard link to a file elsewhere), owned by the target's
 * user (who may write it anyway) or root.  A file made here belongs to
 * the target's user, as one its own JIT would have made, so that perf
 * run by that user reads it.  An existing file is opened without O_CREAT:
 * fs.protected_regular refuses even root an O_CREAT open of another
 * user's file in a sticky directory.
 *
 * perf takes a line's name as the rest of the line, so each byte outside
 * printable ASCII, and the space, becomes '?'.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "internal.h"
#include "loader.h"
#include "patch.h"
#include "perfmap.h"
#include "target.h"

/* Past this the file is not ours to rewrite (a JIT's map can be big). */
#define PERFMAP_MAX (64u << 20)
/* A name's bytes kept per line. */
#define PERFMAP_NAME_MAX 256

static int open_map(const struct kpl_perfmap_where *w, bool create,
		    int flags, char *path, size_t path_size, int *out)
{
	const int base = O_RDWR | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
			 O_CLOEXEC | flags;
	struct stat sb;
	int fd = -1, err = 0, tries;

	snprintf(path, path_size, "%s/perf-%d.map", w->dir, (int)w->pid);
	for (tries = 0; tries < 2 && fd < 0; tries++) {
		fd = open(path, base);
		if (fd >= 0 || errno != ENOENT || !create)
			break;
		fd = open(path, base | O_CREAT | O_EXCL, 0644);
		if (fd >= 0 && fchown(fd, w->uid, w->gid))
			pr_warn("perf map: cannot give %s to uid %u: %s\n",
				path, (unsigned int)w->uid, strerror(errno));
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT && !create)
			return err;
		pr_warn("perf map: cannot open %s: %s%s\n", path,
			strerror(-err),
			err == -ELOOP ? " (a symbolic link: not followed)" :
					"");
		return err;
	}
	if (fstat(fd, &sb)) {
		err = -errno;
	} else if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
		   (sb.st_uid != w->uid && sb.st_uid != 0)) {
		pr_warn("perf map: %s is not a regular file of one link owned "
			"by uid %u or root; not written\n", path,
			(unsigned int)w->uid);
		err = -EPERM;
	}
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

static size_t put_name(char *to, const char *s)
{
	size_t n;

	for (n = 0; s[n] && n < PERFMAP_NAME_MAX; n++)
		to[n] = (s[n] > ' ' && s[n] < 0x7f) ? s[n] : '?';
	return n;
}

static int write_all(int fd, const char *buf, size_t len, off_t at,
		     bool append)
{
	while (len) {
		ssize_t n = append ? write(fd, buf, len) :
				     pwrite(fd, buf, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

int kpl_perfmap__add(const struct kpl_perfmap_where *w, const char *id,
		     const struct kpl_perfmap_sym *s, size_t nr)
{
	const size_t line_max = 2 * 17 + 2 * PERFMAP_NAME_MAX + 8;
	char path[PATH_MAX], *buf;
	size_t i, len = 0;
	int fd = -1, err;

	if (!nr)
		return 0;
	if (nr > PERFMAP_MAX / line_max)
		return -E2BIG;
	buf = malloc(nr * line_max);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		len += (size_t)snprintf(buf + len, line_max, "%" PRIx64
					" %" PRIx64 " kpl:", s[i].start,
					s[i].size ? s[i].size : 1);
		len += put_name(buf + len, id);
		buf[len++] = ':';
		len += put_name(buf + len, s[i].name);
		buf[len++] = '\n';
	}
	err = open_map(w, true, O_APPEND, path, sizeof(path), &fd);
	if (!err) {
		/* One write: lines a JIT appends meanwhile stay whole. */
		err = write_all(fd, buf, len, 0, true);
		if (err)
			pr_warn("perf map: cannot write %s: %s\n", path,
				strerror(-err));
		close(fd);
	}
	free(buf);
	return err;
}

/* Whether @line (up to its '\n') names a symbol of patch @id. */
static bool line_of(const char *line, size_t len, const char *pfx,
		    size_t plen)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;

	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (!sp2)
		return false;
	sp2++;
	return (size_t)(line + len - sp2) >= plen && !memcmp(sp2, pfx, plen);
}

int kpl_perfmap__remove(const struct kpl_perfmap_where *w, const char *id)
{
	char path[PATH_MAX], pfx[PERFMAP_NAME_MAX + 8], *buf = NULL;
	size_t plen, len = 0, out = 0, at;
	struct stat sb;
	int fd = -1, err;

	plen = 4;
	memcpy(pfx, "kpl:", 4);
	plen += put_name(pfx + plen, id);
	pfx[plen++] = ':';
	err = open_map(w, false, 0, path, sizeof(path), &fd);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (fstat(fd, &sb)) {
		err = -errno;
		goto out;
	}
	if (sb.st_size > PERFMAP_MAX) {
		pr_warn("perf map: %s is larger than %u MiB; lines of %s left "
			"in it\n", path, PERFMAP_MAX >> 20, id);
		err = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (len < (size_t)sb.st_size) {
		ssize_t n = pread(fd, buf + len, (size_t)sb.st_size - len,
				  (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	/* Keep every other line, in place. */
	for (at = 0; at < len;) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (buf + at)) + 1 : len - at;

		if (!line_of(buf + at, l, pfx, plen)) {
			memmove(buf + out, buf + at, l);
			out += l;
		}
		at += l;
	}
	if (out == len)
		goto out;
	if (ftruncate(fd, (off_t)out))
		err = -errno;
	if (!err)
		err = write_all(fd, buf, out, 0, false);
	if (err)
		pr_warn("perf map: cannot rewrite %s: %s\n", path,
			strerror(-err));
out:
	free(buf);
	close(fd);
	return err;
}

/* The owner perf-PID.map is made for: the process's, as /proc says. */
static int where_of(pid_t pid, struct kpl_perfmap_where *w)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &sb))
		return -errno;
	*w = (struct kpl_perfmap_where){ "/tmp", pid, sb.st_uid, sb.st_gid };
	return 0;
}

int kpl_perfmap__apply(const struct kpl_target *t,
		       const struct kpl_patch *patch,
		       const struct kpl_load *ld)
{
	struct kpl_perfmap_where w;
	struct kpl_perfmap_sym *s;
	size_t i, nr = 0;
	int err = where_of(t->pid, &w);

	if (err)
		return err;
	s = calloc(patch->nr_symbols ? patch->nr_symbols : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* Every function the patch loads, its helpers too. */
	for (i = 0; i < patch->nr_symbols; i++) {
		const struct kpl_patch_symbol *ps = &patch->symbols[i];
		uint64_t a;

		if (ps->type != STT_FUNC || !ps->name[0] ||
		    ps->shndx == SHN_UNDEF || ps->shndx == SHN_ABS)
			continue;
		a = kpl_load__sym_addr(ld, patch, (uint32_t)i);
		if (!a)
			continue;
		s[nr++] = (struct kpl_perfmap_sym){ a, ps->size, ps->name };
	}
	err = kpl_perfmap__add(&w, patch->id, s, nr);
	free(s);
	return err;
}

int kpl_perfmap__unmapped(pid_t pid, const char *id)
{
	struct kpl_perfmap_where w;
	int err = where_of(pid, &w);

	return err ? err : kpl_perfmap__remove(&w, id);
}

void kpl_perfmap__anon_text(const struct kpl_target *t, const char *id,
			    struct kpl_map_range *r, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!(r[i].prot & PROT_EXEC))
			continue;
		/* Between two memfd parts, so the maps still show one
		 * region (kpl_maps__read()). */
		r[i].anon = i + 1 < nr;
		if (!r[i].anon)
			pr_warn("perf map: pid %d: the code of %s is the last "
				"part of its mapping, which stays the memfd's: "
				"perf will not name it\n", t->pid, id);
		else if (strcmp(kpl_proc__backend_name(t->proc), "ptrace"))
			pr_warn("perf map: pid %d: the %s backend maps the code "
				"of %s from its memfd: perf will not name it\n",
				t->pid, kpl_proc__backend_name(t->proc), id);
	}
}
