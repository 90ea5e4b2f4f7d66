// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/loader.c: lay a patch out, place it at BASE,
 * link it with a fake resolver, and check the image byte by byte.  Patches
 * are built in memory (fixtures/kpl_image.h) with real code poked into
 * their 32-byte .text, or read from build/it/spin_local.kpl (make passes
 * its path in KPL_TEST_SPIN_LOCAL).
 *
 * With a state area of STATE bytes (one page) the parts fall at
 *   0x0000 state R, 0x1000 text RX (.text, then 16-byte stubs),
 *   0x2000 const R (GOT slots and stub slots, 8 bytes each, in the order
 *   the relocations first name their symbols), 0x3000 data RW,
 * a part being left out when empty.  Expected fields are S + A - P
 * worked out by hand from that layout.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "fixtures/kpl_image.h"
#include "kpl/patch.h"
#include "loader.h"
#include "loader_fake.h"

/* Symbols added to the default spec (indexes 8..): undefined globals. */
enum { SYM_GVAR = TI_NR_SYMS, SYM_NEAR, SYM_WK, SYM_NR };

static void spec_init(struct ti_spec *s)
{
	ti_spec_default(s);
	s->syms[SYM_GVAR] =
		(struct ti_sym){ "gvar", STT_NOTYPE, STB_GLOBAL, SHN_UNDEF };
	s->syms[SYM_NEAR] =
		(struct ti_sym){ "near_fn", STT_NOTYPE, STB_GLOBAL, SHN_UNDEF };
	s->syms[SYM_WK] =
		(struct ti_sym){ "wk", STT_NOTYPE, STB_WEAK, SHN_UNDEF };
	s->nr_syms = SYM_NR;
	s->nr_relas = 0;
}

static void spec_rela(struct ti_spec *s, uint64_t off, uint32_t type,
		      uint32_t sym, int64_t addend)
{
	assert_true(s->nr_relas < TI_MAX);
	s->relas[s->nr_relas++] = (struct ti_rela){ off, type, sym, addend };
}

/* A patch built from @s, with @code (at most 32 bytes) at .text's start. */
struct fixture {
	struct ti_image im;
	struct kpl_patch *patch;
	struct kpl_load *ld;
};

static void fixture_layout(struct fixture *fx, const struct ti_spec *s,
			   const uint8_t *code, size_t len, size_t state)
{
	memset(fx, 0, sizeof(*fx));
	ti_build(s, &fx->im);
	assert_true(len <= fx->im.sh[TI_TEXT].sh_size);
	if (len)
		memcpy(ti_data(&fx->im, TI_TEXT), code, len);
	assert_int_equal(ti_parse(&fx->im, &fx->patch), 0);
	assert_int_equal(kpl_load__layout(fx->patch, state, &fx->ld), 0);
	fx->ld->base = BASE;
}

static int fixture_link(struct fixture *fx, struct fake *f)
{
	ti_log[0] = '\0';
	return kpl_load__link(fx->ld, fx->patch, fake_resolve, f);
}

static void fixture_free(struct fixture *fx)
{
	kpl_load__free(fx->ld);
	kpl_patch__free(fx->patch);
	ti_free(&fx->im);
}

/* The image at region offset @off (relative to BASE). */
static const uint8_t *at(const struct fixture *fx, uint64_t off)
{
	assert_true(off < fx->ld->size);
	return fx->ld->image + off;
}

static void assert_range(const struct kpl_load *ld, size_t i, uint64_t off,
			 uint64_t len, int prot)
{
	assert_int_equal(ld->ranges[i].off, off);
	assert_int_equal(ld->ranges[i].len, len);
	assert_int_equal(ld->ranges[i].prot, prot);
}

