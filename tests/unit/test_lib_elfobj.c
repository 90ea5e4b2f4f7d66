// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/elfobj.c on real ELF files: libspin.so.1
 * (built by tests/integration/integration.mk; make passes its path in
 * KPL_TEST_LIBSPIN), the libc this test runs with, and a few small files
 * written here.  Every expected value is found another way: the build-id
 * and the code bytes by reading the file with plain <elf.h>, addresses by
 * asking the dynamic linker (dlsym) where it put the symbol.
 *
 * libspin.c and libspin_other.c each define a `static int scale(int)`, so
 * "scale" is an ambiguous local that a file name disambiguates.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
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

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* The last warning the library logged. */
static char last_log[1024];

static int log_hook(enum kpl_print_level level, const char *fmt, va_list ap)
{
	/* Every level: the non-ELF notice is debug, callers decide. */
	(void)level;
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	return 0;
}

static const char *libspin_path(void)
{
	const char *p = getenv("KPL_TEST_LIBSPIN");

	if (!p || !*p)
		fail_msg(
			"KPL_TEST_LIBSPIN is not set: run through `make unit`");
	return p;
}

struct libc_info {
	char path[4096];
	uint64_t bias;
};

static int find_libc_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct libc_info *li = data;
	const char *base = strrchr(info->dlpi_name, '/');

	(void)size;
	base = base ? base + 1 : info->dlpi_name;
	if (strcmp(base, "libc.so.6"))
		return 0;
	snprintf(li->path, sizeof(li->path), "%s", info->dlpi_name);
	li->bias = info->dlpi_addr;
	return 1;
}

/* The libc this very test is linked with, and where it is loaded. */
static void find_libc(struct libc_info *li)
{
	memset(li, 0, sizeof(*li));
	if (!dl_iterate_phdr(find_libc_cb, li))
		fail_msg("libc.so.6 is not loaded in the test process");
}

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

/* Where the dynamic linker puts @name of libspin, minus its load bias. */
static uint64_t libspin_dl_value(const char *name)
{
	struct link_map *lm = NULL;
	uint64_t v;
	void *h, *p;

	h = dlopen(libspin_path(), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen %s: %s", libspin_path(), dlerror());
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	p = dlsym(h, name);
	assert_non_null(p);
	v = (uint64_t)(uintptr_t)p - lm->l_addr;
	dlclose(h);
	return v;
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
	const char *tmp = getenv("TMPDIR");
	int fd;

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

	snprintf(path, path_len, "%s/kpl-test-elf-XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, off), (ssize_t)off);
	return fd;
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
	assert_int_equal(kpl_elf__find_tls(e, "dup", NULL, &s),
			 -KPL_E_SYMBOL);
	assert_int_equal(kpl_elf__find(e, "ext", NULL, &s), -KPL_E_SYMBOL);
	/* No .dynsym: nothing is exported. */
	assert_null(kpl_elf__find_dynamic(e, "dup"));
	kpl_elf__close(e);
	close(fd);
	unlink(path);
}

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

/* Write @n bytes to a new temporary file; return its fd. */
static int tmp_write(char *path, size_t path_len, const void *p, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, path_len, "%s/kpl-test-elf-XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
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
	fd = tmp_write(path, sizeof(path), text, sizeof(text) - 1);
	expect_refused(path, -KPL_E_FORMAT, "is not an ELF file");
	/* The quick reader finds no build-id in it. */
	assert_int_equal(kpl_elf_build_id(path, (uint8_t[20]){ 0 }, 20), 0);
	close(fd);
	unlink(path);

	fd = tmp_write(path, sizeof(path), "", 0);
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

static void test_elf_close__null(void **state)
{
	(void)state;
	kpl_elf__close(NULL);
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
		cmocka_unit_test(test_elf_open__build_id_matches_note),
		cmocka_unit_test(
			test_elf_build_id__short_buffer_or_missing_file),
		cmocka_unit_test(test_elf_hex__lowercase),
		cmocka_unit_test(test_elf_open__headers_and_soname),
		cmocka_unit_test(test_elf_find__global),
		cmocka_unit_test(test_elf_find__local_by_file),
		cmocka_unit_test(test_elf_find__ambiguous_local),
		cmocka_unit_test(test_elf_find__missing),
		cmocka_unit_test(test_elf_find__global_wins_over_local),
		cmocka_unit_test(test_elf_find__ifunc_tls_undefined_skipped),
		cmocka_unit_test(test_elf_find_dynamic__exported_only),
		cmocka_unit_test(test_elf_find_dynamic__libc_malloc),
		cmocka_unit_test(test_elf_find_dynamic__default_version),
		cmocka_unit_test(test_elf_find_dynamic__ifunc_marked),
		cmocka_unit_test(test_elf_import__got_slot),
		cmocka_unit_test(test_elf_read__function_bytes),
		cmocka_unit_test(test_elf_read__outside_file_refused),
		cmocka_unit_test(test_elf_open__non_elf_refused),
		cmocka_unit_test(test_elf_close__null),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
