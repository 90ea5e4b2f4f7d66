// SPDX-License-Identifier: GPL-2.0
/*
 * HTML tokenizer: splits a loaded document into text, tags, comments and
 * doctypes and hands each token to the caller's callback.  Like browsers
 * it is forgiving: a tag cut off by the end of the input is still emitted,
 * and a '<' that cannot start a tag is text.
 *
 * Names are lowercased and attribute values decoded into the arena; both
 * are released after the callback returns.  Text is decoded into the
 * document's text buffer, which holds the whole document's text.
 */
#include <string.h>

#include "internal.h"

struct tokenizer {
	struct miniweb_doc *doc;
	const char *p;
	const char *end;
	miniweb_token_cb cb;
	void *arg;
};

static MW_NOINLINE const char *skip_ws(const char *p, const char *end)
{
	while (p < end && mw_is_space(*p))
		p++;
	return p;
}

static bool is_tag_end(char c)
{
	return mw_is_space(c) || c == '/' || c == '>';
}

static int emit(struct tokenizer *tz, const struct miniweb_token *tok)
{
	mw_stats()->tokens++;
	return tz->cb ? tz->cb(tok, tz->arg) : 0;
}

/* Append @n bytes of text to the document's text and emit them. */
static int emit_text(struct tokenizer *tz, const char *s, size_t n, bool decode)
{
	struct miniweb_doc *doc = tz->doc;
	struct miniweb_token tok = { .type = MW_TOKEN_TEXT };
	size_t room = 0, out;
	char *dst;
	int err;

	if (!n)
		return 0;
	if (doc->text_len < MINIWEB_TEXT_MAX)
		room = MINIWEB_TEXT_MAX - doc->text_len;
	dst = doc->text + doc->text_len;
	if (decode) {
		err = miniweb_entity_decode(dst, room, s, n, &out);
		if (err)
			return err;
	} else {
		if (n > room)
			return mw_fail(MW_ETEXT);
		memcpy(dst, s, n);
		out = n;
	}
	doc->text_len += out;
	tok.data = dst;
	tok.len = out;
	return emit(tz, &tok);
}

/*
 * Scan a quoted attribute value; @p points at the opening quote.  Sets
 * *@len to the value's length and *@next past the closing quote.  A value
 * still open at the end of the input runs to the end, as in browsers.
 */
static MW_NOINLINE int scan_quoted(const char *p, const char *end, size_t *len,
				   const char **next)
{
	const char *v = p + 1, *q;

	MW_DEBUG_HIT(MW_DBG_SCAN_QUOTED, MW_BODY_ORIG);
	if (v >= end) {
		*len = 0;
		*next = end;
		return 0;
	}
	q = strchr(v, *p);
	if (!q)
		q = v + strlen(v);
	*len = q - v;
	*next = *q ? q + 1 : q;
	return 0;
}

static int add_attr(struct tokenizer *tz, struct miniweb_attr *a,
		    const char *name, size_t nlen, const char *val, size_t vlen)
{
	char *v;
	int err;

	a->name = mw_arena_lower(tz->doc, name, nlen);
	v = mw_arena_alloc(tz->doc, vlen + 1, 1);
	if (!a->name || !v)
		return -MW_ENOMEM;
	/* a reference is never shorter than its UTF-8, so vlen is enough */
	err = miniweb_entity_decode(v, vlen, val, vlen, &a->value_len);
	if (err)
		return err;
	v[a->value_len] = '\0';
	a->value = v;
	return 0;
}

static int parse_attrs(struct tokenizer *tz, struct miniweb_token *tok,
		       struct miniweb_attr *attrs)
{
	const char *p = tz->p, *end = tz->end;
	unsigned int n = 0;
	int err;

	for (;;) {
		const char *name, *val = "";
		size_t nlen, vlen = 0;

		p = skip_ws(p, end);
		if (p >= end)
			break;
		if (*p == '>') {
			p++;
			break;
		}
		if (*p == '/') {
			if (++p < end && *p == '>') {
				tok->self_closing = true;
				p++;
				break;
			}
			continue;
		}
		name = p;
		while (p < end && !is_tag_end(*p) && *p != '=')
			p++;
		nlen = p - name;
		if (!nlen) {
			p++; /* a stray '=' */
			continue;
		}
		p = skip_ws(p, end);
		if (p < end && *p == '=') {
			p = skip_ws(p + 1, end);
			if (p < end && (*p == '"' || *p == '\'')) {
				val = p + 1;
				err = scan_quoted(p, end, &vlen, &p);
				if (err)
					return err;
			} else {
				val = p;
				while (p < end && !mw_is_space(*p) && *p != '>')
					p++;
				vlen = p - val;
			}
		}
		if (n < MINIWEB_MAX_ATTRS) {
			err = add_attr(tz, &attrs[n], name, nlen, val, vlen);
			if (err)
				return err;
			n++;
		}
	}
	tz->p = p;
	tok->nattrs = n;
	return 0;
}

static bool name_is(const struct miniweb_token *tok, const char *name)
{
	return tok->len == strlen(name) && !memcmp(tok->data, name, tok->len);
}

/* Find "</name" (any case) at or after @p. */
static const char *find_end_tag(const char *p, const char *end,
				const char *name, size_t n)
{
	size_t i;

	for (; p < end && (size_t)(end - p) >= n + 2; p++) {
		if (p[0] != '<' || p[1] != '/')
			continue;
		for (i = 0; i < n && mw_lower(p[2 + i]) == name[i]; i++)
			;
		if (i == n)
			return p;
	}
	return NULL;
}