static void test_load_layout__ranges(void **state)
{
	struct fixture fx;
	struct ti_spec s;
	size_t i;

	(void)state;
	/* The default: a call to bar (a stub and its slot), .text, .data. */
	ti_spec_default(&s);
	fixture_layout(&fx, &s, NULL, 0, STATE);
	assert_ranges_sane(fx.ld);
	assert_int_equal(fx.ld->nr_ranges, 4);
	assert_range(fx.ld, 0, 0x0000, PAGE, PROT_READ);
	assert_range(fx.ld, 1, 0x1000, PAGE, PROT_READ | PROT_EXEC);
	assert_range(fx.ld, 2, 0x2000, PAGE, PROT_READ);
	assert_range(fx.ld, 3, 0x3000, PAGE, PROT_READ | PROT_WRITE);
	assert_int_equal(fx.ld->size, 0x4000);
	assert_int_equal(fx.ld->state_size, STATE);

	/* Only SHF_ALLOC sections are placed, each in its part. */
	for (i = 0; i < fx.patch->nr_sections; i++) {
		uint64_t want = UINT64_MAX;

		if (i == TI_TEXT)
			want = 0x1000;
		else if (i == TI_DATA)
			want = 0x3000;

		assert_int_equal(fx.ld->sec_off[i], want);
	}
	/* .text copied; the rest of the text part traps. */
	for (i = 0; i < 32; i++)
		assert_int_equal(at(&fx, 0x1000 + i)[0], 0x90);
	for (i = 32; i < PAGE; i++)
		assert_int_equal(at(&fx, 0x1000 + i)[0], 0xcc);
	for (i = 0; i < PAGE; i++)
		assert_int_equal(at(&fx, 0x3000 + i)[0], 0);
	fixture_free(&fx);

	/* A state area longer than a page pushes everything up a page. */
	fixture_layout(&fx, &s, NULL, 0, PAGE + 1);
	assert_ranges_sane(fx.ld);
	assert_range(fx.ld, 0, 0x0000, 2 * PAGE, PROT_READ);
	assert_range(fx.ld, 1, 0x2000, PAGE, PROT_READ | PROT_EXEC);
	assert_int_equal(fx.ld->sec_off[TI_TEXT], 0x2000);
	fixture_free(&fx);
}

/* Read-only data joins the GOT in the const part; nothing is writable. */
static void test_load_layout__rodata_read_only(void **state)
{
	/* clang-format off */
	static const uint8_t code[] = {
		0x8b, 0x05, 0, 0, 0, 0,		/* 00: mov counter(%rip),%eax */
		0xc3,				/* 06: ret */
	};
	static const uint8_t want[] = {
		/* 0x2000 + -4 - 0x1002 */
		0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00,
		0xc3,
	};
	/* clang-format on */
	struct fake f = { 0 };
	struct fixture fx;
	struct ti_spec s;
	size_t i;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 2, R_X86_64_PC32, TI_SYM_COUNTER, -4);
	ti_build(&s, &fx.im);
	fx.im.sh[TI_DATA].sh_flags = SHF_ALLOC; /* .data -> rodata */
	memcpy(ti_data(&fx.im, TI_TEXT), code, sizeof(code));
	assert_int_equal(ti_parse(&fx.im, &fx.patch), 0);
	assert_int_equal(kpl_load__layout(fx.patch, STATE, &fx.ld), 0);
	fx.ld->base = BASE;

	assert_ranges_sane(fx.ld);
	assert_int_equal(fx.ld->nr_ranges, 3);
	assert_range(fx.ld, 1, 0x1000, PAGE, PROT_READ | PROT_EXEC);
	assert_range(fx.ld, 2, 0x2000, PAGE, PROT_READ);
	assert_int_equal(fx.ld->sec_off[TI_DATA], 0x2000);
	for (i = 0; i < fx.ld->nr_ranges; i++)
		assert_false(fx.ld->ranges[i].prot & PROT_WRITE);

	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_memory_equal(at(&fx, 0x1000), want, sizeof(want));
	assert_int_equal(f.nr_asked, 0);
	fixture_free(&fx);
}

