// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for tools/kpl-build/identity.c: a rebuild stands for the
 * stripped library as shipped only when every loaded section is the
 * same; otherwise it is refused, naming the section and the function or
 * variable that differs.  The libraries are real: tests/unit/fixtures/
 * libident.c built by unit.mk as is, stripped, and with one function,
 * one variable or the layout changed ($KPL_TEST_IDENT_DIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build.h"
#include "elfobj.h"
#include "identity.h"

/* kpl-build's printers (main.c): every error, to check what was said. */
static char errs[8192];
bool kb_quiet;

void kb_err(const char *fmt, ...)
{
	size_t n = strlen(errs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errs + n, sizeof(errs) - n, fmt, ap);
	va_end(ap);
	n = strlen(errs);
	if (n + 1 < sizeof(errs))
		strcpy(errs + n, "\n");
}

void kb_info(const char *fmt, ...)
{
	(void)fmt;
}

static char *lib(const char *name)
{
	static char path[4][512];
	static int k;
	const char *dir = getenv("KPL_TEST_IDENT_DIR");

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir ? dir : "build/unit",
		 name);
	return path[k];
}

static int setup(void **state)
{
	(void)state;
	errs[0] = '\0';
	return 0;
}

static void test_identity__stripped_copy_is_proven(void **state)
{
	(void)state;
	assert_int_equal(kb_identity__prove(lib("libident.so"),
					    lib("libident-shipped.so")),
			 0);
	assert_string_equal(errs, "");
}

static void test_identity__changed_function_is_named(void **state)
{
	(void)state;
	assert_int_equal(kb_identity__prove(lib("libident-code.so"),
					    lib("libident-shipped.so")),
			 1);
	assert_non_null(strstr(errs, "section .text: different bytes"));
	assert_non_null(strstr(errs, "ident_sum()"));
	/* The function that did not change is not blamed. */
	assert_null(strstr(errs, "ident_first"));
	assert_non_null(strstr(errs, "refusing: the rebuild"));
	assert_non_null(strstr(errs, "(1 section differs)"));
}

static void test_identity__changed_variable_is_named(void **state)
{
	(void)state;
	assert_int_equal(kb_identity__prove(lib("libident-data.so"),
					    lib("libident-shipped.so")),
			 1);
	assert_non_null(strstr(errs, "section .data: different bytes"));
	assert_non_null(strstr(errs, "ident_table"));
	assert_null(strstr(errs, "section .text"));
}

static void test_identity__moved_sections_are_named(void **state)
{
	(void)state;
	assert_int_equal(kb_identity__prove(lib("libident-layout.so"),
					    lib("libident-shipped.so")),
			 1);
	assert_non_null(strstr(errs, "section .text: at 0x"));
	assert_non_null(strstr(errs, "bytes in the rebuild"));
}

static void test_identity__unstripped_original_is_proven(void **state)
{
	(void)state;
	/* Non-loaded sections (.symtab, .debug_*) do not count. */
	assert_int_equal(
		kb_identity__prove(lib("libident.so"), lib("libident.so")), 0);
}

static void test_identity__not_a_library_is_refused(void **state)
{
	(void)state;
	assert_int_equal(kb_identity__prove(lib("libident.so"),
					    "tests/unit/fixtures/libident.c"),
			 1);
	assert_non_null(strstr(errs, "is not an x86-64 shared library"));
	errs[0] = '\0';
	assert_int_equal(kb_identity__prove(lib("no-such.so"),
					    lib("libident-shipped.so")),
			 1);
	assert_non_null(strstr(errs, "cannot open"));
}

/*
 * A patch uses what the stripped file exports by name, and the library's
 * own symbols it does not name by the rebuild's address; a thread-local
 * variable can only go by name.
 */
static void test_identity__hidden_names_go_by_address(void **state)
{
	struct kb_libref refs[] = {
		{ .name = "ident_sum" }, /* exported */
		{ .name = "memcpy" }, /* not the library's */
		{ .name = "ident_hidden" }, /* hidden: local once linked */
		{ .name = "ident_table", .tls = true }, /* as if __thread */
	};
	struct kb_selection sel = { .refs = refs };

	(void)state;
	assert_int_equal(kpl_elf__open(lib("libident.so"), &sel.lib), 0);
	sel.nr_refs = 3;
	assert_int_equal(
		kb_identity__check_refs(&sel, lib("libident-shipped.so")), 0);
	assert_string_equal(errs, "");
	assert_false(refs[0].by_addr);
	assert_false(refs[1].by_addr);
	assert_true(refs[2].by_addr);
	/* Unstripped, the same name is found by name. */
	refs[2].by_addr = false;
	assert_int_equal(kb_identity__check_refs(&sel, lib("libident.so")), 0);
	assert_false(refs[2].by_addr);
	/* ident_table is exported: by name even as TLS; strip its name. */
	sel.nr_refs = 4;
	refs[3].name = "ident_hidden";
	refs[2].name = "ident_first";
	assert_int_equal(
		kb_identity__check_refs(&sel, lib("libident-shipped.so")), 1);
	assert_non_null(strstr(errs, "'ident_hidden', which"));
	assert_non_null(
		strstr(errs, "a thread-local variable goes by name only"));
	assert_non_null(strstr(errs, "refusing: 1 symbol the patch needs"));
	kpl_elf__close(sel.lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identity__stripped_copy_is_proven,
				       setup),
		cmocka_unit_test_setup(test_identity__changed_function_is_named,
				       setup),
		cmocka_unit_test_setup(test_identity__changed_variable_is_named,
				       setup),
		cmocka_unit_test_setup(test_identity__moved_sections_are_named,
				       setup),
		cmocka_unit_test_setup(
			test_identity__unstripped_original_is_proven, setup),
		cmocka_unit_test_setup(test_identity__not_a_library_is_refused,
				       setup),
		cmocka_unit_test_setup(
			test_identity__hidden_names_go_by_address, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
