/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libminiweb: a small browser-engine component (HTML tokenizer, character
 * references, URL parser, style and expression evaluator).  It is the
 * live-patching target of kpatch-lite's tests and ships with deliberate,
 * documented bugs: see tests/targets/README.md.
 *
 * Conventions: functions that can fail return 0 or a negative MW_E* code;
 * miniweb_strerror() names it and miniweb_last_error() returns the calling
 * thread's last failure.  Strings handed out point into the document and
 * stay valid until the next miniweb_doc_reset()/miniweb_doc_load(); token
 * data only until the token callback returns.  A document is used by one
 * thread at a time; different documents may be used concurrently.
 */
#ifndef MINIWEB_H
#define MINIWEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MINIWEB_API __attribute__((visibility("default")))

#define MINIWEB_VERSION 0x010000 /* 1.0.0 */
#define MINIWEB_INPUT_MAX (32 * 1024) /* miniweb_doc_load() */
#define MINIWEB_TEXT_MAX 4096 /* decoded text per document */
#define MINIWEB_URL_MAX 4096 /* URL, href and host input */
#define MINIWEB_HOST_MAX 256 /* normalised host, with NUL */
#define MINIWEB_SECRET_MAX 128
#define MINIWEB_MAX_ATTRS 32 /* more are dropped */

enum miniweb_error {
	MW_OK,
	MW_EINVAL, /* bad argument */
	MW_ENOMEM, /* document arena exhausted */
	MW_ETOOLONG, /* input longer than the limit */
	MW_ETEXT, /* decoded text does not fit */
	MW_EATTR, /* attribute value not terminated */
	MW_ESCHEME,
	MW_EURL,
	MW_EHOST,
	MW_EPORT,
	MW_EPUNY,
	MW_ESYNTAX, /* expression syntax */
	MW_EUNDEF, /* unknown variable or function */
	MW_EDIV,
	MW_EOVERFLOW,
	MW_EDEPTH,
	MW_ESTYLE,
	MW_ECORRUPT, /* a guard word after a document buffer changed */
	MW_ERR_MAX
};

struct miniweb_doc;

/* Per-thread counters, see miniweb_thread_stats(). */
struct miniweb_stats {
	unsigned long tokens;
	unsigned long urls;
	unsigned long exprs;
	unsigned long styles;
	unsigned long errors;
	unsigned long bytes_in;
};

/* core.c: documents, errors, per-thread state, debug counters */
MINIWEB_API unsigned int miniweb_version(const char **str);
MINIWEB_API const char *miniweb_strerror(int err);
MINIWEB_API int miniweb_last_error(void);
MINIWEB_API void miniweb_thread_stats(struct miniweb_stats *st);
MINIWEB_API int miniweb_set_secret(const char *secret);
MINIWEB_API struct miniweb_doc *miniweb_doc_new(void);
MINIWEB_API void miniweb_doc_free(struct miniweb_doc *doc);
MINIWEB_API void miniweb_doc_reset(struct miniweb_doc *doc);
MINIWEB_API int miniweb_doc_load(struct miniweb_doc *doc, const char *buf,
				 size_t len);
MINIWEB_API const char *miniweb_doc_text(const struct miniweb_doc *doc,
					 size_t *len);
MINIWEB_API int miniweb_doc_check(const struct miniweb_doc *doc,
				  const char **where);

/*
 * Test hooks: how many times the original body (miniweb_debug_calls) or a
 * fixed body (miniweb_debug_calls_fixed) of a vulnerable function ran.
 * @fn is the function's symbol ("miniweb_entity_decode", "host_copy_labels",
 * "scan_quoted") or its advisory id ("MW-2026-0001").  Returns -1 for an
 * unknown name.
 */
MINIWEB_API long miniweb_debug_calls(const char *fn);
MINIWEB_API long miniweb_debug_calls_fixed(const char *fn);
MINIWEB_API const char *miniweb_debug_name(unsigned int i,
					   const char **advisory);
MINIWEB_API void miniweb_debug_reset(void);

