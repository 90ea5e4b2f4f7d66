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
