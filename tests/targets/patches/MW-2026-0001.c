// SPDX-License-Identifier: GPL-2.0
/*
 * MW-2026-0001, hand-written for `kpl-build pack`: the fixed
 * miniweb_entity_decode() of tests/targets/fixes/MW-2026-0001.diff.
 *
 * GCC inlined entity_parse(), parse_numeric(), parse_named(),
 * numeric_fixup() and the UTF-8 helpers into the original, so their
 * bodies come along; entity_find(), hexval() and c1_remap stay in the
 * library and are reached by symbol (the manifest's `ref` lines say which
 * file's local each one is).
 */
#include <string.h>

#include "../libminiweb/internal.h"

#define MW_ENTITY_NAME_MAX 32

struct entity {
	const char *name;
	uint32_t cp;
};

/* Locals of entities.c, resolved in the running library. */
const struct entity *entity_find(const char *name, size_t n);
int hexval(char c);
extern const uint16_t c1_remap[32];

static inline size_t utf8_len(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	if (cp < 0x10000)
		return 3;
	return 4;
}

static inline size_t utf8_put(char *dst, uint32_t cp)
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

static uint32_t numeric_fixup(uint32_t v)
{
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	if (v >= 0x80 && v <= 0x9f)
		return c1_remap[v - 0x80];
	return v;
}

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

int miniweb_entity_decode(char *dst, size_t cap, const char *src, size_t len,
			  size_t *outlen)
{
	size_t i = 0, o = 0, used;
	uint32_t cp;

	MW_DEBUG_HIT(MW_DBG_ENTITY_DECODE, MW_BODY_FIXED);
	while (i < len) {
		if (o >= cap)
			return mw_fail(MW_ETEXT);
		used = src[i] == '&' ? entity_parse(src + i, len - i, &cp) : 0;
		if (!used) {
			dst[o++] = src[i++];
			continue;
		}
		/* one free byte is not enough: a reference can need four */
		if (utf8_len(cp) > cap - o)
			return mw_fail(MW_ETEXT);
		o += utf8_put(dst + o, cp);
		i += used;
	}
	*outlen = o;
	return 0;
}
