// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the public file-offset calls of userland/lib/elfobj.c
 * (<kpl/elf.h>: kpl_elf_file_offset(), kpl_elf_init_offset()), which
 * kpld uses to place the module's guards and its BPF hold, on real ELF
 * files: libspin.so.1 (make passes its path in KPL_TEST_LIBSPIN) and
 * spin_local.kpl (KPL_TEST_SPIN_LOCAL, an ET_REL with no segments).
 *
 * libelf answers through the program headers; every expected offset is
 * found another way, through the section headers read with plain
 * <elf.h>.  libspin's data segment is mapped 0x1000 above its file
 * offset, so an offset that merely equals the address is caught there.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_blob.h"

#include "kpl/elf.h"
#include "kpl/errors.h"

static const char *env_path(const char *name)
{
	const char *p = getenv(name);

	if (!p || !*p)
		fail_msg("%s is not set: run through `make unit`", name);
	return p;
}

/* The first section of @type. */
static const Elf64_Shdr *blob_find(const struct blob *b, uint32_t type)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->p;
	size_t i;

	for (i = 1; i < eh->e_shnum; i++)
		if (blob_sh(b, i)->sh_type == type)
			return blob_sh(b, i);
	fail_msg("no section of type %u", type);
	return NULL;
}

/* The section whose address range holds @vaddr, with file bytes. */
static const Elf64_Shdr *blob_at(const struct blob *b, uint64_t vaddr)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->p;
	size_t i;

	for (i = 1; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = blob_sh(b, i);

		if (sh->sh_type != SHT_NOBITS && (sh->sh_flags & SHF_ALLOC) &&
		    vaddr >= sh->sh_addr && vaddr < sh->sh_addr + sh->sh_size)
			return sh;
	}
	fail_msg("no section holds 0x%llx", (unsigned long long)vaddr);
	return NULL;
}

/* DT_INIT, read from .dynamic in the file. */
static uint64_t blob_dt_init(const struct blob *b)
{
	const Elf64_Shdr *sh = blob_find(b, SHT_DYNAMIC);
	const Elf64_Dyn *d = (const Elf64_Dyn *)(b->p + sh->sh_offset);
	size_t i;

	assert_true(sh->sh_offset + sh->sh_size <= b->n);
	for (i = 0; i < sh->sh_size / sizeof(*d); i++)
		if (d[i].d_tag == DT_INIT)
			return d[i].d_un.d_ptr;
	fail_msg("libspin has no DT_INIT");
	return 0;
}

static void test_elf_file_offset__text_and_data(void **state)
{
	const char *path = env_path("KPL_TEST_LIBSPIN");
	const Elf64_Shdr *text, *dyn;
	uint64_t off = 1;
	struct blob b;

	(void)state;
	blob_read(path, &b);
	dyn = blob_find(&b, SHT_DYNAMIC);
	/* The data segment: its file offset is not its address. */
	assert_true(dyn->sh_addr != dyn->sh_offset);
	assert_int_equal(kpl_elf_file_offset(path, dyn->sh_addr + 8, &off), 0);
	assert_int_equal(off, dyn->sh_offset + 8);
	/* The text segment, through the section holding DT_INIT. */
	text = blob_at(&b, blob_dt_init(&b));
	assert_int_equal(kpl_elf_file_offset(
				 path, text->sh_addr + text->sh_size - 1, &off),
			 0);
	assert_int_equal(off, text->sh_offset + text->sh_size - 1);
	free(b.p);
}

static void test_elf_file_offset__outside_the_file_refused(void **state)
{
	const char *path = env_path("KPL_TEST_LIBSPIN");
	uint64_t off = 42;
	struct blob b;

	(void)state;
	blob_read(path, &b);
	/* .bss is mapped but has no bytes in the file. */
	assert_int_equal(kpl_elf_file_offset(path,
					     blob_find(&b, SHT_NOBITS)->sh_addr,
					     &off),
			 -KPL_E_RANGE);
	assert_int_equal(kpl_elf_file_offset(path, UINT64_MAX, &off),
			 -KPL_E_RANGE);
	/* An ET_REL has no segments at all. */
	assert_int_equal(kpl_elf_file_offset(env_path("KPL_TEST_SPIN_LOCAL"), 0,
					     &off),
			 -KPL_E_RANGE);
	assert_int_equal(off, 42); /* outputs only on success */
	free(b.p);
}

static void test_elf_init_offset__dt_init(void **state)
{
	const char *path = env_path("KPL_TEST_LIBSPIN");
	const Elf64_Shdr *sh;
	uint64_t init, off = 0;
	struct blob b;

	(void)state;
	blob_read(path, &b);
	init = blob_dt_init(&b);
	sh = blob_at(&b, init);
	assert_int_equal(kpl_elf_init_offset(path, &off), 0);
	assert_int_equal(off, sh->sh_offset + (init - sh->sh_addr));
	free(b.p);
}

static void test_elf_init_offset__refusals(void **state)
{
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	uint64_t off = 42;
	char path[4096];

	(void)state;
	/* An object with no DT_INIT (no .dynamic at all). */
	assert_int_equal(kpl_elf_init_offset(env_path("KPL_TEST_SPIN_LOCAL"),
					     &off),
			 -ENODATA);
	close(blob_write_tmp(path, sizeof(path), text, sizeof(text) - 1));
	assert_int_equal(kpl_elf_init_offset(path, &off), -KPL_E_FORMAT);
	assert_int_equal(kpl_elf_file_offset(path, 0, &off), -KPL_E_FORMAT);
	unlink(path);
	assert_int_equal(kpl_elf_init_offset("/nonexistent/libx.so", &off),
			 -ENOENT);
	assert_int_equal(kpl_elf_file_offset("/nonexistent/libx.so", 0, &off),
			 -ENOENT);
	assert_int_equal(off, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_file_offset__text_and_data),
		cmocka_unit_test(
			test_elf_file_offset__outside_the_file_refused),
		cmocka_unit_test(test_elf_init_offset__dt_init),
		cmocka_unit_test(test_elf_init_offset__refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
