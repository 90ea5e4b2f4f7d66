// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/arch/x86_64.c's jumps, stubs and
 * relocations: input bytes and expected bytes, with the assembly beside
 * each line.  Code is placed as if it lived at FN_ADDR.  The entry
 * analysis is in test_arch_x86_64_analyse.c, the registers in
 * test_arch_x86_64_regs.c.
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
/* |INT32_MIN| and INT32_MAX as unsigned, for address arithmetic. */
#define I32MIN 0x80000000ULL
#define I32MAX ((uint64_t)INT32_MAX)

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
		cmocka_unit_test(test_encode_jump__forward_and_backward),
		cmocka_unit_test(test_encode_jump__int32_limits),
		cmocka_unit_test(test_encode_stub__rip_indirect),
		cmocka_unit_test(test_reloc_apply__values_and_overflow),
		cmocka_unit_test(test_reloc_apply__gotpcrelx_not_relaxed),
		cmocka_unit_test(test_reloc_apply__room_too_small_refused),
		cmocka_unit_test(test_reloc_kind__supported_types),
		cmocka_unit_test(test_reloc_kind__unsupported_refused),
		cmocka_unit_test(test_dynrel__imports_and_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