/* S + A (- P) against patch sections and a near undefined symbol. */
static void test_load_link__direct_relocs(void **state)
{
	static const struct fake_sym syms[] = {
		{ "skip_ws", BASE - 0x10000000 },
	};
	/* clang-format off */
	static const uint8_t code[32] = {
		0xe8, 0, 0, 0, 0,		/* 00: call helper */
		0x8b, 0x05, 0, 0, 0, 0,		/* 05: mov counter(%rip),%eax */
		0x03, 0x05, 0, 0, 0, 0,		/* 0b: add skip_ws(%rip),%eax */
		0xc3,				/* 11: ret */
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		[0x18] = 0, 0, 0, 0, 0, 0, 0, 0, /* 18: .quad counter+4 */
	};
	/*
	 * No stub, no GOT: no const part, .data at 0x2000.  helper is at
	 * .text+16 = 0x1010, counter at 0x2000, skip_ws at BASE-0x10000000.
	 */
	static const uint8_t want[32] = {
		0xe8, 0x0b, 0x00, 0x00, 0x00,	/* 0x1010 - 4 - 0x1001 */
		0x8b, 0x05, 0xf5, 0x0f, 0x00, 0x00, /* 0x2000 - 4 - 0x1007 */
		/* -0x10000000 - 4 - 0x100d = -0x10001011 */
		0x03, 0x05, 0xef, 0xef, 0xff, 0xef,
		0xc3,
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		/* BASE + 0x2000 + 4 */
		0x04, 0x20, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,
	};
	/* clang-format on */
	struct fake f = { syms, 1 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x01, R_X86_64_PLT32, TI_SYM_HELPER, -4);
	spec_rela(&s, 0x07, R_X86_64_PC32, TI_SYM_COUNTER, -4);
	spec_rela(&s, 0x0d, R_X86_64_PC32, TI_SYM_SKIP_WS, -4);
	spec_rela(&s, 0x18, R_X86_64_64, TI_SYM_COUNTER, 4);
	fixture_layout(&fx, &s, code, sizeof(code), STATE);
	assert_ranges_sane(fx.ld);
	assert_int_equal(fx.ld->nr_ranges, 3);
	assert_range(fx.ld, 2, 0x2000, PAGE, PROT_READ | PROT_WRITE);

	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_memory_equal(at(&fx, 0x1000), want, sizeof(want));
	/*
	 * Only symbols a relocation uses are resolved (not bar), each once,
	 * with the file the patch's .kpl.refs gives.
	 */
	assert_int_equal(f.nr_asked, 1);
	assert_asked(&f, "skip_ws", "entities.c");
	fixture_free(&fx);
}

/* Where the call at region offset @off goes: P + 4 + rel32. */
static uint64_t call_target(const struct fixture *fx, uint64_t off)
{
	int32_t rel;

	assert_int_equal(at(fx, off)[0], 0xe8);
	memcpy(&rel, at(fx, off + 1), sizeof(rel));
	return off + 5 + (uint64_t)(int64_t)rel;
}

static void test_load_link__far_call_through_stub(void **state)
{
	static const struct fake_sym syms[] = {
		{ "bar", BASE + 4 * GIB },
		{ "near_fn", BASE + GIB },
	};
	/* clang-format off */
	static const uint8_t code[] = {
		0xe8, 0, 0, 0, 0,		/* 00: call bar */
		0xe8, 0, 0, 0, 0,		/* 05: call near_fn */
		0xc3,				/* 0a: ret */
	};
	static const uint8_t want[] = {
		0xe8, 0x1b, 0x00, 0x00, 0x00,	/* stub 0x1020 - 4 - 0x1001 */
		/* near_fn in reach: direct, 0x40000000 - 4 - 0x1006 */
		0xe8, 0xf6, 0xef, 0xff, 0x3f,
		0xc3,
	};
	static const uint8_t want_stub[16] = {
		0xff, 0x25, 0xda, 0x0f, 0x00, 0x00, /* jmp *0x2000: 0x2000-0x1026 */
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc,	     /* int3 */
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
	};
	/* clang-format on */
	struct fake f = { syms, 2 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x01, R_X86_64_PLT32, TI_SYM_BAR, -4);
	spec_rela(&s, 0x06, R_X86_64_PLT32, SYM_NEAR, -4);
	fixture_layout(&fx, &s, code, sizeof(code), STATE);
	assert_ranges_sane(fx.ld);

	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_memory_equal(at(&fx, 0x1000), want, sizeof(want));
	/* bar's stub at 0x1020 jumps through its slot at 0x2000. */
	assert_memory_equal(at(&fx, 0x1020), want_stub, sizeof(want_stub));
	assert_int_equal(le64(at(&fx, 0x2000)), BASE + 4 * GIB);
	/* The same, followed rather than worked out. */
	assert_int_equal(range_of(fx.ld, call_target(&fx, 0x1000))->prot,
			 PROT_READ | PROT_EXEC);
	assert_int_equal(range_of(fx.ld, 0x2000)->prot, PROT_READ);
	assert_int_equal(call_target(&fx, 0x1005), GIB);
	fixture_free(&fx);
}

