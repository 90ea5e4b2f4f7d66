// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/patch_unwind.c: kpl_patch__scan_unwind() on
 * a patch made in memory, one function and its unwind entry as g++
 * writes them, with the pieces a handler needs (the FDE, its LSDA
 * pointer, the CIE's personality) taken away one at a time.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eh_frame_plr.h"
#include "kpl/errors.h"
#include "patch.h"

/* x86-64 code of the function: the call at +1, its field at +2. */
static const uint8_t code_call[] = {
	0x90,				/* nop */
	0xe8, 0x00, 0x00, 0x00, 0x00,	/* call callee (relocated) */
	0xc3,				/* ret */
};

static const uint8_t code_indirect[] = {
	0x90,		/* nop */
	0xff, 0xd0,	/* call *%rax */
	0xc3,		/* ret */
};

enum { SEC_TEXT = 1, SEC_EH, SEC_LSDA, NR_SECS };
enum { SYM_F = 1, SYM_CALLEE, SYM_TEXT, SYM_LSDA, SYM_PERS, NR_SYMS };

struct fixture {
	struct kpl_patch p;
	struct kpl_patch_section secs[NR_SECS];
	struct kpl_patch_symbol syms[NR_SYMS];
	struct kpl_patch_reloc relocs[4];
	uint8_t lsda[8];
};

/*
 * Function @fname calls @callee (NULL: through a pointer); with @fde the
 * patch has its unwind entry (scan() sets its range), with its LSDA
 * (@lsda) and the CIE's personality (@pers) relocated.
 */
static void make(struct fixture *f, const char *fname, const char *callee,
		 bool fde, bool lsda, bool pers)
{
	struct kpl_patch_reloc *r = f->relocs;

	memset(f, 0, sizeof(*f));
	f->secs[SEC_TEXT] = (struct kpl_patch_section){
		.name = ".text.f", .type = SHT_PROGBITS,
		.flags = SHF_ALLOC | SHF_EXECINSTR, .align = 16,
		.data = callee ? code_call : code_indirect,
		.size = callee ? sizeof(code_call) : sizeof(code_indirect),
	};
	f->secs[SEC_EH] = (struct kpl_patch_section){
		.name = fde ? ".eh_frame" : ".rodata", .type = SHT_PROGBITS,
		.flags = SHF_ALLOC, .align = 8, .data = eh_frame_plr,
		.size = sizeof(eh_frame_plr),
	};
	f->secs[SEC_LSDA] = (struct kpl_patch_section){
		.name = ".gcc_except_table.f", .type = SHT_PROGBITS,
		.flags = SHF_ALLOC, .align = 4, .data = f->lsda,
		.size = sizeof(f->lsda),
	};
	f->syms[SYM_F] = (struct kpl_patch_symbol){
		.name = fname, .type = STT_FUNC, .bind = STB_GLOBAL,
		.shndx = SEC_TEXT, .size = f->secs[SEC_TEXT].size,
	};
	f->syms[SYM_CALLEE] = (struct kpl_patch_symbol){
		.name = callee ? callee : "", .bind = STB_GLOBAL,
	};
	f->syms[SYM_TEXT] = (struct kpl_patch_symbol){
		.name = "", .type = STT_SECTION, .shndx = SEC_TEXT,
	};
	f->syms[SYM_LSDA] = (struct kpl_patch_symbol){
		.name = "", .type = STT_SECTION, .shndx = SEC_LSDA,
	};
	f->syms[SYM_PERS] = (struct kpl_patch_symbol){
		/* The name alone makes a patch C++ (is_cxx()). */
		.name = pers ? "__gxx_personality_v0" : "",
		.bind = STB_GLOBAL,
	};
	if (callee)
		*r++ = (struct kpl_patch_reloc){ .section = SEC_TEXT,
						 .type = R_X86_64_PLT32,
						 .sym = SYM_CALLEE, .offset = 2,
						 .addend = -4 };
	*r++ = (struct kpl_patch_reloc){ .section = SEC_EH,
					 .type = R_X86_64_PC32,
					 .sym = SYM_TEXT,
					 .offset = EH_PLR_PC_AT };
	if (lsda)
		*r++ = (struct kpl_patch_reloc){ .section = SEC_EH,
						 .type = R_X86_64_PC32,
						 .sym = SYM_LSDA,
						 .offset = EH_PLR_LSDA_AT };
	if (pers)
		*r++ = (struct kpl_patch_reloc){ .section = SEC_EH,
						 .type = R_X86_64_PC32,
						 .sym = SYM_PERS,
						 .offset = EH_PLR_PERS_AT };
	f->p.sections = f->secs;
	f->p.nr_sections = NR_SECS;
	f->p.symbols = f->syms;
	f->p.nr_symbols = NR_SYMS;
	f->p.relocs = f->relocs;
	f->p.nr_relocs = (size_t)(r - f->relocs);
}

/* scan() with the FDE covering @range bytes: a copy of the table. */
static int scan(struct fixture *f, uint32_t range, bool *unwinds)
{
	static uint8_t t[sizeof(eh_frame_plr)];

	memcpy(t, eh_frame_plr, sizeof(t));
	memcpy(t + EH_PLR_RANGE_AT, &range, sizeof(range));
	f->secs[SEC_EH].data = t;
	*unwinds = false;
	return kpl_patch__scan_unwind(&f->p, unwinds);
}

static void test_unwind__cxx_call_needs_an_fde(void **state)
{
	struct fixture f;
	bool unwinds;

	(void)state;
	make(&f, "_Z1fv", "_Z3foov", false, true, true);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "_Z1fv", "_Z3foov", true, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_true(unwinds);
}

static void test_unwind__the_fde_must_cover_the_call(void **state)
{
	struct fixture f;
	bool unwinds;

	(void)state;
	/* [0, 1) holds the nop only; the call is at +1. */
	make(&f, "_Z1fv", "_Z3foov", true, true, true);
	assert_int_equal(scan(&f, 1, &unwinds), -KPL_E_UNWIND);
	assert_int_equal(scan(&f, 2, &unwinds), 0);
	assert_true(unwinds);
}

static void test_unwind__a_handler_needs_lsda_and_personality(void **state)
{
	struct fixture f;
	bool unwinds;

	(void)state;
	make(&f, "_Z1fv", "__cxa_begin_catch", true, false, true);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "_Z1fv", "__cxa_begin_catch", true, true, false);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "_Z1fv", "_Unwind_Resume", true, true, false);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "_Z1fv", "__cxa_begin_catch", true, true, true);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_true(unwinds);
}

static void test_unwind__a_throw_needs_its_fde_only(void **state)
{
	struct fixture f;
	bool unwinds;

	(void)state;
	make(&f, "f", "__cxa_throw", false, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "f", "__cxa_throw", true, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_true(unwinds);
}

static void test_unwind__c_code_needs_nothing(void **state)
{
	struct fixture f;
	bool unwinds;

	(void)state;
	/* A C function calling C or through a pointer: no table needed. */
	make(&f, "f", "memcpy", false, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_false(unwinds);
	make(&f, "f", NULL, false, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_false(unwinds);
	/* The same indirect call in C++ needs the FDE. */
	make(&f, "_Z1fv", NULL, false, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), -KPL_E_UNWIND);
	make(&f, "_Z1fv", NULL, true, false, false);
	assert_int_equal(scan(&f, 7, &unwinds), 0);
	assert_true(unwinds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwind__cxx_call_needs_an_fde),
		cmocka_unit_test(test_unwind__the_fde_must_cover_the_call),
		cmocka_unit_test(test_unwind__a_handler_needs_lsda_and_personality),
		cmocka_unit_test(test_unwind__a_throw_needs_its_fde_only),
		cmocka_unit_test(test_unwind__c_code_needs_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
