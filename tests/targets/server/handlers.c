// SPDX-License-Identifier: GPL-2.0
/*
 * The endpoints.  Each runs the request through libminiweb with the
 * worker's document, then checks the document's guard words: a request
 * that corrupted them gets 500 and "X-Miniweb-Status: corrupted", one the
 * library refused gets 400 and "rejected".
 *
 *   GET  /                    the list below
 *   GET  /health              "ok"
 *   GET  /stats               server, per-thread library and debug counters
 *   GET  /url?u=URL           parse and normalise URL (form-encoded)
 *   POST /url                 the same, URL in the body
 *   POST /tokenize            tokenize the HTML body: summary, tags, links
 *   GET  /eval?e=EXPR&x=1     evaluate EXPR; other parameters are variables
 *   POST /eval?x=1            the same, EXPR in the body
 *   POST /style               parse the body as a style attribute
 *   POST /css                 parse the body as a style sheet (libmwcss,
 *                             C++), print it normalised
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define SUMMARY_TAGS 32 /* tags listed in /tokenize output */
#define VALUE_SHOWN 512 /* bytes of a value shown */

static unsigned long n_requests, n_2xx, n_4xx, n_5xx, n_corrupt;

#define COUNT(v) __atomic_fetch_add(&(v), 1, __ATOMIC_RELAXED)
#define READ(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

void stats_count_status(int status)
{
	COUNT(n_requests);
	if (status < 300)
		COUNT(n_2xx);
	else if (status < 500)
		COUNT(n_4xx);
	else
		COUNT(n_5xx);
}

/* Append @n bytes with non-printable bytes as \xHH, at most VALUE_SHOWN. */
static void put_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < VALUE_SHOWN; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			buf_printf(b, "\\x%02x", c);
		else
			buf_append(b, s + i, 1);
	}
	if (n > VALUE_SHOWN)
		buf_printf(b, "...(%zu bytes)", n);
}

static void set_error(struct response *res, int status, const char *msg)
{
	res->body.len = 0;
	res->status = status;
	res->mw_status = "rejected";
	buf_printf(&res->body, "error: %s\n", msg);
}

/*
 * Common ending: corruption beats everything (and the document is reset
 * for the next request), then library errors.
 */
static void finish(struct worker *w, struct response *res, int err)
{
	const char *where = NULL;
	struct buf old = res->body;

	if (miniweb_doc_check(w->doc, &where)) {
		COUNT(n_corrupt);
		res->body = (struct buf){ 0 };
		res->status = 500;
		res->mw_status = "corrupted";
		buf_printf(&res->body,
			   "corruption detected: the guard word "
			   "after the document's %s buffer was overwritten\n",
			   where);
		if (old.len)
			buf_append(&res->body, old.data, old.len);
		buf_free(&old);
		miniweb_doc_reset(w->doc);
	} else if (err) {
		set_error(res, 400, miniweb_strerror(err));
	}
	pthread_mutex_lock(&w->lock);
	miniweb_thread_stats(&w->lib);
	pthread_mutex_unlock(&w->lock);
}

static void h_index(struct worker *w, const struct request *req,
		    struct response *res)
{
	(void)w;
	(void)req;
	buf_printf(&res->body, "miniweb-server: endpoints\n"
			       "GET  /health\n"
			       "GET  /stats\n"
			       "GET  /url?u=URL, POST /url\n"
			       "POST /tokenize\n"
			       "GET  /eval?e=EXPR&x=1, POST /eval?x=1\n"
			       "POST /style\n"
			       "POST /css\n");
}

static void h_health(struct worker *w, const struct request *req,
		     struct response *res)
{
	(void)w;
	(void)req;
	buf_printf(&res->body, "ok\n");
}

static void h_stats(struct worker *w, const struct request *req,
		    struct response *res)
{
	struct miniweb_stats sum = { 0 }, st;
	const char *fn, *adv;
	unsigned int i;

	(void)w;
	(void)req;
	for (i = 0; i < srv.nworkers; i++) {
		pthread_mutex_lock(&srv.workers[i].lock);
		st = srv.workers[i].lib;
		pthread_mutex_unlock(&srv.workers[i].lock);
		sum.tokens += st.tokens;
		sum.urls += st.urls;
		sum.exprs += st.exprs;
		sum.styles += st.styles;
		sum.errors += st.errors;
		sum.bytes_in += st.bytes_in;
	}
	buf_printf(&res->body,
		   "requests: %lu\nstatus-2xx: %lu\nstatus-4xx: %lu\n"
		   "status-5xx: %lu\ncorruptions: %lu\nthreads: %u\n"
		   "lib-tokens: %lu\nlib-urls: %lu\nlib-exprs: %lu\n"
		   "lib-styles: %lu\nlib-errors: %lu\nlib-bytes-in: %lu\n",
		   READ(n_requests), READ(n_2xx), READ(n_4xx), READ(n_5xx),
		   READ(n_corrupt), srv.nworkers, sum.tokens, sum.urls,
		   sum.exprs, sum.styles, sum.errors, sum.bytes_in);
	for (i = 0; (fn = miniweb_debug_name(i, &adv)); i++)
		buf_printf(&res->body, "calls: %s %s original=%ld fixed=%ld\n",
			   fn, adv, miniweb_debug_calls(fn),
			   miniweb_debug_calls_fixed(fn));
	for (i = 0; (fn = mwcss_debug_name(i, &adv)); i++)
		buf_printf(&res->body, "calls: %s %s original=%ld fixed=%ld\n",
			   fn, adv, mwcss_debug_calls(fn),
			   mwcss_debug_calls_fixed(fn));
}

