// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/state.c: kpl_state__check() on records as
 * a hostile process would forge them.  Each case starts from a record
 * that apply.c could have written and breaks one field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "arch.h"
#include "kpl/errors.h"
#include "maps.h"
#include "state.h"

#define LIB 0x7f0000000000ull	/* the library's text: r-xp */
#define BASE 0x7f0000400000ull	/* the patch mapping */
#define EXTENT 0x4000ull

static struct kpl_maps *maps;
static struct kpl_state_where where = { BASE, EXTENT, NULL };

static int setup(void **state)
{
	static const struct {
		uint64_t start, end;
		int prot;
		const char *path;
	} v[] = {
		{ LIB - 0x1000, LIB, PROT_READ, "/usr/lib/libspin.so.1" },
		{ LIB, LIB + 0x2000, PROT_READ | PROT_EXEC,
		  "/usr/lib/libspin.so.1" },
		{ LIB + 0x2000, LIB + 0x3000, PROT_READ,
		  "/usr/lib/libspin.so.1" },
		{ BASE, BASE + EXTENT, PROT_READ | PROT_EXEC,
		  "/memfd:kpl:A (deleted)" },
	};
	size_t i;

	(void)state;
	maps = calloc(1, sizeof(*maps) + 4 * sizeof(maps->v[0]));
	if (!maps)
		return -1;
	for (i = 0; i < 4; i++) {
		maps->v[i].start = v[i].start;
		maps->v[i].end = v[i].end;
		maps->v[i].prot = v[i].prot;
		maps->v[i].inode = 42;
		snprintf(maps->v[i].path, sizeof(maps->v[i].path), "%s",
			 v[i].path);
	}
	maps->nr = 4;
	where.maps = maps;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(maps);
	return 0;
}

/* A record as apply.c writes it: two functions in the library's text. */
static struct kpl_state *good(size_t *len)
{
	struct kpl_state *st;
	uint32_t i;

	*len = KPL_STATE_SIZE(2);
	st = calloc(1, *len);
	assert_non_null(st);
	memcpy(st->magic, KPL_STATE_MAGIC, 8);
	st->version = KPL_STATE_VERSION;
	st->phase = KPL_PHASE_APPLIED;
	strcpy(st->id, "CVE-2024-1._x");
	strcpy(st->description, "fix \xc3\xa9");
	strcpy(st->soname, "libspin.so.1");
	strcpy(st->backend, "ptrace");
	st->build_id_len = 20;
	st->flags = KPL_PATCH_F_REPLACE;
	st->nr_funcs = 2;
	st->base = BASE;
	st->size = 0x3000;
	st->text_lo = BASE + 0x1000;
	st->text_hi = BASE + 0x1800;
	for (i = 0; i < 2; i++) {
		struct kpl_state_func *f = &st->funcs[i];

		f->entry = LIB + 0x100 * (i + 1);
		f->addr = f->entry + 4;		/* after endbr64 */
		f->size = 0x40;
		f->new_addr = st->text_lo + 0x10 * i;
		f->len = 5;
		snprintf(f->name, sizeof(f->name), "spin_f%u", i);
	}
	return st;
}

static int check(const struct kpl_state *st, size_t len, char *why)
{
	return kpl_state__check(st, len, &where, why, 128);
}

static void expect_bad(struct kpl_state *st, size_t len, const char *what)
{
	char why[128] = "";

	assert_int_equal(check(st, len, why), -KPL_E_STATE);
	if (!strstr(why, what))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, what);
	free(st);
}

static void test_state__accepts_what_apply_writes(void **state)
{
	char why[128] = "";
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	assert_int_equal(check(st, len, why), 0);
	/* Every phase a transaction leaves behind. */
	for (st->phase = KPL_PHASE_PREPARED; st->phase <= KPL_PHASE_REPLACED;
	     st->phase++)
		assert_int_equal(check(st, len, why), 0);
	free(st);
}

static void test_state__refuses_len_over_the_buffer(void **state)
{
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	/* A forged record: 4096 bytes into a 16-byte array. */
	st->funcs[1].len = 4096;
	expect_bad(st, len, "function 1: length 4096");
	st = good(&len);
	st->funcs[0].len = KPL_STATE_BYTES + 1;
	expect_bad(st, len, "length 17");
	st = good(&len);
	st->funcs[0].len = 0;
	expect_bad(st, len, "length 0");
}

