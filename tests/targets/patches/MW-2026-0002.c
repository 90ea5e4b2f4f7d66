// SPDX-License-Identifier: GPL-2.0
/*
 * MW-2026-0002, hand-written for `kpl-build pack`: the fixed static
 * host_copy_labels() of host.c (tests/targets/fixes/MW-2026-0002.diff).
 * label_char_ok() was inlined into the original, so it comes along;
 * punycode_check() stays in the library.
 */
#include <string.h>

#include "../libminiweb/internal.h"

#define MW_LABEL_MAX 63
#define MW_LABELS_MAX 127

struct label {
	const char *p;
	uint8_t len;
};

/* A local of host.c, resolved in the running library. */
int punycode_check(const char *s, size_t len);

static bool label_char_ok(char c)
{
	return mw_is_alpha(c) || mw_is_digit(c) || c == '-' || c == '_';
}

int host_copy_labels_fixed(char *dst, size_t cap, const char *src, size_t len)
{
	struct label lab[MW_LABELS_MAX];
	const char *p = src, *end = src + len, *dot, *s;
	size_t n = 0, i, total = 0, llen;
	char *o = dst, *l;

	MW_DEBUG_HIT(MW_DBG_HOST_COPY_LABELS, MW_BODY_FIXED);
	while (p < end) {
		dot = memchr(p, '.', end - p);
		if (n == MW_LABELS_MAX)
			return mw_fail(MW_EHOST);
		/* check the real length before it is narrowed to a byte */
		llen = (dot ? dot : end) - p;
		if (llen == 0 || llen > MW_LABEL_MAX)
			return mw_fail(MW_EHOST);
		lab[n].p = p;
		lab[n].len = llen;
		total += lab[n].len + 1;
		n++;
		p = dot ? dot + 1 : end;
	}
	if (!n || total > cap)
		return mw_fail(MW_EHOST);
	for (i = 0; i < n; i++) {
		if (i)
			*o++ = '.';
		l = o;
		for (s = lab[i].p; s < end && *s != '.'; s++) {
			if (!label_char_ok(*s))
				return mw_fail(MW_EHOST);
			*o++ = mw_lower(*s);
		}
		if (l[0] == '-' || o[-1] == '-')
			return mw_fail(MW_EHOST);
		if (o - l > 4 && !memcmp(l, "xn--", 4) &&
		    punycode_check(l + 4, o - l - 4))
			return -MW_EPUNY;
	}
	*o = '\0';
	return 0;
}
