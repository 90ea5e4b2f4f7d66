// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/arch/x86_64_same.c: a function as linked
 * into a library against the same function in an object file compiled
 * with -ffunction-sections.  The bytes are GCC 12's and ld's, with the
 * assembly beside each line; offsets in the comments are from each
 * function's first byte.  The linked functions live at LIB_ADDR.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"

#define LIB_ADDR 0x1020ULL
#define SCALE 0x1000ULL		/* static int scale(int), in the library */
#define TWICE 0x1010ULL		/* static int twice(int), in the library */

/*
 * int walk(int x) { return x & 1 ? scale(x) : twice(x); } built with the
 * rest of its file in one .text: both tail calls are short jumps, and
 * the loop alignment before the second is a 4-byte NOP.
 */
static const uint8_t walk_linked[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00 endbr64 */
	0x40, 0xf6, 0xc7, 0x01,		/* 04 test $0x1,%dil */
	0x75, 0x06,			/* 08 jne 10 */
	0xeb, 0xe4,			/* 0a jmp twice (0x1010) */
	0x0f, 0x1f, 0x40, 0x00,		/* 0c nopl 0x0(%rax) */
	0xeb, 0xce,			/* 10 jmp scale (0x1000) */
};

/* The same, compiled with -ffunction-sections: both jumps relocated. */
static const uint8_t walk_obj[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00 endbr64 */
	0x40, 0xf6, 0xc7, 0x01,		/* 04 test $0x1,%dil */
	0x75, 0x06,			/* 08 jne 10 */
	0xe9, 0, 0, 0, 0,		/* 0a jmp (0b: PC32 .text.twice-4) */
	0x90,				/* 0f nop */
	0xe9, 0, 0, 0, 0,		/* 10 jmp (11: PC32 .text.scale-4) */
};

static const struct kpl_arch_field walk_fields[] = {
	{ 0x0b, R_X86_64_PC32 },
	{ 0x11, R_X86_64_PC32 },
};

/* Where each field's symbol is in the library (S + A + 4 for a jump). */
struct where {
	uint64_t at[4];
	enum kpl_arch_reloc_kind kind[4];
	unsigned int calls;
};

static bool reaches(void *arg, const struct kpl_arch_reach *r)
{
	struct where *w = arg;

	w->calls++;
	assert_true(r->field < 4);
	w->kind[r->field] = r->kind;
	/* The object reaches S + A + adj: A is -4 in every case here. */
	assert_int_equal(r->adj, 4);
	return r->where == w->at[r->field];
}

static int same(const uint8_t *linked, size_t nl, const uint8_t *obj,
		size_t no, const struct kpl_arch_field *f, size_t nf,
		struct where *w, struct kpl_arch_mismatch *m)
{
	struct kpl_arch_same_in in = {
		.linked = linked,
		.linked_size = nl,
		.linked_addr = LIB_ADDR,
		.obj = obj,
		.obj_size = no,
		.fields = f,
		.nr_fields = nf,
		.reaches = reaches,
		.arg = w,
	};

	return kpl_arch_same_code(&in, m);
}

static void test_same__relaxed_tail_calls_and_padding(void **state)
{
	struct where w = { .at = { TWICE, SCALE } };
	struct kpl_arch_mismatch m = { .linked_off = 77 };

	(void)state;
	assert_int_equal(same(walk_linked, sizeof(walk_linked), walk_obj,
			      sizeof(walk_obj), walk_fields, 2, &w, &m),
			 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.kind[0], KPL_RELOC_DIRECT);
	/* Written only when they differ. */
	assert_int_equal(m.linked_off, 77);
}

static void test_same__tail_call_elsewhere_differs(void **state)
{
	/* The library's jmp at 0a goes to twice, the relocation to 0x1014. */
	struct where w = { .at = { TWICE + 4, SCALE } };
	struct kpl_arch_mismatch m;

	(void)state;
	assert_int_equal(same(walk_linked, sizeof(walk_linked), walk_obj,
			      sizeof(walk_obj), walk_fields, 2, &w, &m),
			 1);
	assert_int_equal(m.linked_off, 0x0a);
	assert_int_equal(m.obj_off, 0x0a);
	assert_string_equal(m.linked, "jmp 0x1010 (eb e4)");
	assert_string_equal(m.obj, "jmp 0xf (e9 00 00 00 00)");
}

