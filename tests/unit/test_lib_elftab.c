// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elftab.c on real files: the libc this test
 * runs with, libspin.so.1 and the non-PIE fixtures/canon.c.  A lookup
 * by name through .gnu.hash, before the tables are read, must give for
 * every exported name what the whole table gives; a .gnu.hash that
 * fails a check must not be read out of bounds (ASan) and the lookup
 * must still answer, from the whole table.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "elf_blob.h"
#include "elf_files.h"
#include "elfobj.h"
#include "maps.h"
#include "share.h"

/* Two lookups agree: both none, or the same symbol's every field. */
static void assert_same_sym(const struct kpl_elf_sym *a,
			    const struct kpl_elf_sym *b, const char *name)
{
	if (!a || !b) {
		if (a != b)
			fail_msg("%s: %s by hash, %s by table", name,
				 a ? "found" : "none", b ? "found" : "none");
		return;
	}
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->value, b->value);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->bind, b->bind);
	assert_int_equal(a->vis, b->vis);
	assert_int_equal(a->defined, b->defined);
	assert_int_equal(a->canonical, b->canonical);
	assert_int_equal(a->ver_hidden, b->ver_hidden);
	assert_true(a->dynamic && b->dynamic);
	if (a->version || b->version) {
		assert_non_null(a->version);
		assert_non_null(b->version);
		assert_string_equal(a->version, b->version);
	}
}

/*
 * Every name of @path's table, looked up by default version, by each
 * symbol's own version and as a plain export: the same answer from an
 * unread object (by hash) and from a read one.  Returns how many
 * lookups found a symbol.
 */
static size_t compare_all(const char *path)
{
	struct kpl_elf *hash = NULL, *table = NULL;
	const struct kpl_elf_sym *syms, *one;
	size_t i, nr, found = 0;

	assert_int_equal(kpl_elf__open(path, &hash), 0);
	assert_int_equal(kpl_elf__open(path, &table), 0);
	assert_int_equal(kpl_elf__symbols(table, &syms, &nr), 0);
	assert_true(nr > 0);
	for (i = 0; i < nr; i++) {
		const struct kpl_elf_sym *s = &syms[i];
		const struct kpl_elf_sym *a, *b;

		if (!s->dynamic)
			continue;
		a = kpl_elf__find_version(hash, s->name, NULL);
		b = kpl_elf__find_version(table, s->name, NULL);
		assert_same_sym(a, b, s->name);
		found += a != NULL;
		if (s->version) {
			a = kpl_elf__find_version(hash, s->name, s->version);
			b = kpl_elf__find_version(table, s->name, s->version);
			assert_same_sym(a, b, s->name);
		}
		a = kpl_elf__find_dynamic(hash, s->name);
		b = kpl_elf__find_dynamic(table, s->name);
		assert_same_sym(a, b, s->name);
	}
	/* All of that went through the hash: the tables are still unread. */
	assert_true(kpl_elf__hashed(hash, "kpl_no_such_name", &one, 1) >= 0);
	assert_int_equal(kpl_elf__hashed(table, "kpl_no_such_name", &one, 1),
			 -ENOSYS);
	kpl_elf__close(hash);
	kpl_elf__close(table);
	return found;
}

static void test_elf_hashed__libc_as_its_table(void **state)
{
	struct libc_info li;

	(void)state;
	find_libc(&li);
	/* libc exports some 3,000 symbols. */
	assert_true(compare_all(li.path) > 1000);
}

static void test_elf_hashed__libspin_as_its_table(void **state)
{
	(void)state;
	assert_true(compare_all(libspin_path()) > 0);
}

/* puts' canonical PLT entry is in the program's .gnu.hash. */
static void test_elf_hashed__canonical_entry_as_its_table(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_elf *e = NULL;

	(void)state;
	compare_all(test_env_path("KPL_TEST_CANON"));
	assert_int_equal(kpl_elf__open(test_env_path("KPL_TEST_CANON"), &e),
			 0);
	assert_int_equal(kpl_elf__hashed(e, "puts", &s, 1), 1);
	assert_true(s->canonical);
	kpl_elf__close(e);
}

