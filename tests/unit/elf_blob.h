/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A whole ELF file read with stdio, for unit tests that check libelf's
 * (and libkpl's) answers against plain <elf.h>, and the files those
 * tests make written out.  Include after <cmocka.h>.  Every header
 * access is bounds-checked by an assertion.
 */
#ifndef KPL_TEST_ELF_BLOB_H
#define KPL_TEST_ELF_BLOB_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct blob {
	uint8_t *p;
	size_t n;
};

static inline void blob_read(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > (long)sizeof(Elf64_Ehdr));
	rewind(f);
	b->n = (size_t)n;
	b->p = malloc(b->n);
	assert_non_null(b->p);
	assert_int_equal(fread(b->p, 1, b->n, f), b->n);
	fclose(f);
	assert_memory_equal(b->p, ELFMAG, SELFMAG);
	assert_int_equal(b->p[EI_CLASS], ELFCLASS64);
}

static inline const Elf64_Ehdr *blob_eh(const struct blob *b)
{
	return (const Elf64_Ehdr *)b->p;
}

static inline const Elf64_Phdr *blob_ph(const struct blob *b, size_t i)
{
	const Elf64_Ehdr *eh = blob_eh(b);

	assert_true(eh->e_phoff + (i + 1) * sizeof(Elf64_Phdr) <= b->n);
	return (const Elf64_Phdr *)(b->p + eh->e_phoff) + i;
}

static inline const Elf64_Shdr *blob_sh(const struct blob *b, size_t i)
{
	const Elf64_Ehdr *eh = blob_eh(b);

	assert_true(eh->e_shoff + (i + 1) * sizeof(Elf64_Shdr) <= b->n);
	return (const Elf64_Shdr *)(b->p + eh->e_shoff) + i;
}

/* Write @n bytes to a new temporary file, named in @path; return its fd. */
static inline int blob_write_tmp(char *path, size_t path_len, const void *p,
				 size_t n)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, path_len, "%s/kpl-test-elf-XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

#endif
