// SPDX-License-Identifier: GPL-2.0
/*
 * Normal-behaviour tests of libminiweb: entities, tokenizer, callbacks,
 * URLs, hosts, expressions and the dispatch table, styles, per-thread
 * state, the debug counters and the document guards.  The same binary runs
 * against the shipped library and against each fixed build (via
 * LD_LIBRARY_PATH), so nothing here depends on a bug being present or
 * absent.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "miniweb.h"

static int passed, failed;

#define CHECK(cond)                                                      \
	do {                                                             \
		if (cond) {                                              \
			passed++;                                        \
		} else {                                                 \
			failed++;                                        \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n", \
				__FILE__, __LINE__, __func__, #cond);    \
		}                                                        \
	} while (0)

#define CHECK_STR(a, b) check_str(__func__, __LINE__, (a), (b))

static void check_str(const char *fn, int line, const char *got,
		      const char *want)
{
	if (got && !strcmp(got, want)) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, line,
		fn, got ? got : "(null)", want);
}

static struct miniweb_doc *doc;

/* entities */

static const char *decode(const char *in)
{
	static char out[256];
	size_t n;

	if (miniweb_entity_decode(out, sizeof(out) - 1, in, strlen(in), &n))
		return NULL;
	out[n] = '\0';
	return out;
}

static void test_entities__named(void)
{
	uint32_t cp;

	CHECK_STR(decode("a &amp; b &lt;c&gt; &quot;"), "a & b <c> \"");
	CHECK_STR(decode("&nbsp;&copy;&euro;"), "\xc2\xa0\xc2\xa9\xe2\x82\xac");
	CHECK_STR(decode("&AMP;&apos;&yen;"), "&'\xc2\xa5");
	CHECK_STR(decode("&unknown; &amp &; &"), "&unknown; &amp &; &");
	CHECK(!miniweb_entity_lookup("hellip", 6, &cp) && cp == 0x2026);
	CHECK(miniweb_entity_lookup("nope", 4, &cp) == -MW_EINVAL);
	CHECK(miniweb_last_error() == MW_EINVAL);
}