/* script and style hold raw text, title and textarea decoded text. */
static int parse_rawtext(struct tokenizer *tz, const struct miniweb_token *tag)
{
	bool raw = name_is(tag, "script") || name_is(tag, "style");
	bool rcdata = name_is(tag, "title") || name_is(tag, "textarea");
	const char *e;
	int err;

	if ((!raw && !rcdata) || tz->p >= tz->end)
		return 0;
	e = find_end_tag(tz->p, tz->end, tag->data, tag->len);
	if (!e)
		e = tz->end;
	err = emit_text(tz, tz->p, e - tz->p, rcdata);
	tz->p = e;
	return err;
}

static int parse_tag(struct tokenizer *tz, bool end_tag)
{
	struct miniweb_attr attrs[MINIWEB_MAX_ATTRS];
	struct miniweb_token tok = {
		.type = end_tag ? MW_TOKEN_END_TAG : MW_TOKEN_START_TAG,
		.attrs = attrs,
	};
	const char *name = tz->p + (end_tag ? 2 : 1), *p = name;
	int err;

	while (p < tz->end && !is_tag_end(*p))
		p++;
	tok.data = mw_arena_lower(tz->doc, name, p - name);
	if (!tok.data)
		return -MW_ENOMEM;
	tok.len = p - name;
	tz->p = p;
	err = parse_attrs(tz, &tok, attrs);
	if (err)
		return err;
	if (end_tag)
		tok.nattrs = 0; /* attributes on end tags are dropped */
	err = emit(tz, &tok);
	if (err || end_tag || tok.self_closing)
		return err;
	return parse_rawtext(tz, &tok);
}

/* <!-- comment -->; an unterminated comment runs to the end. */
static int parse_comment(struct tokenizer *tz)
{
	const char *s = tz->p + 4;
	const char *e = memmem(s, tz->end - s, "-->", 3);
	struct miniweb_token tok = { .type = MW_TOKEN_COMMENT, .data = s };

	tok.len = (e ? e : tz->end) - s;
	tz->p = e ? e + 3 : tz->end;
	return emit(tz, &tok);
}

/* <!DOCTYPE name>, or any other <!...> / <?...> as a bogus comment. */
static int parse_markup_decl(struct tokenizer *tz)
{
	const char *s = tz->p + 2, *e = memchr(s, '>', tz->end - s);
	struct miniweb_token tok = { .type = MW_TOKEN_COMMENT, .data = s };
	size_t i = 0;

	if (!e)
		e = tz->end;
	if (tz->p[1] == '!' && e - s >= 7) {
		while (i < 7 && mw_lower(s[i]) == "doctype"[i])
			i++;
	}
	tz->p = e < tz->end ? e + 1 : e;
	if (i == 7) {
		tok.type = MW_TOKEN_DOCTYPE;
		s = skip_ws(s + 7, e);
		tok.data = mw_arena_lower(tz->doc, s, e - s);
		if (!tok.data)
			return -MW_ENOMEM;
	}
	tok.len = e - s;
	return emit(tz, &tok);
}

/* The next '<' that opens a tag, comment or declaration. */
static const char *find_markup(const char *p, const char *end)
{
	while ((p = memchr(p, '<', end - p)) && end - p >= 2) {
		char c = p[1];

		if (mw_is_alpha(c) || c == '!' || c == '?' ||
		    (c == '/' && end - p >= 3 && mw_is_alpha(p[2])))
			return p;
		p++;
	}
	return NULL;
}

static int tokenize_one(struct tokenizer *tz)
{
	const char *p = tz->p, *m = find_markup(p, tz->end);

	if (m != p) {
		if (!m)
			m = tz->end;
		tz->p = m;
		return emit_text(tz, p, m - p, true);
	}
	if (tz->end - p >= 4 && !memcmp(p, "<!--", 4))
		return parse_comment(tz);
	if (p[1] == '!' || p[1] == '?')
		return parse_markup_decl(tz);
	return parse_tag(tz, p[1] == '/');
}

/**
 * miniweb_tokenize() - tokenize the document loaded into @doc
 * @cb: called for each token, may be NULL
 *
 * Return: 0, a negative MW_E* code, or the first non-zero value @cb
 * returned.  The document's text is rebuilt (miniweb_doc_text()).
 */
int miniweb_tokenize(struct miniweb_doc *doc, miniweb_token_cb cb, void *arg)
{
	struct tokenizer tz = { .doc = doc, .cb = cb, .arg = arg };
	int err = 0;

	if (!doc || !doc->input)
		return mw_fail(MW_EINVAL);
	tz.p = doc->input;
	tz.end = doc->input + doc->input_len;
	doc->text_len = 0;
	while (!err && tz.p < tz.end) {
		size_t mark = mw_arena_mark(doc);

		err = tokenize_one(&tz);
		mw_arena_release(doc, mark);
	}
	return err;
}

const char *miniweb_token_type_name(enum miniweb_token_type t)
{
	static const char *const names[] = {
		[MW_TOKEN_TEXT] = "text",
		[MW_TOKEN_START_TAG] = "start-tag",
		[MW_TOKEN_END_TAG] = "end-tag",
		[MW_TOKEN_COMMENT] = "comment",
		[MW_TOKEN_DOCTYPE] = "doctype",
	};

	if ((unsigned int)t >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[t];
}

/**
 * miniweb_attr_find() - the attribute @name (lowercase) of a tag token
 *
 * Return: the attribute or NULL.
 */
const struct miniweb_attr *miniweb_attr_find(const struct miniweb_token *tok,
					     const char *name)
{
	unsigned int i;

	if (!tok || !name)
		return NULL;
	for (i = 0; i < tok->nattrs; i++) {
		if (!strcmp(tok->attrs[i].name, name))
			return &tok->attrs[i];
	}
	return NULL;
}
