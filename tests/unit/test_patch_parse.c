// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_patch__parse() and kpl_patch__open(): a valid image parses into the
 * right fields; .kpl.info, .kpl.strtab and the .kpl.* sections are checked.
 * ELF-level cases are in test_patch_elf.c, the function map in
 * test_patch_map.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "fixtures/kpl_image.h"

static void test_parse__valid_fields(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_image im;
	size_t i;

	(void)state;
	ti_build_default(&im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_non_null(p);

	assert_int_equal(p->format_version, KPL_FORMAT_VERSION);
	assert_int_equal(p->flags, KPL_PATCH_F_REPLACE);
	assert_int_equal(p->version, 3);
	assert_string_equal(p->id, "MW-2026-0001");
	assert_string_equal(p->description,
			    "fix heap overflow in entity decoding");
	assert_string_equal(p->target_soname, "libminiweb.so.1");
	assert_int_equal(p->build_id_len, 20);
	for (i = 0; i < p->build_id_len; i++)
		assert_int_equal(p->build_id[i], 0xa0 + i);

	assert_int_equal(p->nr_funcs, 2);
	assert_string_equal(p->funcs[0].old_name, "foo");
	assert_string_equal(p->funcs[0].old_file, "");
	assert_int_equal(p->funcs[0].old_size, 64);
	assert_string_equal(p->funcs[0].new_name, "foo_fixed");
	assert_int_equal(p->funcs[0].new_sym, TI_SYM_FOO_FIXED);
	assert_string_equal(p->funcs[1].old_file, "entities.c");
	assert_int_equal(p->funcs[1].new_sym, TI_SYM_HELPER);
	assert_int_equal(p->nr_refs, 1);
	assert_string_equal(p->refs[0].name, "skip_ws");
	assert_string_equal(p->refs[0].file, "entities.c");

	assert_int_equal(p->nr_sections, TI_NR);
	assert_string_equal(p->sections[TI_TEXT].name, ".text");
	assert_int_equal(p->sections[TI_TEXT].size, 32);
	assert_int_equal(p->sections[TI_TEXT].align, 16);
	assert_int_equal(p->sections[TI_TEXT].data[0], 0x90);
	assert_int_equal(p->sections[TI_STRTAB].align, 1);
	assert_int_equal(p->symtab, TI_SYMTAB);
	assert_int_equal(p->nr_symbols, TI_NR_SYMS);
	assert_string_equal(p->symbols[TI_SYM_BAR].name, "bar");
	assert_int_equal(p->symbols[TI_SYM_BAR].shndx, SHN_UNDEF);
	assert_int_equal(p->symbols[TI_SYM_HELPER].value, 16);
	assert_int_equal(p->symbols[TI_SYM_HELPER].bind, STB_LOCAL);

	assert_int_equal(p->nr_relocs, 3);
	assert_int_equal(p->relocs[0].section, TI_TEXT);
	assert_int_equal(p->relocs[0].type, R_X86_64_PLT32);
	assert_int_equal(p->relocs[0].sym, TI_SYM_BAR);
	assert_int_equal(p->relocs[0].offset, 5);
	assert_int_equal(p->relocs[0].addend, -4);
	assert_int_equal(p->relocs[2].sym, TI_SYM_SKIP_WS);

	assert_int_equal(p->sig_offset, im.sh[TI_SIG].sh_offset);
	assert_int_equal(p->sig_size, 9);
	assert_memory_equal(p->image + p->sig_offset, "SIGNATURE", 9);

	kpl_patch__free(p);
	ti_free(&im);
}

static void test_parse__accessors(void **state)
{
	struct kpl_patch *p;
	struct ti_image im;
	uint8_t bid[4];

	(void)state;
	ti_build_default(&im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_string_equal(kpl_patch__id(p), "MW-2026-0001");
	assert_string_equal(kpl_patch__target_soname(p), "libminiweb.so.1");
	assert_int_equal(kpl_patch__version(p), 3);
	assert_int_equal(kpl_patch__flags(p), KPL_PATCH_F_REPLACE);
	assert_int_equal(kpl_patch__build_id(p, bid, sizeof(bid)), 20);
	assert_int_equal(bid[3], 0xa3);
	assert_int_equal(kpl_patch__nr_funcs(p), 2);
	assert_string_equal(kpl_patch__func_old(p, 1), "helper");
	assert_string_equal(kpl_patch__func_new(p, 0), "foo_fixed");
	assert_string_equal(kpl_patch__func_file(p, 1), "entities.c");
	assert_null(kpl_patch__func_old(p, 2));
	assert_int_equal(kpl_patch__nr_refs(p), 1);
	assert_string_equal(kpl_patch__ref_file(p, 0), "entities.c");
	assert_null(kpl_patch__ref_name(p, 1));
	assert_null(kpl_patch__path(p));
	kpl_patch__free(p);
	kpl_patch__free(NULL);
	ti_free(&im);
}

static void test_open__reads_file(void **state)
{
	char path[] = "/tmp/kpl-test-XXXXXX";
	struct kpl_patch *p;
	struct ti_image im;
	int fd;

	(void)state;
	ti_build_default(&im);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, im.buf, im.size), (ssize_t)im.size);
	close(fd);
	assert_int_equal(kpl_patch__open(path, &p), 0);
	assert_string_equal(kpl_patch__path(p), path);
	assert_string_equal(kpl_patch__func_old(p, 0), "foo");
	kpl_patch__free(p);
	unlink(path);
	ti_free(&im);
}

