// SPDX-License-Identifier: GPL-2.0
/*
 * Inline style declarations ("color: red; width: calc(2 * 8px)"): names
 * lowercased, colour keywords and #rgb turned into #rrggbb, calc() with px
 * evaluated by the expression evaluator, "!important" split off.  Each
 * declaration goes to the caller's callback.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MW_CALC_MAX 256

static const struct {
	const char *name;
	const char *hex;
} colors[] = {
	{ "black", "#000000" },	 { "blue", "#0000ff" },
	{ "gray", "#808080" },	 { "green", "#008000" },
	{ "orange", "#ffa500" }, { "purple", "#800080" },
	{ "red", "#ff0000" },	 { "transparent", "#00000000" },
	{ "white", "#ffffff" },	 { "yellow", "#ffff00" },
};

static MW_NOINLINE const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (mw_is_space(*p) || *p == '\v'))
		p++;
	return p;
}

/*
 * A CSS string; @p points at the opening quote.  A backslash escapes the
 * next character.  Sets *@next past the closing quote.
 */
static MW_NOINLINE int scan_quoted(const char *p, const char *end,
				   const char **next)
{
	char quote = *p++;

	while (p < end && *p != quote) {
		if (*p == '\\' && end - p >= 2)
			p++;
		p++;
	}
	if (p >= end)
		return mw_fail(MW_ESTYLE);
	*next = p + 1;
	return 0;
}

/**
 * miniweb_color_lookup() - #rrggbb for a colour keyword (any case)
 *
 * Return: a static string, or NULL if @name is not a known colour.
 */
const char *miniweb_color_lookup(const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; name && i < sizeof(colors) / sizeof(colors[0]); i++) {
		for (j = 0; j < len && colors[i].name[j] &&
			    mw_lower(name[j]) == colors[i].name[j];
		     j++)
			;
		if (j == len && !colors[i].name[j])
			return colors[i].hex;
	}
	return NULL;
}

static bool is_hex(char c)
{
	c = mw_lower(c);
	return mw_is_digit(c) || (c >= 'a' && c <= 'f');
}

/* #rgb -> #rrggbb, #RRGGBB -> #rrggbb; NULL if @v is not a hex colour. */
static char *expand_hex(struct miniweb_doc *doc, const char *v, size_t n)
{
	char *out;
	size_t i;

	if ((n != 4 && n != 7) || v[0] != '#')
		return NULL;
	for (i = 1; i < n; i++)
		if (!is_hex(v[i]))
			return NULL;
	out = mw_arena_alloc(doc, 8, 1);
	if (!out)
		return NULL;
	out[0] = '#';
	for (i = 0; i < 6; i++)
		out[1 + i] = mw_lower(n == 4 ? v[1 + i / 2] : v[1 + i]);
	out[7] = '\0';
	return out;
}

/* calc(<integer expression in px>) -> "<n>px" */
static int eval_calc(struct miniweb_doc *doc, const char *v, size_t n,
		     const char **out)
{
	char expr[MW_CALC_MAX], *res;
	size_t i, o = 0;
	int64_t val;
	int err;

	if (n < 6 || v[n - 1] != ')' || n - 6 >= sizeof(expr))
		return mw_fail(MW_ESTYLE);
	for (i = 5; i < n - 1; i++) {
		if (v[i] == 'p' && i + 1 < n - 1 && v[i + 1] == 'x' && i > 5 &&
		    mw_is_digit(v[i - 1])) {
			i++;
			continue;
		}
		expr[o++] = v[i];
	}
	err = miniweb_expr_eval(expr, o, &val);
	if (err)
		return err;
	res = mw_arena_alloc(doc, 24, 1);
	if (!res)
		return -MW_ENOMEM;
	snprintf(res, 24, "%lldpx", (long long)val);
	*out = res;
	return 0;
}

static int normalize_value(struct miniweb_doc *doc, const char *v, size_t n,
			   const char **out)
{
	const char *c = miniweb_color_lookup(v, n);
	size_t i;

	if (c) {
		*out = c;
		return 0;
	}
	*out = expand_hex(doc, v, n);
	if (*out)
		return 0;
	for (i = 0; i < 5 && i < n && mw_lower(v[i]) == "calc("[i]; i++)
		;
	if (i == 5)
		return eval_calc(doc, v, n, out);
	*out = mw_arena_strndup(doc, v, n);
	return *out ? 0 : -MW_ENOMEM;
}

/* Split a trailing "!important" off [v, *end). */
static bool strip_important(const char *v, const char **end)
{
	static const char imp[] = "important";
	const char *e = *end;
	size_t i;

	if (e - v < 10)
		return false;
	for (i = 0; i < 9 && mw_lower(e[-9 + (long)i]) == imp[i]; i++)
		;
	if (i != 9)
		return false;
	e -= 9;
	while (e > v && mw_is_space(e[-1]))
		e--;
	if (e == v || e[-1] != '!')
		return false;
	e--;
	while (e > v && mw_is_space(e[-1]))
		e--;
	*end = e;
	return true;
}

static int parse_decl(struct miniweb_doc *doc, const char **pp, const char *end,
		      struct miniweb_decl *d)
{
	const char *p = *pp, *name = p, *v, *ve;
	int depth = 0, err;

	while (p < end && (mw_is_alpha(*p) || mw_is_digit(*p) || *p == '-'))
		p++;
	if (p == name)
		return mw_fail(MW_ESTYLE);
	d->property = mw_arena_lower(doc, name, p - name);
	if (!d->property)
		return -MW_ENOMEM;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return mw_fail(MW_ESTYLE);
	v = p = skip_ws(p + 1, end);
	while (p < end && (depth || *p != ';')) {
		if (*p == '"' || *p == '\'') {
			err = scan_quoted(p, end, &p);
			if (err)
				return err;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return mw_fail(MW_ESTYLE);
		p++;
	}
	if (depth)
		return mw_fail(MW_ESTYLE);
	*pp = p;
	ve = p;
	while (ve > v && mw_is_space(ve[-1]))
		ve--;
	d->important = strip_important(v, &ve);
	if (ve == v)
		return mw_fail(MW_ESTYLE);
	return normalize_value(doc, v, ve - v, &d->value);
}

/**
 * miniweb_style_parse() - parse a style attribute's declarations
 * @cb: called for each declaration, may be NULL
 *
 * Return: 0, a negative MW_E* code, or the first non-zero value @cb
 * returned.  Strings passed to @cb live until the callback returns.
 */
int miniweb_style_parse(struct miniweb_doc *doc, const char *s, size_t len,
			miniweb_decl_cb cb, void *arg)
{
	const char *p = s, *end = s + len;
	struct miniweb_decl d;
	size_t mark;
	int err = 0;

	if (!doc || (!s && len))
		return mw_fail(MW_EINVAL);
	if (len > MINIWEB_INPUT_MAX)
		return mw_fail(MW_ETOOLONG);
	while (!err) {
		p = skip_ws(p, end);
		while (p < end && *p == ';')
			p = skip_ws(p + 1, end);
		if (p >= end)
			break;
		mark = mw_arena_mark(doc);
		err = parse_decl(doc, &p, end, &d);
		if (!err) {
			mw_stats()->styles++;
			err = cb ? cb(&d, arg) : 0;
		}
		mw_arena_release(doc, mark);
	}
	return err;
}
