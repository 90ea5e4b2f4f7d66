// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
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

/*
 * The hex number at @s, of at most @max digits, into *@v: the first
 * byte after it, or NULL if there is none or it is longer.
 */
static const char *hex_at(const char *s, uint64_t *v, int max)
{
	uint64_t x = 0;
	int n;

	for (n = 0;; n++, s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else
			break;
		if (n == max)
			return NULL;
		x = x << 4 | d;
	}
	if (!n)
		return NULL;
	*v = x;
	return s;
}

/* The decimal number at @s into *@v (no overflow): as hex_at(). */
static const char *dec_at(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int n;

	for (n = 0; *s >= '0' && *s <= '9'; n++, s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return NULL;
		x = x * 10 + d;
	}
	if (!n)
		return NULL;
	*v = x;
	return s;
}

/*
 * The kernel's format (show_map_vma()): "start-end perms offset
 * major:minor inode", lowercase hex but the inode, then, if the mapping
 * has a name, spaces and the name to the end of the line.  By hand: with
 * sscanf() the two reads of an apply's maps were 380,000 instructions.
 */
int kpl_maps__parse(const char *line, struct kpl_map *mp)
{
	const char *s = line;
	uint64_t maj, min;
	size_t len;
	int i;

	memset(mp, 0, offsetof(struct kpl_map, path));
	mp->path[0] = '\0';
	mp->cut = false;
	s = hex_at(s, &mp->start, 16);
	if (!s || *s++ != '-')
		return -EINVAL;
	s = hex_at(s, &mp->end, 16);
	if (!s || *s++ != ' ')
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (!s[i] || s[i] == ' ' || s[i] == '\n')
			return -EINVAL;
	if (s[4] != ' ')
		return -EINVAL;
	mp->prot = (s[0] == 'r' ? PROT_READ : 0) |
		   (s[1] == 'w' ? PROT_WRITE : 0) |
		   (s[2] == 'x' ? PROT_EXEC : 0);
	s = hex_at(s + 5, &mp->offset, 16);
	if (!s || *s++ != ' ')
		return -EINVAL;
	s = hex_at(s, &maj, 8);
	if (!s || *s++ != ':')
		return -EINVAL;
	s = hex_at(s, &min, 8);
	if (!s || *s++ != ' ')
		return -EINVAL;
	mp->dev_major = (unsigned int)maj;
	mp->dev_minor = (unsigned int)min;
	s = dec_at(s, &mp->inode);
	if (!s || (*s != ' ' && *s != '\n' && *s))
		return -EINVAL;
	while (*s == ' ')
		s++;
	/* The kernel escapes only '\n' in a path: the rest is bytes the
	 * process chose, printed escaped. */
	len = strcspn(s, "\n");
	mp->cut = len >= sizeof(mp->path);
	if (mp->cut)
		len = sizeof(mp->path) - 1;
	memcpy(mp->path, s, len);
	mp->path[len] = '\0';
	return 0;
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
		if (m->nr == cap) {
			cap = cap ? cap * 2 : 64;
			nm = realloc(m, sizeof(*m) + cap * sizeof(m->v[0]));
			if (!nm) {
				err = -ENOMEM;
				break;
			}
			m = nm;
		}
		if (!kpl_maps__parse(line, &m->v[m->nr]))
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
