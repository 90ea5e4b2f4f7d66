// SPDX-License-Identifier: GPL-2.0
/*
 * Documents and their arena, error reporting, per-thread state and the
 * debug counters of the vulnerable functions.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const mw_errstr[MW_ERR_MAX] = {
	[MW_OK] = "success",
	[MW_EINVAL] = "invalid argument",
	[MW_ENOMEM] = "document arena exhausted",
	[MW_ETOOLONG] = "input too long",
	[MW_ETEXT] = "decoded text too long",
	[MW_EATTR] = "unterminated attribute value",
	[MW_ESCHEME] = "invalid URL scheme",
	[MW_EURL] = "malformed URL",
	[MW_EHOST] = "invalid host",
	[MW_EPORT] = "invalid port",
	[MW_EPUNY] = "invalid punycode label",
	[MW_ESYNTAX] = "expression syntax error",
	[MW_EUNDEF] = "unknown variable or function",
	[MW_EDIV] = "division by zero",
	[MW_EOVERFLOW] = "arithmetic overflow",
	[MW_EDEPTH] = "expression nested too deeply",
	[MW_ESTYLE] = "malformed style declaration",
	[MW_ECORRUPT] = "corruption detected",
};

/*
 * The secret documents put in their CSP nonce.  Written by
 * miniweb_set_secret() before documents are used, read-only afterwards.
 */
static char mw_secret[MINIWEB_SECRET_MAX] = "MWSECRET{libminiweb-default}";

struct mw_tls {
	int last_error;
	struct miniweb_stats stats;
};

static __thread struct mw_tls mw_tls;

unsigned long mw_debug_hits[MW_DBG_NR][MW_BODY_NR];

static const struct {
	const char *fn;
	const char *advisory;
} mw_debug_names[MW_DBG_NR] = {
	[MW_DBG_ENTITY_DECODE] = { "miniweb_entity_decode", "MW-2026-0001" },
	[MW_DBG_HOST_COPY_LABELS] = { "host_copy_labels", "MW-2026-0002" },
	[MW_DBG_SCAN_QUOTED] = { "scan_quoted", "MW-2026-0003" },
};

/*
 * Record @err as the calling thread's last error and return it negated.
 * Every failure in the library goes through here, fixes included.
 */
MW_NOINLINE int mw_fail(int err)
{
	mw_tls.last_error = err;
	mw_tls.stats.errors++;
	return -err;
}

struct miniweb_stats *mw_stats(void)
{
	return &mw_tls.stats;
}

/**
 * miniweb_version() - the library version
 * @str: if not NULL, set to the version as a string
 *
 * Return: MINIWEB_VERSION of the loaded library.
 */
unsigned int miniweb_version(const char **str)
{
	if (str)
		*str = "libminiweb 1.0.0";
	return MINIWEB_VERSION;
}

/**
 * miniweb_strerror() - describe an MW_E* code (either sign)
 *
 * Return: a static string, never NULL.
 */
const char *miniweb_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= MW_ERR_MAX || !mw_errstr[err])
		return "unknown error";
	return mw_errstr[err];
}

/**
 * miniweb_last_error() - the calling thread's last failure
 *
 * Return: a positive MW_E* code, or MW_OK if nothing failed yet.
 */
int miniweb_last_error(void)
{
	return mw_tls.last_error;
}

/**
 * miniweb_thread_stats() - copy the calling thread's counters to @st
 */
void miniweb_thread_stats(struct miniweb_stats *st)
{
	if (st)
		*st = mw_tls.stats;
}

/**
 * miniweb_set_secret() - set the secret documents put in their CSP nonce
 *
 * Call before any document is loaded; not synchronised with loads.
 * Return: 0, or -MW_EINVAL if @secret is NULL or too long.
 */
int miniweb_set_secret(const char *secret)
{
	size_t n = secret ? strlen(secret) : MINIWEB_SECRET_MAX;

	if (n >= MINIWEB_SECRET_MAX)
		return mw_fail(MW_EINVAL);
	memcpy(mw_secret, secret, n + 1);
	return 0;
}

void *mw_arena_alloc(struct miniweb_doc *doc, size_t size, size_t align)
{
	size_t off = (doc->arena_used + align - 1) & ~(align - 1);

	if (off > sizeof(doc->arena) || size > sizeof(doc->arena) - off) {
		mw_fail(MW_ENOMEM);
		return NULL;
	}
	doc->arena_used = off + size;
	return doc->arena + off;
}

