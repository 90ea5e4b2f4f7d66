// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ELF layer of the .kpl parser: header, section headers, .symtab and
 * the RELA sections.  Hand-parsed with <elf.h> rather than libelf so every
 * bound the loader relies on is checked here, in one place, with the
 * overflow-safe range_ok().  The image is a byte buffer and section data
 * need not be aligned in it, so every on-disk struct is read by memcpy().
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "internal.h"
#include "patch.h"

/* [off, off + len) lies within [0, size), without computing off + len. */
static bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/*
 * Size of the field relocation @type writes, or -1 if the loader cannot
 * apply it.  The table is the arch layer's, so parser and loader agree.
 */
static int reloc_size(uint32_t type)
{
	enum kpl_arch_reloc_kind kind;

	if (kpl_arch_reloc_kind(type, &kind))
		return -1;
	return (int)kpl_arch_reloc_size(type);
}

static int check_ehdr(const struct kpl_patch *p, Elf64_Ehdr *eh)
{
	if (p->image_size < sizeof(*eh)) {
		pr_warn("patch: file too short for an ELF header (%zu bytes)\n",
			p->image_size);
		return -KPL_E_FORMAT;
	}
	memcpy(eh, p->image, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		pr_warn("patch: not an ELF file (bad magic)\n");
		return -KPL_E_FORMAT;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		pr_warn("patch: not an ELF64 file (class %u)\n",
			eh->e_ident[EI_CLASS]);
		return -KPL_E_FORMAT;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		pr_warn("patch: not little-endian (data encoding %u)\n",
			eh->e_ident[EI_DATA]);
		return -KPL_E_FORMAT;
	}
	if (eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT) {
		pr_warn("patch: unsupported ELF version %u/%u\n",
			eh->e_ident[EI_VERSION], eh->e_version);
		return -KPL_E_FORMAT;
	}
	if (eh->e_ident[EI_OSABI] != ELFOSABI_SYSV &&
	    eh->e_ident[EI_OSABI] != ELFOSABI_GNU) {
		pr_warn("patch: unsupported ELF OS ABI %u\n",
			eh->e_ident[EI_OSABI]);
		return -KPL_E_FORMAT;
	}
	if (eh->e_type != ET_REL) {
		pr_warn("patch: not a relocatable object (ELF type %u)\n",
			eh->e_type);
		return -KPL_E_FORMAT;
	}
	if (eh->e_machine != KPL_ARCH_ELF_MACHINE) {
		pr_warn("patch: not an " KPL_ARCH_NAME " object (machine %u)\n",
			eh->e_machine);
		return -KPL_E_FORMAT;
	}
	if (eh->e_shentsize != sizeof(Elf64_Shdr)) {
		pr_warn("patch: section header size %u, expected %zu\n",
			eh->e_shentsize, sizeof(Elf64_Shdr));
		return -KPL_E_FORMAT;
	}
	/* e_shnum == 0 with e_shoff set is extended numbering: not for us. */
	if (eh->e_shnum == 0 || eh->e_shnum >= SHN_LORESERVE) {
		pr_warn("patch: unsupported number of sections (%u)\n",
			eh->e_shnum);
		return -KPL_E_FORMAT;
	}
	if (!range_ok(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
		      p->image_size)) {
		pr_warn("patch: section headers (offset 0x%llx, %u entries) past end of file (0x%zx)\n",
			(unsigned long long)eh->e_shoff, eh->e_shnum,
			p->image_size);
		return -KPL_E_FORMAT;
	}
	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum) {
		pr_warn("patch: section name table index %u out of range (%u sections)\n",
			eh->e_shstrndx, eh->e_shnum);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static void read_shdr(const struct kpl_patch *p, const Elf64_Ehdr *eh, size_t i,
		      Elf64_Shdr *sh)
{
	memcpy(sh, p->image + eh->e_shoff + i * sizeof(*sh), sizeof(*sh));
}

/* Offset @off names a NUL-terminated string inside [@tab, @tab + @size). */
static const char *str_at(const uint8_t *tab, uint64_t size, uint64_t off)
{
	if (off >= size || !memchr(tab + off, '\0', size - off))
		return NULL;
	return (const char *)tab + off;
}

static int parse_sections(struct kpl_patch *p, const Elf64_Ehdr *eh)
{
	const uint8_t *names;
	Elf64_Shdr sh;
	size_t i;

	read_shdr(p, eh, eh->e_shstrndx, &sh);
	if (sh.sh_type != SHT_STRTAB ||
	    !range_ok(sh.sh_offset, sh.sh_size, p->image_size)) {
		pr_warn("patch: section name table (section %u) is not a string table inside the file\n",
			eh->e_shstrndx);
		return -KPL_E_FORMAT;
	}
	names = p->image + sh.sh_offset;

	p->nr_sections = eh->e_shnum;
	p->sections = calloc(p->nr_sections, sizeof(*p->sections));
	if (!p->sections)
		return -ENOMEM;

	for (i = 0; i < p->nr_sections; i++) {
		struct kpl_patch_section *s = &p->sections[i];
		uint64_t names_size = sh.sh_size;
		Elf64_Shdr cur;

		read_shdr(p, eh, i, &cur);
		s->name = str_at(names, names_size, cur.sh_name);
		if (!s->name) {
			pr_warn("patch: section %zu: name offset 0x%x out of bounds or not NUL-terminated (name table size 0x%llx)\n",
				i, cur.sh_name, (unsigned long long)names_size);
			return -KPL_E_FORMAT;
		}
		if (i == 0) {
			if (cur.sh_type != SHT_NULL) {
				pr_warn("patch: section 0 is not SHT_NULL (type %u)\n",
					cur.sh_type);
				return -KPL_E_FORMAT;
			}
			s->align = 1;
			continue;
		}
		s->type = cur.sh_type;
		s->flags = cur.sh_flags;
		s->size = cur.sh_size;
		s->link = cur.sh_link;
		s->info = cur.sh_info;
		s->entsize = cur.sh_entsize;
		s->align = cur.sh_addralign ? cur.sh_addralign : 1;
		if (s->align & (s->align - 1)) {
			pr_warn("patch: section %zu (%s): alignment 0x%llx is not a power of two\n",
				i, s->name, (unsigned long long)s->align);
			return -KPL_E_FORMAT;
		}
		if (cur.sh_type == SHT_REL) {
			pr_warn("patch: section %zu (%s): SHT_REL relocations are not supported, only SHT_RELA\n",
				i, s->name);
			return -KPL_E_FORMAT;
		}
		if (cur.sh_type == SHT_NULL || cur.sh_type == SHT_NOBITS)
			continue;
		if (!range_ok(cur.sh_offset, cur.sh_size, p->image_size)) {
			pr_warn("patch: section %zu (%s): data (offset 0x%llx, size 0x%llx) past end of file (0x%zx)\n",
				i, s->name, (unsigned long long)cur.sh_offset,
				(unsigned long long)cur.sh_size, p->image_size);
			return -KPL_E_FORMAT;
		}
		s->offset = cur.sh_offset;
		s->data = p->image + cur.sh_offset;
	}
	return 0;
}

/* Section @i is a table of @want-byte entries, as its sh_entsize says. */
static int check_entsize(const struct kpl_patch *p, size_t i, size_t want)
{
	const struct kpl_patch_section *s = &p->sections[i];

	if (s->entsize != want) {
		pr_warn("patch: section %zu (%s): entry size %llu, expected %zu\n",
			i, s->name, (unsigned long long)s->entsize, want);
		return -KPL_E_FORMAT;
	}
	if (s->size % want) {
		pr_warn("patch: section %zu (%s): size 0x%llx is not a multiple of the entry size %zu\n",
			i, s->name, (unsigned long long)s->size, want);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static int check_symbol(const struct kpl_patch *p, size_t i,
			const struct kpl_patch_symbol *sym, uint16_t shndx)
{
	const struct kpl_patch_section *s;

	switch (shndx) {
	case SHN_UNDEF:
	case SHN_ABS:
		return 0;
	case SHN_COMMON:
		pr_warn("patch: symbol %zu (%s): common symbols are not supported (build with -fno-common)\n",
			i, sym->name);
		return -KPL_E_FORMAT;
	case SHN_XINDEX:
		pr_warn("patch: symbol %zu (%s): extended section indexes are not supported\n",
			i, sym->name);
		return -KPL_E_FORMAT;
	}
	if (shndx >= SHN_LORESERVE) {
		pr_warn("patch: symbol %zu (%s): reserved section index 0x%x not supported\n",
			i, sym->name, shndx);
		return -KPL_E_FORMAT;
	}
	if (shndx >= p->nr_sections) {
		pr_warn("patch: symbol %zu (%s): section index %u out of range (%zu sections)\n",
			i, sym->name, shndx, p->nr_sections);
		return -KPL_E_FORMAT;
	}
	s = &p->sections[shndx];
	if (!range_ok(sym->value, sym->size, s->size)) {
		pr_warn("patch: symbol %zu (%s): value 0x%llx + size 0x%llx past end of section %s (0x%llx)\n",
			i, sym->name, (unsigned long long)sym->value,
			(unsigned long long)sym->size, s->name,
			(unsigned long long)s->size);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static int parse_symbols(struct kpl_patch *p)
{
	const struct kpl_patch_section *symtab = NULL, *strtab;
	size_t i;
	int err;

	for (i = 1; i < p->nr_sections; i++) {
		if (p->sections[i].type != SHT_SYMTAB)
			continue;
		if (symtab) {
			pr_warn("patch: more than one symbol table (sections %u and %zu)\n",
				p->symtab, i);
			return -KPL_E_FORMAT;
		}
		symtab = &p->sections[i];
		p->symtab = i;
	}
	if (!symtab) {
		pr_warn("patch: no symbol table\n");
		return -KPL_E_FORMAT;
	}
	err = check_entsize(p, p->symtab, sizeof(Elf64_Sym));
	if (err)
		return err;
	if (symtab->link == 0 || symtab->link >= p->nr_sections ||
	    p->sections[symtab->link].type != SHT_STRTAB) {
		pr_warn("patch: %s links to section %u, not a string table\n",
			symtab->name, symtab->link);
		return -KPL_E_FORMAT;
	}
	strtab = &p->sections[symtab->link];

	p->nr_symbols = symtab->size / sizeof(Elf64_Sym);
	if (p->nr_symbols == 0) {
		pr_warn("patch: %s is empty\n", symtab->name);
		return -KPL_E_FORMAT;
	}
	p->symbols = calloc(p->nr_symbols, sizeof(*p->symbols));
	if (!p->symbols)
		return -ENOMEM;

	for (i = 0; i < p->nr_symbols; i++) {
		struct kpl_patch_symbol *sym = &p->symbols[i];
		Elf64_Sym es;

		memcpy(&es, symtab->data + i * sizeof(es), sizeof(es));
		sym->name = str_at(strtab->data, strtab->size, es.st_name);
		if (!sym->name) {
			pr_warn("patch: symbol %zu: name offset 0x%x out of bounds or not NUL-terminated (%s size 0x%llx)\n",
				i, es.st_name, strtab->name,
				(unsigned long long)strtab->size);
			return -KPL_E_FORMAT;
		}
		sym->type = ELF64_ST_TYPE(es.st_info);
		sym->bind = ELF64_ST_BIND(es.st_info);
		sym->shndx = es.st_shndx;
		sym->value = es.st_value;
		sym->size = es.st_size;
		err = check_symbol(p, i, sym, es.st_shndx);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Check the RELA section @i.  Returns its number of entries to load, 0 when
 * its target is not loaded (debug info), or a negative error.
 */
static long long check_rela(const struct kpl_patch *p, size_t i)
{
	const struct kpl_patch_section *s = &p->sections[i], *t;
	int err;

	err = check_entsize(p, i, sizeof(Elf64_Rela));
	if (err)
		return err;
	if (s->link != p->symtab) {
		pr_warn("patch: %s links to section %u, not the symbol table (%u)\n",
			s->name, s->link, p->symtab);
		return -KPL_E_FORMAT;
	}
	if (s->info == 0 || s->info >= p->nr_sections) {
		pr_warn("patch: %s: target section %u out of range (%zu sections)\n",
			s->name, s->info, p->nr_sections);
		return -KPL_E_FORMAT;
	}
	t = &p->sections[s->info];
	if (!(t->flags & SHF_ALLOC)) {
		pr_debug("patch: ignoring %s: %s is not loaded\n", s->name,
			 t->name);
		return 0;
	}
	if (!t->data) {
		pr_warn("patch: %s: target section %s has no data\n", s->name,
			t->name);
		return -KPL_E_FORMAT;
	}
	return (long long)(s->size / sizeof(Elf64_Rela));
}

static int read_relocs(struct kpl_patch *p, size_t i, size_t *next)
{
	const struct kpl_patch_section *s = &p->sections[i];
	const struct kpl_patch_section *t = &p->sections[s->info];
	size_t j, n = s->size / sizeof(Elf64_Rela);

	for (j = 0; j < n; j++) {
		struct kpl_patch_reloc *r = &p->relocs[*next];
		Elf64_Rela er;
		int size;

		memcpy(&er, s->data + j * sizeof(er), sizeof(er));
		r->section = s->info;
		r->type = ELF64_R_TYPE(er.r_info);
		r->sym = ELF64_R_SYM(er.r_info);
		r->offset = er.r_offset;
		r->addend = er.r_addend;

		size = reloc_size(r->type);
		if (size < 0) {
			pr_warn("patch: relocation %zu in %s: unsupported type %u (%s)\n",
				j, s->name, r->type,
				kpl_arch_reloc_name(r->type));
			return -KPL_E_FORMAT;
		}
		if (r->sym >= p->nr_symbols) {
			pr_warn("patch: relocation %zu in %s: symbol index %u out of range (%zu symbols)\n",
				j, s->name, r->sym, p->nr_symbols);
			return -KPL_E_FORMAT;
		}
		if (!range_ok(r->offset, size, t->size)) {
			pr_warn("patch: relocation %zu in %s: offset 0x%llx + %d past end of section (0x%llx)\n",
				j, s->name, (unsigned long long)r->offset, size,
				(unsigned long long)t->size);
			return -KPL_E_FORMAT;
		}
		(*next)++;
	}
	return 0;
}

static int parse_relocs(struct kpl_patch *p)
{
	size_t i, total = 0, next = 0;
	long long n;
	int err;

	/* Each count is at most image_size / 24: the sum cannot overflow. */
	for (i = 1; i < p->nr_sections; i++) {
		if (p->sections[i].type != SHT_RELA)
			continue;
		n = check_rela(p, i);
		if (n < 0)
			return (int)n;
		total += (size_t)n;
	}
	if (!total)
		return 0;
	p->relocs = calloc(total, sizeof(*p->relocs));
	if (!p->relocs)
		return -ENOMEM;
	p->nr_relocs = total;

	for (i = 1; i < p->nr_sections; i++) {
		const struct kpl_patch_section *s = &p->sections[i];

		if (s->type != SHT_RELA ||
		    !(p->sections[s->info].flags & SHF_ALLOC))
			continue;
		err = read_relocs(p, i, &next);
		if (err)
			return err;
	}
	return 0;
}

int kpl_patch_elf__parse(struct kpl_patch *p)
{
	Elf64_Ehdr eh;
	int err;

	err = check_ehdr(p, &eh);
	if (!err)
		err = parse_sections(p, &eh);
	if (!err)
		err = parse_symbols(p);
	if (!err)
		err = parse_relocs(p);
	return err;
}

int kpl_patch_elf__find(const struct kpl_patch *p, const char *name)
{
	size_t i;
	int found = 0;

	for (i = 1; i < p->nr_sections; i++) {
		if (strcmp(p->sections[i].name, name))
			continue;
		if (found) {
			pr_warn("patch: more than one %s section (%d and %zu)\n",
				name, found, i);
			return -KPL_E_FORMAT;
		}
		found = (int)i;
	}
	return found;
}

/* .kpl.strtab ends with a NUL, so an offset in bounds is a C string. */
const char *kpl_patch__str(const struct kpl_patch_secs *ks, uint32_t off,
			   const char *what)
{
	if (off >= ks->strtab->size) {
		pr_warn("patch: %s: string offset 0x%x out of bounds (%s size 0x%llx)\n",
			what, off, KPL_SEC_STRTAB,
			(unsigned long long)ks->strtab->size);
		return NULL;
	}
	return (const char *)ks->strtab->data + off;
}
