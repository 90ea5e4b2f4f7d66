// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elfsym.c on a real non-PIE program,
 * fixtures/canon.c (unit.mk builds it; make passes its path in
 * KPL_TEST_CANON): the canonical PLT entry the linker made for puts(),
 * whose address the program's code takes, is the definition of puts for
 * every reference but a call, as the dynamic linker has it, and keeps
 * the version the program imports puts with; exit(), which the program
 * only calls, defines nothing there.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elfobj.h"

static const char *canon_path(void)
{
	const char *p = getenv("KPL_TEST_CANON");

	if (!p || !*p)
		fail_msg("KPL_TEST_CANON is not set: run through `make unit`");
	return p;
}

static void test_elf_find_version__canonical_plt_entry(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(canon_path(), &e), 0);
	assert_int_equal(e->e_type, ET_EXEC);
	s = kpl_elf__find_version(e, "puts", NULL);
	assert_non_null(s);
	assert_true(s->canonical);
	assert_false(s->defined);
	assert_int_equal(s->type, STT_FUNC);
	/* In the program's own text, below 4 GiB: a 32-bit field holds it. */
	assert_true(s->value >= e->min_vaddr && s->value < e->max_vaddr);
	assert_true(s->value < (1ull << 32));
	/* A reference of the version the program imports puts with. */
	assert_ptr_equal(kpl_elf__find_version(e, "puts", "GLIBC_2.2.5"), s);
	assert_string_equal(kpl_elf__import_version(e, "puts"), "GLIBC_2.2.5");
	/* Only called: no address, no definition. */
	assert_null(kpl_elf__find_version(e, "exit", NULL));
	assert_string_equal(kpl_elf__import_version(e, "exit"), "GLIBC_2.2.5");
	/* Not the program's own definition either. */
	assert_int_not_equal(kpl_elf__find(e, "puts", NULL, &s), 0);
	kpl_elf__close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_find_version__canonical_plt_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
