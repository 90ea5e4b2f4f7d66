// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/arch/x86_64.c: input bytes and expected
 * bytes, with the assembly beside each line.  Offsets in the comments are
 * from the function's first byte; every function is analysed as if it
 * lived at FN_ADDR.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include <cmocka.h>

#include "arch.h"
#include "kpl/errors.h"

#define FN_ADDR 0x7f1234561000ULL
/* |INT32_MIN| and INT32_MAX as unsigned, for address arithmetic. */
#define I32MIN 0x80000000ULL
#define I32MAX ((uint64_t)INT32_MAX)

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

static void check_encode(int (*enc)(uint64_t, uint64_t, uint8_t *, size_t *),
			 uint64_t from, uint64_t to, const uint8_t *want,
			 size_t want_len)
{
	uint8_t buf[KPL_ARCH_JUMP_MAX];
	size_t len = 0;

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(enc(from, to, buf, &len), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(buf[want_len], 0xaa);
}

static void check_encode_erange(int (*enc)(uint64_t, uint64_t, uint8_t *,
					   size_t *),
				uint64_t from, uint64_t to)
{
	uint8_t buf[KPL_ARCH_JUMP_MAX], orig[KPL_ARCH_JUMP_MAX];
	size_t len = 77;

	memset(buf, 0xaa, sizeof(buf));
	memcpy(orig, buf, sizeof(buf));
	assert_int_equal(enc(from, to, buf, &len), -ERANGE);
	assert_int_equal(len, 77);
	assert_memory_equal(buf, orig, sizeof(buf));
}

static void test_encode_jump__forward_and_backward(void **state)
{
	static const uint8_t fwd[] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 };
	static const uint8_t back[] = { 0xe9, 0xfb, 0xef, 0xff, 0xff };
	static const uint8_t self[] = { 0xe9, 0xfb, 0xff, 0xff, 0xff };
	static const uint8_t next[] = { 0xe9, 0x00, 0x00, 0x00, 0x00 };

	(void)state;
	check_encode(kpl_arch_encode_jump, 0x1000, 0x2000, fwd, 5); /* jmp +0xffb */
	check_encode(kpl_arch_encode_jump, 0x2000, 0x1000, back, 5); /* jmp -0x1005 */
	check_encode(kpl_arch_encode_jump, FN_ADDR, FN_ADDR, self, 5); /* jmp . */
	check_encode(kpl_arch_encode_jump, FN_ADDR, FN_ADDR + 5, next, 5);
}