static void test_state__refuses_counts_beyond_the_record(void **state)
{
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	st->nr_funcs = 0xffffffff;
	expect_bad(st, len, "function count 4294967295");
	st = good(&len);
	st->nr_funcs = 3;	/* one more than was read */
	expect_bad(st, len, "function count 3");
	st = good(&len);
	st->nr_funcs = 0;
	expect_bad(st, len, "function count 0");
	st = good(&len);
	expect_bad(st, sizeof(*st) - 1, "truncated");
}

static void test_state__refuses_bad_header(void **state)
{
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	st->magic[7] = '2';
	expect_bad(st, len, "magic");
	st = good(&len);
	st->version = 2;
	expect_bad(st, len, "version 2");
	st = good(&len);
	st->phase = 0;
	expect_bad(st, len, "unknown phase 0");
	st = good(&len);
	st->phase = KPL_PHASE_REPLACED + 1;
	expect_bad(st, len, "unknown phase");
	st = good(&len);
	st->build_id_len = KPL_BUILD_ID_MAX + 1;
	expect_bad(st, len, "build-id length");
	st = good(&len);
	st->flags = 0x80;
	expect_bad(st, len, "unknown flags 0x80");
}

static void test_state__refuses_strings(void **state)
{
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	/* Terminal escapes in the id: ESC ] 0 ; BEL. */
	strcpy(st->id, "EV\x1b]0;x\x07IL");
	expect_bad(st, len, "invalid patch id");
	st = good(&len);
	memset(st->id, 'A', sizeof(st->id));	/* no NUL */
	expect_bad(st, len, "invalid patch id");
	st = good(&len);
	st->id[0] = '\0';
	expect_bad(st, len, "invalid patch id");
	st = good(&len);
	strcpy(st->description, "\x1b[2J");
	expect_bad(st, len, "description");
	st = good(&len);
	memset(st->soname, 'x', sizeof(st->soname));
	expect_bad(st, len, "soname");
	st = good(&len);
	st->soname[0] = '\0';
	expect_bad(st, len, "soname");
	st = good(&len);
	strcpy(st->backend, "ptr\x7f");
	expect_bad(st, len, "backend");
	st = good(&len);
	memset(st->funcs[1].name, 'n', sizeof(st->funcs[1].name));
	expect_bad(st, len, "function 1: name");
}

static void test_state__accepts_description_not_utf8(void **state)
{
	char why[128];
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	/* A description cut mid-character is still a record apply wrote:
	 * printing escapes it. */
	strcpy(st->description, "fix \xc3");
	assert_int_equal(check(st, len, why), 0);
	free(st);
}

static void test_state__refuses_addresses_elsewhere(void **state)
{
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	st->base = BASE + 0x1000;	/* not where the maps say */
	expect_bad(st, len, "the mapping is");
	st = good(&len);
	st->size = EXTENT + 0x1000;
	expect_bad(st, len, "the mapping is");
	st = good(&len);
	st->text_hi = BASE + EXTENT + 1;
	expect_bad(st, len, "patch text outside");
	st = good(&len);
	st->text_lo = st->text_hi;
	expect_bad(st, len, "patch text outside");
	st = good(&len);
	st->funcs[0].new_addr = st->text_hi;
	expect_bad(st, len, "function 0: new code");
	/* Patched bytes in read-only data, in the patch itself, past the
	 * end of the text, or outside the function. */
	st = good(&len);
	st->funcs[0].entry = st->funcs[0].addr = LIB - 0x100;
	expect_bad(st, len, "not in a library's executable text");
	st = good(&len);
	st->funcs[0].entry = st->funcs[0].addr = BASE + 0x1000;
	expect_bad(st, len, "not in a library's executable text");
	st = good(&len);
	st->funcs[0].entry = st->funcs[0].addr = LIB + 0x2000 - 2;
	st->funcs[0].size = 0x10;
	expect_bad(st, len, "not in a library's executable text");
	st = good(&len);
	st->funcs[0].addr = st->funcs[0].entry - 1;
	expect_bad(st, len, "outside the function");
	st = good(&len);
	st->funcs[0].size = 6;		/* addr + len = entry + 9 */
	expect_bad(st, len, "outside the function");
	st = good(&len);
	st->funcs[0].size = UINT64_MAX;	/* entry + size overflows */
	expect_bad(st, len, "outside the function");
}

