// SPDX-License-Identifier: GPL-2.0
/*
 * .kpl.addr (patch_addr.c): old functions and refs located by address in
 * a stripped target.  The parser cases build a patch whose .kpl.addr is
 * wrong in one way and expect it refused with a message naming what is
 * wrong; the lookup cases locate entries in real files: libident.so and
 * its stripped copy (tests/unit/fixtures/libident.c, made by unit.mk),
 * where ident_hidden() has no name at all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures/kpl_image.h"
#include "elfobj.h"

static char ident_path[512];

static const char *ident(const char *name)
{
	const char *dir = getenv("KPL_TEST_IDENT_DIR");

	snprintf(ident_path, sizeof(ident_path), "%s/%s",
		 dir ? dir : "build/unit/ident", name);
	return ident_path;
}

/* The rebuild's (unstripped libident.so's) symbol @name. */
static struct kpl_elf_sym rebuilt(const char *name)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf_sym copy;
	struct kpl_elf *e = NULL;

	assert_int_equal(kpl_elf__open(ident("libident.so"), &e), 0);
	assert_int_equal(kpl_elf__find(e, name, NULL, &s), 0);
	copy = *s;
	copy.name = copy.file = "";
	kpl_elf__close(e);
	return copy;
}

/* The default spec, its two functions and one ref all by address. */
static void spec_addr(struct ti_spec *s, uint64_t func0, uint64_t size0)
{
	ti_spec_default(s);
	s->funcs[0].old_size = size0;
	s->funcs[1].old_size = 0;
	s->addr = true;
	s->addrs[0] = (struct kpl_addr_disk){ func0, size0 };
	s->addrs[1] = (struct kpl_addr_disk){ 0, 0 };
	s->addrs[2] = (struct kpl_addr_disk){ 0, 0 };
	s->nr_addrs = 3;
}

static void test_addr__absent_means_by_name(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_image im;
	uint64_t size = 1;

	(void)state;
	ti_build_default(&im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_patch__func_addr(p, 0, &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(kpl_patch__ref_addr(p, 0, NULL), 0);
	assert_int_equal(kpl_patch__func_addr(p, 9, NULL), 0);
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_addr__entries_are_read(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_spec s;
	struct ti_image im;
	uint64_t size = 0;

	(void)state;
	spec_addr(&s, 0x1120, 40);
	s.addrs[2] = (struct kpl_addr_disk){ 0x4010, 16 };
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_patch__func_addr(p, 0, &size), 0x1120);
	assert_int_equal(size, 40);
	assert_int_equal(kpl_patch__func_addr(p, 1, &size), 0);
	assert_int_equal(kpl_patch__ref_addr(p, 0, &size), 0x4010);
	assert_int_equal(size, 16);
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_addr__count_mismatch_refused(void **state)
{
	struct ti_spec s;

	(void)state;
	spec_addr(&s, 0x1120, 40);
	s.nr_addrs = 2;
	ti_expect_spec(
		&s, -KPL_E_FORMAT,
		".kpl.addr size 32 does not match 2 functions + 1 refs (expected 48)");
	s.nr_addrs = 4;
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "does not match 2 functions + 1 refs");
}

static void test_addr__bad_fields_refused(void **state)
{
	struct ti_spec s;

	(void)state;
	spec_addr(&s, 0x1120, 0);
	ti_expect_spec(
		&s, -KPL_E_FORMAT,
		".kpl.addr entry 0 (function 0 'foo'): address 0x1120 size 0: size not in 1..16777216");
	spec_addr(&s, 0x1120, KPL_ADDR_SIZE_MAX + 1ull);
	ti_expect_spec(&s, -KPL_E_FORMAT, "size not in 1..16777216");
	spec_addr(&s, UINT64_MAX - 8, 16);
	ti_expect_spec(
		&s, -KPL_E_FORMAT,
		"address 0xfffffffffffffff7 size 16: address + size overflows");
	spec_addr(&s, 0, 0);
	s.addrs[2] = (struct kpl_addr_disk){ 0, 8 };
	ti_expect_spec(
		&s, -KPL_E_FORMAT,
		"entry 2 (ref 0 'skip_ws'): address 0x0 size 8: has a size but no address");
	/* A thread-local offset: refs only, inside 4 GiB. */
	spec_addr(&s, KPL_ADDR_TLS | 0x10, 40);
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "a function cannot be a thread-local offset");
	spec_addr(&s, 0, 0);
	s.addrs[2] = (struct kpl_addr_disk){ KPL_ADDR_TLS | 0xfffffff8, 16 };
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "thread-local offset + size past 4 GiB");
	/* old_size, when set, is the symbol's size. */
	spec_addr(&s, 0x1120, 40);
	s.funcs[0].old_size = 64;
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "size is not the function's old_size");
}

