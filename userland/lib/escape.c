// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Escaping for output: the rules are in <kpl/escape.h>. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kpl/escape.h"

/*
 * The length of the well-formed UTF-8 character at @s (at most @n bytes)
 * and its code point, or 0 when @s does not start one: overlong forms,
 * surrogates and values above U+10FFFF are not UTF-8 (RFC 3629).
 */
static size_t utf8_char(const uint8_t *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Escape the character at @s into @out; return its bytes consumed. */
static size_t escape_one(const uint8_t *s, size_t n, bool json, char *out)
{
	uint32_t cp;
	size_t len;

	if (!json) {
		if (s[0] == '\\')
			strcpy(out, "\\\\");
		else if (s[0] >= 0x20 && s[0] < 0x7f)
			out[0] = (char)s[0], out[1] = '\0';
		else
			sprintf(out, "\\x%02x", s[0]);
		return 1;
	}
	len = utf8_char(s, n, &cp);
	if (!len) {
		strcpy(out, "\\ufffd");
		return 1;
	}
	if (cp == '"' || cp == '\\')
		sprintf(out, "\\%c", (char)cp);
	else if (cp >= 0x20 && cp < 0x7f)
		out[0] = (char)cp, out[1] = '\0';
	else if (cp < 0x10000)
		sprintf(out, "\\u%04x", (unsigned int)cp);
	else
		sprintf(out, "\\u%04x\\u%04x",
			(unsigned int)(0xd800 + ((cp - 0x10000) >> 10)),
			(unsigned int)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
	return len;
}

/* The length of the whole of @s escaped. */
static size_t escaped_len(const uint8_t *s, size_t n, bool json)
{
	size_t i = 0, total = 0;
	char one[16];

	while (i < n) {
		i += escape_one(s + i, n - i, json, one);
		total += strlen(one);
	}
	return total;
}

KPL_API char *kpl_escape(char *buf, size_t size, const void *s, size_t n, bool json)
{
	const uint8_t *p = s;
	size_t at = 0, i = 0;
	bool cut;
	char one[16];

	if (!size)
		return buf;
	buf[0] = '\0';
	cut = escaped_len(p, n, json) >= size;
	while (i < n) {
		size_t used = escape_one(p + i, n - i, json, one);
		size_t len = strlen(one);

		/* When it cannot all fit, keep room for "...". */
		if (at + len + (cut ? 3 : 0) >= size) {
			if (at + 3 < size)
				strcpy(buf + at, "...");
			break;
		}
		memcpy(buf + at, one, len + 1);
		at += len;
		i += used;
	}
	return buf;
}

KPL_API char *kpl_escape_str(char *buf, size_t size, const char *s)
{
	return kpl_escape(buf, size, s, s ? strlen(s) : 0, false);
}