static void test_encode_jump__int32_limits(void **state)
{
	static const uint8_t max[] = { 0xe9, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t min[] = { 0xe9, 0x00, 0x00, 0x00, 0x80 };
	const uint64_t end = FN_ADDR + 5;

	(void)state;
	check_encode(kpl_arch_encode_jump, FN_ADDR, end + I32MAX, max, 5);
	check_encode(kpl_arch_encode_jump, FN_ADDR, end - I32MIN, min, 5);
	check_encode_erange(kpl_arch_encode_jump, FN_ADDR,
			    end + I32MAX + 1);
	check_encode_erange(kpl_arch_encode_jump, FN_ADDR,
			    end - I32MIN - 1);
	/* A library and a heap mapping terabytes apart. */
	check_encode_erange(kpl_arch_encode_jump, 0x7f0000000000ULL,
			    0x560000001000ULL);
}

static void test_encode_stub__rip_indirect(void **state)
{
	static const uint8_t fwd[] = { 0xff, 0x25, 0xfa, 0x0f, 0x00, 0x00 };
	static const uint8_t back[] = { 0xff, 0x25, 0xf2, 0xff, 0xff, 0xff };
	static const uint8_t max[] = { 0xff, 0x25, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t min[] = { 0xff, 0x25, 0x00, 0x00, 0x00, 0x80 };
	const uint64_t end = FN_ADDR + 6;

	(void)state;
	/* jmp *0xffa(%rip): the slot right after a 4 KiB stub page. */
	check_encode(kpl_arch_encode_stub, 0x1000, 0x2000, fwd, 6);
	/* jmp *-0xe(%rip): the slot 8 bytes before the stub. */
	check_encode(kpl_arch_encode_stub, 0x1008, 0x1000, back, 6);
	check_encode(kpl_arch_encode_stub, FN_ADDR, end + I32MAX, max, 6);
	check_encode(kpl_arch_encode_stub, FN_ADDR, end - I32MIN, min, 6);
	check_encode_erange(kpl_arch_encode_stub, FN_ADDR,
			    end + I32MAX + 1);
	check_encode_erange(kpl_arch_encode_stub, FN_ADDR, end - I32MIN - 1);
	assert_true(6 <= KPL_ARCH_STUB_MAX);
}

/*
 * Relocation cases: the field is written at an odd offset of a buffer
 * filled with 0xaa, so a misaligned store or a byte outside the field
 * shows.  @err 0 means @want holds the field's bytes.
 */
struct reloc_case {
	uint32_t type;
	uint64_t P, S;
	int64_t A;
	int err;
	uint8_t want[8];
};

static const struct reloc_case reloc_cases[] = {
	/* R_X86_64_64: S + A */
	{ R_X86_64_64, 0, 0x1122334455667788, 0x10, 0,
	  { 0x98, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 } },
	{ R_X86_64_64, 0, 0x1000, -0x1001, 0,		/* wraps to -1 */
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	/* R_X86_64_PC32: S + A - P, signed 32 */
	{ R_X86_64_PC32, 0x1000, 0x2000, -4, 0, { 0xfc, 0x0f, 0x00, 0x00 } },
	{ R_X86_64_PC32, 0x2000, 0x1000, -4, 0, { 0xfc, 0xef, 0xff, 0xff } },
	{ R_X86_64_PC32, 0x1000, 0x1004 + I32MAX, -4, 0,	/* INT32_MAX */
	  { 0xff, 0xff, 0xff, 0x7f } },
	{ R_X86_64_PC32, 0x1000, 0x1005 + I32MAX, -4, -ERANGE },
	{ R_X86_64_PC32, 0x80001000, 0x1004, -4, 0,		/* INT32_MIN */
	  { 0x00, 0x00, 0x00, 0x80 } },
	{ R_X86_64_PC32, 0x80001000, 0x1003, -4, -ERANGE },
	{ R_X86_64_PC32, 0x7f0000000000, 0x1000, 0, -ERANGE },
	/* R_X86_64_PLT32: call memcpy at conn_append+0x21, A = -4 */
	{ R_X86_64_PLT32, 0x7f0000001022, 0x7f0000101000, -4, 0,
	  { 0xda, 0xff, 0x0f, 0x00 } },
	{ R_X86_64_PLT32, 0x1000, 0x1004 + I32MAX, -4, 0,
	  { 0xff, 0xff, 0xff, 0x7f } },
	{ R_X86_64_PLT32, 0x1000, 0x1005 + I32MAX, -4, -ERANGE },
	{ R_X86_64_PLT32, 0x80001000, 0x1003, -4, -ERANGE },
	/* GOT kinds: S is the GOT slot; S + A - P, signed 32 */
	{ R_X86_64_GOTPCREL, 0x1003, 0x3000, -4, 0, { 0xf9, 0x1f, 0x00, 0x00 } },
	{ R_X86_64_GOTPCREL, 0x1000, 0x1005 + I32MAX, -4, -ERANGE },
	{ R_X86_64_GOTPCRELX, 0x1003, 0x3000, -4, 0, { 0xf9, 0x1f, 0x00, 0x00 } },
	{ R_X86_64_GOTPCRELX, 0x1000, 0x1004 + I32MAX, -4, 0,
	  { 0xff, 0xff, 0xff, 0x7f } },
	{ R_X86_64_GOTPCRELX, 0x1000, 0x1005 + I32MAX, -4, -ERANGE },
	{ R_X86_64_REX_GOTPCRELX, 0x1003, 0x3000, -4, 0,
	  { 0xf9, 0x1f, 0x00, 0x00 } },
	{ R_X86_64_REX_GOTPCRELX, 0x80001000, 0x1004, -4, 0,
	  { 0x00, 0x00, 0x00, 0x80 } },
	{ R_X86_64_REX_GOTPCRELX, 0x80001000, 0x1003, -4, -ERANGE },
	/* R_X86_64_32: S + A, zero-extended 32 */
	{ R_X86_64_32, 0, 0xfffffff0, 0xf, 0, { 0xff, 0xff, 0xff, 0xff } },
	{ R_X86_64_32, 0, 0xfffffff0, 0x10, -ERANGE },
	{ R_X86_64_32, 0, 0x10, -0x10, 0, { 0x00, 0x00, 0x00, 0x00 } },
	{ R_X86_64_32, 0, 0x10, -0x11, -ERANGE },		/* negative */
	/* R_X86_64_32S: S + A, sign-extended 32 */
	{ R_X86_64_32S, 0, I32MAX, 0, 0, { 0xff, 0xff, 0xff, 0x7f } },
	{ R_X86_64_32S, 0, I32MAX, 1, -ERANGE },
	{ R_X86_64_32S, 0, 0xffffffff80000000, 0, 0, { 0x00, 0x00, 0x00, 0x80 } },
	{ R_X86_64_32S, 0, 0xffffffff80000000, -1, -ERANGE },
	/* R_X86_64_PC64: S + A - P, 64 */
	{ R_X86_64_PC64, 0x7f0000000000, 0x1000, 0, 0,
	  { 0x00, 0x10, 0x00, 0x00, 0x00, 0x81, 0xff, 0xff } },
	{ R_X86_64_PC64, 0x1000, 0x7f0000002000, -0x1000, 0,
	  { 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00 } },
	/* R_X86_64_NONE: nothing */
	{ R_X86_64_NONE, 0x1000, 0x2000, 4, 0 },
};

static void test_reloc_apply__values_and_overflow(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reloc_cases) / sizeof(reloc_cases[0]); i++) {
		const struct reloc_case *c = &reloc_cases[i];
		size_t n = kpl_arch_reloc_size(c->type);
		uint8_t buf[1 + 8 + 1], want[sizeof(buf)];
		int err;

		memset(buf, 0xaa, sizeof(buf));
		memcpy(want, buf, sizeof(buf));
		err = kpl_arch_reloc_apply(c->type, buf + 1, 8, c->P, c->S,
					   c->A);
		if (!c->err)
			memcpy(want + 1, c->want, n);
		if (err != c->err || memcmp(buf, want, sizeof(buf)))
			print_message("case %zu (%s) fails\n", i,
				      kpl_arch_reloc_name(c->type));
		assert_int_equal(err, c->err);
		assert_memory_equal(buf, want, sizeof(buf));
	}
}

static void test_reloc_apply__gotpcrelx_not_relaxed(void **state)
{
	uint8_t insn[] = {
		0x48, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00, /* mov 0(%rip),%rax */
	};
	static const uint8_t want[] = {
		0x48, 0x8b, 0x05, 0xf9, 0x1f, 0x00, 0x00, /* mov 0x1ff9(%rip),%rax */
	};

	(void)state;
	/* A relaxing linker would turn mov into lea (0x8d); we must not. */
	assert_int_equal(kpl_arch_reloc_apply(R_X86_64_REX_GOTPCRELX, insn + 3,
					      4, 0x1003, 0x3000, -4), 0);
	assert_memory_equal(insn, want, sizeof(want));
}

static void test_reloc_apply__room_too_small_refused(void **state)
{
	static const uint32_t types[] = {
		R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_32,
		R_X86_64_32S, R_X86_64_PC64, R_X86_64_GOTPCREL,
		R_X86_64_GOTPCRELX, R_X86_64_REX_GOTPCRELX,
	};
	uint8_t buf[8], orig[8];
	uint8_t *exact;
	size_t i, n;

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	memcpy(orig, buf, sizeof(buf));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = kpl_arch_reloc_size(types[i]);
		assert_int_equal(kpl_arch_reloc_apply(types[i], buf, n - 1,
						      0x1000, 0x1000, 0),
				 -KPL_E_RELOC);
		assert_memory_equal(buf, orig, sizeof(buf));
		/* Exactly @room bytes: ASan catches a store past them. */
		exact = malloc(n);
		assert_non_null(exact);
		assert_int_equal(kpl_arch_reloc_apply(types[i], exact, n,
						      0x1000, 0x1000, 0), 0);
		free(exact);
	}
	/* R_X86_64_NONE writes nothing and needs no room. */
	assert_int_equal(kpl_arch_reloc_apply(R_X86_64_NONE, NULL, 0, 1, 2, 3),
			 0);
}

