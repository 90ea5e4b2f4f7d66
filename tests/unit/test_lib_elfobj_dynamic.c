// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elfobj.c's view of the dynamic symbols
 * (read there, found by elfsym.c) on
 * real ELF files: what libspin.so.1 (make passes its path in
 * KPL_TEST_LIBSPIN) and the libc this test runs with export, under which
 * version, and the GOT slots of libspin's imports.  Every expected value
 * is what the dynamic linker (dlsym) answers.
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
#include <unistd.h>

#include <cmocka.h>

#include "elf_files.h"

#include "elfobj.h"
#include "kpl/errors.h"

static void test_elf_find_dynamic__exported_only(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	s = kpl_elf__find_dynamic(e, "spin_f0");
	assert_non_null(s);
	assert_true(s->dynamic);
	assert_int_equal(s->value, libspin_dl_value("spin_f0"));
	/* Locals live in .symtab only: not exported. */
	assert_null(kpl_elf__find_dynamic(e, "scale"));
	assert_null(kpl_elf__find_dynamic(e, "frame_dummy"));
	/* In .dynsym, but undefined (an import). */
	assert_null(kpl_elf__find_dynamic(e, "nanosleep"));
	assert_null(kpl_elf__find_dynamic(e, "no_such_symbol"));
	kpl_elf__close(e);
}

/* libc's own address of @name, as the dynamic linker binds it. */
static void *libc_dlsym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *p;

	assert_non_null(h);
	p = dlsym(h, name);
	dlclose(h);
	return p;
}

static void test_elf_find_dynamic__libc_malloc(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf *e = NULL;
	struct libc_info li;

	(void)state;
	find_libc(&li);
	assert_int_equal(kpl_elf__open(li.path, &e), 0);
	s = kpl_elf__find_dynamic(e, "malloc");
	assert_non_null(s);
	assert_true(s->dynamic);
	assert_true(s->defined);
	assert_int_not_equal(s->bind, STB_LOCAL);
	assert_int_equal(s->type, STT_FUNC);
	assert_ptr_equal((void *)(uintptr_t)(li.bias + s->value),
			 libc_dlsym("malloc"));
	kpl_elf__close(e);
}

/*
 * glibc keeps old ABIs of some functions as hidden versions (name@VER,
 * beside the default name@@VER).  A patch compiled today calls the
 * default, as ld would bind it; dlsym() answers the same.
 */
static void test_elf_find_dynamic__default_version(void **state)
{
	static const char *const names[] = {
		"sched_setaffinity", /* @GLIBC_2.3.3 comes first */
		"realpath", /* @GLIBC_2.2.5 */
		"regexec", /* @GLIBC_2.2.5 */
		"pthread_cond_wait", /* @GLIBC_2.2.5, the old condvar ABI */
		"timer_create", /* @GLIBC_2.2.5 and @GLIBC_2.3.3 */
	};
	struct kpl_elf *e = NULL;
	struct libc_info li;
	size_t i;

	(void)state;
	find_libc(&li);
	assert_int_equal(kpl_elf__open(li.path, &e), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct kpl_elf_sym *s =
			kpl_elf__find_dynamic(e, names[i]);
		void *want = libc_dlsym(names[i]);

		assert_non_null(want);
		assert_non_null(s);
		if ((void *)(uintptr_t)(li.bias + s->value) != want)
			fail_msg("%s: found 0x%llx, ld.so binds 0x%llx",
				 names[i], (unsigned long long)s->value,
				 (unsigned long long)((uintptr_t)want -
						      li.bias));
	}
	kpl_elf__close(e);
}

/*
 * glibc's strlen is an IFUNC: its value is the resolver, so it is
 * returned marked as such for the caller to look it up another way.
 * memcpy has a plain compat version (memcpy@GLIBC_2.2.5) before the
 * default IFUNC (memcpy@@GLIBC_2.14): the default is the one.
 */
static void test_elf_find_dynamic__ifunc_marked(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf *e = NULL;
	struct libc_info li;

	(void)state;
	find_libc(&li);
	assert_int_equal(kpl_elf__open(li.path, &e), 0);
	s = kpl_elf__find_dynamic(e, "strlen");
	assert_non_null(s);
	assert_int_equal(s->type, STT_GNU_IFUNC);
	s = kpl_elf__find_dynamic(e, "memcpy");
	assert_non_null(s);
	assert_int_equal(s->type, STT_GNU_IFUNC);
	kpl_elf__close(e);
}

/* The GOT slot of @name in the loaded libspin must hold what ld.so bound. */
static void expect_import(const struct kpl_elf *e, const char *name)
{
	const struct kpl_elf_import *im = kpl_elf__import(e, name);
	struct link_map *lm = NULL;
	void *h, *want, *slot;

	assert_non_null(im);
	h = dlopen(libspin_path(), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen %s: %s", libspin_path(), dlerror());
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	want = dlsym(RTLD_DEFAULT, name);
	if (!want)
		want = dlsym(h, name);
	memcpy(&slot, (void *)(uintptr_t)(lm->l_addr + im->got), sizeof(slot));
	dlclose(h);
	assert_non_null(want);
	assert_ptr_equal(slot, want);
}

static void test_elf_import__got_slot(void **state)
{
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	expect_import(e, "nanosleep"); /* R_X86_64_JUMP_SLOT */
	expect_import(e, "spin_base"); /* R_X86_64_GLOB_DAT, its own */
	assert_null(kpl_elf__import(e, "spin_f0"));
	assert_null(kpl_elf__import(e, "no_such_symbol"));
	kpl_elf__close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_find_dynamic__exported_only),
		cmocka_unit_test(test_elf_find_dynamic__libc_malloc),
		cmocka_unit_test(test_elf_find_dynamic__default_version),
		cmocka_unit_test(test_elf_find_dynamic__ifunc_marked),
		cmocka_unit_test(test_elf_import__got_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