static void test_elf_hashed__finds_what_glibc_finds(void **state)
{
	const char *fn = "gnu_get_libc_version";
	const struct kpl_elf_sym *named[4], *s;
	struct libc_info li;
	struct kpl_elf *e = NULL;
	int n;

	(void)state;
	find_libc(&li);
	assert_int_equal(kpl_elf__open(li.path, &e), 0);
	n = kpl_elf__hashed(e, fn, named, 4);
	assert_true(n >= 1);
	s = kpl_elf__find_version(e, fn, NULL);
	assert_non_null(s);
	assert_ptr_equal(s, named[0]);
	assert_int_equal(li.bias + s->value,
			 (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, fn));
	/* The same symbol twice is one struct. */
	assert_ptr_equal(kpl_elf__find_version(e, fn, NULL), s);
	assert_null(kpl_elf__find_version(e, "kpl_no_such_name", NULL));
	assert_int_equal(kpl_elf__hashed(e, "", named, 4), 0);
	/*
	 * timer_settime has three versions: more entries than the caller
	 * has room for is said, not cut short (first_export() then reads
	 * the whole table).
	 */
	assert_int_equal(kpl_elf__hashed(e, "timer_settime", named, 4), 3);
	for (n = 0; n < 3 && named[n]->ver_hidden; n++)
		;
	assert_true(n < 3);
	assert_ptr_equal(kpl_elf__find_version(e, "timer_settime", NULL),
			 named[n]);
	assert_int_equal(kpl_elf__hashed(e, "timer_settime", named, 2),
			 -E2BIG);
	kpl_elf__close(e);
}

/*
 * An object that fleet workers share (share.c) is read whole when it
 * is opened, so that no lookup writes to it: the hash path is closed.
 */
static void test_elf_hashed__shared_object_read_whole(void **state)
{
	const struct kpl_elf_sym *s;
	struct kpl_share_file f = { .pid = getpid() };
	struct kpl_maps *m = NULL;
	struct kpl_elf *e;
	size_t i;

	(void)state;
	assert_int_equal(kpl_maps__read(getpid(), &m), 0);
	for (i = 0; i < m->nr && !f.inode; i++) {
		const struct kpl_map *v = &m->v[i];

		const char *base = strrchr(v->path, '/');

		/* Its path may differ from li.path by a merged /usr. */
		if (!base || strcmp(base, "/libc.so.6") || v->offset)
			continue;
		f.start = v->start;
		f.end = v->end;
		f.dev_major = v->dev_major;
		f.dev_minor = v->dev_minor;
		f.inode = v->inode;
		f.path = v->path;
	}
	assert_true(f.inode != 0);
	kpl_share__get();
	e = kpl_share__kelf(&f);
	assert_non_null(e);
	assert_int_equal(kpl_elf__hashed(e, "gnu_get_libc_version", &s, 1),
			 -ENOSYS);
	assert_non_null(kpl_elf__find_version(e, "gnu_get_libc_version", NULL));
	kpl_share__put();
	free(m);
}

/*
 * libspin.so.1's .gnu.hash: its section header (in @b), file offset,
 * size and header words.
 */
static Elf64_Shdr *find_gnu_hash(struct blob *b, size_t *off, size_t *size,
				 uint32_t *hdr)
{
	const Elf64_Ehdr *eh = blob_eh(b);
	size_t i;

	for (i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(b->p + eh->e_shoff) + i;

		assert_ptr_equal(sh, blob_sh(b, i));

		if (sh->sh_type != SHT_GNU_HASH)
			continue;
		assert_true(sh->sh_offset + sh->sh_size <= b->n);
		assert_true(sh->sh_size >= 16);
		*off = sh->sh_offset;
		*size = sh->sh_size;
		memcpy(hdr, b->p + *off, 16);
		return sh;
	}
	fail_msg("no .gnu.hash in %s", libspin_path());
	return NULL;
}

