// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF layer of the patch parser (patch_elf.c): header, section
 * headers, symbols and relocations.  Each case breaks one thing in an
 * otherwise valid image and checks the error and the message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures/kpl_image.h"

static void test_elf__bad_magic(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.buf[1] = 'e';
	ti_expect(&im, -KPL_E_FORMAT, "not an ELF file");
	ti_free(&im);
}

static void test_elf__wrong_class(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_ident[EI_CLASS] = ELFCLASS32;
	ti_expect(&im, -KPL_E_FORMAT, "not an ELF64 file (class 1)");
	ti_free(&im);
}

static void test_elf__big_endian(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	ti_expect(&im, -KPL_E_FORMAT, "not little-endian");
	ti_free(&im);
}

static void test_elf__wrong_version(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_version = 2;
	ti_expect(&im, -KPL_E_FORMAT, "unsupported ELF version 1/2");
	ti_free(&im);
}

static void test_elf__wrong_machine(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_machine = EM_AARCH64;
	ti_expect(&im, -KPL_E_FORMAT, "not an x86-64 object (machine 183)");
	ti_free(&im);
}

static void test_elf__wrong_type(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_type = ET_DYN;
	ti_expect(&im, -KPL_E_FORMAT, "not a relocatable object (ELF type 3)");
	ti_free(&im);
}

static void test_elf__section_headers_past_eof(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_shoff += 8;
	ti_expect(&im, -KPL_E_FORMAT, "section headers");
	/* off + size must not wrap around. */
	im.eh->e_shoff = UINT64_MAX - 64;
	ti_expect(&im, -KPL_E_FORMAT, "past end of file");
	ti_free(&im);
}

static void test_elf__bad_shnum_or_shstrndx(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.eh->e_shnum = 0;
	ti_expect(&im, -KPL_E_FORMAT, "unsupported number of sections (0)");
	im.eh->e_shnum = TI_NR;
	im.eh->e_shstrndx = TI_NR;
	ti_expect(&im, -KPL_E_FORMAT,
		  "section name table index 14 out of range");
	im.eh->e_shstrndx = SHN_XINDEX;
	ti_expect(&im, -KPL_E_FORMAT, "out of range");
	im.eh->e_shstrndx = TI_TEXT;
	ti_expect(&im, -KPL_E_FORMAT, "is not a string table");
	ti_free(&im);
}

static void test_elf__section_offset_past_eof(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_DATA].sh_offset = im.size - 4;
	ti_expect(&im, -KPL_E_FORMAT, "section 3 (.data): data (offset 0x");
	im.sh[TI_DATA].sh_offset = UINT64_MAX - 2;
	ti_expect(&im, -KPL_E_FORMAT, "past end of file");
	im.sh[TI_DATA].sh_offset = 64;
	im.sh[TI_DATA].sh_size = UINT64_MAX;
	ti_expect(&im, -KPL_E_FORMAT, "past end of file");
	/* NOBITS occupies no file space: any size is fine. */
	im.sh[TI_DATA].sh_type = SHT_NOBITS;
	im.sh[TI_DATA].sh_size = 1 << 20;
	ti_expect(&im, 0, NULL);
	/* But relocations need bytes to patch. */
	im.sh[TI_RELA].sh_info = TI_DATA;
	ti_expect(&im, -KPL_E_FORMAT, "target section .data has no data");
	ti_free(&im);
}

static void test_elf__section_name_out_of_bounds(void **state)
{
	struct ti_image im;
	char *names;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_DATA].sh_name = (uint32_t)im.sh[TI_SHSTRTAB].sh_size;
	ti_expect(&im, -KPL_E_FORMAT, "section 3: name offset 0x");
	/* The last name loses its NUL. */
	im.sh[TI_DATA].sh_name = 1;
	names = ti_data(&im, TI_SHSTRTAB);
	names[im.sh[TI_SHSTRTAB].sh_size - 1] = 'x';
	ti_expect(&im, -KPL_E_FORMAT, "not NUL-terminated");
	ti_free(&im);
}

