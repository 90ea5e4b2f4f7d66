// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the entry analysis of userland/lib/arch/x86_64.c
 * (kpl_arch_analyse()): input bytes, with the assembly beside each line,
 * and the verdict.  Offsets in the comments are from the function's
 * first byte; every function is analysed as if it lived at FN_ADDR.
 * Jumps, stubs and relocations are in test_arch_x86_64.c.
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
#include "kpl/errors.h"

#define FN_ADDR 0x7f1234561000ULL

static int analyse(const uint8_t *code, size_t size,
		   struct kpl_arch_prologue *p, const char **why)
{
	*why = NULL;
	return kpl_arch_analyse(code, size, FN_ADDR, p, why);
}

static void assert_refused(const uint8_t *code, size_t size,
			   const char *reason)
{
	struct kpl_arch_prologue p = { 111, 222, 333 };
	const char *why;

	assert_int_equal(analyse(code, size, &p, &why), -KPL_E_PROLOGUE);
	assert_non_null(why);
	if (reason)
		assert_string_equal(why, reason);
	/* Outputs are written only on success. */
	assert_int_equal(p.skip, 111);
	assert_int_equal(p.patch_len, 222);
	assert_int_equal(p.insn_len, 333);
}

static void assert_accepted(const uint8_t *code, size_t size, size_t skip,
			    size_t insn_len)
{
	struct kpl_arch_prologue p;
	const char *why;

	assert_int_equal(analyse(code, size, &p, &why), 0);
	assert_int_equal(p.skip, skip);
	assert_int_equal(p.patch_len, 5);
	assert_int_equal(p.insn_len, insn_len);
}

static const char TOO_SHORT[] = "function too short for a 5-byte jump";
static const char INTO_JUMP[] =
	"a branch in the function targets the bytes the jump overwrites";
static const char UNDECODABLE[] =
	"cannot decode the instructions the jump overwrites";

static const uint8_t fn_endbr[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x55,				/* 04: push %rbp */
	0x48, 0x89, 0xe5,		/* 05: mov %rsp,%rbp */
	0x89, 0xf8,			/* 08: mov %edi,%eax */
	0x5d,				/* 0a: pop %rbp */
	0xc3,				/* 0b: ret */
};

static void test_analyse__endbr64_kept(void **state)
{
	(void)state;
	/* The window [4, 9) ends inside mov %edi,%eax: whole insns to 10. */
	assert_accepted(fn_endbr, sizeof(fn_endbr), 4, 6);
}

static const uint8_t fn_plain[] = {
	0x55,				/* 00: push %rbp */
	0x48, 0x89, 0xe5,		/* 01: mov %rsp,%rbp */
	0x89, 0xf8,			/* 04: mov %edi,%eax */
	0x5d,				/* 06: pop %rbp */
	0xc3,				/* 07: ret */
};

static void test_analyse__no_endbr64_skip_zero(void **state)
{
	(void)state;
	assert_accepted(fn_plain, sizeof(fn_plain), 0, 6);
}

static const uint8_t fn_endbr32[] = {
	0xf3, 0x0f, 0x1e, 0xfb,		/* 00: endbr32 (not ours to keep) */
	0x31, 0xc0,			/* 04: xor %eax,%eax */
	0xc3,				/* 06: ret */
};

static void test_analyse__endbr32_not_kept(void **state)
{
	(void)state;
	assert_accepted(fn_endbr32, sizeof(fn_endbr32), 0, 6);
}

static const uint8_t fn_endbr_ret[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0xc3,				/* 04: ret */
};

static const uint8_t fn_four[] = {
	0x31, 0xc0,			/* 00: xor %eax,%eax */
	0x90,				/* 02: nop */
	0xc3,				/* 03: ret */
};

static const uint8_t fn_endbr_eight[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x31, 0xc0,			/* 04: xor %eax,%eax */
	0x90,				/* 06: nop */
	0xc3,				/* 07: ret */
};