static void expect_unwind_bad(uint64_t at, uint64_t size, const char *what)
{
	struct kpl_state_unwind u = { .eh_frame = at, .eh_frame_size = size };
	char why[128] = "";
	size_t len;
	struct kpl_state *st = good(&len);

	memcpy(u.magic, KPL_STATE_UNWIND_MAGIC, sizeof(u.magic));
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)),
			 -KPL_E_STATE);
	if (!strstr(why, what))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, what);
	free(st);
}

static void test_state__unwind_trailer(void **state)
{
	struct kpl_state_unwind u = { .eh_frame = BASE + 0x2000,
				      .eh_frame_size = 0x100 };
	char why[128] = "";
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	/* Older records have none: not an error to trust, just absent. */
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)),
			 -KPL_E_STATE);
	assert_non_null(strstr(why, "no unwind trailer"));
	memcpy(u.magic, KPL_STATE_UNWIND_MAGIC, sizeof(u.magic));
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)), 0);
	/* The last byte the terminator may take. */
	u.eh_frame = BASE + 0x3000 - 0x104;	/* st->size */
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)), 0);
	u.eh_frame = u.eh_frame_size = 0;	/* a patch without a table */
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)), 0);
	free(st);
	expect_unwind_bad(BASE + 0x1000, 0x100, "outside");	/* in code */
	expect_unwind_bad(BASE, 0x100, "outside");	/* the record */
	expect_unwind_bad(BASE + 0x3000 - 0x103, 0x100, "outside");
	expect_unwind_bad(BASE + 0x2000, UINT64_MAX - 2, "outside");
	expect_unwind_bad(BASE + 0x2000, 0, "outside");
	expect_unwind_bad(LIB, 0x100, "outside");
}

/* The registration area and mark stub a trailer names (eh_reg.c). */
static void expect_eh_bad(uint64_t area, uint64_t stub, const char *what)
{
	struct kpl_state_unwind u = { .eh_frame = BASE + 0x2000,
				      .eh_frame_size = 0x100,
				      .eh_area = area, .eh_stub = stub };
	char why[128] = "";
	size_t len;
	struct kpl_state *st = good(&len);

	memcpy(u.magic, KPL_STATE_UNWIND_MAGIC, sizeof(u.magic));
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)),
			 -KPL_E_STATE);
	if (!strstr(why, what))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, what);
	free(st);
}

static void test_state__unwind_registration(void **state)
{
	struct kpl_state_unwind u = { .eh_frame = BASE + 0x2000,
				      .eh_frame_size = 0x100,
				      .eh_area = BASE + 0x2800,
				      .eh_stub = BASE + 0x17f0 };
	char why[128] = "";
	size_t len;
	struct kpl_state *st = good(&len);

	(void)state;
	memcpy(u.magic, KPL_STATE_UNWIND_MAGIC, sizeof(u.magic));
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)), 0);
	/* The area's last byte is the mapping's; the stub's, the code's. */
	u.eh_area = BASE + 0x3000 - sizeof(struct kpl_eh_area);
	u.eh_stub = BASE + 0x1800 - KPL_ARCH_MARK_STUB_LEN;
	assert_int_equal(kpl_state__check_unwind(st, &u, why, sizeof(why)), 0);
	free(st);
	expect_eh_bad(BASE + 0x3000 - sizeof(struct kpl_eh_area) + 1,
		      BASE + 0x1100, "registration");
	expect_eh_bad(BASE + 0x1400, BASE + 0x1100, "registration");
	expect_eh_bad(BASE + 0x100, BASE + 0x1100, "registration");
	expect_eh_bad(UINT64_MAX - 8, BASE + 0x1100, "registration");
	expect_eh_bad(BASE + 0x2800, BASE + 0x1800 - 3, "registration");
	expect_eh_bad(BASE + 0x2800, BASE + 0x2000, "registration");
	expect_eh_bad(BASE + 0x2800, 0, "registration");
	expect_eh_bad(0, BASE + 0x1100, "registration");
	expect_eh_bad(BASE + 0x2800, LIB, "registration");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state__accepts_what_apply_writes),
		cmocka_unit_test(test_state__refuses_len_over_the_buffer),
		cmocka_unit_test(test_state__refuses_counts_beyond_the_record),
		cmocka_unit_test(test_state__refuses_bad_header),
		cmocka_unit_test(test_state__refuses_strings),
		cmocka_unit_test(test_state__accepts_description_not_utf8),
		cmocka_unit_test(test_state__refuses_addresses_elsewhere),
		cmocka_unit_test(test_state__unwind_trailer),
		cmocka_unit_test(test_state__unwind_registration),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
