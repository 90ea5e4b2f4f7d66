// SPDX-License-Identifier: GPL-2.0
/*
 * The C API: every exception the engine throws is caught here, so none
 * ever reaches a C caller.  RTTI tells the values apart for the counts.
 */
#include <cstring>
#include <new>
#include <typeinfo>

#include "css.h"
#include "mwcss.h"

using mwcss::Sheet;

struct mwcss_sheet {
	Sheet sheet;
	explicit mwcss_sheet(const char *nonce) : sheet(nonce)
	{
	}
};

static void set_error(Sheet &s, const char *msg)
{
	snprintf(s.error, sizeof(s.error), "%s", msg);
}

struct mwcss_sheet *mwcss_sheet_new(const char *nonce)
{
	if (!nonce || strnlen(nonce, MWCSS_NONCE_MAX + 1) > MWCSS_NONCE_MAX)
		return nullptr;
	try {
		return new mwcss_sheet(nonce);
	} catch (const std::bad_alloc &) {
		return nullptr;
	}
}

void mwcss_sheet_free(struct mwcss_sheet *s)
{
	delete s;
}

int mwcss_sheet_parse(struct mwcss_sheet *s, const char *src, size_t len)
{
	try {
		mwcss::parse(s->sheet, src, len);
		return 0;
	} catch (const mwcss::ParseError &e) {
		set_error(s->sheet, e.what());
	} catch (const std::bad_alloc &) {
		set_error(s->sheet, "out of memory");
	} catch (const std::exception &) {
		set_error(s->sheet, "internal error");
	}
	s->sheet.out.used = 0;
	return -1;
}

const char *mwcss_sheet_error(const struct mwcss_sheet *s)
{
	return s->sheet.error;
}

const char *mwcss_sheet_output(const struct mwcss_sheet *s, size_t *len)
{
	*len = s->sheet.out.used;
	return s->sheet.out.buf;
}

static bool is_color(const mwcss::Value *v)
{
	if (auto *ref = dynamic_cast<const mwcss::PaletteRef *>(v))
		v = ref->target();
	return typeid(*v) == typeid(mwcss::Color);
}

void mwcss_sheet_counts(const struct mwcss_sheet *s, struct mwcss_counts *c)
{
	*c = mwcss_counts{};
	c->rules = s->sheet.rules.size();
	c->palette = s->sheet.palette_size();
	for (const auto &r : s->sheet.rules) {
		c->decls += r.decls.size();
		for (const auto &d : r.decls)
			for (const auto &v : d.values)
				c->colors += is_color(v.get());
	}
}

int mwcss_sheet_check(const struct mwcss_sheet *s, const char **where)
{
	return s->sheet.check(where) ? 0 : -1;
}

static const struct {
	const char *name;
	const char *advisory;
} debug_fns[mwcss::DBG_NR] = {
	/* in enum DebugFn's order */
	{ "Sheet::palette_at", "CSS-2026-0001" },
	{ "StringValue::serialize", "CSS-2026-0002" },
};

static int debug_index(const char *fn)
{
	int i;

	for (i = 0; fn && i < mwcss::DBG_NR; i++)
		if (!strcmp(fn, debug_fns[i].name) ||
		    !strcmp(fn, debug_fns[i].advisory))
			return i;
	return -1;
}

long mwcss_debug_calls(const char *fn)
{
	int i = debug_index(fn);

	return i < 0 ? -1 :
		       __atomic_load_n(
			       &mwcss::debug_counts[i][mwcss::BODY_ORIG],
			       __ATOMIC_RELAXED);
}

long mwcss_debug_calls_fixed(const char *fn)
{
	int i = debug_index(fn);

	return i < 0 ? -1 :
		       __atomic_load_n(
			       &mwcss::debug_counts[i][mwcss::BODY_FIXED],
			       __ATOMIC_RELAXED);
}

const char *mwcss_debug_name(unsigned int i, const char **advisory)
{
	if (i >= mwcss::DBG_NR)
		return nullptr;
	if (advisory)
		*advisory = debug_fns[i].advisory;
	return debug_fns[i].name;
}
