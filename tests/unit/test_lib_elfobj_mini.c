// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elfobj.c (and the lookups of elfsym.c) on
 * small files written here: a
 * symbol table made to put globals, locals, IFUNC, TLS and undefined
 * symbols of one name side by side, and files that are not 64-bit ELF
 * at all, which must be refused with a clear message.
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

#include "elfobj.h"
#include "kpl/errors.h"
#include "kpl/log.h"

/* The last warning the library logged. */
static char last_log[1024];

static int log_hook(enum kpl_print_level level, const char *fmt, va_list ap)
{
	/* Every level: the non-ELF notice is debug, callers decide. */
	(void)level;
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	return 0;
}

/* A small ELF file written by the test: a symbol table and nothing else. */
struct mini_sym {
	const char *name;
	uint8_t type, bind;
	uint16_t shndx;
	uint64_t value;
};

static const struct mini_sym mini_syms[] = {
	{ "", STT_NOTYPE, STB_LOCAL, SHN_UNDEF, 0 },
	{ "a.c", STT_FILE, STB_LOCAL, SHN_ABS, 0 },
	{ "dup", STT_FUNC, STB_LOCAL, 1, 0x1000 },
	{ "b.c", STT_FILE, STB_LOCAL, SHN_ABS, 0 },
	{ "dup", STT_FUNC, STB_LOCAL, 1, 0x1010 },
	{ "ifn", STT_FUNC, STB_LOCAL, 1, 0x1018 },
	/* Globals from here (sh_info). */
	{ "dup", STT_FUNC, STB_GLOBAL, 1, 0x1020 },
	{ "ifn", STT_GNU_IFUNC, STB_GLOBAL, 1, 0x1028 },
	{ "tvar", STT_TLS, STB_GLOBAL, 1, 0 },
	{ "weakfn", STT_FUNC, STB_WEAK, 1, 0x1030 },
	{ "ext", STT_NOTYPE, STB_GLOBAL, SHN_UNDEF, 0 },
};
#define MINI_FIRST_GLOBAL 6

enum { MINI_TEXT = 1, MINI_SYMTAB, MINI_STRTAB, MINI_SHSTRTAB, MINI_NR };

static size_t put(uint8_t *buf, size_t *off, const void *p, size_t n)
{
	size_t at = *off;

	memcpy(buf + at, p, n);
	*off += n;
	return at;
}

