// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/ehframe.c: kpl_eh_frame__check() on the
 * table GCC writes for one function, and on that table broken one field
 * at a time, as a hostile patch file or target could; and
 * kpl_eh_frame__each_fde() placing each FDE's fields from its CIE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eh_frame_plr.h"
#include "ehframe.h"
#include "kpl/errors.h"

/* One CIE and one FDE, as gcc -O2 writes them for a leaf function. */
static const uint8_t table[] = {
	/* CIE at 0x00 */
	0x14, 0x00, 0x00, 0x00,	/* length 20 */
	0x00, 0x00, 0x00, 0x00,	/* id 0: a CIE */
	0x01,			/* version 1 */
	'z', 'R', 0x00,		/* augmentation "zR" */
	0x01,			/* code alignment 1 */
	0x78,			/* data alignment -8 */
	0x10,			/* return address: r16 (rip) */
	0x01, 0x1b,		/* augmentation data: pcrel|sdata4 */
	0x0c, 0x07, 0x08,	/* DW_CFA_def_cfa: rsp+8 */
	0x90, 0x01,		/* DW_CFA_offset: rip at cfa-8 */
	0x00, 0x00,		/* DW_CFA_nop x2 */
	/* FDE at 0x18 */
	0x10, 0x00, 0x00, 0x00,	/* length 16 */
	0x1c, 0x00, 0x00, 0x00,	/* CIE pointer: 0x1c back, to 0x00 */
	0x00, 0x00, 0x00, 0x00,	/* pc_begin (relocated) */
	0x20, 0x00, 0x00, 0x00,	/* pc_range 32 */
	0x00,			/* augmentation data length 0 */
	0x00, 0x00, 0x00,	/* DW_CFA_nop x3 */
	/* terminator at 0x2c */
	0x00, 0x00, 0x00, 0x00,
};

struct fdes {
	struct kpl_eh_fde f[4];
	size_t nr, len;
};

static int collect(const struct kpl_eh_fde *f, void *arg)
{
	struct fdes *v = arg;

	/* Every field it places lies inside the table. */
	if (f->pc_at != SIZE_MAX)
		assert_true(f->pc_at + 8 <= v->len);
	if (f->lsda_at != SIZE_MAX)
		assert_true(f->lsda_at + 4 <= v->len);
	if (f->pers_at != SIZE_MAX)
		assert_true(f->pers_at + 4 <= v->len);
	if (v->nr < 4)
		v->f[v->nr] = *f;
	v->nr++;
	return 0;
}

static void test_eh_frame__fde_fields_from_the_cie(void **state)
{
	struct fdes v = { .len = sizeof(table) };
	uint8_t t[sizeof(eh_frame_plr)];

	(void)state;
	/* "zR": pc_begin and pc_range, nothing else. */
	assert_int_equal(kpl_eh_frame__each_fde(table, sizeof(table), collect,
						&v),
			 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.f[0].off, 0x18);
	assert_int_equal(v.f[0].pc_at, 0x20);
	assert_int_equal(v.f[0].range, 0x20);
	assert_true(v.f[0].lsda_at == SIZE_MAX && v.f[0].pers_at == SIZE_MAX);
	/* "zPLR": the LSDA after the augmentation length, the personality
	 * in the CIE. */
	v = (struct fdes){ .len = sizeof(eh_frame_plr) };
	assert_int_equal(kpl_eh_frame__each_fde(eh_frame_plr, sizeof(eh_frame_plr),
						collect, &v),
			 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.f[0].pc_at, EH_PLR_PC_AT);
	assert_int_equal(v.f[0].range, 7);
	assert_int_equal(v.f[0].lsda_at, EH_PLR_LSDA_AT);
	assert_int_equal(v.f[0].pers_at, EH_PLR_PERS_AT);
	/* An augmentation it does not know: nothing is said of the code. */
	memcpy(t, eh_frame_plr, sizeof(t));
	t[0x0c] = 'X';
	v = (struct fdes){ .len = sizeof(t) };
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_int_equal(v.nr, 1);
	assert_true(v.f[0].pc_at == SIZE_MAX);
	/* A personality encoding it does not know: the same. */
	memcpy(t, eh_frame_plr, sizeof(t));
	t[0x12] = 0x9f;
	v = (struct fdes){ .len = sizeof(t) };
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_true(v.f[0].pc_at == SIZE_MAX);
	/* An augmentation length past the FDE: no LSDA read there. */
	memcpy(t, eh_frame_plr, sizeof(t));
	t[EH_PLR_LSDA_AT - 1] = 0x80; /* a ULEB128 that runs on */
	t[0x31] = t[0x32] = t[0x33] = t[0x34] = t[0x35] = t[0x36] = 0x80;
	t[0x37] = 0x80;
	v = (struct fdes){ .len = sizeof(t) };
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_true(v.f[0].pc_at == SIZE_MAX);
}

