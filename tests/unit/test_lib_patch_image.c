// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/patch_image.c: the ELF image of a patch
 * mapping, read back through libelf as libdwfl and gdb read it: its
 * sections at the target's addresses (a debugger's file) or moved to 0
 * (libdwfl's, which adds the mapping's start), its symbols, its table.
 */
#include <gelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "maps.h"
#include "patch_image.h"

/* A CIE "zR" and one FDE (test_lib_ehframe.c), and the terminator. */
static const uint8_t table[] = {
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* CIE, length 20 */
	0x01, 'z',  'R',  0x00, 0x01, 0x78, 0x10, /* v1 "zR" 1 -8 rip */
	0x01, 0x1b, /* augmentation data: pcrel|sdata4 */
	0x0c, 0x07, 0x08, 0x90, 0x01, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, /* FDE, CIE at 0 */
	0x00, 0x00, 0x00, 0x00, /* pc_begin */
	0x20, 0x00, 0x00, 0x00, /* pc_range 32 */
	0x00, 0x00, 0x00, 0x00, /* no augmentation data, nops */
	0x00, 0x00, 0x00, 0x00, /* terminator */
};

static const struct kpl_patch_image_sym syms[] = {
	{ 0x7f0000001000, 0x20, "scale" },
	{ 0x7f0000001040, 0x10, "kpl:P+0x40" },
};

static const struct kpl_patch_image in = {
	.base = 0x7f0000000000,
	.size = 0x3000,
	.text_lo = 0x7f0000001000,
	.text_hi = 0x7f0000001100,
	.eh_frame = 0x7f0000002000,
	.tab = table,
	.tab_len = sizeof(table),
	.syms = syms,
	.nr_syms = 2,
};