static void test_elf__bad_alignment(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_TEXT].sh_addralign = 24;
	ti_expect(&im, -KPL_E_FORMAT, "alignment 0x18 is not a power of two");
	ti_free(&im);
}

static void test_elf__rel_refused(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_RELA].sh_type = SHT_REL;
	ti_expect(&im, -KPL_E_FORMAT, "SHT_REL relocations are not supported");
	ti_free(&im);
}

static void test_elf__symtab_count_and_entsize(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_SYMTAB].sh_entsize = 16;
	ti_expect(&im, -KPL_E_FORMAT, "entry size 16, expected 24");
	im.sh[TI_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
	im.sh[TI_SYMTAB].sh_size -= 1;
	ti_expect(&im, -KPL_E_FORMAT, "not a multiple of the entry size");
	im.sh[TI_SYMTAB].sh_size += 1;
	im.sh[TI_SYMTAB].sh_link = TI_TEXT;
	ti_expect(&im, -KPL_E_FORMAT, "links to section 1, not a string table");
	im.sh[TI_SYMTAB].sh_link = TI_STRTAB;
	im.sh[TI_DATA].sh_type = SHT_SYMTAB;
	ti_expect(&im, -KPL_E_FORMAT, "more than one symbol table");
	im.sh[TI_DATA].sh_type = SHT_PROGBITS;
	im.sh[TI_SYMTAB].sh_type = SHT_PROGBITS;
	ti_expect(&im, -KPL_E_FORMAT, "no symbol table");
	ti_free(&im);
}

static void test_elf__symbol_name_out_of_bounds(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_sym(&im, TI_SYM_BAR)->st_name = 0x10000;
	ti_expect(&im, -KPL_E_FORMAT,
		  "symbol 6: name offset 0x10000 out of bounds");
	ti_free(&im);
}

static void test_elf__symbol_shndx(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_sym(&im, TI_SYM_HELPER)->st_shndx = TI_NR;
	ti_expect(&im, -KPL_E_FORMAT,
		  "symbol 3 (helper): section index 14 out of range");
	ti_sym(&im, TI_SYM_HELPER)->st_shndx = SHN_COMMON;
	ti_expect(&im, -KPL_E_FORMAT, "common symbols are not supported");
	ti_sym(&im, TI_SYM_HELPER)->st_shndx = SHN_XINDEX;
	ti_expect(&im, -KPL_E_FORMAT, "extended section indexes");
	ti_sym(&im, TI_SYM_HELPER)->st_shndx = SHN_LORESERVE;
	ti_expect(&im, -KPL_E_FORMAT, "reserved section index 0xff00");
	ti_free(&im);
}

static void test_elf__symbol_past_section_end(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_sym(&im, TI_SYM_HELPER)->st_size = 17;
	ti_expect(&im, -KPL_E_FORMAT,
		  "value 0x10 + size 0x11 past end of section .text (0x20)");
	ti_sym(&im, TI_SYM_HELPER)->st_size = UINT64_MAX;
	ti_expect(&im, -KPL_E_FORMAT, "past end of section");
	ti_sym(&im, TI_SYM_HELPER)->st_size = 0;
	ti_sym(&im, TI_SYM_HELPER)->st_value = 33;
	ti_expect(&im, -KPL_E_FORMAT, "past end of section");
	ti_free(&im);
}