/* pc_begin, pc-relative from its own field, and absolute. */
static void test_eh_frame__fde_pc_from_its_encoding(void **state)
{
	struct fdes v = { .len = sizeof(table) };
	uint8_t t[sizeof(table)];
	uint64_t pc = 0;

	(void)state;
	memcpy(t, table, sizeof(t));
	/* pc_begin at 0x20 = -0x1020: pcrel|sdata4, so table + 0x20 - 0x1020. */
	t[0x20] = 0xe0, t[0x21] = 0xef, t[0x22] = 0xff, t[0x23] = 0xff;
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_int_equal(v.f[0].pc_enc, 0x1b);
	assert_true(kpl_eh_fde__pc(t, &v.f[0], 0x7f0000002000, &pc));
	assert_true(pc == 0x7f0000001000);
	/* udata4 (0x03), absolute: the field itself. */
	t[0x10] = 0x03;
	t[0x23] = 0x00;
	v = (struct fdes){ .len = sizeof(t) };
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_true(kpl_eh_fde__pc(t, &v.f[0], 0x7f0000002000, &pc));
	assert_true(pc == 0xffefe0);
	/* datarel (0x3b): nothing is said. */
	t[0x10] = 0x3b;
	v = (struct fdes){ .len = sizeof(t) };
	assert_int_equal(kpl_eh_frame__each_fde(t, sizeof(t), collect, &v), 0);
	assert_false(kpl_eh_fde__pc(t, &v.f[0], 0x7f0000002000, &pc));
	/* An FDE whose CIE cannot be read: nothing either. */
	v.f[0].pc_at = SIZE_MAX;
	assert_false(kpl_eh_fde__pc(t, &v.f[0], 0x7f0000002000, &pc));
}

static int check(const uint8_t *p, size_t len, char *why)
{
	return kpl_eh_frame__check(p, len, why, 128);
}

static void expect_bad(const uint8_t *p, size_t len, const char *what)
{
	char why[128] = "";

	assert_int_equal(check(p, len, why), -KPL_E_FORMAT);
	if (!strstr(why, what))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, what);
}

static void test_eh_frame__accepts_what_gcc_writes(void **state)
{
	char why[128] = "";

	(void)state;
	assert_int_equal(check(table, sizeof(table), why), 0);
	/* An object file's table has no terminator. */
	assert_int_equal(check(table, sizeof(table) - 4, why), 0);
	assert_int_equal(check(table, 0, why), 0);
}

static void test_eh_frame__refuses_lengths_outside(void **state)
{
	uint8_t t[sizeof(table)];

	(void)state;
	memcpy(t, table, sizeof(t));
	t[0x18] = 0x40;		/* FDE runs past the end */
	expect_bad(t, sizeof(t), "entry length outside the table");
	memcpy(t, table, sizeof(t));
	memset(t + 0x18, 0xff, 4);	/* 64-bit length form */
	expect_bad(t, sizeof(t), "64-bit entry length");
	expect_bad(table, 0x1a, "truncated entry length");
	memcpy(t, table, sizeof(t));
	t[0] = 2;		/* a CIE too short for its id */
	expect_bad(t, sizeof(t), "entry length outside the table");
}