static void url_respond(struct worker *w, const char *s, size_t len,
			struct response *res)
{
	struct miniweb_url u;
	int err;

	miniweb_doc_reset(w->doc);
	err = miniweb_url_parse(w->doc, s, len, &u);
	if (!err) {
		buf_printf(&res->body, "href: %s\nscheme: %s\nhost: %s\n",
			   u.href, u.scheme, u.host);
		if (*u.user)
			buf_printf(&res->body, "user: %s\n", u.user);
		if (u.port)
			buf_printf(&res->body, "port: %u\n", u.port);
		buf_printf(&res->body, "path: %s\n", u.path);
		if (u.query)
			buf_printf(&res->body, "query: %s\n", u.query);
		if (u.fragment)
			buf_printf(&res->body, "fragment: %s\n", u.fragment);
	}
	finish(w, res, err);
}

static void h_url(struct worker *w, const struct request *req,
		  struct response *res)
{
	static __thread char u[MINIWEB_URL_MAX + 2];
	size_t n;

	if (!strcmp(req->method, "POST")) {
		url_respond(w, req->body, req->body_len, res);
		return;
	}
	if (!http_query_param(req, "u", u, sizeof(u), &n)) {
		set_error(res, 400, "missing or too long parameter u");
		return;
	}
	url_respond(w, u, n, res);
}

struct tok_ctx {
	struct worker *w;
	struct buf lines;
	unsigned long counts[MW_TOKEN_DOCTYPE + 1];
	unsigned int tags_shown;
};

/* Absolute links (href, src, action) are normalised and listed. */
static int put_links(struct tok_ctx *t, const struct miniweb_token *tok)
{
	static const char *const names[] = { "href", "src", "action" };
	const struct miniweb_attr *a;
	struct miniweb_url u;
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		a = miniweb_attr_find(tok, names[i]);
		if (!a || !strstr(a->value, "://"))
			continue;
		err = miniweb_url_parse(t->w->doc, a->value, a->value_len, &u);
		if (err)
			return err;
		buf_printf(&t->lines, "link: %s\n", u.href);
	}
	return 0;
}

static int token_cb(const struct miniweb_token *tok, void *arg)
{
	struct tok_ctx *t = arg;
	unsigned int i;

	t->counts[tok->type]++;
	if (tok->type != MW_TOKEN_START_TAG)
		return 0;
	if (t->tags_shown < SUMMARY_TAGS && tok->nattrs) {
		t->tags_shown++;
		buf_printf(&t->lines, "tag: %s", tok->data);
		for (i = 0; i < tok->nattrs; i++) {
			buf_printf(&t->lines, " %s=\"", tok->attrs[i].name);
			put_escaped(&t->lines, tok->attrs[i].value,
				    tok->attrs[i].value_len);
			buf_append(&t->lines, "\"", 1);
		}
		buf_append(&t->lines, "\n", 1);
	}
	return put_links(t, tok);
}

static void h_tokenize(struct worker *w, const struct request *req,
		       struct response *res)
{
	struct tok_ctx t = { .w = w };
	const char *text;
	size_t tlen;
	int err;

	err = miniweb_doc_load(w->doc, req->body, req->body_len);
	if (!err)
		err = miniweb_tokenize(w->doc, token_cb, &t);
	if (!err) {
		text = miniweb_doc_text(w->doc, &tlen);
		buf_printf(
			&res->body,
			"tokens: %lu\nstart-tags: %lu\nend-tags: %lu\n"
			"comments: %lu\ndoctypes: %lu\ntext-bytes: %zu\n"
			"text: ",
			t.counts[MW_TOKEN_TEXT] + t.counts[MW_TOKEN_START_TAG] +
				t.counts[MW_TOKEN_END_TAG] +
				t.counts[MW_TOKEN_COMMENT] +
				t.counts[MW_TOKEN_DOCTYPE],
			t.counts[MW_TOKEN_START_TAG],
			t.counts[MW_TOKEN_END_TAG], t.counts[MW_TOKEN_COMMENT],
			t.counts[MW_TOKEN_DOCTYPE], tlen);
		put_escaped(&res->body, text, tlen < 256 ? tlen : 256);
		buf_append(&res->body, "\n", 1);
		if (t.lines.len)
			buf_append(&res->body, t.lines.data, t.lines.len);
	}
	buf_free(&t.lines);
	finish(w, res, err);
}

