// SPDX-License-Identifier: GPL-2.0
/*
 * Host normalisation: percent-decoding, IPv4 and IPv6 literals,
 * lowercasing, the root label's trailing dot, label rules and a punycode
 * check.  There is no IDN mapping: non-ASCII hosts are refused and
 * "xn--" labels must decode to something that needed encoding.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MW_LABEL_MAX 63
#define MW_LABELS_MAX 127

enum {
	PUNY_BASE = 36,
	PUNY_TMIN = 1,
	PUNY_TMAX = 26,
	PUNY_SKEW = 38,
	PUNY_DAMP = 700,
	PUNY_BIAS = 72,
	PUNY_N = 128,
};

static bool label_char_ok(char c)
{
	return mw_is_alpha(c) || mw_is_digit(c) || c == '-' || c == '_';
}

static int puny_digit(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return PUNY_BASE;
}

static uint32_t puny_adapt(uint32_t delta, uint32_t npoints, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PUNY_DAMP : delta / 2;
	delta += delta / npoints;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

/*
 * Run the RFC 3492 decoder over @s (the label after "xn--") without
 * producing output: every delta must be well formed and in range, and the
 * result must hold at least one non-ASCII code point.
 */
static MW_NOINLINE int punycode_check(const char *s, size_t len)
{
	uint32_t n = PUNY_N, i = 0, bias = PUNY_BIAS, out, oldi, w, k, t;
	size_t b = 0, j, in;
	int digit;

	for (j = 0; j < len; j++)
		if (s[j] == '-')
			b = j;
	out = b;
	in = b ? b + 1 : 0;
	if (in >= len)
		return mw_fail(MW_EPUNY);
	while (in < len) {
		oldi = i;
		w = 1;
		for (k = PUNY_BASE;; k += PUNY_BASE) {
			if (in >= len)
				return mw_fail(MW_EPUNY);
			digit = puny_digit(s[in++]);
			if (digit >= PUNY_BASE ||
			    (uint32_t)digit > (UINT32_MAX - i) / w)
				return mw_fail(MW_EPUNY);
			i += digit * w;
			t = k <= bias		  ? PUNY_TMIN :
			    k >= bias + PUNY_TMAX ? PUNY_TMAX :
						    k - bias;
			if ((uint32_t)digit < t)
				break;
			if (w > UINT32_MAX / (PUNY_BASE - t))
				return mw_fail(MW_EPUNY);
			w *= PUNY_BASE - t;
		}
		out++;
		bias = puny_adapt(i - oldi, out, oldi == 0);
		if (i / out > 0x10ffff - n)
			return mw_fail(MW_EPUNY);
		n += i / out;
		i %= out;
		if (n < 0x80 || (n >= 0xd800 && n <= 0xdfff))
			return mw_fail(MW_EPUNY);
		i++;
	}
	return 0;
}

struct label {
	const char *p;
	uint8_t len; /* DNS labels are at most 63 bytes */
};

/*
 * Split @src at its dots, check each label and write the lowercased host
 * to @dst (@cap bytes with the NUL).
 */
static MW_NOINLINE int host_copy_labels(char *dst, size_t cap, const char *src,
					size_t len)
{
	struct label lab[MW_LABELS_MAX];
	const char *p = src, *end = src + len, *dot, *s;
	size_t n = 0, i, total = 0;
	char *o = dst, *l;

	MW_DEBUG_HIT(MW_DBG_HOST_COPY_LABELS, MW_BODY_ORIG);
	while (p < end) {
		dot = memchr(p, '.', end - p);
		if (n == MW_LABELS_MAX)
			return mw_fail(MW_EHOST);
		lab[n].p = p;
		lab[n].len = (dot ? dot : end) - p;
		if (lab[n].len == 0 || lab[n].len > MW_LABEL_MAX)
			return mw_fail(MW_EHOST);
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

/* Dotted-decimal IPv4; returns 1 if @s is one, 0 if not an address. */
static int parse_ipv4(const char *s, size_t len, uint8_t addr[4])
{
	unsigned int part = 0, nparts = 0, ndigits = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (!mw_is_digit(s[i]) && s[i] != '.')
			return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!ndigits || nparts == 4)
				return -MW_EHOST;
			addr[nparts++] = (uint8_t)part;
			part = 0;
			ndigits = 0;
			continue;
		}
		part = part * 10 + (s[i] - '0');
		if (++ndigits > 3 || part > 255)
			return -MW_EHOST;
	}
	return nparts == 4 ? 1 : -MW_EHOST;
}

/* "[...]" with hex digits, colons and at most one "::"; copied lowercase. */
static int copy_ipv6(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i, colons = 0;

	if (len < 4 || len >= cap || s[len - 1] != ']')
		return mw_fail(MW_EHOST);
	for (i = 1; i < len - 1; i++) {
		char c = mw_lower(s[i]);

		if (c == ':')
			colons++;
		else if (!mw_is_digit(c) && (c < 'a' || c > 'f') && c != '.')
			return mw_fail(MW_EHOST);
		dst[i] = c;
	}
	if (colons < 2 || colons > 7 || memmem(s, len, ":::", 3))
		return mw_fail(MW_EHOST);
	dst[0] = '[';
	dst[len - 1] = ']';
	dst[len] = '\0';
	return 0;
}

/**
 * miniweb_host_normalize() - normalise the host part of a URL
 * @s: @len bytes, possibly percent-encoded
 * @host: set to the normalised host in @doc (valid until the next URL)
 *
 * Return: 0, or -MW_EHOST, -MW_EPUNY, -MW_ETOOLONG, -MW_ENOMEM.
 */
int miniweb_host_normalize(struct miniweb_doc *doc, const char *s, size_t len,
			   const char **host)
{
	static const char forbidden[] = " #%/:<>?@[\\]^|";
	uint8_t a[4];
	size_t n, i;
	char *buf;
	int err;

	if (!doc || !host || (!s && len))
		return mw_fail(MW_EINVAL);
	if (len > MINIWEB_URL_MAX)
		return mw_fail(MW_ETOOLONG);
	if (len && s[0] == '[') {
		err = copy_ipv6(doc->host, sizeof(doc->host), s, len);
		goto out;
	}
	buf = mw_arena_alloc(doc, len + 1, 1);
	if (!buf)
		return -MW_ENOMEM;
	err = miniweb_pct_decode(buf, len, s, len, &n);
	if (err)
		return err;
	/* the root label's dot is not part of the host */
	if (n && buf[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++) {
		if ((unsigned char)buf[i] >= 0x80 || buf[i] < 0x21 ||
		    memchr(forbidden, buf[i], sizeof(forbidden) - 1))
			return mw_fail(MW_EHOST);
	}
	err = parse_ipv4(buf, n, a);
	if (err > 0) {
		snprintf(doc->host, sizeof(doc->host), "%u.%u.%u.%u", a[0],
			 a[1], a[2], a[3]);
		err = 0;
	} else if (err < 0) {
		err = mw_fail(MW_EHOST);
	} else {
		err = host_copy_labels(doc->host, sizeof(doc->host), buf, n);
	}
out:
	if (!err)
		*host = doc->host;
	return err;
}
