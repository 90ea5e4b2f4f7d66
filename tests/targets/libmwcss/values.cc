// SPDX-License-Identifier: GPL-2.0
/*
 * Values and how they are written out: one virtual serialize() per class,
 * called through the vtable by Sheet::render().  serialize() reports "does
 * not fit" by returning false; the caller throws.
 */
#include <cstdio>
#include <cstring>

#include "css.h"

namespace mwcss
{

long debug_counts[DBG_NR][2];

void Out::put(const char *s, size_t n)
{
	if (n > room())
		throw ParseError("style sheet output too long");
	memcpy(cur(), s, n);
	used += n;
}

bool Keyword::serialize(Out &o) const
{
	if (name_.size() > o.room())
		return false;
	o.put(name_);
	return true;
}

bool Number::serialize(Out &o) const
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%g", v_);

	if (n < 0 || static_cast<size_t>(n) >= sizeof(tmp) ||
	    n + unit_.size() > o.room())
		return false;
	o.put(tmp, static_cast<size_t>(n));
	o.put(unit_);
	return true;
}

bool Color::serialize(Out &o) const
{
	static const char hex[] = "0123456789abcdef";
	char tmp[7] = { '#' };
	int i;

	if (sizeof(tmp) > o.room())
		return false;
	for (i = 0; i < 6; i++)
		tmp[1 + i] = hex[(rgb_ >> (20 - 4 * i)) & 0xf];
	o.put(tmp, sizeof(tmp));
	return true;
}

bool Separator::serialize(Out &o) const
{
	if (!o.room())
		return false;
	o.put(",", 1);
	return true;
}

bool PaletteRef::serialize(Out &o) const
{
	return to_->serialize(o);
}

/*
 * CSSOM string serialisation: quote and backslash escaped, control
 * characters as a hex escape and a space, NUL as U+FFFD.
 */
static MWCSS_ALWAYS_INLINE size_t esc_len(unsigned char c)
{
	if (!c)
		return 3;
	if (c == '"' || c == '\\')
		return 2;
	if (c < 0x20 || c == 0x7f)
		return c < 0x10 ? 3 : 4;
	return 1;
}

static MWCSS_ALWAYS_INLINE char *esc_put(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (!c) {
		*d++ = '\xef';
		*d++ = '\xbf';
		*d++ = '\xbd';
	} else if (c == '"' || c == '\\') {
		*d++ = '\\';
		*d++ = static_cast<char>(c);
	} else if (c < 0x20 || c == 0x7f) {
		*d++ = '\\';
		if (c >= 0x10)
			*d++ = hex[c >> 4];
		*d++ = hex[c & 0xf];
		*d++ = ' ';
	} else {
		*d++ = static_cast<char>(c);
	}
	return d;
}

bool StringValue::serialize(Out &o) const
{
	/* A declaration is never longer than a request body, 64 KiB. */
	uint16_t need = 2;
	char *d;

	MWCSS_DEBUG_HIT(DBG_STRING_SERIALIZE, BODY_ORIG);
	for (unsigned char c : text_)
		need += esc_len(c);
	if (need > o.room())
		return false;
	d = o.cur();
	*d++ = '"';
	for (unsigned char c : text_)
		d = esc_put(d, c);
	*d++ = '"';
	o.used += static_cast<size_t>(d - o.cur());
	return true;
}

} // namespace mwcss