static void test_analyse__too_short_refused(void **state)
{
	(void)state;
	assert_refused(fn_endbr_ret, sizeof(fn_endbr_ret), TOO_SHORT);
	assert_refused(fn_four, sizeof(fn_four), TOO_SHORT);
	assert_refused(fn_endbr_eight, sizeof(fn_endbr_eight), TOO_SHORT);
	assert_refused(fn_four, 0, TOO_SHORT);
}

static const uint8_t fn_tail_call[] = {
	0xe9, 0x00, 0x10, 0x00, 0x00,	/* 00: jmp 1005 */
};

static void test_analyse__exactly_five_bytes_accepted(void **state)
{
	(void)state;
	assert_accepted(fn_tail_call, sizeof(fn_tail_call), 0, 5);
}

/* The jne's rel8 (byte 0x0c) is set by the test to reach each offset. */
static const uint8_t fn_edge[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x90, 0x90, 0x90, 0x90, 0x90,	/* 04: nop x5 (the jump's window) */
	0xff, 0xcf,			/* 09: dec %edi */
	0x75, 0x00,			/* 0b: jne <target> */
	0xc3,				/* 0d: ret */
};

static void test_analyse__branch_edges_of_window(void **state)
{
	uint8_t fn[sizeof(fn_edge)];
	int target;

	(void)state;
	for (target = 0; target <= 0x0d; target++) {
		memcpy(fn, fn_edge, sizeof(fn));
		fn[0x0c] = (uint8_t)(target - 0x0d);
		/* Bytes 5..8 are the middle of the jmp; 4 is its start. */
		if (target >= 5 && target <= 8)
			assert_refused(fn, sizeof(fn), INTO_JUMP);
		else
			assert_accepted(fn, sizeof(fn), 4, 5);
	}
}

static const uint8_t fn_loop_entry[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x83, 0xc0, 0x01,		/* 04: add $0x1,%eax */
	0xff, 0xcf,			/* 07: dec %edi */
	0x75, 0xf9,			/* 09: jne 4 */
	0xc3,				/* 0b: ret */
};

static void test_analyse__jump_to_window_start_accepted(void **state)
{
	(void)state;
	assert_accepted(fn_loop_entry, sizeof(fn_loop_entry), 4, 5);
}

static void test_analyse__every_branch_form_into_window_refused(void **state)
{
	/* Each branch at offset 5, after nop x5, targets offset 3. */
#define NOP5 0x90, 0x90, 0x90, 0x90, 0x90
	static const struct {
		uint8_t code[12];
		size_t size;
	} cases[] = {
		{ { NOP5, 0xeb, 0xfc, 0xc3 }, 8 },		/* jmp 3; ret */
		{ { NOP5, 0xe9, 0xf9, 0xff, 0xff, 0xff, 0xc3 }, 11 }, /* jmp rel32 */
		{ { NOP5, 0x74, 0xfc, 0xc3 }, 8 },		/* je 3; ret */
		{ { NOP5, 0x0f, 0x84, 0xf8, 0xff, 0xff, 0xff, 0xc3 }, 12 }, /* je rel32 */
		{ { NOP5, 0xe8, 0xf9, 0xff, 0xff, 0xff, 0xc3 }, 11 }, /* call 3 */
		{ { NOP5, 0xe2, 0xfc, 0xc3 }, 8 },		/* loop 3; ret */
		{ { NOP5, 0xe0, 0xfc, 0xc3 }, 8 },		/* loopne 3; ret */
		{ { NOP5, 0xe3, 0xfc, 0xc3 }, 8 },		/* jrcxz 3; ret */
		{ { NOP5, 0xc7, 0xf8, 0xf8, 0xff, 0xff, 0xff, 0xc3 }, 12 }, /* xbegin 3 */
	};
#undef NOP5
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i].code, cases[i].size, INTO_JUMP);
}

static const uint8_t fn_elsewhere[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x85, 0xff,			/* 04: test %edi,%edi */
	0x74, 0x0b,			/* 06: je 13 */
	0xe8, 0xef, 0xef, 0xff, 0xff,	/* 08: call -0x1004 (another fn) */
	0xe9, 0x00, 0x00, 0x00, 0x10,	/* 0d: jmp 10000012 (a tail call) */
	0xc3,				/* 12: ret */
	0xeb, 0xec,			/* 13: jmp 1 (into the endbr64) */
	0xff, 0x25, 0x00, 0x00, 0x00, 0x00,	/* 15: jmp *0x0(%rip) */
	0xff, 0xe0,			/* 1b: jmp *%rax */
};