static void test_eh_frame__refuses_fde_without_cie(void **state)
{
	uint8_t t[sizeof(table)];

	(void)state;
	memcpy(t, table, sizeof(t));
	t[0x1c] = 0x18;		/* points at 0x04, inside the CIE */
	expect_bad(t, sizeof(t), "leads to no CIE");
	memcpy(t, table, sizeof(t));
	t[0x1c] = 0x40;		/* before the table */
	expect_bad(t, sizeof(t), "leads to no CIE");
	memcpy(t, table, sizeof(t));
	t[0x1c] = 0x00;		/* id 0: a CIE, of version 0 */
	t[0x1d] = 0x00;
	expect_bad(t, sizeof(t), "CIE of unknown version");
}

static void test_eh_frame__refuses_bad_cie(void **state)
{
	uint8_t t[sizeof(table)];

	(void)state;
	memcpy(t, table, sizeof(t));
	t[8] = 2;
	expect_bad(t, sizeof(t), "CIE of unknown version");
	memcpy(t, table, sizeof(t));
	memset(t + 9, 'z', 0x18 - 9);	/* augmentation never ends */
	expect_bad(t, sizeof(t), "augmentation not terminated");
}

static void test_eh_frame__refuses_data_after_terminator(void **state)
{
	uint8_t t[sizeof(table) + 4];

	(void)state;
	memcpy(t, table, sizeof(table));
	memcpy(t + sizeof(table), table, 4);
	expect_bad(t, sizeof(t), "data after the terminator");
	expect_bad(t, KPL_EH_FRAME_MAX + 1, "larger than 1 MiB");
}

/*
 * The valid table with bytes changed at random (a fixed seed): whatever
 * the verdict, the walk stays inside the buffer (ASan would stop it),
 * and a table it accepts has every FDE pointing back to a CIE.
 */
static void test_eh_frame__survives_random_damage(void **state)
{
	uint8_t t[sizeof(eh_frame_plr)];
	unsigned int seed = 13, i, k;
	char why[128];

	(void)state;
	for (i = 0; i < 20000; i++) {
		const uint8_t *from = i & 1 ? eh_frame_plr : table;
		size_t size = i & 1 ? sizeof(eh_frame_plr) : sizeof(table);
		struct fdes v = { 0 };
		uint8_t *heap;
		size_t len = (size_t)rand_r(&seed) % (size + 1);

		memcpy(t, from, size);
		for (k = 0; k < 1 + (unsigned int)rand_r(&seed) % 4; k++)
			t[rand_r(&seed) % size] = (uint8_t)rand_r(&seed);
		/* Exactly len bytes on the heap: ASan sees any overrun. */
		heap = malloc(len ? len : 1);
		assert_non_null(heap);
		memcpy(heap, t, len);
		v.len = len;
		/* What the check accepts, the FDE walker reads in bounds. */
		if (check(heap, len, why) == 0)
			assert_int_equal(kpl_eh_frame__each_fde(heap, len,
								collect, &v),
					 0);
		if (from == table && check(heap, len, why) == 0 &&
		    len >= 0x1c &&
		    heap[0] == 0x14 && !heap[1] && !heap[2] && !heap[3] &&
		    heap[0x18] && !heap[0x19] && !heap[0x1a] && !heap[0x1b] &&
		    heap[0x1c] && !heap[0x1d] && !heap[0x1e] && !heap[0x1f])
			/* The FDE kept its place: its pointer leads to 0. */
			assert_int_equal(heap[0x1c], 0x1c);
		free(heap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eh_frame__accepts_what_gcc_writes),
		cmocka_unit_test(test_eh_frame__refuses_lengths_outside),
		cmocka_unit_test(test_eh_frame__refuses_fde_without_cie),
		cmocka_unit_test(test_eh_frame__refuses_bad_cie),
		cmocka_unit_test(test_eh_frame__refuses_data_after_terminator),
		cmocka_unit_test(test_eh_frame__fde_fields_from_the_cie),
		cmocka_unit_test(test_eh_frame__fde_pc_from_its_encoding),
		cmocka_unit_test(test_eh_frame__survives_random_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