/* Write the mini ELF (class @cls) to a new temporary file; return its fd. */
static int mini_write(char *path, size_t path_len, int cls)
{
	static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	static const uint32_t shname[MINI_NR] = { 0, 1, 7, 15, 23 };
	uint8_t buf[4096] = { 0 }, strtab[256] = { 0 };
	Elf64_Shdr sh[MINI_NR] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	size_t off = sizeof(*eh), stroff = 1, i;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = (uint8_t)cls;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = MINI_NR;
	eh->e_shstrndx = MINI_SHSTRTAB;

	sh[MINI_TEXT] = (Elf64_Shdr){ .sh_type = SHT_PROGBITS,
				      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				      .sh_addr = 0x1000,
				      .sh_size = 0x40,
				      .sh_addralign = 16 };
	sh[MINI_TEXT].sh_offset = put(buf, &off, (uint8_t[0x40]){ 0 }, 0x40);
	sh[MINI_SYMTAB].sh_offset = off;
	for (i = 0; i < sizeof(mini_syms) / sizeof(mini_syms[0]); i++) {
		const struct mini_sym *m = &mini_syms[i];
		Elf64_Sym es = {
			.st_info = ELF64_ST_INFO(m->bind, m->type),
			.st_shndx = m->shndx,
			.st_value = m->value,
			.st_size = m->type == STT_FILE ? 0 : 8,
		};

		if (*m->name) {
			es.st_name = (uint32_t)stroff;
			memcpy(strtab + stroff, m->name, strlen(m->name) + 1);
			stroff += strlen(m->name) + 1;
		}
		put(buf, &off, &es, sizeof(es));
	}
	sh[MINI_SYMTAB] =
		(Elf64_Shdr){ .sh_type = SHT_SYMTAB,
			      .sh_offset = sh[MINI_SYMTAB].sh_offset,
			      .sh_size = off - sh[MINI_SYMTAB].sh_offset,
			      .sh_link = MINI_STRTAB,
			      .sh_info = MINI_FIRST_GLOBAL,
			      .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[MINI_STRTAB] =
		(Elf64_Shdr){ .sh_type = SHT_STRTAB,
			      .sh_offset = put(buf, &off, strtab, stroff),
			      .sh_size = stroff,
			      .sh_addralign = 1 };
	sh[MINI_SHSTRTAB] =
		(Elf64_Shdr){ .sh_type = SHT_STRTAB,
			      .sh_offset = put(buf, &off, shstr, sizeof(shstr)),
			      .sh_size = sizeof(shstr),
			      .sh_addralign = 1 };
	for (i = 0; i < MINI_NR; i++)
		sh[i].sh_name = shname[i];
	off = (off + 7) & ~(size_t)7;
	eh->e_shoff = off;
	put(buf, &off, sh, sizeof(sh));

	return blob_write_tmp(path, path_len, buf, off);
}

static void test_elf_find__global_wins_over_local(void **state)
{
	const struct kpl_elf_sym *s = NULL;
	struct kpl_elf *e = NULL;
	char path[4096];
	int fd;

	(void)state;
	fd = mini_write(path, sizeof(path), ELFCLASS64);
	assert_int_equal(kpl_elf__open(path, &e), 0);
	assert_false(e->build_id_len);
	assert_null(e->soname);
	assert_true(e->has_symtab);

	/* Two locals and a global "dup": the global, not -ENOTUNIQ. */
	assert_int_equal(kpl_elf__find(e, "dup", NULL, &s), 0);
	assert_int_equal(s->bind, STB_GLOBAL);
	assert_int_equal(s->value, 0x1020);
	/* A file hint still picks its local. */
	assert_int_equal(kpl_elf__find(e, "dup", "a.c", &s), 0);
	assert_int_equal(s->value, 0x1000);
	assert_int_equal(kpl_elf__find(e, "dup", "b.c", &s), 0);
	assert_int_equal(s->value, 0x1010);
	/* A weak definition counts as a global one. */
	assert_int_equal(kpl_elf__find(e, "weakfn", NULL, &s), 0);
	assert_int_equal(s->value, 0x1030);
	kpl_elf__close(e);
	close(fd);
	unlink(path);
}

static void test_elf_find__ifunc_tls_undefined_skipped(void **state)
{
	const struct kpl_elf_sym *s = NULL;
	struct kpl_elf *e = NULL;
	char path[4096];
	int fd;

	(void)state;
	fd = mini_write(path, sizeof(path), ELFCLASS64);
	assert_int_equal(kpl_elf__open(path, &e), 0);
	/*
	 * An IFUNC's value is its resolver, not the function: the global is
	 * skipped and the plain local of the same name is found instead.
	 */
	assert_int_equal(kpl_elf__find(e, "ifn", NULL, &s), 0);
	assert_int_equal(s->bind, STB_LOCAL);
	assert_int_equal(s->value, 0x1018);
	/* A TLS symbol's value is an offset in the TLS block: only the
	 * TLS lookup finds it, and it finds nothing else. */
	assert_int_equal(kpl_elf__find(e, "tvar", NULL, &s), -KPL_E_SYMBOL);
	assert_int_equal(kpl_elf__find_tls(e, "tvar", NULL, &s), 0);
	assert_int_equal(s->type, STT_TLS);
	assert_int_equal(kpl_elf__find_tls(e, "dup", NULL, &s), -KPL_E_SYMBOL);
	assert_int_equal(kpl_elf__find(e, "ext", NULL, &s), -KPL_E_SYMBOL);
	/* No .dynsym: nothing is exported. */
	assert_null(kpl_elf__find_dynamic(e, "dup"));
	kpl_elf__close(e);
	close(fd);
	unlink(path);
}

static void expect_refused(const char *path, int err, const char *msg)
{
	struct kpl_elf *e = (struct kpl_elf *)&e;

	last_log[0] = '\0';
	assert_int_equal(kpl_elf__open(path, &e), err);
	assert_ptr_equal(e, (struct kpl_elf *)&e);
	if (msg && !strstr(last_log, msg))
		fail_msg("expected \"%s\" in \"%s\"", msg, last_log);
}

static void test_elf_open__non_elf_refused(void **state)
{
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	char path[4096];
	int fd;

	(void)state;
	fd = blob_write_tmp(path, sizeof(path), text, sizeof(text) - 1);
	expect_refused(path, -KPL_E_FORMAT, "is not an ELF file");
	/* The quick reader finds no build-id in it. */
	assert_int_equal(kpl_elf_build_id(path, (uint8_t[20]){ 0 }, 20), 0);
	close(fd);
	unlink(path);

	fd = blob_write_tmp(path, sizeof(path), "", 0);
	expect_refused(path, -KPL_E_FORMAT, "is not an ELF file");
	close(fd);
	unlink(path);

	/* A 32-bit ELF: the magic is right, the class is not. */
	fd = mini_write(path, sizeof(path), ELFCLASS32);
	expect_refused(path, -KPL_E_FORMAT, "unreadable ELF headers");
	close(fd);
	unlink(path);

	expect_refused("/nonexistent/libx.so", -ENOENT, NULL);
}

static int setup(void **state)
{
	(void)state;
	kpl_set_print(log_hook);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_find__global_wins_over_local),
		cmocka_unit_test(test_elf_find__ifunc_tls_undefined_skipped),
		cmocka_unit_test(test_elf_open__non_elf_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