static void test_reloc_kind__supported_types(void **state)
{
	static const struct {
		uint32_t type;
		enum kpl_arch_reloc_kind kind;
		size_t size;
		const char *name;
	} cases[] = {
#define T(t, k, s) { t, KPL_RELOC_##k, s, #t }
		T(R_X86_64_NONE, DIRECT, 0),
		T(R_X86_64_64, DIRECT, 8),
		T(R_X86_64_PC32, DIRECT, 4),
		T(R_X86_64_PLT32, CALL, 4),
		T(R_X86_64_32, DIRECT, 4),
		T(R_X86_64_32S, DIRECT, 4),
		T(R_X86_64_PC64, DIRECT, 8),
		T(R_X86_64_GOTPCREL, GOT, 4),
		T(R_X86_64_GOTPCRELX, GOT, 4),
		T(R_X86_64_REX_GOTPCRELX, GOT, 4),
		T(R_X86_64_TLSGD, TLS_GD, 4),
		T(R_X86_64_TLSLD, TLS_LD, 4),
		T(R_X86_64_GOTTPOFF, TLS_IE, 4),
		T(R_X86_64_DTPOFF32, TLS_OFF, 4),
		T(R_X86_64_DTPOFF64, TLS_OFF, 8),
#undef T
	};
	enum kpl_arch_reloc_kind kind;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kind = (enum kpl_arch_reloc_kind)-1;
		assert_int_equal(kpl_arch_reloc_kind(cases[i].type, &kind), 0);
		assert_int_equal(kind, cases[i].kind);
		assert_int_equal(kpl_arch_reloc_size(cases[i].type),
				 cases[i].size);
		assert_string_equal(kpl_arch_reloc_name(cases[i].type),
				    cases[i].name);
	}
}