/* Variables of /eval come from the query string: ?x=5&y=-2 */
static int eval_var(const char *name, size_t len, int64_t *val, void *arg)
{
	char key[32], v[32], *end;
	size_t n;

	if (len >= sizeof(key))
		return -MW_EUNDEF;
	memcpy(key, name, len);
	key[len] = '\0';
	if (!strcmp(key, "e") || !http_query_param(arg, key, v, sizeof(v), &n))
		return -MW_EUNDEF;
	*val = strtoll(v, &end, 0);
	return *end || !n ? -MW_EUNDEF : 0;
}

static void h_eval(struct worker *w, const struct request *req,
		   struct response *res)
{
	static __thread char e[MINIWEB_URL_MAX + 2];
	const char *s = req->body;
	size_t n = req->body_len;
	int64_t v;
	int err;

	if (!strcmp(req->method, "GET")) {
		if (!http_query_param(req, "e", e, sizeof(e), &n)) {
			set_error(res, 400, "missing or too long parameter e");
			return;
		}
		s = e;
	}
	err = miniweb_expr_eval_vars(s, n, eval_var, (void *)req, &v);
	if (!err)
		buf_printf(&res->body, "result: %lld\n", (long long)v);
	finish(w, res, err);
}

static int decl_cb(const struct miniweb_decl *d, void *arg)
{
	buf_printf(arg, "%s: %s%s\n", d->property, d->value,
		   d->important ? " !important" : "");
	return 0;
}

static void h_style(struct worker *w, const struct request *req,
		    struct response *res)
{
	int err;

	miniweb_doc_reset(w->doc);
	err = miniweb_style_parse(w->doc, req->body, req->body_len, decl_cb,
				  &res->body);
	finish(w, res, err);
}

/*
 * A sheet per request, its UA nonce "nonce-<secret>".  Corruption of the
 * sheet's guard words beats a parse error, as in finish().
 */
static void h_css(struct worker *w, const struct request *req,
		  struct response *res)
{
	char nonce[MWCSS_NONCE_MAX + 1];
	struct mwcss_sheet *s;
	struct mwcss_counts c;
	const char *out, *where, *nl;
	size_t len;
	int err;

	(void)w;
	if ((size_t)snprintf(nonce, sizeof(nonce), "nonce-%s", srv.secret) >=
	    sizeof(nonce)) {
		set_error(res, 500, "secret too long for a style nonce");
		return;
	}
	s = mwcss_sheet_new(nonce);
	if (!s) {
		set_error(res, 500, "out of memory");
		return;
	}
	err = mwcss_sheet_parse(s, req->body, req->body_len);
	if (mwcss_sheet_check(s, &where)) {
		COUNT(n_corrupt);
		res->body.len = 0;
		res->status = 500;
		res->mw_status = "corrupted";
		buf_printf(
			&res->body,
			"corruption detected: the guard word after the %s buffer was overwritten\n",
			where);
	} else if (err) {
		set_error(res, 400, mwcss_sheet_error(s));
	} else {
		mwcss_sheet_counts(s, &c);
		out = mwcss_sheet_output(s, &len);
		buf_printf(&res->body,
			   "rules: %lu\ndeclarations: %lu\ncolors: %lu\n"
			   "palette: %lu\nbytes: %zu\n",
			   c.rules, c.decls, c.colors, c.palette, len);
		/* one line per rule, each escaped */
		while (len) {
			nl = memchr(out, '\n', len);
			put_escaped(&res->body, out,
				    nl ? (size_t)(nl - out) : len);
			buf_append(&res->body, "\n", 1);
			len -= nl ? (size_t)(nl + 1 - out) : len;
			out = nl ? nl + 1 : out;
		}
	}
	mwcss_sheet_free(s);
}

static const struct route {
	const char *path;
	bool get, post;
	void (*fn)(struct worker *w, const struct request *req,
		   struct response *res);
} routes[] = {
	{ "/", true, false, h_index },
	{ "/health", true, false, h_health },
	{ "/stats", true, false, h_stats },
	{ "/url", true, true, h_url },
	{ "/tokenize", false, true, h_tokenize },
	{ "/eval", true, true, h_eval },
	{ "/style", false, true, h_style },
	{ "/css", false, true, h_css },
};

void handle_request(struct worker *w, const struct request *req,
		    struct response *res)
{
	bool get = !strcmp(req->method, "GET");
	bool post = !strcmp(req->method, "POST");
	size_t i;

	res->status = 200;
	res->mw_status = "ok";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (strlen(r->path) != req->path_len ||
		    memcmp(r->path, req->path, req->path_len))
			continue;
		if ((get && r->get) || (post && r->post))
			r->fn(w, req, res);
		else
			set_error(res, 405, "method not allowed");
		return;
	}
	set_error(res, 404, "no such endpoint");
}