/* entities.c: character references */
MINIWEB_API int miniweb_entity_decode(char *dst, size_t cap, const char *src,
				      size_t len, size_t *outlen);
MINIWEB_API int miniweb_entity_lookup(const char *name, size_t len,
				      uint32_t *cp);
MINIWEB_API size_t miniweb_utf8_encode(uint32_t cp, char out[4]);

/* tokenizer.c */
enum miniweb_token_type {
	MW_TOKEN_TEXT,
	MW_TOKEN_START_TAG,
	MW_TOKEN_END_TAG,
	MW_TOKEN_COMMENT,
	MW_TOKEN_DOCTYPE,
};

struct miniweb_attr {
	const char *name; /* lowercase, NUL-terminated */
	const char *value; /* decoded, NUL-terminated; "" when absent */
	size_t value_len;
};

struct miniweb_token {
	enum miniweb_token_type type;
	const char *data; /* text (decoded), tag name, comment, doctype */
	size_t len;
	const struct miniweb_attr *attrs;
	unsigned int nattrs;
	bool self_closing;
};

/* A non-zero return stops the tokenizer, which then returns that value. */
typedef int (*miniweb_token_cb)(const struct miniweb_token *tok, void *arg);

MINIWEB_API int miniweb_tokenize(struct miniweb_doc *doc, miniweb_token_cb cb,
				 void *arg);
MINIWEB_API const char *miniweb_token_type_name(enum miniweb_token_type t);
MINIWEB_API const struct miniweb_attr *
miniweb_attr_find(const struct miniweb_token *tok, const char *name);

/* url.c, host.c */
struct miniweb_url {
	const char *scheme; /* lowercase */
	const char *user; /* userinfo, "" when absent */
	const char *host; /* normalised, "" for opaque URLs */
	unsigned int port; /* 0: absent or the scheme's default */
	const char *path; /* percent-normalised, dot segments removed */
	const char *query; /* without '?', NULL when absent */
	const char *fragment; /* without '#', NULL when absent */
	const char *href; /* the whole normalised URL */
};

MINIWEB_API int miniweb_url_parse(struct miniweb_doc *doc, const char *s,
				  size_t len, struct miniweb_url *url);
MINIWEB_API int miniweb_url_default_port(const char *scheme);
MINIWEB_API int miniweb_pct_decode(char *dst, size_t cap, const char *src,
				   size_t len, size_t *outlen);
MINIWEB_API int miniweb_host_normalize(struct miniweb_doc *doc, const char *s,
				       size_t len, const char **host);

/* expr.c: integer expressions */
struct miniweb_binop {
	char sym[3];
	unsigned char prec; /* higher binds tighter */
	int (*fn)(int64_t a, int64_t b, int64_t *res);
};

/*
 * The operator dispatch table.  Exported for inspection; callers should use
 * miniweb_binop_find() rather than refer to the array (copy relocations).
 */
MINIWEB_API extern const struct miniweb_binop miniweb_binops[];
MINIWEB_API const struct miniweb_binop *miniweb_binop_find(const char *sym);
MINIWEB_API unsigned int miniweb_binop_count(void);

/* Resolves a variable; return 0 and set *val, or -MW_EUNDEF. */
typedef int (*miniweb_var_cb)(const char *name, size_t len, int64_t *val,
			      void *arg);

MINIWEB_API int miniweb_expr_eval(const char *s, size_t len, int64_t *out);
MINIWEB_API int miniweb_expr_eval_vars(const char *s, size_t len,
				       miniweb_var_cb cb, void *arg,
				       int64_t *out);

/* style.c: inline style declarations */
struct miniweb_decl {
	const char *property; /* lowercase */
	const char *value; /* normalised: colours as #rrggbb, calc() done */
	bool important;
};

typedef int (*miniweb_decl_cb)(const struct miniweb_decl *decl, void *arg);

MINIWEB_API int miniweb_style_parse(struct miniweb_doc *doc, const char *s,
				    size_t len, miniweb_decl_cb cb, void *arg);
MINIWEB_API const char *miniweb_color_lookup(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MINIWEB_H */