static void test_addr__ref_without_file_needs_address(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.refs[0].file = "";
	ti_expect_spec(
		&s, -KPL_E_FORMAT,
		"ref 0 'skip_ws': empty file and no address in .kpl.addr");
	spec_addr(&s, 0, 0);
	s.refs[0].file = "";
	s.addrs[2] = (struct kpl_addr_disk){ 0x4010, 4 };
	ti_expect_spec(&s, 0, NULL);
}

/*
 * Parse @s, locate function 0 (or ref 0 when @ref) in @file.  The
 * patch is freed: *@out's strings are not to be read.
 */
static int locate(const struct ti_spec *s, const char *file, bool ref,
		  struct kpl_elf_sym *out)
{
	struct kpl_patch *p = NULL;
	struct kpl_elf *e = NULL;
	struct ti_image im;
	int err;

	ti_build(s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_elf__open(ident(file), &e), 0);
	ti_log[0] = '\0';
	err = ref ? kpl_patch__find_ref(p, 0, e, "LIB", out) :
		    kpl_patch__find_func(p, 0, e, "LIB", out);
	kpl_elf__close(e);
	kpl_patch__free(p);
	ti_free(&im);
	return err;
}

static void expect_log(const char *msg)
{
	if (!strstr(ti_log, msg))
		fail_msg("expected \"%s\" in \"%s\"", msg, ti_log);
}

/* The stripped file does not name ident_hidden(): by address it is found. */
static void test_addr__static_of_stripped_file_found(void **state)
{
	struct kpl_elf_sym h = rebuilt("ident_hidden"), got;
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[0].old_name = "ident_hidden";
	s.funcs[0].old_size = 0;
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got),
			 -KPL_E_SYMBOL);
	expect_log("function 'ident_hidden' not found in LIB");
	spec_addr(&s, h.value, h.size);
	s.funcs[0].old_name = "ident_hidden";
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got), 0);
	assert_int_equal(got.value, h.value);
	assert_int_equal(got.size, h.size);
	assert_int_equal(got.type, STT_FUNC);
	/* The unstripped file names it there too: they agree. */
	assert_int_equal(locate(&s, "libident.so", false, &got), 0);
}

static void test_addr__outside_segments_refused(void **state)
{
	struct kpl_elf_sym h = rebuilt("ident_hidden"), got;
	struct ti_spec s;

	(void)state;
	spec_addr(&s, 0x40000000, 16);
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got),
			 -KPL_E_SYMBOL);
	expect_log(
		".kpl.addr entry 0 (function 0 'foo'): address 0x40000000 size 16 is not inside one loaded segment's file bytes of LIB");
	/* Starts inside code, runs past the end of its segment. */
	spec_addr(&s, h.value, KPL_ADDR_SIZE_MAX);
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got),
			 -KPL_E_SYMBOL);
	expect_log("is not inside one loaded segment's file bytes");
}

static void test_addr__function_in_data_refused(void **state)
{
	struct kpl_elf_sym t = rebuilt("ident_table"), got;
	struct ti_spec s;

	(void)state;
	spec_addr(&s, t.value, t.size);
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got),
			 -KPL_E_SYMBOL);
	expect_log("is not in an executable segment of LIB");
	/* A ref may be data. */
	spec_addr(&s, 0, 0);
	s.addrs[2] = (struct kpl_addr_disk){ t.value, t.size };
	assert_int_equal(locate(&s, "libident-shipped.so", true, &got), 0);
	assert_int_equal(got.value, t.value);
}

/* Where the file names the symbol, name and address must agree. */
static void test_addr__name_and_address_must_agree(void **state)
{
	struct kpl_elf_sym f = rebuilt("ident_first"), got;
	struct ti_spec s;

	(void)state;
	spec_addr(&s, f.value, f.size);
	s.funcs[0].old_name = "ident_hidden";
	assert_int_equal(locate(&s, "libident.so", false, &got), -KPL_E_SYMBOL);
	expect_log("(function 0 'ident_hidden'): address");
	expect_log(
		"is not where the file's symbol table puts that name of LIB");
	/* ident_first is exported: even the stripped file names it. */
	spec_addr(&s, f.value + 1, f.size - 1);
	s.funcs[0].old_name = "ident_first";
	assert_int_equal(locate(&s, "libident-shipped.so", false, &got),
			 -KPL_E_SYMBOL);
	expect_log("is not where the file's symbol table puts that name");
}

