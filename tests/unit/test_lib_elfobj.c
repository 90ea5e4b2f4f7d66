// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elfobj.c (and the lookups of elfsym.c) on
 * real ELF files: libspin.so.1
 * (built by tests/integration/integration.mk; make passes its path in
 * KPL_TEST_LIBSPIN) and the libc this test runs with.  Every expected
 * value is found another way: the build-id and the code bytes by reading
 * the file with plain <elf.h>, addresses by asking the dynamic linker
 * (dlsym) where it put the symbol.  The exported symbols and imports are
 * tested in test_lib_elfobj_dynamic.c, small files written by the test
 * in test_lib_elfobj_mini.c.
 *
 * libspin.c and libspin_other.c each define a `static int scale(int)`, so
 * "scale" is an ambiguous local that a file name disambiguates.
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

#include "elf_blob.h"
#include "elf_files.h"

#include "elfobj.h"
#include "kpl/errors.h"

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

/*
 * The NT_GNU_BUILD_ID note, found through the program headers (libelf's
 * reader goes through the section headers).  Return: its length, 0 if none.
 */
static size_t blob_build_id(const struct blob *b, uint8_t *out)
{
	const Elf64_Ehdr *eh = blob_eh(b);
	size_t i;

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = blob_ph(b, i);
		uint64_t a = ph->p_align > 4 ? ph->p_align : 4, off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		assert_true(ph->p_offset + ph->p_filesz <= b->n);
		while (off + sizeof(Elf64_Nhdr) <= ph->p_filesz) {
			const Elf64_Nhdr *nh =
				(const void *)(b->p + ph->p_offset + off);
			const uint8_t *name = (const uint8_t *)(nh + 1);
			const uint8_t *desc =
				name + ((nh->n_namesz + a - 1) & ~(a - 1));

			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
				memcpy(out, desc, nh->n_descsz);
				return nh->n_descsz;
			}
			off = (size_t)(desc - (b->p + ph->p_offset)) +
			      ((nh->n_descsz + a - 1) & ~(a - 1));
		}
	}
	return 0;
}

/* File offset of link-time address @vaddr, through the section holding it. */
static size_t blob_vaddr_off(const struct blob *b, uint64_t vaddr, size_t len)
{
	const Elf64_Ehdr *eh = blob_eh(b);
	size_t i;

	for (i = 1; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = blob_sh(b, i);

		if (sh->sh_type != SHT_PROGBITS ||
		    !(sh->sh_flags & SHF_ALLOC) || vaddr < sh->sh_addr ||
		    vaddr + len > sh->sh_addr + sh->sh_size)
			continue;
		assert_true(sh->sh_offset + sh->sh_size <= b->n);
		return sh->sh_offset + (vaddr - sh->sh_addr);
	}
	fail_msg("no section holds 0x%llx", (unsigned long long)vaddr);
	return 0;
}

static void expect_build_id(const char *path)
{
	uint8_t want[KPL_BUILD_ID_MAX], got[KPL_BUILD_ID_MAX];
	char want_hex[2 * KPL_BUILD_ID_MAX + 1], got_hex[sizeof(want_hex)];
	struct kpl_elf *e = NULL;
	struct blob b;
	size_t n;

	blob_read(path, &b);
	n = blob_build_id(&b, want);
	free(b.p);
	assert_true(n >= 8 && n <= KPL_BUILD_ID_MAX);

	assert_int_equal(kpl_elf__open(path, &e), 0);
	assert_int_equal(e->build_id_len, n);
	kpl_hex(e->build_id, e->build_id_len, got_hex);
	kpl_hex(want, n, want_hex);
	assert_string_equal(got_hex, want_hex);
	kpl_elf__close(e);

	/* The quick reader agrees. */
	memset(got, 0, sizeof(got));
	assert_int_equal(kpl_elf_build_id(path, got, sizeof(got)), (int)n);
	assert_memory_equal(got, want, n);
}

static void test_elf_open__build_id_matches_note(void **state)
{
	struct libc_info li;

	(void)state;
	expect_build_id(libspin_path());
	find_libc(&li);
	expect_build_id(li.path);
}