enum corrupt {
	NO_BUCKETS,
	BLOOM_NOT_POW2,
	SHIFT_TOO_BIG,
	BUCKETS_PAST_END,
	CHAINS_UNENDED,
	SYMOFFSET_PAST_END,
	SECTION_CUT,
};

/*
 * libspin.so.1 with its .gnu.hash broken as @how says: the hash path
 * refuses it and the lookup answers from the whole table, as the intact
 * file's table does.
 */
static void check_corrupt(enum corrupt how)
{
	const struct kpl_elf_sym *intact, *got, *one;
	struct kpl_elf *good = NULL, *bad = NULL;
	char path[256];
	struct blob b;
	uint32_t hdr[4], *w;
	size_t off, size, i, words, chain;
	Elf64_Shdr *sh;
	int fd;

	blob_read(libspin_path(), &b);
	sh = find_gnu_hash(&b, &off, &size, hdr);
	w = (uint32_t *)(b.p + off);
	words = hdr[2];
	chain = off + 16 + words * 8 + (size_t)hdr[0] * 4;
	assert_true(chain <= off + size);
	switch (how) {
	case NO_BUCKETS:
		w[0] = 0;
		break;
	case BLOOM_NOT_POW2:
		w[2] = 3;
		break;
	case SHIFT_TOO_BIG:
		w[3] = 40;
		break;
	case BUCKETS_PAST_END:
		for (i = 0; i < hdr[0]; i++)
			w[4 + words * 2 + i] = 0xfffffff0u;
		break;
	case CHAINS_UNENDED:
		/* Every chain runs on to the end of the section. */
		for (i = chain; i + 4 <= off + size; i += 4)
			b.p[i] &= 0xfe;
		break;
	case SYMOFFSET_PAST_END:
		w[1] = 0x7fffffffu;
		break;
	case SECTION_CUT:
		/* The section ends where its chains begin. */
		sh->sh_size = chain - off;
		break;
	}
	/* A Bloom filter that lets everything through reaches the chains. */
	if (how == BUCKETS_PAST_END || how == CHAINS_UNENDED ||
	    how == SECTION_CUT)
		memset(b.p + off + 16, 0xff, words * 8);
	fd = blob_write_tmp(path, sizeof(path), b.p, b.n);
	close(fd);
	free(b.p);
	assert_int_equal(kpl_elf__open(libspin_path(), &good), 0);
	assert_int_equal(kpl_elf__open(path, &bad), 0);
	assert_int_equal(kpl_elf__hashed(bad, "spin_f0", &one, 1), -ENOSYS);
	intact = kpl_elf__find_version(good, "spin_f0", NULL);
	assert_non_null(intact);
	got = kpl_elf__find_version(bad, "spin_f0", NULL);
	assert_same_sym(got, intact, "spin_f0");
	kpl_elf__close(good);
	kpl_elf__close(bad);
	unlink(path);
}

static void test_elf_hashed__corrupt_tables_refused(void **state)
{
	(void)state;
	check_corrupt(NO_BUCKETS);
	check_corrupt(BLOOM_NOT_POW2);
	check_corrupt(SHIFT_TOO_BIG);
	check_corrupt(BUCKETS_PAST_END);
	check_corrupt(CHAINS_UNENDED);
	check_corrupt(SYMOFFSET_PAST_END);
	check_corrupt(SECTION_CUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_hashed__libc_as_its_table),
		cmocka_unit_test(test_elf_hashed__libspin_as_its_table),
		cmocka_unit_test(test_elf_hashed__canonical_entry_as_its_table),
		cmocka_unit_test(test_elf_hashed__finds_what_glibc_finds),
		cmocka_unit_test(test_elf_hashed__shared_object_read_whole),
		cmocka_unit_test(test_elf_hashed__corrupt_tables_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