static void test_same__inner_branch_target_differs(void **state)
{
	struct where w = { .at = { TWICE, SCALE } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(walk_linked)];

	(void)state;
	/* 08 jne 0e: into the middle of the NOP, not to the paired jmp */
	memcpy(l, walk_linked, sizeof(l));
	l[9] = 0x04;
	assert_int_equal(same(l, sizeof(l), walk_obj, sizeof(walk_obj),
			      walk_fields, 2, &w, &m),
			 1);
	assert_int_equal(m.linked_off, 0x08);
	assert_int_equal(m.obj_off, 0x08);
	assert_string_equal(m.obj, "jne 0x10 (75 06)");

	/* 08 jne 0a: to the first jmp, which pairs with the object's 0a */
	l[9] = 0x00;
	assert_int_equal(same(l, sizeof(l), walk_obj, sizeof(walk_obj),
			      walk_fields, 2, &w, &m),
			 1);
	/* 08 je 10: another condition */
	l[8] = 0x74;
	l[9] = 0x06;
	assert_int_equal(same(l, sizeof(l), walk_obj, sizeof(walk_obj),
			      walk_fields, 2, &w, &m),
			 1);
	assert_string_equal(m.linked, "je 0x1030 (74 06)");
}

static void test_same__other_instruction_differs(void **state)
{
	struct where w = { .at = { TWICE, SCALE } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(walk_linked)];

	(void)state;
	memcpy(l, walk_linked, sizeof(l));
	l[7] = 0x02;			/* 04 test $0x2,%dil */
	assert_int_equal(same(l, sizeof(l), walk_obj, sizeof(walk_obj),
			      walk_fields, 2, &w, &m),
			 1);
	assert_int_equal(m.linked_off, 4);
	assert_int_equal(m.obj_off, 4);
	assert_string_equal(m.linked, "testb $2, %dil (40 f6 c7 02)");
	assert_string_equal(m.obj, "testb $1, %dil (40 f6 c7 01)");
}

static void test_same__one_ends_first(void **state)
{
	struct where w = { .at = { TWICE, SCALE } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(walk_linked) + 1];

	(void)state;
	memcpy(l, walk_linked, sizeof(walk_linked));
	l[sizeof(walk_linked)] = 0xc3;	/* 12 ret */
	assert_int_equal(same(l, sizeof(l), walk_obj, sizeof(walk_obj),
			      walk_fields, 2, &w, &m),
			 1);
	assert_int_equal(m.linked_off, 0x12);
	assert_string_equal(m.linked, "retq (c3)");
	assert_int_equal(m.obj_off, sizeof(walk_obj));
	assert_string_equal(m.obj, "the end");
}

/* A relocated field in a NOP, or a field no instruction holds whole. */
static void test_same__stray_field_differs(void **state)
{
	static const struct kpl_arch_field stray[] = {
		{ 0x0b, R_X86_64_PC32 },
		{ 0x0d, R_X86_64_PC32 },	/* inside the first jmp's */
		{ 0x11, R_X86_64_PC32 },
	};
	struct where w = { .at = { TWICE, SCALE, SCALE } };
	struct kpl_arch_mismatch m;

	(void)state;
	assert_int_equal(same(walk_linked, sizeof(walk_linked), walk_obj,
			      sizeof(walk_obj), stray, 3, &w, &m),
			 1);
	assert_int_equal(m.obj_off, 0x0a);
}

/*
 * A conditional tail call: jne rel32 with a PLT32 field, shortened to
 * jne rel8 by the assembler; and a call, which has no short form.
 */