static void test_analyse__branches_elsewhere_accepted(void **state)
{
	(void)state;
	/* Window [4, 9): test, je, and the call at 8 that ends at 13. */
	assert_accepted(fn_elsewhere, sizeof(fn_elsewhere), 4, 9);
}

/* gcc 12.2 -O2 -fcf-protection -fPIC, objdump -dr; 63 bytes (st_size). */
static const uint8_t gcc_conn_append[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x55,				/* 04: push %rbp */
	0x53,				/* 05: push %rbx */
	0x48, 0x89, 0xfb,		/* 06: mov %rdi,%rbx */
	0x48, 0x83, 0xec, 0x08,		/* 09: sub $0x8,%rsp */
	0x48, 0x8b, 0x7f, 0x08,		/* 0d: mov 0x8(%rdi),%rdi */
	0x48, 0x8d, 0x04, 0x17,		/* 11: lea (%rdi,%rdx,1),%rax */
	0x48, 0x39, 0x43, 0x10,		/* 15: cmp %rax,0x10(%rbx) */
	0x72, 0x1d,			/* 19: jb 38 */
	0x48, 0x03, 0x3b,		/* 1b: add (%rbx),%rdi */
	0x48, 0x89, 0xd5,		/* 1e: mov %rdx,%rbp */
	0xe8, 0x00, 0x00, 0x00, 0x00,	/* 21: call 26 (R_X86_64_PLT32 memcpy-4) */
	0x48, 0x01, 0x6b, 0x08,		/* 26: add %rbp,0x8(%rbx) */
	0x31, 0xc0,			/* 2a: xor %eax,%eax */
	0x48, 0x83, 0xc4, 0x08,		/* 2c: add $0x8,%rsp */
	0x5b,				/* 30: pop %rbx */
	0x5d,				/* 31: pop %rbp */
	0xc3,				/* 32: ret */
	0x0f, 0x1f, 0x44, 0x00, 0x00,	/* 33: nopl 0x0(%rax,%rax,1) */
	0xb8, 0xff, 0xff, 0xff, 0xff,	/* 38: mov $0xffffffff,%eax */
	0xeb, 0xed,			/* 3d: jmp 2c */
};

/* Same compiler and flags; the loop is aligned past the window. */
static const uint8_t gcc_sum[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x85, 0xf6,			/* 04: test %esi,%esi */
	0x7e, 0x28,			/* 06: jle 30 */
	0x48, 0x63, 0xf6,		/* 08: movslq %esi,%rsi */
	0x31, 0xc0,			/* 0b: xor %eax,%eax */
	0x48, 0x8d, 0x0c, 0xb7,		/* 0d: lea (%rdi,%rsi,4),%rcx */
	0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00, /* 11: nopl 0x0(%rax) */
	0x48, 0x63, 0x17,		/* 18: movslq (%rdi),%rdx */
	0x48, 0x83, 0xc7, 0x04,		/* 1b: add $0x4,%rdi */
	0x48, 0x01, 0xd0,		/* 1f: add %rdx,%rax */
	0x48, 0x39, 0xcf,		/* 22: cmp %rcx,%rdi */
	0x75, 0xf1,			/* 25: jne 18 */
	0xc3,				/* 27: ret */
	0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, /* 28: nopl */
	0x31, 0xc0,			/* 30: xor %eax,%eax */
	0xc3,				/* 32: ret */
};

/* gcc 12.2 -Os -fcf-protection: the do-while loop starts at byte 6. */
static const uint8_t gcc_os_bit_width[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x31, 0xc0,			/* 04: xor %eax,%eax */
	0xff, 0xc0,			/* 06: inc %eax */
	0xd1, 0xef,			/* 08: shr %edi */
	0x75, 0xfa,			/* 0a: jne 6 */
	0xc3,				/* 0c: ret */
};

