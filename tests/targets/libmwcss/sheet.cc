// SPDX-License-Identifier: GPL-2.0
/*
 * The sheet: its rules, its palette table and its output.  The output
 * buffer, a guard word, a spill buffer and another guard are one
 * allocation, so that its layout is the same on every run and an
 * overflow is seen (check()) rather than crashing somewhere else.
 */
#include <cstring>

#include "css.h"

namespace mwcss
{

constexpr size_t PALETTE_MAX = 256;

static MWCSS_ALWAYS_INLINE char *guard_at(char *area, size_t off)
{
	return area + off;
}

Sheet::Sheet(const char *nonce)
    : area_(new char[OUT_CAP + sizeof(GUARD) + SPILL_CAP + sizeof(GUARD)])
{
	try {
		memset(area_, 0, OUT_CAP + SPILL_CAP + 2 * sizeof(GUARD));
		memcpy(guard_at(area_, OUT_CAP), &GUARD, sizeof(GUARD));
		memcpy(guard_at(area_, OUT_CAP + sizeof(GUARD) + SPILL_CAP),
		       &GUARD, sizeof(GUARD));
		out.buf = area_;
		out.cap = OUT_CAP;
		entries_.push_back(std::make_unique<StringValue>(nonce));
	} catch (...) {
		delete[] area_;
		throw;
	}
}

Sheet::~Sheet()
{
	delete[] area_;
}

void Sheet::add_palette(std::unique_ptr<Value> v)
{
	if (nr_page_ >= PALETTE_MAX)
		throw ParseError("palette has more than 256 entries");
	entries_.insert(entries_.begin() + static_cast<long>(nr_page_),
			std::move(v));
	nr_page_++;
}

const Value *Sheet::palette_at(size_t i) const
{
	MWCSS_DEBUG_HIT(DBG_PALETTE_AT, BODY_ORIG);
	if (i > nr_page_)
		return nullptr;
	return entries_[i].get();
}

/* One line per rule: "SELECTOR { PROP: VALUE VALUE; ... }". */
void Sheet::render()
{
	for (const Rule &r : rules) {
		out.put(r.selector);
		out.put(" {", 2);
		for (const Decl &d : r.decls) {
			out.put(" ", 1);
			out.put(d.prop);
			out.put(":", 1);
			for (const auto &v : d.values) {
				if (!dynamic_cast<const Separator *>(v.get()))
					out.put(" ", 1);
				if (!v->serialize(out))
					throw ParseError(
						"declaration too long");
			}
			if (d.important)
				out.put(" !important", 11);
			out.put(";", 1);
		}
		out.put(" }\n", 3);
	}
}

bool Sheet::check(const char **where) const
{
	if (memcmp(area_ + OUT_CAP, &GUARD, sizeof(GUARD))) {
		*where = "style sheet output";
		return false;
	}
	if (memcmp(area_ + OUT_CAP + sizeof(GUARD) + SPILL_CAP, &GUARD,
		   sizeof(GUARD))) {
		*where = "style sheet spill";
		return false;
	}
	return true;
}

} // namespace mwcss
