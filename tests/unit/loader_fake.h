/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the loader's unit tests (test_lib_loader*.c): the region's
 * constants, a fake resolver that answers from a table and records what
 * it was asked, and the checks of a layout's ranges.  Include after
 * <cmocka.h> and "loader.h".
 */
#ifndef KPL_TEST_LOADER_FAKE_H
#define KPL_TEST_LOADER_FAKE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "kpl/errors.h"

#define PAGE 0x1000ull
#define STATE 100
#define BASE 0x7f0000000000ull
#define GIB (1ull << 30)

/* The fake resolver: answers from a table and records what it was asked. */
struct fake_sym {
	const char *name;
	uint64_t addr;
	int err;
};

struct fake {
	const struct fake_sym *syms;
	size_t nr_syms;
	char asked[8][64], files[8][64];
	size_t nr_asked;
};

static inline int fake_resolve(void *ctx, const char *name, const char *file,
			       uint64_t *addr)
{
	struct fake *f = ctx;
	size_t i;

	assert_non_null(file);
	assert_true(f->nr_asked < 8);
	snprintf(f->asked[f->nr_asked], sizeof(f->asked[0]), "%s", name);
	snprintf(f->files[f->nr_asked], sizeof(f->files[0]), "%s", file);
	f->nr_asked++;
	for (i = 0; i < f->nr_syms; i++) {
		if (strcmp(f->syms[i].name, name))
			continue;
		if (f->syms[i].err)
			return f->syms[i].err;
		*addr = f->syms[i].addr;
		return 0;
	}
	return -KPL_E_SYMBOL;
}

/* Asked once for @name, with file hint @file. */
static inline void assert_asked(const struct fake *f, const char *name,
				const char *file)
{
	size_t i, n = 0;

	for (i = 0; i < f->nr_asked; i++) {
		if (strcmp(f->asked[i], name))
			continue;
		assert_string_equal(f->files[i], file);
		n++;
	}
	if (n != 1)
		fail_msg("resolver asked %zu times for '%s'", n, name);
}

static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline const struct kpl_load_range *range_of(const struct kpl_load *ld,
						    uint64_t off)
{
	size_t i;

	for (i = 0; i < ld->nr_ranges; i++)
		if (off >= ld->ranges[i].off &&
		    off - ld->ranges[i].off < ld->ranges[i].len)
			return &ld->ranges[i];
	fail_msg("offset 0x%llx in no range", (unsigned long long)off);
	return NULL;
}

/* Page aligned, back to back from 0 to size, never writable and executable. */
static inline void assert_ranges_sane(const struct kpl_load *ld)
{
	uint64_t end = 0;
	size_t i;

	assert_true(ld->nr_ranges >= 2 && ld->nr_ranges <= 4);
	assert_int_equal(ld->size % PAGE, 0);
	for (i = 0; i < ld->nr_ranges; i++) {
		const struct kpl_load_range *r = &ld->ranges[i];

		assert_int_equal(r->off % PAGE, 0);
		assert_int_equal(r->len % PAGE, 0);
		assert_int_equal(r->off, end);
		assert_true(r->prot == PROT_READ ||
			    r->prot == (PROT_READ | PROT_EXEC) ||
			    r->prot == (PROT_READ | PROT_WRITE));
		assert_false((r->prot & PROT_WRITE) && (r->prot & PROT_EXEC));
		end += r->len;
	}
	assert_int_equal(end, ld->size);
	/* The engine's record comes first and is read-only. */
	assert_int_equal(ld->ranges[0].prot, PROT_READ);
	assert_true(ld->ranges[0].len >= ld->state_size);
}

#endif
