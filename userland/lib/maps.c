// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "internal.h"
#include "maps.h"

/*
 * A patch whose text was mapped anonymously (kpl_apply_opts.perf_map)
 * shows as a nameless line between two of its memfd's: give it the
 * memfd's name, inode and the file offset it would have, so that every
 * reader sees the region as one run of one file, as when the text was
 * the memfd's too.  Only exactly that: contiguous, the same memfd on
 * both sides, the offsets following on.  A process could forge it, as
 * it can forge the memfd: the records found there are checked as ever.
 */
static void name_anon_text(struct kpl_maps *m)
{
	size_t i;

	for (i = 1; i + 1 < m->nr; i++) {
		struct kpl_map *a = &m->v[i - 1], *v = &m->v[i];
		const struct kpl_map *b = &m->v[i + 1];
		uint64_t off = a->offset + (a->end - a->start);

		if (v->inode || v->path[0] || !a->inode || a->cut ||
		    strncmp(a->path, "/memfd:kpl:", 11) ||
		    a->inode != b->inode || strcmp(a->path, b->path) ||
		    a->end != v->start || v->end != b->start ||
		    b->offset != off + (v->end - v->start))
			continue;
		memcpy(v->path, a->path, sizeof(v->path));
		v->inode = a->inode;
		v->dev_major = a->dev_major;
		v->dev_minor = a->dev_minor;
		v->offset = off;
	}
}

FILE *kpl_maps__fopen(pid_t pid, char *buf)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (f && setvbuf(f, buf, _IOFBF, KPL_MAPS_BUF)) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

int kpl_maps__read(pid_t pid, struct kpl_maps **out)
{
	struct kpl_maps *m = NULL, *nm;
	size_t cap = 0;
	char buf[KPL_MAPS_BUF], *line = NULL;
	size_t line_cap = 0;
	FILE *f;
	int err = 0;

	f = kpl_maps__fopen(pid, buf);
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	m = calloc(1, sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	/* getline: a long path must not split into a bogus second line. */
	while (getline(&line, &line_cap, f) > 0) {
		struct kpl_map *mp;
		char perms[8] = "";
		int name_at = 0;

		if (m->nr == cap) {
			cap = cap ? cap * 2 : 64;
			nm = realloc(m, sizeof(*m) + cap * sizeof(m->v[0]));
			if (!nm) {
				err = -ENOMEM;
				break;
			}
			m = nm;
		}
		mp = &m->v[m->nr];
		memset(mp, 0, sizeof(*mp));
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64
			   " %x:%x %" SCNu64 " %n", &mp->start, &mp->end,
			   perms, &mp->offset, &mp->dev_major, &mp->dev_minor,
			   &mp->inode, &name_at) < 7)
			continue;
		mp->prot = (perms[0] == 'r' ? PROT_READ : 0) |
			   (perms[1] == 'w' ? PROT_WRITE : 0) |
			   (perms[2] == 'x' ? PROT_EXEC : 0);
		if (name_at > 0) {
			size_t len = strcspn(line + name_at, "\n");

			/* The kernel escapes only '\n' in a path: the rest
			 * is bytes the process chose, printed escaped. */
			mp->cut = len >= sizeof(mp->path);
			snprintf(mp->path, sizeof(mp->path), "%.*s", (int)len,
				 line + name_at);
		}
		m->nr++;
	}
	fclose(f);
	free(line);
	if (err) {
		free(m);
		return err;
	}
	name_anon_text(m);
	*out = m;
	return 0;
}

void kpl_maps__free(struct kpl_maps *m)
{
	free(m);
}

int kpl_maps__dup(const struct kpl_maps *m, struct kpl_maps **out)
{
	size_t size = sizeof(*m) + m->nr * sizeof(m->v[0]);
	struct kpl_maps *c = malloc(size);

	if (!c)
		return -ENOMEM;
	memcpy(c, m, size);
	*out = c;
	return 0;
}

#define REACH KPL_ARCH_REACH
#define PAGE 4096ull
#define TOP KPL_ARCH_USER_TOP
/* Stay clear of the very bottom of the address space. */
#define LOWEST (1ull << 20)

static int fits(uint64_t lo, uint64_t hi, uint64_t a, size_t len)
{
	/* Every byte of [a, a+len) within reach of every byte of [lo,hi). */
	if (a >= hi)
		return a + len - lo < REACH;
	return hi - a < REACH;
}

int kpl_maps__gap(const struct kpl_maps *m, uint64_t lo, uint64_t hi,
		  size_t len, uint64_t *addr)
{
	size_t i;

	len = (len + PAGE - 1) & ~(PAGE - 1);
	/* Above: the first gap after hi (maps are sorted by address). */
	for (i = 0; i < m->nr; i++) {
		uint64_t gap_lo = m->v[i].end;
		uint64_t gap_hi = i + 1 < m->nr ? m->v[i + 1].start : TOP;

		/* [vsyscall] is listed last, far above TOP: what lies
		 * between the stack and it is not user space. */
		if (gap_hi > TOP)
			gap_hi = TOP;
		if (gap_lo < hi || gap_hi < gap_lo ||
		    gap_hi - gap_lo < len + 2 * PAGE)
			continue;
		/* Leave a guard page so nothing abuts the patch. */
		if (!fits(lo, hi, gap_lo + PAGE, len))
			break;
		*addr = gap_lo + PAGE;
		return 0;
	}
	/* Below: the last gap before lo. */
	for (i = m->nr; i-- > 0;) {
		uint64_t gap_hi = m->v[i].start;
		uint64_t gap_lo = i ? m->v[i - 1].end : LOWEST;
		uint64_t a;

		if (gap_hi > lo || gap_hi < gap_lo ||
		    gap_hi - gap_lo < len + 2 * PAGE)
			continue;
		a = gap_hi - PAGE - len;
		if (a < LOWEST || !fits(lo, hi, a, len))
			break;
		*addr = a;
		return 0;
	}
	return -ENOMEM;
}