static void test_same__conditional_jump_and_call(void **state)
{
	static const uint8_t obj[] = {
		0x85, 0xff,			/* 00 test %edi,%edi */
		0x0f, 0x85, 0, 0, 0, 0,		/* 02 jne (04: PLT32 f-4) */
		0xe8, 0, 0, 0, 0,		/* 08 call (09: PLT32 g-4) */
		0xc3,				/* 0d ret */
	};
	static const struct kpl_arch_field f[] = {
		{ 0x04, R_X86_64_PLT32 },
		{ 0x09, R_X86_64_PLT32 },
	};
	static const uint8_t linked[] = {
		0x85, 0xff,			/* 00 test %edi,%edi */
		0x75, 0xdc,			/* 02 jne 0x1000 */
		0xe8, 0xe7, 0xff, 0xff, 0xff,	/* 04 call 0x1010 */
		0xc3,				/* 09 ret */
	};
	struct where w = { .at = { SCALE, TWICE } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(linked)];

	(void)state;
	assert_int_equal(same(linked, sizeof(linked), obj, sizeof(obj), f, 2,
			      &w, &m),
			 0);
	assert_int_equal(w.kind[0], KPL_RELOC_CALL);
	/* jmp is not jne, whatever it reaches */
	memcpy(l, linked, sizeof(l));
	l[2] = 0xeb;
	assert_int_equal(same(l, sizeof(l), obj, sizeof(obj), f, 2, &w, &m),
			 1);
	assert_int_equal(m.obj_off, 2);
	assert_string_equal(m.obj, "jne 8 (0f 85 00 00 00 00)");
}

/*
 * mov x@GOTPCREL(%rip),%rax relaxed by ld to lea x(%rip),%rax (x bound
 * in the library); a mov into another register is not that.
 */
static void test_same__relaxed_got_load(void **state)
{
	static const uint8_t obj[] = {
		0x48, 0x8b, 0x05, 0, 0, 0, 0,	/* 00 mov 0(%rip),%rax
						 * (03: REX_GOTPCRELX x-4) */
		0xc3,				/* 07 ret */
	};
	static const struct kpl_arch_field f[] = {
		{ 0x03, R_X86_64_REX_GOTPCRELX },
	};
	static const uint8_t linked[] = {
		0x48, 0x8d, 0x05, 0xf9, 0x0f, 0x00, 0x00, /* lea 0x2020(%rip) */
		0xc3,
	};
	struct where w = { .at = { 0x2020 } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(linked)];

	(void)state;
	assert_int_equal(same(linked, sizeof(linked), obj, sizeof(obj), f, 1,
			      &w, &m),
			 0);
	assert_int_equal(w.kind[0], KPL_RELOC_DIRECT);
	/* Unrelaxed, through the GOT slot at 0x3000. */
	memcpy(l, linked, sizeof(l));
	l[1] = 0x8b;
	l[3] = 0xd9;
	l[4] = 0x1f;
	w.at[0] = 0x3000;
	assert_int_equal(same(l, sizeof(l), obj, sizeof(obj), f, 1, &w, &m),
			 0);
	assert_int_equal(w.kind[0], KPL_RELOC_GOT);
	/* lea into %rcx (48 8d 0d) is another instruction. */
	memcpy(l, linked, sizeof(l));
	l[2] = 0x0d;
	w.at[0] = 0x2020;
	assert_int_equal(same(l, sizeof(l), obj, sizeof(obj), f, 1, &w, &m),
			 1);
	assert_int_equal(m.obj_off, 0);
}

/* A computed goto: lea of a label in the function, unrelocated. */
static void test_same__label_address_in_function(void **state)
{
	static const uint8_t obj[] = {
		0x48, 0x8d, 0x05, 0x07, 0, 0, 0, /* 00 lea 0xe(%rip),%rax */
		0xe9, 0, 0, 0, 0,		/* 07 jmp (08: PC32 f-4) */
		0x90, 0x90,			/* 0c nop; nop */
		0xc3,				/* 0e ret */
	};
	static const struct kpl_arch_field f[] = { { 0x08, R_X86_64_PC32 } };
	static const uint8_t linked[] = {
		0x48, 0x8d, 0x05, 0x04, 0, 0, 0, /* 00 lea 0xb(%rip),%rax */
		0xeb, 0xe7,			/* 07 jmp 0x1010 */
		0x90, 0x90,			/* 09 nop; nop */
		0xc3,				/* 0b ret */
	};
	struct where w = { .at = { TWICE } };
	struct kpl_arch_mismatch m;
	uint8_t l[sizeof(linked)];

	(void)state;
	assert_int_equal(same(linked, sizeof(linked), obj, sizeof(obj), f, 1,
			      &w, &m),
			 0);
	/* The label at the NOPs before the ret is the same place. */
	memcpy(l, linked, sizeof(l));
	l[3] = 0x02;
	assert_int_equal(same(l, sizeof(l), obj, sizeof(obj), f, 1, &w, &m),
			 0);
	/* Not at the jmp, which pairs with the object's 07. */
	l[3] = 0x00;
	assert_int_equal(same(l, sizeof(l), obj, sizeof(obj), f, 1, &w, &m),
			 1);
	assert_int_equal(m.obj_off, 0);
}