/* The call at 0x1000 to bar at @addr: direct, or via the stub at 0x1020. */
static void expect_call(uint64_t addr, bool direct)
{
	const struct fake_sym syms[] = { { "bar", addr } };
	/* clang-format off */
	static const uint8_t code[] = {
		0xe8, 0, 0, 0, 0,		/* 00: call bar */
	};
	/* clang-format on */
	struct fake f = { syms, 1 };
	struct fixture fx;
	struct ti_spec s;

	spec_init(&s);
	spec_rela(&s, 0x01, R_X86_64_PLT32, TI_SYM_BAR, -4);
	fixture_layout(&fx, &s, code, sizeof(code), STATE);
	assert_int_equal(fixture_link(&fx, &f), 0);
	if (direct)
		assert_int_equal(BASE + call_target(&fx, 0x1000), addr);
	else
		assert_int_equal(call_target(&fx, 0x1000), 0x1020);
	assert_int_equal(le64(at(&fx, 0x2000)), addr);
	fixture_free(&fx);
}

/* rel32 = S - 4 - P with P = BASE + 0x1001: its limits decide. */
static void test_load_link__stub_only_out_of_reach(void **state)
{
	const uint64_t p4 = BASE + 0x1001 + 4;

	(void)state;
	expect_call(p4 + INT32_MAX, true);
	expect_call(p4 + INT32_MAX + 1ull, false);
	expect_call(p4 - 0x80000000ull, true);
	expect_call(p4 - 0x80000001ull, false);
	expect_call(BASE - 3 * GIB, false);
}

static void test_load_link__got_slot(void **state)
{
	static const struct fake_sym syms[] = {
		{ "gvar", 0x7f1122334450 },
	};
	/* clang-format off */
	static const uint8_t code[32] = {
		0x48, 0x8b, 0x05, 0, 0, 0, 0,	/* 00: mov gvar@GOTPCREL(%rip),%rax */
		0x8b, 0x00,			/* 07: mov (%rax),%eax */
		0x48, 0x8b, 0x15, 0, 0, 0, 0,	/* 09: mov counter@GOTPCREL(%rip),%rdx */
		0x03, 0x02,			/* 10: add (%rdx),%eax */
		0x48, 0x8b, 0x15, 0, 0, 0, 0,	/* 12: mov gvar@GOTPCREL(%rip),%rdx */
		0x03, 0x02,			/* 19: add (%rdx),%eax */
		0xc3,				/* 1b: ret */
		0x90, 0x90, 0x90, 0x90,
	};
	/* GOT: gvar's slot at 0x2000, counter's at 0x2008; .data at 0x3000. */
	static const uint8_t want[32] = {
		0x48, 0x8b, 0x05, 0xf9, 0x0f, 0x00, 0x00, /* 0x2000-4-0x1003 */
		0x8b, 0x00,
		0x48, 0x8b, 0x15, 0xf8, 0x0f, 0x00, 0x00, /* 0x2008-4-0x100c */
		0x03, 0x02,
		0x48, 0x8b, 0x15, 0xe7, 0x0f, 0x00, 0x00, /* 0x2000-4-0x1015 */
		0x03, 0x02,
		0xc3,
		0x90, 0x90, 0x90, 0x90,
	};
	/* clang-format on */
	struct fake f = { syms, 1 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x03, R_X86_64_REX_GOTPCRELX, SYM_GVAR, -4);
	spec_rela(&s, 0x0c, R_X86_64_GOTPCREL, TI_SYM_COUNTER, -4);
	spec_rela(&s, 0x15, R_X86_64_REX_GOTPCRELX, SYM_GVAR, -4);
	fixture_layout(&fx, &s, code, sizeof(code), STATE);
	assert_ranges_sane(fx.ld);
	assert_range(fx.ld, 2, 0x2000, PAGE, PROT_READ);

	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_memory_equal(at(&fx, 0x1000), want, sizeof(want));
	assert_int_equal(le64(at(&fx, 0x2000)), 0x7f1122334450);
	/* A patch's own symbol through the GOT: its address in the region. */
	assert_int_equal(le64(at(&fx, 0x2008)), BASE + 0x3000);
	assert_int_equal(f.nr_asked, 1);
	assert_asked(&f, "gvar", "");
	fixture_free(&fx);
}