static void test_open__missing_file(void **state)
{
	struct kpl_patch *p = NULL;

	(void)state;
	assert_int_equal(kpl_patch__open("/nonexistent/x.kpl", &p), -ENOENT);
	assert_null(p);
	assert_int_equal(kpl_patch__open("/tmp", &p), -EINVAL);
}

static void test_parse__truncated_at_every_length(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_image im;
	size_t n;

	(void)state;
	ti_build_default(&im);
	/* Section headers are last: every proper prefix is malformed. */
	for (n = 0; n < im.size; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, im.buf, n);
		assert_int_equal(kpl_patch__parse(copy, n, &p), -KPL_E_FORMAT);
		assert_null(p);
		free(copy);
	}
	ti_free(&im);
}

static void test_parse__missing_info(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_rename(&im, TI_INFO, ".kpl.infx");
	ti_expect(&im, -KPL_E_FORMAT, "no .kpl.info section");
	ti_free(&im);
}

static void test_parse__duplicate_kpl_section(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_rename(&im, TI_REFS, ".kpl.info");
	ti_expect(&im, -KPL_E_FORMAT, "more than one .kpl.info");
	ti_free(&im);
}

static void test_parse__kpl_section_alloc(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_FUNCS].sh_flags = SHF_ALLOC;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.funcs must be SHT_PROGBITS");
	ti_free(&im);
}

static void test_parse__info_wrong_size(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_INFO].sh_size -= 4;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.info size 104, expected 108");
	im.sh[TI_INFO].sh_size = 4;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.info too short");
	ti_free(&im);
}

static void test_parse__info_bad_magic(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.magic = "KPLPATCX";
	ti_expect_spec(&s, -KPL_E_FORMAT, "bad magic in .kpl.info");
}

static void test_parse__bad_format_version(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_info(&im)->format_version = 2;
	ti_expect(&im, -KPL_E_VERSION, "format version 2 not supported");
	/* A later version may grow .kpl.info: still a version error. */
	im.sh[TI_INFO].sh_size += 16;
	ti_expect(&im, -KPL_E_VERSION, "format version 2");
	ti_info(&im)->format_version = 0;
	ti_expect(&im, -KPL_E_VERSION, NULL);
	ti_free(&im);
}

static void test_parse__unknown_flag(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.flags = KPL_PATCH_F_REPLACE | 0x80;
	ti_expect_spec(&s, -KPL_E_FORMAT, "unknown flags 0x80");
}