static void test_entities__numeric(void)
{
	CHECK_STR(decode("&#65;&#x42;&#X43;&#68"), "ABCD");
	CHECK_STR(decode("&#x1F600;"), "\xf0\x9f\x98\x80");
	CHECK_STR(decode("&#0;&#xD800;&#x110000;"),
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(decode("&#128;&#x99;"), "\xe2\x82\xac\xe2\x84\xa2");
	CHECK_STR(decode("&#99999999999999;"), "\xef\xbf\xbd");
	CHECK_STR(decode("&#;&#x;&#xG;"), "&#;&#x;&#xG;");
}

static void test_entities__capacity(void)
{
	char out[8];
	size_t n = 99;
	char u[4];

	CHECK(!miniweb_entity_decode(out, 8, "&lt;&lt;&lt;abcde", 17, &n));
	CHECK(n == 8 && !memcmp(out, "<<<abcde", 8));
	CHECK(miniweb_entity_decode(out, 8, "abcdefghi", 9, &n) == -MW_ETEXT);
	CHECK(miniweb_last_error() == MW_ETEXT);
	CHECK(!miniweb_entity_decode(out, 8, "", 0, &n) && n == 0);
	CHECK(miniweb_utf8_encode(0xe9, u) == 2);
	CHECK(miniweb_utf8_encode(0x10ffff, u) == 4);
	CHECK(miniweb_utf8_encode(0xdc00, u) == 3 &&
	      !memcmp(u, "\xef\xbf\xbd", 3));
}

/* tokenizer and its callback */

struct collect {
	char log[2048];
	unsigned int ntokens;
	int stop_after;
};

static int collect_cb(const struct miniweb_token *tok, void *arg)
{
	struct collect *c = arg;
	size_t o = strlen(c->log);
	unsigned int i;

	o += snprintf(c->log + o, sizeof(c->log) - o, "%s%s(%.*s)",
		      o ? " " : "", miniweb_token_type_name(tok->type),
		      (int)tok->len, tok->data);
	for (i = 0; i < tok->nattrs && o < sizeof(c->log); i++)
		o += snprintf(c->log + o, sizeof(c->log) - o, "[%s=%s]",
			      tok->attrs[i].name, tok->attrs[i].value);
	if (tok->self_closing && o < sizeof(c->log))
		snprintf(c->log + o, sizeof(c->log) - o, "/");
	c->ntokens++;
	if (c->stop_after && (int)c->ntokens == c->stop_after)
		return 42;
	return 0;
}

static const char *tokenize(const char *html, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	if (miniweb_doc_load(doc, html, strlen(html)) ||
	    miniweb_tokenize(doc, collect_cb, c))
		return NULL;
	return c->log;
}

static void test_tokenizer__tags(void)
{
	struct collect c;

	CHECK_STR(tokenize("<P Class=x>Hi &amp; bye</p>", &c),
		  "start-tag(p)[class=x] text(Hi & bye) end-tag(p)");
	CHECK_STR(tokenize("<a href=\"/x?a=1&amp;b=2\" title='it&#39;s' "
			   "hidden>t</a>",
			   &c),
		  "start-tag(a)[href=/x?a=1&b=2][title=it's][hidden=] "
		  "text(t) end-tag(a)");
	CHECK_STR(tokenize("<br/><img src=a.png />", &c),
		  "start-tag(br)/ start-tag(img)[src=a.png]/");
	CHECK_STR(tokenize("<a title=\"\">", &c), "start-tag(a)[title=]");
	CHECK_STR(tokenize("<p x=1 X=2>", &c), "start-tag(p)[x=1][x=2]");
}

static void test_tokenizer__other_tokens(void)
{
	struct collect c;

	CHECK_STR(tokenize("<!DOCTYPE html><!-- c -->a < b", &c),
		  "doctype(html) comment( c ) text(a < b)");
	CHECK_STR(tokenize("<?xml v?><!x>", &c), "comment(xml v?) comment(x)");
	CHECK_STR(tokenize("<script>if (a<b) x = '&amp;'</script>", &c),
		  "start-tag(script) text(if (a<b) x = '&amp;') "
		  "end-tag(script)");
	CHECK_STR(tokenize("<title>A&amp;B</TITLE>", &c),
		  "start-tag(title) text(A&B) end-tag(title)");
	CHECK_STR(tokenize("<!-- open", &c), "comment( open)");
	CHECK_STR(tokenize("<div id=a", &c), "start-tag(div)[id=a]");
}

static void test_tokenizer__text_and_stop(void)
{
	struct collect c;
	const char *t;
	size_t n;

	CHECK(tokenize("<b>x</b>y&lt;", &c) != NULL);
	t = miniweb_doc_text(doc, &n);
	CHECK(n == 3 && !memcmp(t, "xy<", 3));
	miniweb_doc_load(doc, "<a>b<c>d", 8);
	c.ntokens = 0;
	c.stop_after = 2;
	CHECK(miniweb_tokenize(doc, collect_cb, &c) == 42 && c.ntokens == 2);
	CHECK(miniweb_tokenize(doc, NULL, NULL) == 0);
	CHECK(miniweb_doc_load(doc, NULL, 1) == -MW_EINVAL);
	CHECK(miniweb_doc_load(doc, "x", MINIWEB_INPUT_MAX + 1) ==
	      -MW_ETOOLONG);
}

static int find_cb(const struct miniweb_token *tok, void *arg)
{
	const struct miniweb_attr *a = miniweb_attr_find(tok, "href");

	if (a)
		snprintf(arg, 64, "%s", a->value);
	return 0;
}

static void test_tokenizer__attr_find_and_limits(void)
{
	static char big[MINIWEB_TEXT_MAX + 16];
	char href[64] = "";

	miniweb_doc_load(doc, "<a id=1 HREF=/z>", 16);
	CHECK(!miniweb_tokenize(doc, find_cb, href));
	CHECK_STR(href, "/z");
	memset(big, 'x', sizeof(big));
	miniweb_doc_load(doc, big, sizeof(big));
	CHECK(miniweb_tokenize(doc, NULL, NULL) == -MW_ETEXT);
	CHECK(!miniweb_doc_check(doc, NULL));
	memcpy(big + MINIWEB_TEXT_MAX - 4, "&lt;", 4);
	miniweb_doc_load(doc, big, MINIWEB_TEXT_MAX);
	CHECK(!miniweb_tokenize(doc, NULL, NULL));
	CHECK(!miniweb_doc_check(doc, NULL));
}

/* URLs and hosts */

static const char *url(const char *in)
{
	struct miniweb_url u;

	if (miniweb_url_parse(doc, in, strlen(in), &u))
		return NULL;
	return u.href;
}

static void test_url__normalise(void)
{
	struct miniweb_url u;

	CHECK_STR(url("HTTP://User@WWW.Example.COM.:80/a/./b/../c?q=1#f"),
		  "http://User@www.example.com/a/c?q=1#f");
	CHECK_STR(url("  https://example.com:8443  "),
		  "https://example.com:8443/");
	CHECK_STR(url("http://example.com/%7euser/%2F/a b"),
		  "http://example.com/~user/%2F/a%20b");
	CHECK_STR(url("http://e.com/a/b/../../../c/."), "http://e.com/c/");
	CHECK_STR(url("http://%65x.com/"), "http://ex.com/");
	CHECK_STR(url("http://127.000.0.1:/"), "http://127.0.0.1/");
	CHECK_STR(url("http://[::1]:8080/"), "http://[::1]:8080/");
	CHECK_STR(url("mailto:Me@Example.com"), "mailto:Me@Example.com");
	CHECK(!miniweb_url_parse(doc, "wss://h:444/p?x#y", 17, &u));
	CHECK_STR(u.scheme, "wss");
	CHECK_STR(u.host, "h");
	CHECK(u.port == 444);
	CHECK_STR(u.path, "/p");
	CHECK_STR(u.query, "x");
	CHECK_STR(u.fragment, "y");
	CHECK(miniweb_url_default_port("https") == 443);
	CHECK(miniweb_url_default_port("gopher") == -1);
}

static void test_url__reject(void)
{
	struct miniweb_url u;
	static char label[80];
	char buf[128];

	CHECK(miniweb_url_parse(doc, "1http://x/", 10, &u) == -MW_ESCHEME);
	CHECK(miniweb_url_parse(doc, "nocolon", 7, &u) == -MW_ESCHEME);
	CHECK(miniweb_url_parse(doc, "http:x", 6, &u) == -MW_EURL);
	CHECK(miniweb_url_parse(doc, "http://h:65536/", 15, &u) == -MW_EPORT);
	CHECK(miniweb_url_parse(doc, "http://h:8x/", 12, &u) == -MW_EPORT);
	CHECK(miniweb_url_parse(doc, "http://a..b/", 12, &u) == -MW_EHOST);
	CHECK(miniweb_url_parse(doc, "http:///", 8, &u) == -MW_EHOST);
	CHECK(miniweb_url_parse(doc, "http://-a.com/", 14, &u) == -MW_EHOST);
	CHECK(miniweb_url_parse(doc, "http://a b/", 11, &u) == -MW_EHOST);
	CHECK(miniweb_url_parse(doc, "http://\xc3\xa9.fr/", 13, &u) ==
	      -MW_EHOST);
	CHECK(miniweb_url_parse(doc, "http://256.1.1.1/", 17, &u) == -MW_EHOST);
	memset(label, 'a', 64);
	snprintf(buf, sizeof(buf), "http://%.64s.com/", label);
	CHECK(miniweb_url_parse(doc, buf, strlen(buf), &u) == -MW_EHOST);
	snprintf(buf, sizeof(buf), "http://%.63s.com/", label);
	CHECK(!miniweb_url_parse(doc, buf, strlen(buf), &u));
	CHECK(!miniweb_doc_check(doc, NULL));
}

static void test_host__punycode(void)
{
	const char *h;

	CHECK(!miniweb_host_normalize(doc, "XN--BCHER-KVA.example", 21, &h));
	CHECK_STR(h, "xn--bcher-kva.example");
	CHECK(!miniweb_host_normalize(doc, "xn--mnchen-3ya.de", 17, &h));
	CHECK(miniweb_host_normalize(doc, "xn--abc-.de", 11, &h) == -MW_EHOST);
	CHECK(miniweb_host_normalize(doc, "xn--abc-d.de", 12, &h) ==
		      -MW_EPUNY ||
	      miniweb_last_error() == MW_EPUNY);
	CHECK(miniweb_host_normalize(doc, "xn--zzzzzzzzzzzzzz.de", 21, &h) ==
	      -MW_EPUNY);
	CHECK(miniweb_host_normalize(doc, "xn--ab.de", 9, &h) == -MW_EPUNY ||
	      !strcmp(h, "xn--ab.de"));
	CHECK(!miniweb_host_normalize(doc, "Sub_Domain.Example.", 19, &h));
	CHECK_STR(h, "sub_domain.example");
}

static void test_url__pct_decode(void)
{
	char out[16];
	size_t n;

	CHECK(!miniweb_pct_decode(out, 16, "a%20b%zz%4", 10, &n));
	CHECK(n == 8 && !memcmp(out, "a b%zz%4", 8));
	CHECK(miniweb_pct_decode(out, 2, "abc", 3, &n) == -MW_ETOOLONG);
}

/* expressions and the operator dispatch table */

static int64_t eval(const char *s, int *err)
{
	int64_t v = -12345;

	*err = miniweb_expr_eval(s, strlen(s), &v);
	return v;
}

static int vars_cb(const char *name, size_t len, int64_t *val, void *arg)
{
	(void)arg;
	if (len == 1 && name[0] == 'x') {
		*val = 7;
		return 0;
	}
	return -MW_EUNDEF;
}

static void test_expr__eval(void)
{
	int64_t v;
	int err;

	CHECK(eval("1 + 2 * 3", &err) == 7 && !err);
	CHECK(eval("(1 + 2) * 3 - -4", &err) == 13 && !err);
	CHECK(eval("0x10 << 2 | 1", &err) == 65 && !err);
	CHECK(eval("7 / 2 + 7 % 2 + (3 > 2) + (2 == 2 && 0 || 1)", &err) == 6 &&
	      !err);
	CHECK(eval("min(5, 3, 9) + max(1, 2) + abs(-4) + clamp(15, 0, 10)",
		   &err) == 19 &&
	      !err);
	CHECK(eval("!0 + ~0", &err) == 0 && !err);
	eval("1 / 0", &err);
	CHECK(err == -MW_EDIV);
	eval("9223372036854775807 + 1", &err);
	CHECK(err == -MW_EOVERFLOW);
	eval("1 +", &err);
	CHECK(err == -MW_ESYNTAX);
	eval("(1", &err);
	CHECK(err == -MW_ESYNTAX);
	eval("foo(1)", &err);
	CHECK(err == -MW_EUNDEF);
	eval("((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
	     "((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))"
	     "))))))))))))))",
	     &err);
	CHECK(err == -MW_EDEPTH);
	CHECK(!miniweb_expr_eval_vars("x * 6", 5, vars_cb, NULL, &v) &&
	      v == 42);
	CHECK(miniweb_expr_eval_vars("y", 1, vars_cb, NULL, &v) == -MW_EUNDEF);
}

static void test_expr__dispatch_table(void)
{
	const struct miniweb_binop *op;
	int64_t r = 0;

	CHECK(miniweb_binop_count() == 18);
	op = miniweb_binop_find("+");
	CHECK(op && op->fn(2, 3, &r) == 0 && r == 5);
	op = miniweb_binop_find("<<");
	CHECK(op && op->prec == 8 && op->fn(1, 4, &r) == 0 && r == 16);
	op = miniweb_binop_find("/");
	CHECK(op && op->fn(1, 0, &r) == -MW_EDIV);
	CHECK(!miniweb_binop_find("**"));
}

/* styles and their callback */

static int style_cb(const struct miniweb_decl *d, void *arg)
{
	size_t o = strlen(arg);

	snprintf((char *)arg + o, 512 - o, "%s=%s%s;", d->property, d->value,
		 d->important ? "!" : "");
	return 0;
}

static void test_style__parse(void)
{
	static const char css[] = "COLOR: Red; background:#ABC !important;;"
				  " width: calc(2 * (10px + 5px)); "
				  "font-family: \"a;b\", serif";
	char out[512] = "";

	CHECK(!miniweb_style_parse(doc, css, strlen(css), style_cb, out));
	CHECK_STR(out, "color=#ff0000;background=#aabbcc!;width=30px;"
		       "font-family=\"a;b\", serif;");
	CHECK(miniweb_style_parse(doc, "color red", 9, NULL, NULL) ==
	      -MW_ESTYLE);
	CHECK(miniweb_style_parse(doc, "a: \"open", 8, NULL, NULL) ==
	      -MW_ESTYLE);
	CHECK(miniweb_style_parse(doc, "w: calc(1/0)", 12, NULL, NULL) ==
	      -MW_EDIV);
	CHECK_STR(miniweb_color_lookup("WHITE", 5), "#ffffff");
	CHECK(!miniweb_color_lookup("whit", 4));
}

/* per-thread state */

static void *thread_main(void *arg)
{
	struct miniweb_stats st;
	int64_t v;

	(void)arg;
	miniweb_expr_eval("1/0", 3, &v);
	miniweb_expr_eval("2", 1, &v);
	miniweb_thread_stats(&st);
	return (void *)(long)(miniweb_last_error() == MW_EDIV &&
			      st.exprs == 2 && st.errors == 1);
}

static void test_tls__per_thread(void)
{
	struct miniweb_stats before, after;
	pthread_t t;
	void *ok = NULL;
	int64_t v;

	miniweb_expr_eval("(", 1, &v);
	miniweb_thread_stats(&before);
	CHECK(!pthread_create(&t, NULL, thread_main, NULL));
	CHECK(!pthread_join(t, &ok) && ok);
	miniweb_thread_stats(&after);
	CHECK(miniweb_last_error() == MW_ESYNTAX);
	CHECK(after.exprs == before.exprs && after.errors == before.errors);
}

/* debug counters, guards, misc */

static void test_debug__counters(void)
{
	const char *adv;
	long a, b;
	char out[8];
	size_t n;

	CHECK_STR(miniweb_debug_name(0, &adv), "miniweb_entity_decode");
	CHECK_STR(adv, "MW-2026-0001");
	CHECK_STR(miniweb_debug_name(2, NULL), "scan_quoted");
	CHECK(!miniweb_debug_name(3, NULL));
	a = miniweb_debug_calls("MW-2026-0001") +
	    miniweb_debug_calls_fixed("miniweb_entity_decode");
	miniweb_entity_decode(out, 8, "x", 1, &n);
	b = miniweb_debug_calls("miniweb_entity_decode") +
	    miniweb_debug_calls_fixed("MW-2026-0001");
	CHECK(b == a + 1);
	CHECK(miniweb_debug_calls("nope") == -1);
	CHECK(miniweb_debug_calls_fixed(NULL) == -1);
	miniweb_debug_reset();
	CHECK(miniweb_debug_calls("host_copy_labels") == 0);
}

static void test_doc__guards_and_misc(void)
{
	const char *where = "x", *vs = NULL;

	CHECK(miniweb_version(&vs) == MINIWEB_VERSION && vs);
	CHECK(!miniweb_doc_check(doc, &where) && !where);
	CHECK_STR(miniweb_strerror(-MW_ECORRUPT), "corruption detected");
	CHECK_STR(miniweb_strerror(9999), "unknown error");
	CHECK(miniweb_set_secret(NULL) == -MW_EINVAL);
	CHECK(!miniweb_set_secret("MWSECRET{unit-test}"));
	miniweb_doc_free(NULL);
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_entities__named,
		test_entities__numeric,
		test_entities__capacity,
		test_tokenizer__tags,
		test_tokenizer__other_tokens,
		test_tokenizer__text_and_stop,
		test_tokenizer__attr_find_and_limits,
		test_url__normalise,
		test_url__reject,
		test_host__punycode,
		test_url__pct_decode,
		test_expr__eval,
		test_expr__dispatch_table,
		test_style__parse,
		test_tls__per_thread,
		test_debug__counters,
		test_doc__guards_and_misc,
	};
	size_t i;

	doc = miniweb_doc_new();
	if (!doc) {
		fprintf(stderr, "targets: cannot allocate a document\n");
		return 1;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		tests[i]();
		CHECK(!miniweb_doc_check(doc, NULL));
	}
	miniweb_doc_free(doc);
	printf("targets: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