static void test_load_link__resolver_error_propagated(void **state)
{
	static const struct fake_sym not_found[] = {
		{ "bar", 0, -KPL_E_SYMBOL },
	};
	static const struct fake_sym io_error[] = {
		{ "bar", 0, -EIO },
	};
	struct fake f = { not_found, 1 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x01, R_X86_64_PLT32, TI_SYM_BAR, -4);
	fixture_layout(&fx, &s, NULL, 0, STATE);
	assert_int_equal(fixture_link(&fx, &f), -KPL_E_SYMBOL);
	assert_asked(&f, "bar", "");

	/* Whatever the resolver says is passed on, not replaced. */
	memset(&f, 0, sizeof(f));
	f.syms = io_error;
	f.nr_syms = 1;
	assert_int_equal(fixture_link(&fx, &f), -EIO);

	/* A name the resolver does not know at all. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fixture_link(&fx, &f), -KPL_E_SYMBOL);
	fixture_free(&fx);
}

static void test_load_link__weak_undefined_is_zero(void **state)
{
	/* clang-format off */
	static const uint8_t code[32] = {
		0x48, 0x8b, 0x05, 0, 0, 0, 0,	/* 00: mov wk@GOTPCREL(%rip),%rax */
		0x48, 0x85, 0xc0,		/* 07: test %rax,%rax */
		0x74, 0x05,			/* 0a: je 11 */
		0xe8, 0, 0, 0, 0,		/* 0c: call wk */
		0xc3,				/* 11: ret */
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		[0x18] = 0xff, 0xff, 0xff, 0xff, /* 18: .quad wk */
		0xff, 0xff, 0xff, 0xff,
	};
	/* wk: GOT slot 0x2000, stub 0x1020 with its slot at 0x2008. */
	static const uint8_t want[32] = {
		0x48, 0x8b, 0x05, 0xf9, 0x0f, 0x00, 0x00, /* 0x2000-4-0x1003 */
		0x48, 0x85, 0xc0,
		0x74, 0x05,
		0xe8, 0x0f, 0x00, 0x00, 0x00,	/* stub 0x1020 - 4 - 0x100d */
		0xc3,
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		0, 0, 0, 0, 0, 0, 0, 0,		/* 0 + 0 */
	};
	static const uint8_t want_stub[] = {
		0xff, 0x25, 0xe2, 0x0f, 0x00, 0x00, /* jmp *0x2008: 0x2008-0x1026 */
	};
	/* clang-format on */
	static const struct fake_sym found[] = { { "wk", BASE - GIB } };
	struct fake f = { 0 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x03, R_X86_64_REX_GOTPCRELX, SYM_WK, -4);
	spec_rela(&s, 0x0d, R_X86_64_PLT32, SYM_WK, -4);
	spec_rela(&s, 0x18, R_X86_64_64, SYM_WK, 0);
	fixture_layout(&fx, &s, code, sizeof(code), STATE);

	/* Not found: 0, and the null check in the code skips the call. */
	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_asked(&f, "wk", "");
	assert_memory_equal(at(&fx, 0x1000), want, sizeof(want));
	assert_memory_equal(at(&fx, 0x1020), want_stub, sizeof(want_stub));
	assert_int_equal(le64(at(&fx, 0x2000)), 0);
	assert_int_equal(le64(at(&fx, 0x2008)), 0);

	/* Found: a weak symbol is as good as any. */
	f = (struct fake){ found, 1 };
	assert_int_equal(fixture_link(&fx, &f), 0);
	assert_int_equal(le64(at(&fx, 0x2000)), BASE - GIB);
	assert_int_equal(le64(at(&fx, 0x1018)), BASE - GIB);
	assert_int_equal(BASE + call_target(&fx, 0x100c), BASE - GIB);
	fixture_free(&fx);
}