static void test_elf_build_id__short_buffer_or_missing_file(void **state)
{
	uint8_t buf[4] = { 0x11, 0x22, 0x33, 0x44 };

	(void)state;
	/* A 20-byte id does not fit in 4: nothing copied, length 0. */
	assert_int_equal(kpl_elf_build_id(libspin_path(), buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(kpl_elf_build_id("/nonexistent/libx.so", buf,
					  sizeof(buf)),
			 -ENOENT);
}

static void test_elf_hex__lowercase(void **state)
{
	static const uint8_t id[] = { 0x00, 0x9a, 0xf0, 0x5c };
	char out[2 * sizeof(id) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	kpl_hex(id, sizeof(id), out);
	assert_string_equal(out, "009af05c");
}

static void test_elf_open__headers_and_soname(void **state)
{
	struct kpl_elf *e = NULL;
	struct libc_info li;
	uint64_t max = 0;
	struct blob b;
	size_t i;

	(void)state;
	blob_read(libspin_path(), &b);
	for (i = 0; i < blob_eh(&b)->e_phnum; i++) {
		const Elf64_Phdr *ph = blob_ph(&b, i);

		if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > max)
			max = ph->p_vaddr + ph->p_memsz;
	}
	free(b.p);

	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	assert_string_equal(e->path, libspin_path());
	assert_int_equal(e->e_type, ET_DYN);
	assert_non_null(e->soname);
	assert_string_equal(e->soname, "libspin.so.1");
	assert_int_equal(e->min_vaddr, 0);
	assert_int_equal(e->max_vaddr, max);
	assert_true(e->has_symtab);
	kpl_elf__close(e);

	find_libc(&li);
	assert_int_equal(kpl_elf__open(li.path, &e), 0);
	assert_non_null(e->soname);
	assert_string_equal(e->soname, "libc.so.6");
	kpl_elf__close(e);
}

static void test_elf_find__global(void **state)
{
	const struct kpl_elf_sym *s = NULL;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);

	assert_int_equal(kpl_elf__find(e, "spin_f0", NULL, &s), 0);
	assert_string_equal(s->name, "spin_f0");
	assert_string_equal(s->file, "");
	assert_int_equal(s->type, STT_FUNC);
	assert_int_equal(s->bind, STB_GLOBAL);
	assert_true(s->defined);
	assert_true(s->size > 0);
	assert_int_equal(s->value, libspin_dl_value("spin_f0"));

	/* "" is "any file", as NULL. */
	assert_int_equal(kpl_elf__find(e, "spin_other", "", &s), 0);
	assert_int_equal(s->value, libspin_dl_value("spin_other"));

	assert_int_equal(kpl_elf__find(e, "spin_base", NULL, &s), 0);
	assert_int_equal(s->type, STT_OBJECT);
	assert_int_equal(s->size, 10 * sizeof(int));
	assert_int_equal(s->value, libspin_dl_value("spin_base"));
	kpl_elf__close(e);
}

static void test_elf_find__local_by_file(void **state)
{
	const struct kpl_elf_sym *a = NULL, *b = NULL, *s = NULL, *g = NULL;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);

	assert_int_equal(kpl_elf__find(e, "scale", "libspin.c", &a), 0);
	assert_int_equal(kpl_elf__find(e, "scale", "libspin_other.c", &b), 0);
	assert_ptr_not_equal(a, b);
	assert_int_not_equal(a->value, b->value);
	assert_int_equal(a->bind, STB_LOCAL);
	assert_int_equal(b->bind, STB_LOCAL);
	assert_int_equal(a->type, STT_FUNC);
	assert_string_equal(a->file, "libspin.c");
	assert_string_equal(b->file, "libspin_other.c");
	assert_false(a->dynamic);

	/*
	 * Each is the one of its file: ld lays out libspin.o's .text, then
	 * libspin_other.o's, so all of libspin.c's code comes first.
	 */
	assert_int_equal(kpl_elf__find(e, "spin_other", NULL, &g), 0);
	assert_true(a->value < g->value);
	assert_int_equal(kpl_elf__find(e, "spin_hold", NULL, &g), 0);
	assert_true(b->value >= g->value + g->size);

	/* A path: only the basenames are compared, on either side. */
	assert_int_equal(kpl_elf__find(e, "scale",
				       "tests/integration/fixtures/libspin.c",
				       &s),
			 0);
	assert_ptr_equal(s, a);
	assert_int_equal(kpl_elf__find(e, "scale",
				       "/build/src/deep/dir/libspin_other.c",
				       &s),
			 0);
	assert_ptr_equal(s, b);

	/* A local unique in the object needs no file. */
	assert_int_equal(kpl_elf__find(e, "frame_dummy", NULL, &s), 0);
	assert_int_equal(s->bind, STB_LOCAL);
	assert_string_equal(s->file, "crtstuff.c");
	kpl_elf__close(e);
}