static void test_parse__build_id_len(void **state)
{
	struct kpl_patch *p;
	struct ti_spec s;
	struct ti_image im;

	(void)state;
	ti_spec_default(&s);
	s.build_id_len = 0;
	ti_expect_spec(&s, -KPL_E_FORMAT, "build-id length 0 not in 1..64");
	s.build_id_len = 65;
	ti_expect_spec(&s, -KPL_E_FORMAT, "build-id length 65");
	s.build_id_len = 64;
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(p->build_id_len, 64);
	assert_int_equal(p->build_id[63], 0xa0 + 63);
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_parse__strtab_offset_out_of_range(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_info(&im)->description = (uint32_t)im.sh[TI_KSTRTAB].sh_size;
	ti_expect(&im, -KPL_E_FORMAT, "description: string offset");
	ti_info(&im)->description = 0xffffffff;
	ti_expect(&im, -KPL_E_FORMAT, "out of bounds");
	ti_free(&im);
}

static void test_parse__strtab_not_terminated(void **state)
{
	struct ti_image im;
	uint8_t *tab;

	(void)state;
	ti_build_default(&im);
	tab = ti_data(&im, TI_KSTRTAB);
	tab[im.sh[TI_KSTRTAB].sh_size - 1] = 'x';
	ti_expect(&im, -KPL_E_FORMAT, "must start and end with a NUL");
	tab[im.sh[TI_KSTRTAB].sh_size - 1] = '\0';
	tab[0] = 'x';
	ti_expect(&im, -KPL_E_FORMAT, "must start and end with a NUL");
	im.sh[TI_KSTRTAB].sh_size = 0;
	ti_expect(&im, -KPL_E_FORMAT, "must start and end with a NUL");
	ti_free(&im);
}

static void test_parse__bad_id(void **state)
{
	static const char *const bad[] = {
		"",
		"MW 2026",
		"MW/2026",
		"MW-2026\xc3\xa9",
		"id\n",
		"a123456789a123456789a123456789a123456789a123456789a123456789"
		"12345",
	};
	char longest[KPL_ID_MAX + 1];
	struct kpl_patch *p;
	struct ti_spec s;
	struct ti_image im;
	size_t i;

	(void)state;
	ti_spec_default(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.id = bad[i];
		ti_expect_spec(&s, -KPL_E_FORMAT,
			       "characters of [A-Za-z0-9._-]");
	}
	/* Exactly KPL_ID_MAX characters is fine. */
	memset(longest, 'x', KPL_ID_MAX);
	longest[KPL_ID_MAX] = '\0';
	memcpy(longest, "A9._-", 5);
	s.id = longest;
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_parse__bad_soname_or_description(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.soname = "";
	ti_expect_spec(&s, -KPL_E_FORMAT, "target soname empty");
	ti_spec_default(&s);
	s.description = "line one\nline two";
	ti_expect_spec(&s, -KPL_E_FORMAT, "control characters");
}

static void test_parse__optional_sections(void **state)
{
	struct kpl_patch *p;
	struct ti_spec s;
	struct ti_image im;

	(void)state;
	ti_spec_default(&s);
	s.nr_refs = 0;
	ti_build(&s, &im);
	ti_rename(&im, TI_REFS, ".kpl.refx");
	ti_rename(&im, TI_SIG, ".kpl.six");
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(p->nr_refs, 0);
	assert_int_equal(p->sig_offset, 0);
	assert_int_equal(p->sig_size, 0);
	kpl_patch__free(p);
	ti_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse__valid_fields),
		cmocka_unit_test(test_parse__accessors),
		cmocka_unit_test(test_open__reads_file),
		cmocka_unit_test(test_open__missing_file),
		cmocka_unit_test(test_parse__truncated_at_every_length),
		cmocka_unit_test(test_parse__missing_info),
		cmocka_unit_test(test_parse__duplicate_kpl_section),
		cmocka_unit_test(test_parse__kpl_section_alloc),
		cmocka_unit_test(test_parse__info_wrong_size),
		cmocka_unit_test(test_parse__info_bad_magic),
		cmocka_unit_test(test_parse__bad_format_version),
		cmocka_unit_test(test_parse__unknown_flag),
		cmocka_unit_test(test_parse__build_id_len),
		cmocka_unit_test(test_parse__strtab_offset_out_of_range),
		cmocka_unit_test(test_parse__strtab_not_terminated),
		cmocka_unit_test(test_parse__bad_id),
		cmocka_unit_test(test_parse__bad_soname_or_description),
		cmocka_unit_test(test_parse__optional_sections),
	};

	return cmocka_run_group_tests(tests, ti_setup, NULL);
}
