// SPDX-License-Identifier: GPL-2.0
/*
 * MW-2026-0003, hand-written for `kpl-build pack`: the fixed static
 * scan_quoted() of tokenizer.c (tests/targets/fixes/MW-2026-0003.diff).
 * style.c has a scan_quoted() of its own, so the manifest names the file.
 */
#include <string.h>

#include "../libminiweb/internal.h"

int scan_quoted_fixed(const char *p, const char *end, size_t *len,
		      const char **next)
{
	const char *v = p + 1, *q;

	MW_DEBUG_HIT(MW_DBG_SCAN_QUOTED, MW_BODY_FIXED);
	q = v < end ? memchr(v, *p, end - v) : NULL;
	if (!q)
		return mw_fail(MW_EATTR);
	*len = q - v;
	*next = q + 1;
	return 0;
}