static Elf_Scn *section(Elf *e, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *s = NULL;
	size_t shstrndx;

	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((s = elf_nextscn(e, s))) {
		const char *n;

		assert_non_null(gelf_getshdr(s, sh));
		n = elf_strptr(e, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return s;
	}
	fail_msg("no section %s", name);
	return NULL;
}

/* Check the image of @in made at @vaddr: addresses moved by @move. */
static void check_image(uint64_t vaddr)
{
	struct kpl_patch_image im = in;
	uint64_t move = vaddr - in.base;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;
	Elf_Scn *s;
	size_t size, strndx;
	void *buf;
	Elf *e;
	int i;

	im.vaddr = vaddr;
	buf = kpl_patch_image__make(&im, &size);
	assert_non_null(buf);
	elf_version(EV_CURRENT);
	e = elf_memory(buf, size);
	assert_non_null(e);
	assert_non_null(gelf_getehdr(e, &eh));
	assert_int_equal(eh.e_type, ET_DYN);
	assert_int_equal(eh.e_phnum, 1);
	assert_non_null(gelf_getphdr(e, 0, &ph));
	assert_int_equal(ph.p_type, PT_LOAD);
	assert_true(ph.p_vaddr == vaddr && ph.p_memsz == in.size);

	s = section(e, ".text", &sh);
	assert_int_equal(sh.sh_type, SHT_NOBITS);
	assert_true(sh.sh_flags == (SHF_ALLOC | SHF_EXECINSTR));
	assert_true(sh.sh_addr == in.text_lo + move && sh.sh_size == 0x100);
	s = section(e, ".eh_frame", &sh);
	assert_true(sh.sh_addr == in.eh_frame + move);
	d = elf_getdata(s, NULL);
	assert_non_null(d);
	assert_int_equal(d->d_size, sizeof(table));
	assert_memory_equal(d->d_buf, table, sizeof(table));
	assert_int_equal(sh.sh_offset % 8, 0);

	s = section(e, ".symtab", &sh);
	strndx = sh.sh_link;
	assert_int_equal(sh.sh_size / sh.sh_entsize, 3);
	d = elf_getdata(s, NULL);
	assert_non_null(d);
	for (i = 0; i < 2; i++) {
		assert_non_null(gelf_getsym(d, i + 1, &sym));
		assert_string_equal(elf_strptr(e, strndx, sym.st_name),
				    syms[i].name);
		assert_true(sym.st_value == syms[i].addr + move);
		assert_true(sym.st_size == syms[i].size);
		assert_int_equal(GELF_ST_TYPE(sym.st_info), STT_FUNC);
		assert_int_equal(sym.st_shndx,
				 elf_ndxscn(section(e, ".text", &sh)));
	}
	elf_end(e);
	free(buf);
}

static void test_patch_image__at_the_targets_addresses(void **state)
{
	(void)state;
	check_image(in.base);
}

static void test_patch_image__moved_to_zero_for_libdwfl(void **state)
{
	(void)state;
	check_image(0);
}

/* No table, no symbols: still an image libelf reads, sections empty. */
static void test_patch_image__without_table_or_symbols(void **state)
{
	struct kpl_patch_image im = in;
	GElf_Shdr sh;
	size_t size;
	void *buf;
	Elf *e;

	(void)state;
	im.tab = NULL;
	im.nr_syms = 0;
	buf = kpl_patch_image__make(&im, &size);
	assert_non_null(buf);
	e = elf_memory(buf, size);
	assert_non_null(e);
	section(e, ".eh_frame", &sh);
	assert_int_equal(sh.sh_size, 0);
	section(e, ".symtab", &sh);
	assert_int_equal(sh.sh_size, sizeof(Elf64_Sym));
	elf_end(e);
	free(buf);
}

/* A name from the target reaches a debugger as printable ASCII only. */
static void test_patch_image__names_printable_only(void **state)
{
	struct kpl_patch_image_sym y = { 0x7f0000001000, 0x20,
					 "ev\x1b]0;owned\x07 il\xff" };
	struct kpl_patch_image im = in;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;
	size_t size;
	void *buf;
	Elf *e;

	(void)state;
	im.syms = &y;
	im.nr_syms = 1;
	buf = kpl_patch_image__make(&im, &size);
	assert_non_null(buf);
	e = elf_memory(buf, size);
	assert_non_null(e);
	d = elf_getdata(section(e, ".symtab", &sh), NULL);
	assert_non_null(d);
	assert_non_null(gelf_getsym(d, 1, &sym));
	assert_string_equal(elf_strptr(e, sh.sh_link, sym.st_name),
			    "ev?]0;owned??il?");
	elf_end(e);
	free(buf);
}

/*
 * The image page, as libdwfl reads it from the process: from the page's
 * start, the bytes of its one PT_LOAD (page and region), in which the
 * section headers find the region's own table and the symbols lie at
 * their offsets from the page.
 */
static void test_patch_image__in_place_page(void **state)
{
	struct kpl_patch_image im = in;
	const uint64_t head = 4096;
	GElf_Phdr ph;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;
	uint8_t *mem;
	size_t size;
	void *buf;
	Elf *e;

	(void)state;
	im.head = head;
	im.vaddr = head;
	buf = kpl_patch_image__make(&im, &size);
	assert_non_null(buf);
	assert_int_equal(size, head);
	mem = calloc(1, head + in.size);
	assert_non_null(mem);
	memcpy(mem, buf, head);
	memcpy(mem + head + (in.eh_frame - in.base), table, sizeof(table));
	e = elf_memory((char *)mem, head + in.size);
	assert_non_null(e);
	assert_non_null(gelf_getphdr(e, 0, &ph));
	assert_int_equal(ph.p_type, PT_LOAD);
	assert_int_equal(ph.p_vaddr, 0);
	assert_int_equal(ph.p_offset, 0);
	assert_int_equal(ph.p_filesz, head + in.size);
	assert_int_equal(ph.p_memsz, head + in.size);
	d = elf_getdata(section(e, ".eh_frame", &sh), NULL);
	assert_non_null(d);
	assert_int_equal(sh.sh_addr, head + 0x2000);
	assert_int_equal(sh.sh_offset, head + 0x2000);
	assert_int_equal(d->d_size, sizeof(table));
	assert_memory_equal(d->d_buf, table, sizeof(table));
	d = elf_getdata(section(e, ".symtab", &sh), NULL);
	assert_non_null(d);
	assert_non_null(gelf_getsym(d, 1, &sym));
	assert_string_equal(elf_strptr(e, sh.sh_link, sym.st_name), "scale");
	assert_int_equal(sym.st_value, head + 0x1000);
	elf_end(e);
	free(mem);
	free(buf);
}

/* An image larger than the head it must fit in is not made. */
static void test_patch_image__in_place_does_not_fit(void **state)
{
	struct kpl_patch_image im = in;
	size_t size;

	(void)state;
	im.head = 256;
	im.vaddr = 256;
	assert_null(kpl_patch_image__make(&im, &size));
}

#define B 0x7f0000010000ull
#define INO 4242

/* The maps of a region at B (3 pages) with its image page below it. */
static struct kpl_maps *region_maps(void)
{
	static const struct kpl_map v[] = {
		{ B - 0x3000, B - 0x2000, 0, 77, 8, 1, PROT_READ, "/lib/x.so" },
		{ B - 0x1000, B, 0x3000, INO, 0, 1, PROT_READ,
		  "/memfd:kpl:P (deleted)" },
		{ B, B + 0x1000, 0, INO, 0, 1, PROT_READ,
		  "/memfd:kpl:P (deleted)" },
		{ B + 0x1000, B + 0x3000, 0x1000, INO, 0, 1,
		  PROT_READ | PROT_EXEC, "/memfd:kpl:P (deleted)" },
	};
	struct kpl_maps *m = calloc(1, sizeof(*m) + sizeof(v));

	assert_non_null(m);
	m->nr = 4;
	memcpy(m->v, v, sizeof(v));
	return m;
}

static void test_patch_image__head_of_a_region(void **state)
{
	struct kpl_maps *m = region_maps();

	(void)state;
	assert_int_equal(kpl_patch_image__head(m, B, 0x3000), 0x1000);
	/* The kmod backend's region, or an older kpl's: no page. */
	m->v[1].start = B - 0x2000;
	m->v[1].end = B - 0x1000;
	assert_int_equal(kpl_patch_image__head(m, B, 0x3000), 0);
	free(m);
}

/* A page the process forged below its patch is not the patch's: kpl
 * takes only the patch's memfd, from where the loader maps the page. */
static void test_patch_image__head_refuses_forgeries(void **state)
{
	struct kpl_maps *m;
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		m = region_maps();
		switch (i) {
		case 0: /* another file */
			m->v[1].inode = 99;
			break;
		case 1: /* the same number on another device */
			m->v[1].dev_minor = 2;
			break;
		case 2: /* not from past the region's end */
			m->v[1].offset = 0x1000;
			break;
		case 3: /* writable: memory the process uses */
			m->v[1].prot = PROT_READ | PROT_WRITE;
			break;
		case 4: /* another name */
			snprintf(m->v[1].path, sizeof(m->v[1].path),
				 "/memfd:kpl:Q (deleted)");
			break;
		case 5: /* too large to be an image page */
			m->v[1].start = B - 0x100000;
			m->v[0].end = B - 0x100000;
			m->v[0].start = B - 0x101000;
			break;
		case 6: /* no record at offset 0 where the region starts */
			m->v[2].offset = 0x1000;
			break;
		case 7: /* not a patch's region at all */
			snprintf(m->v[1].path, sizeof(m->v[1].path), "/tmp/x");
			snprintf(m->v[2].path, sizeof(m->v[2].path), "/tmp/x");
			break;
		}
		assert_int_equal(kpl_patch_image__head(m, B, 0x3000), 0);
		free(m);
	}
	m = region_maps();
	assert_int_equal(kpl_patch_image__head(m, B, 0x2000), 0);
	assert_int_equal(kpl_patch_image__head(m, B + 0x1000, 0x2000), 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_image__at_the_targets_addresses),
		cmocka_unit_test(test_patch_image__moved_to_zero_for_libdwfl),
		cmocka_unit_test(test_patch_image__without_table_or_symbols),
		cmocka_unit_test(test_patch_image__names_printable_only),
		cmocka_unit_test(test_patch_image__in_place_page),
		cmocka_unit_test(test_patch_image__in_place_does_not_fit),
		cmocka_unit_test(test_patch_image__head_of_a_region),
		cmocka_unit_test(test_patch_image__head_refuses_forgeries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