static void test_elf__reloc_offset_past_section_end(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_rela(&im, 1)->r_offset = 30;
	ti_expect(
		&im, -KPL_E_FORMAT,
		"relocation 1 in .rela.text: offset 0x1e + 4 past end of section (0x20)");
	ti_rela(&im, 1)->r_offset = UINT64_MAX - 1;
	ti_expect(&im, -KPL_E_FORMAT, "past end of section");
	/* An 8-byte field at 24 still fits in 32 bytes. */
	ti_rela(&im, 1)->r_offset = 24;
	ti_rela(&im, 1)->r_info = ELF64_R_INFO(TI_SYM_COUNTER, R_X86_64_64);
	ti_expect(&im, 0, NULL);
	ti_rela(&im, 1)->r_offset = 25;
	ti_expect(&im, -KPL_E_FORMAT, "offset 0x19 + 8");
	ti_free(&im);
}

static void test_elf__reloc_sym_out_of_range(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_rela(&im, 2)->r_info = ELF64_R_INFO(TI_NR_SYMS, R_X86_64_PC32);
	ti_expect(
		&im, -KPL_E_FORMAT,
		"relocation 2 in .rela.text: symbol index 8 out of range (8 symbols)");
	ti_free(&im);
}

static void test_elf__reloc_unsupported_type(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_rela(&im, 0)->r_info = ELF64_R_INFO(TI_SYM_BAR, R_X86_64_TPOFF32);
	ti_expect(
		&im, -KPL_E_FORMAT,
		"relocation 0 in .rela.text: unsupported type 23 (R_X86_64_TPOFF32)");
	ti_free(&im);
}

static void test_elf__rela_links(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_RELA].sh_link = TI_STRTAB;
	ti_expect(&im, -KPL_E_FORMAT, "not the symbol table");
	im.sh[TI_RELA].sh_link = TI_SYMTAB;
	im.sh[TI_RELA].sh_info = TI_NR;
	ti_expect(&im, -KPL_E_FORMAT, "target section 14 out of range");
	im.sh[TI_RELA].sh_info = 0;
	ti_expect(&im, -KPL_E_FORMAT, "target section 0 out of range");
	im.sh[TI_RELA].sh_info = TI_TEXT;
	im.sh[TI_RELA].sh_entsize = 0;
	ti_expect(&im, -KPL_E_FORMAT, "entry size 0, expected 24");
	ti_free(&im);
}

static void test_elf__rela_for_unloaded_section_skipped(void **state)
{
	struct kpl_patch *p;
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	/* Like .rela.debug_info: the loader never maps its target. */
	im.sh[TI_RELA].sh_info = TI_SIG;
	ti_rela(&im, 0)->r_info = ELF64_R_INFO(TI_SYM_BAR, R_X86_64_DTPOFF32);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(p->nr_relocs, 0);
	assert_null(p->relocs);
	kpl_patch__free(p);
	ti_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf__bad_magic),
		cmocka_unit_test(test_elf__wrong_class),
		cmocka_unit_test(test_elf__big_endian),
		cmocka_unit_test(test_elf__wrong_version),
		cmocka_unit_test(test_elf__wrong_machine),
		cmocka_unit_test(test_elf__wrong_type),
		cmocka_unit_test(test_elf__section_headers_past_eof),
		cmocka_unit_test(test_elf__bad_shnum_or_shstrndx),
		cmocka_unit_test(test_elf__section_offset_past_eof),
		cmocka_unit_test(test_elf__section_name_out_of_bounds),
		cmocka_unit_test(test_elf__bad_alignment),
		cmocka_unit_test(test_elf__rel_refused),
		cmocka_unit_test(test_elf__symtab_count_and_entsize),
		cmocka_unit_test(test_elf__symbol_name_out_of_bounds),
		cmocka_unit_test(test_elf__symbol_shndx),
		cmocka_unit_test(test_elf__symbol_past_section_end),
		cmocka_unit_test(test_elf__reloc_offset_past_section_end),
		cmocka_unit_test(test_elf__reloc_sym_out_of_range),
		cmocka_unit_test(test_elf__reloc_unsupported_type),
		cmocka_unit_test(test_elf__rela_links),
		cmocka_unit_test(test_elf__rela_for_unloaded_section_skipped),
	};

	return cmocka_run_group_tests(tests, ti_setup, NULL);
}
