/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to libmwcss: values (a class hierarchy with virtual
 * serialize()), rules, the sheet with its palette table and its guarded
 * output buffer, the parser's entry point and the debug counters.
 */
#ifndef MWCSS_CSS_H
#define MWCSS_CSS_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

/*
 * Functions a live patch may replace keep their own symbol and entry: no
 * inlining into callers (speculative devirtualisation included), no clones.
 */
#define MWCSS_NOINLINE __attribute__((noinline, noclone))
#define MWCSS_ALWAYS_INLINE inline __attribute__((always_inline))

namespace mwcss
{

enum DebugFn { DBG_PALETTE_AT, DBG_STRING_SERIALIZE, DBG_NR };
enum DebugBody { BODY_ORIG, BODY_FIXED };
extern long debug_counts[DBG_NR][2];
#define MWCSS_DEBUG_HIT(fn, body) \
	__atomic_fetch_add(&mwcss::debug_counts[fn][body], 1, __ATOMIC_RELAXED)

/* Every error of a parse; the C API turns it into -1 and its message. */
class ParseError : public std::runtime_error {
    public:
	using std::runtime_error::runtime_error;
};

constexpr size_t OUT_CAP = 64 * 1024; /* the largest request body */
constexpr size_t SPILL_CAP = 4096;
constexpr uint64_t GUARD = 0x2144524155474d57ull; /* "MWGUARD!" */

/*
 * Where a sheet is rendered: the first OUT_CAP bytes of the sheet's one
 * allocation, followed by a guard word, a spill buffer and another guard
 * (sheet.cc).  A write past the end lands on the guard and on plain bytes.
 */
struct Out {
	char *buf = nullptr;
	size_t used = 0;
	size_t cap = 0;

	size_t room() const
	{
		return cap - used;
	}
	char *cur()
	{
		return buf + used;
	}
	void put(const char *s, size_t n); /* throws ParseError when full */
	void put(const std::string &s)
	{
		put(s.data(), s.size());
	}
};

class Value {
    public:
	virtual ~Value() = default;
	/* Write the value to @o; false when it does not fit. */
	virtual bool serialize(Out &o) const = 0;
};

class Keyword : public Value {
    public:
	explicit Keyword(std::string name) : name_(std::move(name))
	{
	}
	bool serialize(Out &o) const override;

    private:
	std::string name_;
};

class Number : public Value {
    public:
	Number(double v, std::string unit) : v_(v), unit_(std::move(unit))
	{
	}
	bool serialize(Out &o) const override;

    private:
	double v_;
	std::string unit_;
};

class Color : public Value {
    public:
	explicit Color(uint32_t rgb) : rgb_(rgb)
	{
	}
	bool serialize(Out &o) const override;

    private:
	uint32_t rgb_;
};

class StringValue : public Value {
    public:
	explicit StringValue(std::string text) : text_(std::move(text))
	{
	}
	MWCSS_NOINLINE bool serialize(Out &o) const override;

    private:
	std::string text_;
};

/* The "," between the values of a list (font-family: a, b). */
class Separator : public Value {
    public:
	bool serialize(Out &o) const override;
};

/* palette(N): a reference to an entry of the sheet's palette table. */
class PaletteRef : public Value {
    public:
	explicit PaletteRef(const Value *to) : to_(to)
	{
	}
	bool serialize(Out &o) const override;
	const Value *target() const
	{
		return to_;
	}

    private:
	const Value *to_;
};

struct Decl {
	std::string prop;
	std::vector<std::unique_ptr<Value> > values;
	bool important = false;
};

struct Rule {
	std::string selector;
	std::vector<Decl> decls;
};

class Sheet {
    public:
	explicit Sheet(const char *nonce);
	~Sheet();
	Sheet(const Sheet &) = delete;
	Sheet &operator=(const Sheet &) = delete;

	void add_palette(std::unique_ptr<Value> v);
	/* Entry @i of the page's palette, or NULL when there is none. */
	MWCSS_NOINLINE const Value *palette_at(size_t i) const;
	size_t palette_size() const
	{
		return nr_page_;
	}
	void render();
	bool check(const char **where) const;

	std::vector<Rule> rules;
	Out out;
	bool parsed = false;
	char error[128] = "";

    private:
	/*
	 * The page's @palette entries, then the UA's own: palette(N)
	 * indexes straight into it.  The UA entries (the style nonce the
	 * sheet was loaded with) are for the UA only; a page must never
	 * read them.
	 */
	std::vector<std::unique_ptr<Value> > entries_;
	size_t nr_page_ = 0;
	char *area_;
};

void parse(Sheet &sheet, const char *src, size_t len);

/*
 * An unsigned decimal number of type Int, at most @max.  Each instance is
 * emitted out of line in a COMDAT group of its own, as in any C++ library.
 */
template <typename Int>
MWCSS_NOINLINE bool parse_uint(const char *&p, const char *end, Int max,
			       Int &out)
{
	Int v = 0;
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9') {
		Int d = static_cast<Int>(*p - '0');

		if (v > (max - d) / 10)
			return false;
		v = static_cast<Int>(v * 10 + d);
		p++;
	}
	if (p == s)
		return false;
	out = v;
	return true;
}

} // namespace mwcss

#endif /* MWCSS_CSS_H */
