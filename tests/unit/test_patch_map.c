// SPDX-License-Identifier: GPL-2.0
/*
 * The function map of a patch (patch_map.c): .kpl.funcs and .kpl.refs
 * entries, counts, and their resolution against .symtab.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures/kpl_image.h"

static void test_map__nr_funcs_mismatch(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_info(&im)->nr_funcs = 3;
	ti_expect(&im, -KPL_E_FORMAT,
		  ".kpl.funcs size 48 does not match 3 entries (expected 72)");
	ti_info(&im)->nr_funcs = 1;
	ti_expect(&im, -KPL_E_FORMAT, "does not match 1 entries");
	ti_info(&im)->nr_funcs = UINT32_MAX;
	ti_expect(&im, -KPL_E_FORMAT, "does not match");
	ti_free(&im);
}

static void test_map__no_funcs(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.nr_funcs = 0;
	ti_expect_spec(&s, -KPL_E_FORMAT, "no functions (nr_funcs is 0)");
}

static void test_map__nr_refs_mismatch(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	ti_info(&im)->nr_refs = 2;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.refs size 8 does not match 2");
	ti_info(&im)->nr_refs = 1;
	ti_rename(&im, TI_REFS, ".kpl.refx");
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.refs size 0 does not match 1");
	ti_free(&im);
}

static void test_map__new_symbol_undefined(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[0].new_name = "bar";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "function 0: new symbol bar is undefined");
}

static void test_map__new_symbol_not_function(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[1].new_name = "counter";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "function 1: new symbol counter is not a function");
	/* STT_FUNC, but in a section the loader would not execute. */
	ti_spec_default(&s);
	s.syms[TI_SYM_FOO_FIXED].shndx = TI_DATA;
	s.syms[TI_SYM_FOO_FIXED].size = 8;
	ti_expect_spec(&s, -KPL_E_FORMAT, "is not in an executable section");
}

static void test_map__new_symbol_missing(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[0].new_name = "nosuch";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "new symbol nosuch not in the symbol table");
}

static void test_map__new_symbol_defined_twice(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.syms[TI_SYM_HELPER].name = "foo_fixed";
	s.funcs[1].new_name = "foo_fixed";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "new symbol foo_fixed defined more than once");
}

static void test_map__duplicate_func(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[2] = s.funcs[1];
	s.funcs[2].new_name = "foo_fixed";
	s.nr_funcs = 3;
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "function helper in entities.c listed more than once");
	s.funcs[2] = s.funcs[0];
	ti_expect_spec(&s, -KPL_E_FORMAT, "function foo listed more than once");
}

static void test_map__same_name_other_file_ok(void **state)
{
	struct kpl_patch *p;
	struct ti_spec s;
	struct ti_image im;

	(void)state;
	ti_spec_default(&s);
	s.funcs[2] = s.funcs[1];
	s.funcs[2].old_file = "other.c";
	s.nr_funcs = 3;
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(p->nr_funcs, 3);
	assert_string_equal(p->funcs[2].old_file, "other.c");
	assert_int_equal(p->funcs[2].new_sym, TI_SYM_HELPER);
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_map__func_flags_and_names(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.funcs[0].flags = 1;
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "function 0 (foo): reserved flags 0x1");
	ti_spec_default(&s);
	s.funcs[1].old_name = "";
	ti_expect_spec(&s, -KPL_E_FORMAT, "function 1: empty old or new name");
	ti_spec_default(&s);
	s.funcs[0].new_name = "";
	ti_expect_spec(&s, -KPL_E_FORMAT, "function 0: empty old or new name");
}

static void test_map__func_string_out_of_range(void **state)
{
	struct kpl_func_disk *f;
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	f = ti_data(&im, TI_FUNCS);
	f[1].old_file = 0x7fffffff;
	ti_expect(&im, -KPL_E_FORMAT,
		  "function old file: string offset 0x7fffffff out of bounds");
	ti_free(&im);
}

static void test_map__ref_checks(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.refs[0].name = "helper";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "ref 0: helper is not an undefined symbol");
	ti_spec_default(&s);
	s.refs[0].file = "";
	/* an empty file needs an address (test_patch_addr.c) */
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "ref 0 'skip_ws': empty file and no address");
	ti_spec_default(&s);
	s.refs[1] = s.refs[0];
	s.refs[1].file = "other.c";
	s.nr_refs = 2;
	ti_expect_spec(&s, -KPL_E_FORMAT, "ref skip_ws listed more than once");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map__nr_funcs_mismatch),
		cmocka_unit_test(test_map__no_funcs),
		cmocka_unit_test(test_map__nr_refs_mismatch),
		cmocka_unit_test(test_map__new_symbol_undefined),
		cmocka_unit_test(test_map__new_symbol_not_function),
		cmocka_unit_test(test_map__new_symbol_missing),
		cmocka_unit_test(test_map__new_symbol_defined_twice),
		cmocka_unit_test(test_map__duplicate_func),
		cmocka_unit_test(test_map__same_name_other_file_ok),
		cmocka_unit_test(test_map__func_flags_and_names),
		cmocka_unit_test(test_map__func_string_out_of_range),
		cmocka_unit_test(test_map__ref_checks),
	};

	return cmocka_run_group_tests(tests, ti_setup, NULL);
}