static void test_elf_find__ambiguous_local(void **state)
{
	const struct kpl_elf_sym *s = (const void *)&s;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	assert_int_equal(kpl_elf__find(e, "scale", NULL, &s), -ENOTUNIQ);
	assert_int_equal(kpl_elf__find(e, "scale", "", &s), -ENOTUNIQ);
	/* Outputs are written only on success. */
	assert_ptr_equal(s, (const void *)&s);
	kpl_elf__close(e);
}

static void test_elf_find__missing(void **state)
{
	const struct kpl_elf_sym *s = (const void *)&s;
	struct kpl_elf *e = NULL;

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	assert_int_equal(kpl_elf__find(e, "no_such_symbol", NULL, &s),
			 -KPL_E_SYMBOL);
	/* A prefix is not a match. */
	assert_int_equal(kpl_elf__find(e, "spin_f", NULL, &s), -KPL_E_SYMBOL);
	/* Undefined here (libspin imports it from libc): not found. */
	assert_int_equal(kpl_elf__find(e, "nanosleep", NULL, &s),
			 -KPL_E_SYMBOL);
	/* The right name in the wrong file. */
	assert_int_equal(kpl_elf__find(e, "scale", "spin.c", &s),
			 -KPL_E_SYMBOL);
	/* A file names a local: a global is not looked for with one. */
	assert_int_equal(kpl_elf__find(e, "spin_f0", "libspin.c", &s),
			 -KPL_E_SYMBOL);
	assert_ptr_equal(s, (const void *)&s);
	kpl_elf__close(e);
}

static void expect_code(const struct kpl_elf *e, const struct blob *b,
			const char *name, const char *file, bool endbr)
{
	const struct kpl_elf_sym *s = NULL;
	uint8_t code[256];

	assert_int_equal(kpl_elf__find(e, name, file, &s), 0);
	assert_true(s->size >= sizeof(endbr64) && s->size <= sizeof(code));
	memset(code, 0, sizeof(code));
	assert_int_equal(kpl_elf__read(e, s->value, code, s->size), 0);
	assert_memory_equal(code, b->p + blob_vaddr_off(b, s->value, s->size),
			    s->size);
	/*
	 * libspin is built with -fcf-protection: an exported function
	 * starts with endbr64; a static one whose address is never taken
	 * need not.
	 */
	if (endbr)
		assert_memory_equal(code, endbr64, sizeof(endbr64));
}

static void test_elf_read__function_bytes(void **state)
{
	struct kpl_elf *e = NULL;
	struct blob b;

	(void)state;
	blob_read(libspin_path(), &b);
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	expect_code(e, &b, "spin_f0", NULL, true);
	expect_code(e, &b, "spin_hold", NULL, true);
	expect_code(e, &b, "scale", "libspin.c", false);
	expect_code(e, &b, "scale", "libspin_other.c", false);
	kpl_elf__close(e);
	free(b.p);
}

static void test_elf_read__outside_file_refused(void **state)
{
	const struct kpl_elf_sym *s = NULL;
	struct kpl_elf *e = NULL;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(kpl_elf__open(libspin_path(), &e), 0);
	/* spin_base is all zeroes: .bss, mapped but not in the file. */
	assert_int_equal(kpl_elf__find(e, "spin_base", NULL, &s), 0);
	assert_int_equal(kpl_elf__read(e, s->value, buf, 4), -KPL_E_RANGE);
	assert_int_equal(kpl_elf__read(e, e->max_vaddr, buf, 1), -KPL_E_RANGE);
	assert_int_equal(kpl_elf__read(e, UINT64_MAX - 8, buf, 16),
			 -KPL_E_RANGE);
	/* A function's start but far too long. */
	assert_int_equal(kpl_elf__find(e, "spin_f0", NULL, &s), 0);
	assert_int_equal(kpl_elf__read(e, s->value, buf, SIZE_MAX),
			 -KPL_E_RANGE);
	kpl_elf__close(e);
}

static void test_elf_close__null(void **state)
{
	(void)state;
	kpl_elf__close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_open__build_id_matches_note),
		cmocka_unit_test(
			test_elf_build_id__short_buffer_or_missing_file),
		cmocka_unit_test(test_elf_hex__lowercase),
		cmocka_unit_test(test_elf_open__headers_and_soname),
		cmocka_unit_test(test_elf_find__global),
		cmocka_unit_test(test_elf_find__local_by_file),
		cmocka_unit_test(test_elf_find__ambiguous_local),
		cmocka_unit_test(test_elf_find__missing),
		cmocka_unit_test(test_elf_read__function_bytes),
		cmocka_unit_test(test_elf_read__outside_file_refused),
		cmocka_unit_test(test_elf_close__null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