/* libdw numbers x86-64 registers rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * r8..r15, then rip: each must land in its own column. */
static void test_regs__accessors_and_dwarf_order(void **state)
{
	struct user_regs_struct r;
	uint64_t dw[KPL_ARCH_DWARF_REGS];
	const uint64_t want[KPL_ARCH_DWARF_REGS] = {
		1, 4, 3, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
	};
	size_t i;

	(void)state;
	memset(&r, 0xff, sizeof(r));
	r.rax = 1, r.rbx = 2, r.rcx = 3, r.rdx = 4, r.rsi = 5, r.rdi = 6;
	r.rbp = 7, r.rsp = 8, r.r8 = 9, r.r9 = 10, r.r10 = 11, r.r11 = 12;
	r.r12 = 13, r.r13 = 14, r.r14 = 15, r.r15 = 16, r.rip = 17;
	kpl_arch_dwarf_regs(&r, dw);
	for (i = 0; i < KPL_ARCH_DWARF_REGS; i++)
		assert_int_equal(dw[i], want[i]);
	assert_int_equal(kpl_arch_regs_pc(&r), 17);
	assert_int_equal(kpl_arch_regs_sp(&r), 8);
	assert_int_equal(kpl_arch_regs_fp(&r), 7);
}

/* The stub a call into the target returns through (arch.h). */
static void test_mark_stub__bytes(void **state)
{
	static const uint8_t want[] = {
		0xc6, 0x03, 0x01,	/* movb $1, (%rbx) */
		0xc3,			/* ret */
	};
	uint8_t buf[KPL_ARCH_MARK_STUB_LEN + 1];

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	kpl_arch_mark_stub(buf);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[KPL_ARCH_MARK_STUB_LEN], 0xcc);
}

static void test_call_regs__abi_and_mark(void **state)
{
	const uint64_t a[6] = { 11, 12, 13, 14, 15, 16 };
	struct user_regs_struct r, o;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	r.eflags = 0x746;	/* TF, DF, IF, ZF, PF */
	r.orig_rax = 7;
	/* At a call's entry the return address is 8 past a 16-byte line. */
	assert_int_equal(kpl_arch_call_regs(&r, &o, 0x1000, 0x7ff0, a, 0x99),
			 -EINVAL);
	assert_int_equal(kpl_arch_call_regs(&r, &o, 0x1000, 0x7ff8, a, 0x99),
			 0);
	assert_int_equal(o.rip, 0x1000);
	assert_int_equal(o.rsp, 0x7ff8);
	assert_int_equal(o.rdi, 11);
	assert_int_equal(o.rsi, 12);
	assert_int_equal(o.rdx, 13);
	assert_int_equal(o.rcx, 14);
	assert_int_equal(o.r8, 15);
	assert_int_equal(o.r9, 16);
	assert_int_equal(o.rbx, 0x99);
	assert_int_equal(o.rax, 0);
	assert_int_equal(o.orig_rax, (uint64_t)-1);
	assert_int_equal(o.eflags, 0x246);
	/* The rest is the thread's own. */
	assert_int_equal(o.r12, r.r12);
	assert_int_equal(o.rbp, r.rbp);
	assert_int_equal(o.fs_base, r.fs_base);
}

