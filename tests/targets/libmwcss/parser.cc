// SPDX-License-Identifier: GPL-2.0
/*
 * The style sheet parser.  Grammar (a CSS subset):
 *
 *   sheet   := (palette | rule)*          between tokens: space, comments
 *   palette := "@palette" value ("," value)* ";"
 *   rule    := selector "{" (decl (";" decl)* ";"?)? "}"
 *   decl    := ident ":" value ([","] value)* ("!important")?
 *   value   := "#" hex{3,6} | number unit? | ident | string
 *            | "palette(" uint ")"
 *
 * Every error throws ParseError with a lowercase message naming what is
 * wrong; the C API (api.cc) catches it.
 */
#include <cctype>
#include <cstring>

#include "css.h"

namespace mwcss
{

constexpr size_t SELECTOR_MAX = 1024;
constexpr size_t VALUES_MAX = 64;
constexpr size_t PALETTE_INDEX_MAX = 9999;

namespace
{

class Parser {
    public:
	Parser(Sheet &sheet, const char *src, size_t len)
	    : sheet_(sheet), p_(src), end_(src + len)
	{
	}
	void run();

    private:
	void skip_ws();
	bool at(char c) const
	{
		return p_ < end_ && *p_ == c;
	}
	void expect(char c, const char *what);
	std::string ident();
	void palette();
	void rule();
	void decl(Rule &r);
	std::unique_ptr<Value> value();
	std::unique_ptr<Value> string_value();
	std::unique_ptr<Value> color();
	std::unique_ptr<Value> number();
	std::unique_ptr<Value> function(const std::string &name);

