/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libmwcss: a small C++ style-sheet engine behind a C API, the C++ half of
 * the miniweb target.  A sheet is parsed, its values resolved (palette
 * references included) and written back out normalised into the sheet's
 * output buffer.  Errors inside the library are C++ exceptions, caught at
 * this API: no exception ever leaves it.
 */
#ifndef MWCSS_H
#define MWCSS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MWCSS_API __attribute__((visibility("default")))

#define MWCSS_NONCE_MAX 256 /* bytes of the UA nonce, without its NUL */

struct mwcss_sheet;

struct mwcss_counts {
	unsigned long rules;
	unsigned long decls;
	unsigned long colors; /* Color values, palette references included */
	unsigned long palette; /* the page's @palette entries */
};

/* A new empty sheet whose UA entries hold @nonce; NULL: no memory or bad nonce. */
MWCSS_API struct mwcss_sheet *mwcss_sheet_new(const char *nonce);
MWCSS_API void mwcss_sheet_free(struct mwcss_sheet *s);

/* Parse @len bytes (no NUL needed) and render them: 0, or -1 and mwcss_sheet_error(). */
MWCSS_API int mwcss_sheet_parse(struct mwcss_sheet *s, const char *src,
				size_t len);
MWCSS_API const char *mwcss_sheet_error(const struct mwcss_sheet *s);
MWCSS_API const char *mwcss_sheet_output(const struct mwcss_sheet *s,
					 size_t *len);
MWCSS_API void mwcss_sheet_counts(const struct mwcss_sheet *s,
				  struct mwcss_counts *c);

/* 0 when the guard words after the sheet's buffers are intact; else -1 and @where. */
MWCSS_API int mwcss_sheet_check(const struct mwcss_sheet *s,
				const char **where);

/*
 * Test hooks, as in libminiweb: how often the original and a fixed body
 * of each vulnerable function ran.  @fn is its name (as
 * mwcss_debug_name() gives it) or its advisory id; -1 if unknown.
 */
MWCSS_API long mwcss_debug_calls(const char *fn);
MWCSS_API long mwcss_debug_calls_fixed(const char *fn);
MWCSS_API const char *mwcss_debug_name(unsigned int i, const char **advisory);

#ifdef __cplusplus
}
#endif

#endif /* MWCSS_H */