static void test_analyse__gcc_o2_prologues_accepted(void **state)
{
	(void)state;
	assert_accepted(gcc_conn_append, sizeof(gcc_conn_append), 4, 5);
	/* test (2) + jle (2) + movslq (3): the movslq is cut at byte 9. */
	assert_accepted(gcc_sum, sizeof(gcc_sum), 4, 7);
}

static void test_analyse__gcc_os_loop_into_window_refused(void **state)
{
	(void)state;
	assert_refused(gcc_os_bit_width, sizeof(gcc_os_bit_width), INTO_JUMP);
}

static const uint8_t fn_bad_window[] = {
	0xf3, 0x0f, 0x1e, 0xfa,		/* 00: endbr64 */
	0x55,				/* 04: push %rbp */
	0x06,				/* 05: (bad: push %es, 32-bit only) */
	0x5d,				/* 06: pop %rbp */
	0x90, 0x90,			/* 07: nop x2 */
	0xc3,				/* 09: ret */
};

static const uint8_t fn_cut_window[] = {
	0x55,				/* 00: push %rbp */
	0x48, 0xb8, 0x01, 0x02, 0x03, 0x04, /* 01: movabs $imm64,%rax, cut */
};

static void test_analyse__undecodable_window_refused(void **state)
{
	(void)state;
	assert_refused(fn_bad_window, sizeof(fn_bad_window), UNDECODABLE);
	/* The symbol ends inside the instruction the jump would cut. */
	assert_refused(fn_cut_window, sizeof(fn_cut_window), UNDECODABLE);
}

static const uint8_t fn_bad_tail[] = {
	0x31, 0xc0,			/* 00: xor %eax,%eax */
	0xff, 0xc0,			/* 02: inc %eax */
	0x90,				/* 04: nop */
	0xc3,				/* 05: ret */
	0x06, 0x06,			/* 06: (bad) x2 */
	0xcc,				/* 08: int3 */
	0x75, 0xf6,			/* 09: jne 1 (after resync) */
};

static void test_analyse__undecodable_after_window_skipped(void **state)
{
	uint8_t fn[sizeof(fn_bad_tail)];

	(void)state;
	/* Decoding resumes after the bad bytes and still sees the jne. */
	assert_refused(fn_bad_tail, sizeof(fn_bad_tail), INTO_JUMP);
	memcpy(fn, fn_bad_tail, sizeof(fn));
	fn[0x0a] = 0xf5;		/* jne 0: the start of the jmp */
	assert_accepted(fn, sizeof(fn), 0, 5);
}

static void test_analyse__bad_arguments_refused(void **state)
{
	struct kpl_arch_prologue p;
	const char *why = NULL;

	(void)state;
	assert_int_equal(kpl_arch_analyse(NULL, 8, FN_ADDR, &p, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(kpl_arch_analyse(fn_plain, sizeof(fn_plain), FN_ADDR,
					  NULL, NULL), -EINVAL);
	/* @why may be NULL. */
	assert_int_equal(kpl_arch_analyse(fn_four, sizeof(fn_four), FN_ADDR,
					  &p, NULL), -KPL_E_PROLOGUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analyse__endbr64_kept),
		cmocka_unit_test(test_analyse__no_endbr64_skip_zero),
		cmocka_unit_test(test_analyse__endbr32_not_kept),
		cmocka_unit_test(test_analyse__too_short_refused),
		cmocka_unit_test(test_analyse__exactly_five_bytes_accepted),
		cmocka_unit_test(test_analyse__branch_edges_of_window),
		cmocka_unit_test(test_analyse__jump_to_window_start_accepted),
		cmocka_unit_test(test_analyse__every_branch_form_into_window_refused),
		cmocka_unit_test(test_analyse__branches_elsewhere_accepted),
		cmocka_unit_test(test_analyse__gcc_o2_prologues_accepted),
		cmocka_unit_test(test_analyse__gcc_os_loop_into_window_refused),
		cmocka_unit_test(test_analyse__undecodable_window_refused),
		cmocka_unit_test(test_analyse__undecodable_after_window_skipped),
		cmocka_unit_test(test_analyse__bad_arguments_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