/* A PC32 has no stub to fall back on. */
static void test_load_link__direct_out_of_reach_refused(void **state)
{
	static const struct fake_sym syms[] = {
		{ "skip_ws", BASE + 3 * GIB },
	};
	struct fake f = { syms, 1 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x0c, R_X86_64_PC32, TI_SYM_SKIP_WS, -4);
	fixture_layout(&fx, &s, NULL, 0, STATE);
	assert_int_equal(fixture_link(&fx, &f), -KPL_E_RANGE);
	assert_non_null(strstr(ti_log, "R_X86_64_PC32"));
	assert_non_null(strstr(ti_log, "'skip_ws'"));
	assert_non_null(strstr(ti_log, "target out of reach"));
	/* The field was left alone. */
	assert_int_equal(le64(at(&fx, 0x100c)), 0x9090909090909090ull);
	fixture_free(&fx);
}

/* A symbol in a section the loader drops cannot be relocated against. */
static void test_load_link__dropped_section_refused(void **state)
{
	struct fake f = { 0 };
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	spec_rela(&s, 0x0c, R_X86_64_PC32, TI_SYM_COUNTER, -4);
	ti_build(&s, &fx.im);
	ti_rename(&fx.im, TI_DATA, ".note");
	assert_int_equal(ti_parse(&fx.im, &fx.patch), 0);
	assert_int_equal(kpl_load__layout(fx.patch, STATE, &fx.ld), 0);
	fx.ld->base = BASE;
	assert_int_equal(fx.ld->sec_off[TI_DATA], UINT64_MAX);
	assert_int_equal(fx.ld->nr_ranges, 2);
	assert_int_equal(fixture_link(&fx, &f), -KPL_E_RELOC);
	assert_non_null(strstr(ti_log, "dropped section"));
	assert_non_null(strstr(ti_log, "'counter'"));
	fixture_free(&fx);
}

static void test_load_sym_addr(void **state)
{
	struct fixture fx;
	struct ti_spec s;

	(void)state;
	spec_init(&s);
	fixture_layout(&fx, &s, NULL, 0, STATE);
	/* No relocations: text at 0x1000, data at 0x2000. */
	assert_int_equal(kpl_load__sym_addr(fx.ld, fx.patch, TI_SYM_FOO_FIXED),
			 BASE + 0x1000);
	assert_int_equal(kpl_load__sym_addr(fx.ld, fx.patch, TI_SYM_HELPER),
			 BASE + 0x1010);
	assert_int_equal(kpl_load__sym_addr(fx.ld, fx.patch, TI_SYM_COUNTER),
			 BASE + 0x2000);
	assert_int_equal(kpl_load__sym_addr(fx.ld, fx.patch, TI_SYM_BAR), 0);
	fixture_free(&fx);
}
static void test_load_free__null(void **state)
{
	(void)state;
	kpl_load__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_layout__ranges),
		cmocka_unit_test(test_load_layout__rodata_read_only),
		cmocka_unit_test(test_load_link__direct_relocs),
		cmocka_unit_test(test_load_link__far_call_through_stub),
		cmocka_unit_test(test_load_link__stub_only_out_of_reach),
		cmocka_unit_test(test_load_link__got_slot),
		cmocka_unit_test(test_load_link__resolver_error_propagated),
		cmocka_unit_test(test_load_link__weak_undefined_is_zero),
		cmocka_unit_test(test_load_link__direct_out_of_reach_refused),
		cmocka_unit_test(test_load_link__dropped_section_refused),
		cmocka_unit_test(test_load_sym_addr),
		cmocka_unit_test(test_load_free__null),
	};

	return cmocka_run_group_tests(tests, ti_setup, NULL);
}
