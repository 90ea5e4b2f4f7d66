// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The frame of .eh_frame (the LSB "Exception Frame" format, a variant of
 * DWARF's .debug_frame): a sequence of entries, each a 4-byte length and
 * a 4-byte id.  An id of 0 makes a CIE; any other id is an FDE's
 * distance back, from the id field itself, to its CIE.  A 0 length ends
 * the section.  The unwinders that read a patch's table (libdw in kpl's
 * own activeness check) bound themselves by each entry, so the entries'
 * frame is what must hold before the table is mapped or read back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ehframe.h"
#include "internal.h"

static int bad(char *why, size_t why_len, size_t off, const char *what)
{
	snprintf(why, why_len, "%s at offset 0x%zx", what, off);
	return -KPL_E_FORMAT;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Whether a CIE starts at @off: a binary search of the sorted @cies. */
static bool is_cie(const size_t *cies, size_t n, size_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cies[mid] == off)
			return true;
		if (cies[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int kpl_eh_frame__check(const uint8_t *p, size_t len, char *why, size_t why_len)
{
	size_t off = 0, *cies, nr = 0;
	int err = 0;

	if (len > KPL_EH_FRAME_MAX)
		return bad(why, why_len, 0, "table larger than 1 MiB");
	/* An entry is at least 8 bytes: at most len / 8 CIEs. */
	cies = malloc((len / 8 + 1) * sizeof(*cies));
	if (!cies)
		return -ENOMEM;
	while (!err && off < len) {
		uint32_t n, id;

		if (len - off < 4) {
			err = bad(why, why_len, off, "truncated entry length");
			break;
		}
		n = rd32(p + off);
		if (n == 0) {
			/* The terminator: nothing may follow but padding. */
			while (++off < len)
				if (p[off])
					err = bad(why, why_len, off,
						  "data after the terminator");
			break;
		}
		if (n == 0xffffffffu) {
			err = bad(why, why_len, off, "64-bit entry length");
		} else if (n < 4 || n > len - off - 4) {
			err = bad(why, why_len, off,
				  "entry length outside the table");
		} else if ((id = rd32(p + off + 4)) == 0) {
			/* A CIE: version, then the augmentation string,
			 * which must end inside the entry. */
			if (n < 5 || (p[off + 8] != 1 && p[off + 8] != 3))
				err = bad(why, why_len, off,
					  "CIE of unknown version");
			else if (n < 6 || !memchr(p + off + 9, 0, n - 5))
				err = bad(why, why_len, off,
					  "CIE augmentation not terminated");
			else
				cies[nr++] = off;
		} else if (id > off + 4 || !is_cie(cies, nr, off + 4 - id)) {
			err = bad(why, why_len, off,
				  "FDE whose CIE pointer leads to no CIE");
		}
		off += 4 + (size_t)n;
	}
	free(cies);
	return err;
}

/* Bytes of a pointer of encoding @enc (DW_EH_PE_*), 0 if unknown. */
static size_t enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		return 8;
	case 0x02: /* udata2 */
	case 0x0a: /* sdata2 */
		return 2;
	case 0x03: /* udata4 */
	case 0x0b: /* sdata4 */
		return 4;
	}
	return 0;
}

/* A ULEB128 at *@pos, below @end; false when it runs past. */
static bool uleb(const uint8_t *p, size_t *pos, size_t end, uint64_t *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (*pos < end && shift < 64) {
		uint8_t b = p[(*pos)++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

struct cie {
	uint8_t fde_enc, lsda_enc;
	bool z;
	size_t pers_at;
};

/* The CIE at @off (@n bytes after its length): false if unreadable. */
static bool read_cie(const uint8_t *p, size_t off, uint32_t n, struct cie *c)
{
	size_t end = off + 4 + n, pos = off + 9;
	const char *aug = (const char *)p + pos;
	uint64_t v;
	size_t i;

	*c = (struct cie){ .fde_enc = 0,
			   .lsda_enc = 0xff,
			   .pers_at = SIZE_MAX };
	pos += strlen(aug) + 1; /* terminated inside: checked */
	if (!uleb(p, &pos, end, &v) || !uleb(p, &pos, end, &v))
		return false; /* code and data alignment (an sleb's frame) */
	if (p[off + 8] == 1)
		pos++;
	else if (!uleb(p, &pos, end, &v))
		return false;
	if (aug[0] != 'z')
		return !aug[0] && pos <= end;
	c->z = true;
	if (!uleb(p, &pos, end, &v))
		return false;
	for (i = 1; aug[i]; i++) {
		size_t sz;

		switch (aug[i]) {
		case 'P':
			if (pos >= end || !(sz = enc_size(p[pos])))
				return false;
			c->pers_at = ++pos;
			pos += sz;
			break;
		case 'L':
		case 'R':
			if (pos >= end)
				return false;
			*(aug[i] == 'L' ? &c->lsda_enc : &c->fde_enc) =
				p[pos++];
			break;
		case 'S':
		case 'B':
			break;
		default:
			return false;
		}
	}
	return pos <= end && enc_size(c->fde_enc) &&
	       (c->lsda_enc == 0xff || enc_size(c->lsda_enc));
}

static void read_fde(const uint8_t *p, size_t off, uint32_t n,
		     const struct cie *c, struct kpl_eh_fde *f)
{
	size_t end = off + 4 + n, sz = enc_size(c->fde_enc), pos;
	uint64_t v = 0, alen;

	f->pc_at = SIZE_MAX;
	pos = off + 8 + 2 * sz;
	if (pos > end)
		return;
	memcpy(&v, p + off + 8 + sz, sz); /* little-endian */
	if (c->z && c->lsda_enc != 0xff) {
		if (!uleb(p, &pos, end, &alen) ||
		    pos + enc_size(c->lsda_enc) > end)
			return;
		f->lsda_at = pos;
	}
	f->range = v;
	f->pc_enc = c->fde_enc;
	f->pc_at = off + 8;
}

bool kpl_eh_fde__pc(const uint8_t *p, const struct kpl_eh_fde *f,
		    uint64_t addr, uint64_t *pc)
{
	size_t sz = enc_size(f->pc_enc);
	uint64_t v = 0;

	if (f->pc_at == SIZE_MAX || !sz || (f->pc_enc & 0x80))
		return false;
	memcpy(&v, p + f->pc_at, sz); /* little-endian */
	if ((f->pc_enc & 0x08) && sz < 8 && (v >> (8 * sz - 1)))
		v |= ~0ull << (8 * sz); /* signed: extend */
	switch (f->pc_enc & 0x70) {
	case 0x00: /* absolute */
		*pc = v;
		return true;
	case 0x10: /* pc-relative: from the field itself */
		*pc = addr + f->pc_at + v;
		return true;
	}
	return false;
}

int kpl_eh_frame__each_fde(const uint8_t *p, size_t len, kpl_eh_fde_fn fn,
			   void *arg)
{
	size_t off = 0;
	int err = 0;

	while (!err && len - off >= 8) {
		uint32_t n = rd32(p + off), id = rd32(p + off + 4);
		struct kpl_eh_fde f = { .off = off,
					.lsda_at = SIZE_MAX,
					.pers_at = SIZE_MAX };
		struct cie c;
		size_t cie;

		if (!n)
			break;
		if (id) {
			cie = off + 4 - id;
			f.pc_at = SIZE_MAX;
			if (read_cie(p, cie, rd32(p + cie), &c)) {
				f.pers_at = c.pers_at;
				read_fde(p, off, n, &c, &f);
			}
			err = fn(&f, arg);
		}
		off += 4 + (size_t)n;
	}
	return err;
}