/*
 * Parse @s and ask for the thread-local ref @name's offset in @file, as
 * locate() does for an address.
 */
static int locate_tls(const struct ti_spec *s, const char *file,
		      const char *name, uint64_t *off)
{
	struct kpl_patch *p = NULL;
	struct kpl_elf *e = NULL;
	struct ti_image im;
	int err;

	ti_build(s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_elf__open(ident(file), &e), 0);
	ti_log[0] = '\0';
	err = kpl_patch__find_tls_ref(p, name, e, "LIB", off);
	kpl_elf__close(e);
	kpl_patch__free(p);
	ti_free(&im);
	return err;
}

/*
 * A stripped library's hidden __thread variable goes by its offset in
 * the TLS block: found where the file's PT_TLS holds it, refused past
 * the block, where the symbol table says otherwise, or used as an
 * address.
 */
static void test_addr__tls_by_offset(void **state)
{
	const char *files[] = { "libident-shipped.so", "libident.so" };
	const struct kpl_elf_sym *ts;
	struct kpl_patch *p = NULL;
	struct kpl_elf *e = NULL;
	struct kpl_elf_sym got;
	struct ti_image im;
	struct ti_spec s;
	uint64_t off = 0, v, size;
	size_t i;

	(void)state;
	assert_int_equal(kpl_elf__open(ident("libident.so"), &e), 0);
	assert_int_equal(kpl_elf__find_tls(e, "ident_tls", NULL, &ts), 0);
	v = ts->value;
	size = ts->size;
	kpl_elf__close(e);
	assert_int_equal(kpl_elf__open(ident("libident-shipped.so"), &e), 0);
	assert_int_equal(kpl_elf__find_tls(e, "ident_tls", NULL, &ts),
			 -KPL_E_SYMBOL);
	kpl_elf__close(e);

	spec_addr(&s, 0, 0);
	s.refs[0].name = "ident_tls";
	s.refs[0].file = "";
	s.syms[TI_SYM_SKIP_WS].name = "ident_tls";
	s.addrs[2] = (struct kpl_addr_disk){ KPL_ADDR_TLS | v, size };
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_patch__ref_addr(p, 0, NULL), KPL_ADDR_TLS | v);
	kpl_patch__free(p);
	ti_free(&im);
	for (i = 0; i < 2; i++) {
		assert_int_equal(locate_tls(&s, files[i], "ident_tls", &off),
				 0);
		assert_int_equal(off, v);
		/* Another name is not located by offset. */
		assert_int_equal(locate_tls(&s, files[i], "ident_tls_get",
					    &off),
				 -ENOENT);
		assert_int_equal(locate(&s, files[i], true, &got),
				 -KPL_E_SYMBOL);
		expect_log("is a thread-local variable's offset, used as an address");
	}

	/* Past the TLS block, in the stripped file. */
	s.addrs[2] = (struct kpl_addr_disk){ KPL_ADDR_TLS | (v + 0x1000), size };
	assert_int_equal(locate_tls(&s, "libident-shipped.so", "ident_tls",
				    &off),
			 -KPL_E_SYMBOL);
	expect_log("is not inside the file's TLS block of LIB");

	/* The unstripped file names it elsewhere: they must agree. */
	s.addrs[2] = (struct kpl_addr_disk){ KPL_ADDR_TLS | (v + 4), size - 4 };
	assert_int_equal(locate_tls(&s, "libident.so", "ident_tls", &off),
			 -KPL_E_SYMBOL);
	expect_log("is not where the file's symbol table puts that name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_addr__absent_means_by_name,
				       ti_setup),
		cmocka_unit_test_setup(test_addr__entries_are_read, ti_setup),
		cmocka_unit_test_setup(test_addr__count_mismatch_refused,
				       ti_setup),
		cmocka_unit_test_setup(test_addr__bad_fields_refused, ti_setup),
		cmocka_unit_test_setup(
			test_addr__ref_without_file_needs_address, ti_setup),
		cmocka_unit_test_setup(test_addr__static_of_stripped_file_found,
				       ti_setup),
		cmocka_unit_test_setup(test_addr__outside_segments_refused,
				       ti_setup),
		cmocka_unit_test_setup(test_addr__function_in_data_refused,
				       ti_setup),
		cmocka_unit_test_setup(test_addr__tls_by_offset, ti_setup),
		cmocka_unit_test_setup(test_addr__name_and_address_must_agree,
				       ti_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
