// SPDX-License-Identifier: GPL-2.0
/*
 * URL parsing and normalisation, after the WHATWG URL standard's basic
 * parser but much smaller: special schemes (http, https, ws, wss, ftp) with
 * an authority, everything else opaque.  Normalisation lowercases scheme
 * and host, drops the default port, decodes escaped unreserved bytes,
 * escapes what must be escaped and removes dot segments.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct {
	const char *name;
	unsigned int port;
} special_schemes[] = {
	{ "ftp", 21 }, { "http", 80 }, { "https", 443 },
	{ "ws", 80 },  { "wss", 443 },
};

/* Leading C0 controls and spaces are not part of a URL. */
static MW_NOINLINE size_t skip_ws(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (unsigned char)s[i] <= 0x20)
		i++;
	return i;
}

static MW_NOINLINE int hexval(char c)
{
	if (mw_is_digit(c))
		return c - '0';
	c = mw_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_unreserved(char c)
{
	return mw_is_alpha(c) || mw_is_digit(c) || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

/* Bytes a normalised path, query or fragment carries escaped. */
static bool needs_escape(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' ||
	       c == '`' || c == '{' || c == '}';
}

/**
 * miniweb_url_default_port() - the default port of a special scheme
 *
 * Return: the port, 0 for a special scheme without one, -1 otherwise.
 */
int miniweb_url_default_port(const char *scheme)
{
	size_t i;

	if (!scheme)
		return -1;
	for (i = 0; i < sizeof(special_schemes) / sizeof(special_schemes[0]);
	     i++) {
		if (!strcmp(scheme, special_schemes[i].name))
			return (int)special_schemes[i].port;
	}
	return -1;
}

/**
 * miniweb_pct_decode() - decode every %XX in @src
 * @dst: output, @cap bytes, not NUL-terminated
 *
 * A '%' not followed by two hex digits is kept as it is.
 * Return: 0 with *@outlen set, or -MW_ETOOLONG if @dst is too small.
 */
int miniweb_pct_decode(char *dst, size_t cap, const char *src, size_t len,
		       size_t *outlen)
{
	size_t i = 0, o = 0;
	int hi, lo;

	while (i < len) {
		if (o == cap)
			return mw_fail(MW_ETOOLONG);
		if (src[i] == '%' && len - i >= 3 &&
		    (hi = hexval(src[i + 1])) >= 0 &&
		    (lo = hexval(src[i + 2])) >= 0) {
			dst[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			dst[o++] = src[i++];
		}
	}
	*outlen = o;
	return 0;
}

/*
 * Copy @len bytes to @dst (at least 3 * @len bytes): escaped unreserved
 * bytes decoded, other escapes with uppercase hex, unsafe bytes escaped.
 */
static size_t pct_normalize(char *dst, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '%' && len - i >= 3 && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (is_unreserved(c)) {
				dst[o++] = c;
				continue;
			}
		} else if (!needs_escape(c)) {
			dst[o++] = c;
			continue;
		}
		dst[o++] = '%';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	return o;
}

/* RFC 3986 5.2.4 in place on a path that starts with '/'. */
static size_t remove_dot_segments(char *buf, size_t n)
{
	size_t r = 0, w = 0, e;

	while (r < n) {
		const char *seg = buf + r + 1;

		for (e = r + 1; e < n && buf[e] != '/'; e++)
			;
		if (e - r == 2 && seg[0] == '.') {
			if (e == n)
				buf[w++] = '/';
		} else if (e - r == 3 && seg[0] == '.' && seg[1] == '.') {
			while (w > 0 && buf[--w] != '/')
				;
			if (e == n)
				buf[w++] = '/';
		} else {
			memmove(buf + w, buf + r, e - r);
			w += e - r;
		}
		r = e;
	}
	if (!w)
		buf[w++] = '/';
	return w;
}

/* Normalise @len bytes of path, query or fragment into the arena. */
static char *normalize_part(struct miniweb_doc *doc, const char *s, size_t len,
			    bool path)
{
	char *buf = mw_arena_alloc(doc, 3 * len + 2, 1);
	size_t n;

	if (!buf)
		return NULL;
	if (path && (!len || s[0] != '/')) {
		buf[0] = '/';
		n = 1 + pct_normalize(buf + 1, s, len);
	} else {
		n = pct_normalize(buf, s, len);
	}
	if (path)
		n = remove_dot_segments(buf, n);
	buf[n] = '\0';
	return buf;
}

static int parse_scheme(struct miniweb_doc *doc, const char **pp,
			const char *end, struct miniweb_url *u)
{
	const char *p = *pp, *s = p;

	if (p >= end || !mw_is_alpha(*p))
		return mw_fail(MW_ESCHEME);
	while (p < end && (mw_is_alpha(*p) || mw_is_digit(*p) || *p == '+' ||
			   *p == '-' || *p == '.'))
		p++;
	if (p >= end || *p != ':' || p - s > 32)
		return mw_fail(MW_ESCHEME);
	u->scheme = mw_arena_lower(doc, s, p - s);
	if (!u->scheme)
		return -MW_ENOMEM;
	*pp = p + 1;
	return 0;
}

static int parse_port(const char *s, const char *end, unsigned int *port)
{
	unsigned int v = 0;

	if (s == end)
		return 0; /* "host:" means no port */
	for (; s < end; s++) {
		if (!mw_is_digit(*s))
			return mw_fail(MW_EPORT);
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return mw_fail(MW_EPORT);
	}
	*port = v;
	return 0;
}

/* userinfo@host:port between @p and @end. */
static int parse_authority(struct miniweb_doc *doc, const char *p,
			   const char *end, struct miniweb_url *u)
{
	const char *at = NULL, *h, *colon = NULL, *q;
	int def = miniweb_url_default_port(u->scheme), err;

	for (q = p; q < end; q++)
		if (*q == '@')
			at = q;
	u->user = at ? mw_arena_strndup(doc, p, at - p) : "";
	if (!u->user)
		return -MW_ENOMEM;
	h = at ? at + 1 : p;
	q = h;
	if (q < end && *q == '[') {
		q = memchr(q, ']', end - q);
		if (!q)
			return mw_fail(MW_EHOST);
	}
	for (; q < end; q++)
		if (*q == ':')
			colon = q;
	if (colon) {
		err = parse_port(colon + 1, end, &u->port);
		if (err)
			return err;
		if ((int)u->port == def)
			u->port = 0;
	}
	return miniweb_host_normalize(doc, h, (colon ? colon : end) - h,
				      &u->host);
}

static bool append(char *buf, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap - *off)
		return false;
	memmove(buf + *off, s, n + 1);
	*off += n;
	return true;
}

static int serialize(struct miniweb_doc *doc, struct miniweb_url *u,
		     bool special)
{
	char *b = doc->scratch, port[8];
	size_t cap = sizeof(doc->scratch), o = 0;
	bool ok;

	snprintf(port, sizeof(port), ":%u", u->port);
	ok = append(b, cap, &o, u->scheme) && append(b, cap, &o, ":");
	if (special) {
		ok = ok && append(b, cap, &o, "//");
		if (*u->user)
			ok = ok && append(b, cap, &o, u->user) &&
			     append(b, cap, &o, "@");
		ok = ok && append(b, cap, &o, u->host);
		if (u->port)
			ok = ok && append(b, cap, &o, port);
	}
	ok = ok && append(b, cap, &o, u->path);
	if (u->query)
		ok = ok && append(b, cap, &o, "?") &&
		     append(b, cap, &o, u->query);
	if (u->fragment)
		ok = ok && append(b, cap, &o, "#") &&
		     append(b, cap, &o, u->fragment);
	if (!ok)
		return mw_fail(MW_ETOOLONG);
	u->href = b;
	return 0;
}

/**
 * miniweb_url_parse() - parse and normalise an absolute URL
 * @doc: holds the strings @url points to
 * @s: @len bytes
 *
 * Return: 0 with *@url filled in, or a negative MW_E* code.
 */
int miniweb_url_parse(struct miniweb_doc *doc, const char *s, size_t len,
		      struct miniweb_url *url)
{
	struct miniweb_url u = { .user = "", .host = "" };
	const char *p, *end, *q, *hash;
	bool special;
	int err;

	if (!doc || !url || (!s && len))
		return mw_fail(MW_EINVAL);
	if (len > MINIWEB_URL_MAX)
		return mw_fail(MW_ETOOLONG);
	mw_stats()->urls++;
	p = s + skip_ws(s, len);
	end = s + len;
	while (end > p && (unsigned char)end[-1] <= 0x20)
		end--;
	err = parse_scheme(doc, &p, end, &u);
	if (err)
		return err;
	special = miniweb_url_default_port(u.scheme) >= 0;
	if (special) {
		if (end - p < 2 || p[0] != '/' || p[1] != '/')
			return mw_fail(MW_EURL);
		p += 2;
		for (q = p; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
			;
		err = parse_authority(doc, p, q, &u);
		if (err)
			return err;
		p = q;
	}
	hash = memchr(p, '#', end - p);
	q = memchr(p, '?', (hash ? hash : end) - p);
	u.path = normalize_part(doc, p,
				(q    ? q :
				 hash ? hash :
					end) -
					p,
				special);
	if (q)
		u.query = normalize_part(doc, q + 1,
					 (hash ? hash : end) - q - 1, false);
	if (hash)
		u.fragment =
			normalize_part(doc, hash + 1, end - hash - 1, false);
	if (!u.path || (q && !u.query) || (hash && !u.fragment))
		return -MW_ENOMEM;
	err = serialize(doc, &u, special);
	if (err)
		return err;
	*url = u;
	return 0;
}