char *mw_arena_strndup(struct miniweb_doc *doc, const char *s, size_t n)
{
	char *p = mw_arena_alloc(doc, n + 1, 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mw_arena_lower(struct miniweb_doc *doc, const char *s, size_t n)
{
	char *p = mw_arena_alloc(doc, n + 1, 1);
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = mw_lower(s[i]);
	p[n] = '\0';
	return p;
}

/**
 * miniweb_doc_reset() - empty @doc: arena, text and guards as new
 */
void miniweb_doc_reset(struct miniweb_doc *doc)
{
	if (!doc)
		return;
	memset(doc, 0, sizeof(*doc));
	doc->magic = MW_DOC_MAGIC;
	doc->text_guard = MW_GUARD;
	doc->host_guard = MW_GUARD;
	doc->scratch_guard = MW_GUARD;
	doc->arena_guard = MW_GUARD;
}

/**
 * miniweb_doc_new() - allocate an empty document
 *
 * Return: the document, owned by the caller (miniweb_doc_free()), or NULL.
 */
struct miniweb_doc *miniweb_doc_new(void)
{
	struct miniweb_doc *doc = malloc(sizeof(*doc));

	if (!doc) {
		mw_fail(MW_ENOMEM);
		return NULL;
	}
	miniweb_doc_reset(doc);
	return doc;
}

/**
 * miniweb_doc_free() - free @doc (NULL is fine), scrubbing its nonce
 */
void miniweb_doc_free(struct miniweb_doc *doc)
{
	if (!doc)
		return;
	explicit_bzero(doc->arena, doc->arena_used);
	doc->magic = 0;
	free(doc);
}

/**
 * miniweb_doc_load() - reset @doc and copy @len bytes of HTML into it
 *
 * The source and the document's CSP nonce are allocated together from the
 * arena and live as long as the document's content.
 * Return: 0, -MW_EINVAL or -MW_ETOOLONG.
 */
int miniweb_doc_load(struct miniweb_doc *doc, const char *buf, size_t len)
{
	size_t slen = strlen(mw_secret);
	char *in, *nonce;

	if (!doc || (!buf && len))
		return mw_fail(MW_EINVAL);
	if (len > MINIWEB_INPUT_MAX)
		return mw_fail(MW_ETOOLONG);
	miniweb_doc_reset(doc);
	in = mw_arena_alloc(doc, len, 1);
	nonce = mw_arena_alloc(doc, sizeof("nonce-") + slen, 1);
	if (!in || !nonce)
		return -MW_ENOMEM;
	if (len)
		memcpy(in, buf, len);
	memcpy(nonce, "nonce-", 6);
	memcpy(nonce + 6, mw_secret, slen + 1);
	doc->input = in;
	doc->input_len = len;
	doc->nonce = nonce;
	mw_tls.stats.bytes_in += len;
	return 0;
}

/**
 * miniweb_doc_text() - the decoded text of the last miniweb_tokenize()
 *
 * Return: the text (not NUL-terminated), its length in *@len.
 */
const char *miniweb_doc_text(const struct miniweb_doc *doc, size_t *len)
{
	if (!doc) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = doc->text_len;
	return doc->text;
}

/**
 * miniweb_doc_check() - verify the guard words after @doc's buffers
 * @where: if not NULL, set to the damaged buffer's name or NULL
 *
 * Return: 0, or -MW_ECORRUPT when a write ran off the end of a buffer.
 */
int miniweb_doc_check(const struct miniweb_doc *doc, const char **where)
{
	const char *bad = NULL;

	if (!doc)
		return mw_fail(MW_EINVAL);
	if (doc->arena_guard != MW_GUARD)
		bad = "arena";
	if (doc->scratch_guard != MW_GUARD)
		bad = "scratch";
	if (doc->host_guard != MW_GUARD)
		bad = "host";
	if (doc->text_guard != MW_GUARD)
		bad = "text";
	if (doc->magic != MW_DOC_MAGIC)
		bad = "header";
	if (where)
		*where = bad;
	return bad ? mw_fail(MW_ECORRUPT) : 0;
}

static int mw_debug_index(const char *fn)
{
	int i;

	for (i = 0; fn && i < MW_DBG_NR; i++) {
		if (!strcmp(fn, mw_debug_names[i].fn) ||
		    !strcmp(fn, mw_debug_names[i].advisory))
			return i;
	}
	return -1;
}

long miniweb_debug_calls(const char *fn)
{
	int i = mw_debug_index(fn);

	if (i < 0)
		return -1;
	return (long)__atomic_load_n(&mw_debug_hits[i][MW_BODY_ORIG],
				     __ATOMIC_RELAXED);
}

long miniweb_debug_calls_fixed(const char *fn)
{
	int i = mw_debug_index(fn);

	if (i < 0)
		return -1;
	return (long)__atomic_load_n(&mw_debug_hits[i][MW_BODY_FIXED],
				     __ATOMIC_RELAXED);
}

/**
 * miniweb_debug_name() - enumerate the counted functions
 * @i: 0, 1, ... until NULL is returned
 * @advisory: if not NULL, set to the advisory id
 *
 * Return: the function's symbol name, or NULL past the end.
 */
const char *miniweb_debug_name(unsigned int i, const char **advisory)
{
	if (i >= MW_DBG_NR)
		return NULL;
	if (advisory)
		*advisory = mw_debug_names[i].advisory;
	return mw_debug_names[i].fn;
}

void miniweb_debug_reset(void)
{
	int i, b;

	for (i = 0; i < MW_DBG_NR; i++)
		for (b = 0; b < MW_BODY_NR; b++)
			__atomic_store_n(&mw_debug_hits[i][b], 0,
					 __ATOMIC_RELAXED);
}