static void test_reloc_kind__unsupported_refused(void **state)
{
	static const uint32_t types[] = {
		R_X86_64_GOT32, R_X86_64_COPY, R_X86_64_GLOB_DAT,
		R_X86_64_JUMP_SLOT, R_X86_64_RELATIVE, R_X86_64_16,
		R_X86_64_PC8, R_X86_64_DTPMOD64, R_X86_64_TPOFF64,
		R_X86_64_TPOFF32, R_X86_64_GOTPC32_TLSDESC,
		R_X86_64_TLSDESC_CALL, R_X86_64_GOTOFF64, R_X86_64_GOTPC32,
		R_X86_64_SIZE32, R_X86_64_TLSDESC, R_X86_64_IRELATIVE,
		39, R_X86_64_NUM, 0x7fffffff, UINT32_MAX,
	};
	enum kpl_arch_reloc_kind kind = KPL_RELOC_GOT;
	uint8_t buf[8] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(kpl_arch_reloc_kind(types[i], &kind),
				 -KPL_E_RELOC);
		assert_int_equal(kind, KPL_RELOC_GOT);
		assert_int_equal(kpl_arch_reloc_size(types[i]), 0);
		assert_int_equal(kpl_arch_reloc_apply(types[i], buf, 8, 0, 0, 0),
				 -KPL_E_RELOC);
		assert_non_null(kpl_arch_reloc_name(types[i]));
	}
	/* Known types are named even when unsupported, for the message. */
	assert_string_equal(kpl_arch_reloc_name(R_X86_64_TPOFF32),
			    "R_X86_64_TPOFF32");
	assert_string_equal(kpl_arch_reloc_name(39), "R_X86_64_<unknown>");
	assert_string_equal(kpl_arch_reloc_name(UINT32_MAX),
			    "R_X86_64_<unknown>");
}

/* The dynamic relocations elfobj.c reads a library's imports and TLS by. */
static void test_dynrel__imports_and_tls(void **state)
{
	static const struct {
		uint32_t type;
		enum kpl_arch_dynrel kind;
	} cases[] = {
		{ R_X86_64_GLOB_DAT, KPL_DYNREL_IMPORT },
		{ R_X86_64_JUMP_SLOT, KPL_DYNREL_IMPORT },
		{ R_X86_64_DTPMOD64, KPL_DYNREL_TLS_MODID },
		{ R_X86_64_TPOFF64, KPL_DYNREL_TLS_TPOFF },
		{ R_X86_64_RELATIVE, KPL_DYNREL_OTHER },
		{ R_X86_64_64, KPL_DYNREL_OTHER },
		{ R_X86_64_IRELATIVE, KPL_DYNREL_OTHER },
		{ R_X86_64_DTPOFF64, KPL_DYNREL_OTHER },
		{ UINT32_MAX, KPL_DYNREL_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(kpl_arch_dynrel(cases[i].type), cases[i].kind);
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
		cmocka_unit_test(test_encode_jump__forward_and_backward),
		cmocka_unit_test(test_encode_jump__int32_limits),
		cmocka_unit_test(test_encode_stub__rip_indirect),
		cmocka_unit_test(test_reloc_apply__values_and_overflow),
		cmocka_unit_test(test_reloc_apply__gotpcrelx_not_relaxed),
		cmocka_unit_test(test_reloc_apply__room_too_small_refused),
		cmocka_unit_test(test_reloc_kind__supported_types),
		cmocka_unit_test(test_reloc_kind__unsupported_refused),
		cmocka_unit_test(test_dynrel__imports_and_tls),
		cmocka_unit_test(test_regs__accessors_and_dwarf_order),
		cmocka_unit_test(test_mark_stub__bytes),
		cmocka_unit_test(test_call_regs__abi_and_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
