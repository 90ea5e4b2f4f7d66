// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for symbol versions (userland/lib/elfver.c and the version
 * lookups of elfsym.c) on the real libraries test_lookup.sh patches,
 * built by tests/integration/integration.mk (make passes their directory
 * in KPL_TEST_IT_DIR): liblkdep.so.1 defines dep_ver@DEP_1 (returns 1)
 * and dep_ver@@DEP_2 (returns 2), liblookup.so.1 imports dep_ver@DEP_2
 * and rand@GLIBC_2.2.5, libkpl-shim.so defines an unversioned rand and
 * dep_ver@@SHIM_1.  Every address is checked against where the dynamic
 * linker put the symbol (dlvsym).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elfobj.h"

static const char *it_path(const char *file, char *buf, size_t len)
{
	const char *d = getenv("KPL_TEST_IT_DIR");

	if (!d || !*d)
		fail_msg("KPL_TEST_IT_DIR is not set: run through `make unit`");
	snprintf(buf, len, "%s/%s", d, file);
	return buf;
}

static struct kpl_elf *open_it(const char *file)
{
	struct kpl_elf *e = NULL;
	char path[4096];

	assert_int_equal(kpl_elf__open(it_path(file, path, sizeof(path)), &e),
			 0);
	return e;
}

/* Where the dynamic linker put dep_ver@@VER in liblkdep, as a bias. */
static void *dep_handle(uint64_t *bias)
{
	struct link_map *lm;
	char path[4096];
	void *h;

	h = dlopen(it_path("liblkdep.so.1", path, sizeof(path)), RTLD_NOW);
	assert_non_null(h);
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	*bias = lm->l_addr;
	return h;
}

static void test_elf_find_version__default_and_named(void **state)
{
	struct kpl_elf *e = open_it("liblkdep.so.1");
	const struct kpl_elf_sym *d, *v1, *v2;
	uint64_t bias;
	void *h = dep_handle(&bias);

	(void)state;
	d = kpl_elf__find_version(e, "dep_ver", NULL);
	v1 = kpl_elf__find_version(e, "dep_ver", "DEP_1");
	v2 = kpl_elf__find_version(e, "dep_ver", "DEP_2");
	assert_non_null(d);
	assert_non_null(v1);
	assert_non_null(v2);
	/* Unversioned: the default, never the hidden one. */
	assert_ptr_equal(d, v2);
	assert_string_equal(v2->version, "DEP_2");
	assert_false(v2->ver_hidden);
	assert_string_equal(v1->version, "DEP_1");
	assert_true(v1->ver_hidden);
	assert_ptr_equal((void *)(uintptr_t)(bias + v1->value),
			 dlvsym(h, "dep_ver", "DEP_1"));
	assert_ptr_equal((void *)(uintptr_t)(bias + v2->value),
			 dlvsym(h, "dep_ver", "DEP_2"));
	assert_null(kpl_elf__find_version(e, "dep_ver", "SHIM_1"));
	/* A lookup by name alone still skips the hidden version. */
	assert_ptr_equal(kpl_elf__find_dynamic(e, "dep_ver"), v2);
	dlclose(h);
	kpl_elf__close(e);
}

static void test_elf_find_version__unversioned_matches_any(void **state)
{
	struct kpl_elf *e = open_it("libkpl-shim.so");
	const struct kpl_elf_sym *s;

	(void)state;
	/* glibc binds rand@GLIBC_2.2.5 to an unversioned rand. */
	s = kpl_elf__find_version(e, "rand", "GLIBC_2.2.5");
	assert_non_null(s);
	assert_null(s->version);
	assert_ptr_equal(kpl_elf__find_version(e, "rand", NULL), s);
	/* But not a reference of another version to dep_ver@@SHIM_1. */
	assert_null(kpl_elf__find_version(e, "dep_ver", "DEP_2"));
	assert_non_null(kpl_elf__find_version(e, "dep_ver", NULL));
	kpl_elf__close(e);
}

static void test_elf_import_version__from_verneed(void **state)
{
	struct kpl_elf *e = open_it("liblookup.so.1");

	(void)state;
	assert_string_equal(kpl_elf__import_version(e, "dep_ver"), "DEP_2");
	assert_string_equal(kpl_elf__import_version(e, "rand"), "GLIBC_2.2.5");
	/* Defined, not imported. */
	assert_null(kpl_elf__import_version(e, "lk_hook"));
	assert_null(kpl_elf__import_version(e, "no_such_symbol"));
	kpl_elf__close(e);
}

static void test_elf_open__needed_in_order(void **state)
{
	struct kpl_elf *e = open_it("liblookup.so.1");

	(void)state;
	assert_true(e->nr_needed >= 3);
	assert_string_equal(e->needed[0], "liblkdep.so.1");
	assert_string_equal(e->needed[1], "liblkalt.so.1");
	assert_string_equal(e->needed[2], "libc.so.6");
	assert_true(e->dyn_vaddr != 0);
	assert_false(e->symbolic);
	kpl_elf__close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_find_version__default_and_named),
		cmocka_unit_test(
			test_elf_find_version__unversioned_matches_any),
		cmocka_unit_test(test_elf_import_version__from_verneed),
		cmocka_unit_test(test_elf_open__needed_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
