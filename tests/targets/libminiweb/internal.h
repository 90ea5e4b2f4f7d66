/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to libminiweb: the document layout, its arena, error helpers and
 * the debug counters.
 */
#ifndef MINIWEB_INTERNAL_H
#define MINIWEB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "miniweb.h"

/*
 * Functions a live patch may replace must keep their own symbol and entry:
 * no inlining into callers, no .isra/.constprop clones.
 */
#define MW_NOINLINE __attribute__((noinline, noclone))

/*
 * Small helpers whose inlining must not depend on how often a function
 * calls them, so that a fix changes only the function it edits.
 */
#define MW_ALWAYS_INLINE inline __attribute__((always_inline))

#define MW_DOC_MAGIC 0x4f44574du /* "MWDO" */
#define MW_GUARD 0x2144524155474d57ull /* "MWGUARD!" in memory */
#define MW_ARENA_SIZE (96 * 1024)

/*
 * Everything a document needs lives in this one allocation, so its layout
 * is the same on every run.  The buffers come last, each followed by a
 * guard word: a write that runs off the end of one lands on a guard and on
 * plain bytes, never on the pointers in the header, and
 * miniweb_doc_check() notices it.
 */
struct miniweb_doc {
	uint32_t magic;
	uint32_t flags;
	size_t arena_used;
	const char *input; /* in the arena, input_len bytes, no NUL */
	size_t input_len;
	const char *nonce; /* "nonce-<secret>", allocated after input */
	size_t text_len;

	char text[MINIWEB_TEXT_MAX]; /* decoded text of all text tokens */
	uint64_t text_guard;
	char host[MINIWEB_HOST_MAX]; /* normalised host of the last URL */
	uint64_t host_guard;
	char scratch[MINIWEB_URL_MAX]; /* href of the last URL */
	uint64_t scratch_guard;
	char arena[MW_ARENA_SIZE];
	uint64_t arena_guard;
};

/* Vulnerable functions whose entries the debug counters record. */
enum mw_dbg_fn {
	MW_DBG_ENTITY_DECODE, /* MW-2026-0001 */
	MW_DBG_HOST_COPY_LABELS, /* MW-2026-0002 */
	MW_DBG_SCAN_QUOTED, /* MW-2026-0003 */
	MW_DBG_NR
};

enum mw_body {
	MW_BODY_ORIG, /* the shipped body */
	MW_BODY_FIXED, /* a body from a fix in tests/targets/fixes/ */
	MW_BODY_NR
};

extern unsigned long mw_debug_hits[MW_DBG_NR][MW_BODY_NR];

#define MW_DEBUG_HIT(fn, body) \
	__atomic_fetch_add(&mw_debug_hits[fn][body], 1, __ATOMIC_RELAXED)

/* core.c */
int mw_fail(int err);
struct miniweb_stats *mw_stats(void);
void *mw_arena_alloc(struct miniweb_doc *doc, size_t size, size_t align);
char *mw_arena_strndup(struct miniweb_doc *doc, const char *s, size_t n);
char *mw_arena_lower(struct miniweb_doc *doc, const char *s, size_t n);

static inline size_t mw_arena_mark(const struct miniweb_doc *doc)
{
	return doc->arena_used;
}

static inline void mw_arena_release(struct miniweb_doc *doc, size_t mark)
{
	doc->arena_used = mark;
}

static inline bool mw_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static inline bool mw_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool mw_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline char mw_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

#endif /* MINIWEB_INTERNAL_H */
