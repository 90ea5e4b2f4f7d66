// SPDX-License-Identifier: GPL-2.0
/*
 * HTML character references: named (&amp;), decimal (&#38;) and hexadecimal
 * (&#x26;), decoded to UTF-8 the way HTML5 does it: numeric references
 * need not end in ';', NUL, surrogates and values past U+10FFFF become
 * U+FFFD, and 0x80-0x9F are read as windows-1252.  Named references must
 * end in ';'; unknown ones stay literal.
 */
#include <string.h>

#include "internal.h"

#define MW_ENTITY_NAME_MAX 32

struct entity {
	const char *name;
	uint32_t cp;
};

/* Sorted by strcmp() for entity_find(). */
static const struct entity entities[] = {
	{ "AMP", 0x26 },      { "GT", 0x3e },	   { "LT", 0x3c },
	{ "QUOT", 0x22 },     { "aacute", 0xe1 },  { "amp", 0x26 },
	{ "apos", 0x27 },     { "bull", 0x2022 },  { "cent", 0xa2 },
	{ "copy", 0xa9 },     { "deg", 0xb0 },	   { "divide", 0xf7 },
	{ "eacute", 0xe9 },   { "euro", 0x20ac },  { "gt", 0x3e },
	{ "hellip", 0x2026 }, { "laquo", 0xab },   { "ldquo", 0x201c },
	{ "lt", 0x3c },	      { "mdash", 0x2014 }, { "middot", 0xb7 },
	{ "nbsp", 0xa0 },     { "ndash", 0x2013 }, { "para", 0xb6 },
	{ "plusmn", 0xb1 },   { "pound", 0xa3 },   { "quot", 0x22 },
	{ "raquo", 0xbb },    { "rdquo", 0x201d }, { "reg", 0xae },
	{ "sect", 0xa7 },     { "times", 0xd7 },   { "trade", 0x2122 },
	{ "uuml", 0xfc },     { "yen", 0xa5 },
};

/* windows-1252 meanings of &#128; .. &#159; */
static const uint16_t c1_remap[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static MW_NOINLINE int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static MW_ALWAYS_INLINE size_t utf8_len(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	if (cp < 0x10000)
		return 3;
	return 4;
}

/* Write @cp as UTF-8; @cp is a valid scalar value. */
static MW_ALWAYS_INLINE size_t utf8_put(char *dst, uint32_t cp)
{
	size_t n = utf8_len(cp);

	switch (n) {
	case 1:
		dst[0] = (char)cp;
		break;
	case 2:
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		break;
	case 3:
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		break;
	default:
		dst[0] = (char)(0xf0 | (cp >> 18));
		dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[3] = (char)(0x80 | (cp & 0x3f));
		break;
	}
	return n;
}

static int entity_cmp(const char *name, size_t n, const char *key)
{
	int c = strncmp(name, key, n);

	if (c)
		return c;
	return key[n] ? -1 : 0;
}

static const struct entity *entity_find(const char *name, size_t n)
{
	size_t lo = 0, hi = sizeof(entities) / sizeof(entities[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entity_cmp(name, n, entities[mid].name);

		if (!c)
			return &entities[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static uint32_t numeric_fixup(uint32_t v)
{
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	if (v >= 0x80 && v <= 0x9f)
		return c1_remap[v - 0x80];
	return v;
}

/* @s points at "&#"; returns the bytes consumed, 0 if not a reference. */
static size_t parse_numeric(const char *s, size_t len, uint32_t *cp)
{
	size_t i = 2, start;
	uint32_t v = 0;
	int base = 10, d;

	if (i < len && (s[i] == 'x' || s[i] == 'X')) {
		base = 16;
		i++;
	}
	start = i;
	while (i < len && (d = hexval(s[i])) >= 0 && d < base) {
		/* saturate: anything past U+10FFFF maps to U+FFFD anyway */
		if (v <= 0x10ffff)
			v = v * base + d;
		i++;
	}
	if (i == start)
		return 0;
	if (i < len && s[i] == ';')
		i++;
	*cp = numeric_fixup(v);
	return i;
}

/* @s points at '&'; returns the bytes consumed, 0 if not a reference. */
static size_t parse_named(const char *s, size_t len, uint32_t *cp)
{
	const struct entity *e;
	size_t i = 1;

	while (i < len && i <= MW_ENTITY_NAME_MAX &&
	       (mw_is_alpha(s[i]) || mw_is_digit(s[i])))
		i++;
	if (i == 1 || i >= len || s[i] != ';')
		return 0;
	e = entity_find(s + 1, i - 1);
	if (!e)
		return 0;
	*cp = e->cp;
	return i + 1;
}

static size_t entity_parse(const char *s, size_t len, uint32_t *cp)
{
	if (len >= 3 && s[1] == '#')
		return parse_numeric(s, len, cp);
	return parse_named(s, len, cp);
}

/**
 * miniweb_entity_decode() - decode the character references in @src
 * @dst: output, @cap bytes, not NUL-terminated
 * @src: @len bytes of text
 * @outlen: set to the bytes written on success
 *
 * Return: 0, or -MW_ETEXT when the decoded text does not fit in @cap.
 */
MW_NOINLINE int miniweb_entity_decode(char *dst, size_t cap, const char *src,
				      size_t len, size_t *outlen)
{
	size_t i = 0, o = 0, used;
	uint32_t cp;

	MW_DEBUG_HIT(MW_DBG_ENTITY_DECODE, MW_BODY_ORIG);
	while (i < len) {
		if (o >= cap)
			return mw_fail(MW_ETEXT);
		used = src[i] == '&' ? entity_parse(src + i, len - i, &cp) : 0;
		if (!used) {
			dst[o++] = src[i++];
			continue;
		}
		o += utf8_put(dst + o, cp);
		i += used;
	}
	*outlen = o;
	return 0;
}

/**
 * miniweb_entity_lookup() - the code point of a named reference
 * @name: the name without '&' and ';'
 *
 * Return: 0 with *@cp set, or -MW_EINVAL for an unknown name.
 */
int miniweb_entity_lookup(const char *name, size_t len, uint32_t *cp)
{
	const struct entity *e;

	if (!name || !cp || len > MW_ENTITY_NAME_MAX)
		return mw_fail(MW_EINVAL);
	e = entity_find(name, len);
	if (!e)
		return mw_fail(MW_EINVAL);
	*cp = e->cp;
	return 0;
}

/**
 * miniweb_utf8_encode() - encode one code point as UTF-8
 *
 * Invalid code points are encoded as U+FFFD.
 * Return: the number of bytes written to @out (1-4).
 */
size_t miniweb_utf8_encode(uint32_t cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	return utf8_put(out, cp);
}