static void test_same__undecodable_differs(void **state)
{
	static const uint8_t obj[] = { 0x90, 0xc3 };		/* nop; ret */
	static const uint8_t linked[] = { 0x06, 0xc3 }; /* (push %es), ret */
	struct where w = { { 0 } };
	struct kpl_arch_mismatch m;

	(void)state;
	assert_int_equal(same(linked, sizeof(linked), obj, sizeof(obj), NULL,
			      0, &w, &m),
			 1);
	assert_int_equal(m.linked_off, 0);
	assert_string_equal(m.linked, "undecodable (06)");
	assert_int_equal(m.obj_off, 1);
	assert_string_equal(m.obj, "retq (c3)");
}

static void test_same__bad_arguments(void **state)
{
	static const struct kpl_arch_field unsorted[] = {
		{ 0x11, R_X86_64_PC32 },
		{ 0x0b, R_X86_64_PC32 },
	};
	struct where w = { { 0 } };
	struct kpl_arch_mismatch m;
	struct kpl_arch_same_in in = { .linked_size = 1 };

	(void)state;
	assert_int_equal(kpl_arch_same_code(NULL, &m), -EINVAL);
	in.reaches = reaches;
	assert_int_equal(kpl_arch_same_code(&in, &m), -EINVAL);
	assert_int_equal(same(walk_linked, sizeof(walk_linked), walk_obj,
			      sizeof(walk_obj), unsorted, 2, &w, &m),
			 -EINVAL);
}

static void test_plt_slot__entries(void **state)
{
	static const uint8_t sec[] = {
		0xf3, 0x0f, 0x1e, 0xfa,		/* endbr64 */
		0xf2, 0xff, 0x25, 0xf0, 0x0f, 0, 0, /* bnd jmp *0xff0(%rip) */
		0x0f, 0x1f, 0x44, 0x00, 0x00,	/* nopl */
	};
	static const uint8_t lazy[] = {
		0xff, 0x25, 0x02, 0x10, 0, 0,	/* jmp *0x1002(%rip) */
		0x68, 0x01, 0, 0, 0,		/* push $1 */
		0xe9, 0xe0, 0xff, 0xff, 0xff,	/* jmp .plt */
	};
	uint64_t slot = 0;

	(void)state;
	assert_true(kpl_arch_plt_slot(sec, sizeof(sec), 0x1050, &slot));
	assert_int_equal(slot, 0x1050 + 11 + 0xff0);
	assert_true(kpl_arch_plt_slot(lazy, sizeof(lazy), 0x1020, &slot));
	assert_int_equal(slot, 0x1020 + 6 + 0x1002);
	/* A function is not a PLT entry; nor are 5 bytes of one. */
	assert_false(kpl_arch_plt_slot(walk_linked, sizeof(walk_linked),
				       0x1020, &slot));
	assert_false(kpl_arch_plt_slot(lazy, 5, 0x1020, &slot));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same__relaxed_tail_calls_and_padding),
		cmocka_unit_test(test_same__tail_call_elsewhere_differs),
		cmocka_unit_test(test_same__inner_branch_target_differs),
		cmocka_unit_test(test_same__other_instruction_differs),
		cmocka_unit_test(test_same__one_ends_first),
		cmocka_unit_test(test_same__stray_field_differs),
		cmocka_unit_test(test_same__conditional_jump_and_call),
		cmocka_unit_test(test_same__relaxed_got_load),
		cmocka_unit_test(test_same__label_address_in_function),
		cmocka_unit_test(test_same__undecodable_differs),
		cmocka_unit_test(test_same__bad_arguments),
		cmocka_unit_test(test_plt_slot__entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