	Sheet &sheet_;
	const char *p_;
	const char *end_;
};

bool is_ident(char c)
{
	return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

void Parser::skip_ws()
{
	for (;;) {
		while (p_ < end_ && isspace(static_cast<unsigned char>(*p_)))
			p_++;
		if (end_ - p_ < 2 || p_[0] != '/' || p_[1] != '*')
			return;
		const char *close = static_cast<const char *>(memmem(
			p_ + 2, static_cast<size_t>(end_ - p_ - 2), "*/", 2));
		if (!close)
			throw ParseError("unterminated comment");
		p_ = close + 2;
	}
}

void Parser::expect(char c, const char *what)
{
	skip_ws();
	if (!at(c))
		throw ParseError(std::string("expected ") + what);
	p_++;
}

std::string Parser::ident()
{
	const char *s = p_;

	while (p_ < end_ && is_ident(*p_))
		p_++;
	if (p_ == s)
		throw ParseError("expected a name");
	std::string id(s, p_);
	for (char &c : id)
		c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
	return id;
}

void Parser::run()
{
	for (;;) {
		skip_ws();
		if (p_ == end_)
			return;
		if (at('@'))
			palette();
		else
			rule();
	}
}

void Parser::palette()
{
	p_++;
	if (ident() != "palette")
		throw ParseError("unknown at-rule");
	for (;;) {
		skip_ws();
		sheet_.add_palette(value());
		skip_ws();
		if (!at(','))
			break;
		p_++;
	}
	expect(';', "';' after @palette");
}

void Parser::rule()
{
	const char *s = p_;
	Rule r;

	while (p_ < end_ && *p_ != '{' && *p_ != '}' && *p_ != ';')
		p_++;
	const char *e = p_;
	while (e > s && isspace(static_cast<unsigned char>(e[-1])))
		e--;
	if (e == s)
		throw ParseError("missing selector");
	if (static_cast<size_t>(e - s) > SELECTOR_MAX)
		throw ParseError("selector too long");
	r.selector.assign(s, e);
	expect('{', "'{' after the selector");
	for (;;) {
		skip_ws();
		if (at('}'))
			break;
		decl(r);
		skip_ws();
		if (at(';'))
			p_++;
		else if (!at('}'))
			throw ParseError(
				"expected ';' or '}' after a declaration");
	}
	p_++;
	sheet_.rules.push_back(std::move(r));
}

void Parser::decl(Rule &r)
{
	Decl d;

	d.prop = ident();
	expect(':', "':' after the property name");
	for (;;) {
		skip_ws();
		if (p_ == end_ || *p_ == ';' || *p_ == '}' || *p_ == '!')
			break;
		if (d.values.size() >= VALUES_MAX)
			throw ParseError("too many values in a declaration");
		if (at(',') && !d.values.empty()) {
			p_++;
			d.values.push_back(std::make_unique<Separator>());
			continue;
		}
		d.values.push_back(value());
	}
	if (d.values.empty())
		throw ParseError("declaration without a value");
	if (at('!')) {
		p_++;
		if (ident() != "important")
			throw ParseError("expected !important");
		d.important = true;
	}
	r.decls.push_back(std::move(d));
}

std::unique_ptr<Value> Parser::value()
{
	if (p_ == end_)
		throw ParseError("expected a value");
	char c = *p_;
	if (c == '"' || c == '\'')
		return string_value();
	if (c == '#')
		return color();
	if (isdigit(static_cast<unsigned char>(c)) || c == '.' ||
	    (c == '-' && end_ - p_ > 1 &&
	     isdigit(static_cast<unsigned char>(p_[1]))))
		return number();
	if (!is_ident(c))
		throw ParseError("unexpected character in a value");
	std::string id = ident();
	if (at('('))
		return function(id);
	return std::make_unique<Keyword>(std::move(id));
}

/* A string: any byte but its quote, a backslash or a newline; \X is X. */
std::unique_ptr<Value> Parser::string_value()
{
	char q = *p_++;
	std::string s;

	for (;;) {
		if (p_ == end_ || *p_ == '\n')
			throw ParseError("unterminated string");
		char c = *p_++;
		if (c == q)
			break;
		if (c == '\\') {
			if (p_ == end_)
				throw ParseError("unterminated string");
			c = *p_++;
		}
		s += c;
	}
	return std::make_unique<StringValue>(std::move(s));
}

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::unique_ptr<Value> Parser::color()
{
	uint32_t rgb = 0;
	size_t n = 0;

	for (p_++; p_ < end_ && hexval(*p_) >= 0 && n < 7; p_++, n++)
		rgb = rgb << 4 | static_cast<uint32_t>(hexval(*p_));
	if (n == 3)
		rgb = (rgb & 0xf00) * 0x1100 | (rgb & 0xf0) * 0x110 |
		      (rgb & 0xf) * 0x11;
	else if (n != 6)
		throw ParseError("a colour has 3 or 6 hex digits");
	return std::make_unique<Color>(rgb);
}

std::unique_ptr<Value> Parser::number()
{
	bool neg = at('-');
	unsigned int whole = 0, frac = 0, scale = 1;

	p_ += neg;
	if (!at('.') && !parse_uint<unsigned int>(p_, end_, 1000000, whole))
		throw ParseError("number out of range");
	if (at('.')) {
		const char *s = ++p_;
		if (!parse_uint<unsigned int>(p_, end_, 999999, frac) ||
		    p_ - s > 6)
			throw ParseError("bad fraction");
		for (; s < p_; s++)
			scale *= 10;
	}
	double v = whole + static_cast<double>(frac) / scale;
	std::string unit;
	if (at('%'))
		unit = "%", p_++;
	else if (p_ < end_ && isalpha(static_cast<unsigned char>(*p_)))
		unit = ident();
	if (unit.size() > 8)
		throw ParseError("unknown unit");
	return std::make_unique<Number>(neg ? -v : v, std::move(unit));
}

std::unique_ptr<Value> Parser::function(const std::string &name)
{
	size_t i;

	if (name != "palette")
		throw ParseError("unknown function");
	p_++;
	skip_ws();
	if (!parse_uint<size_t>(p_, end_, PALETTE_INDEX_MAX, i))
		throw ParseError("bad palette index");
	expect(')', "')' after the palette index");
	const Value *v = sheet_.palette_at(i);
	if (!v)
		throw ParseError("palette index out of range");
	return std::make_unique<PaletteRef>(v);
}

} // namespace

void parse(Sheet &sheet, const char *src, size_t len)
{
	if (sheet.parsed)
		throw ParseError("style sheet already parsed");
	sheet.parsed = true;
	Parser(sheet, src, len).run();
	sheet.render();
}

} // namespace mwcss
