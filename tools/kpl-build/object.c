// SPDX-License-Identifier: GPL-2.0
/*
 * The object that holds the new code, read with libelf.  Only what pack
 * needs to give early, specific errors; the finished patch is checked in
 * full by libkpl's parser before it is renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpl-build.h"

struct kb_object {
	const char *path;
	int fd;
	Elf *elf;
	Elf_Data *syms; /* .symtab data */
	size_t nr_syms;
	size_t strndx; /* .strtab section index */
};

static int check_sections(struct kb_object *obj)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(obj->elf, &shstrndx)) {
		kb_err("%s: no section name table", obj->path);
		return 1;
	}
	while ((scn = elf_nextscn(obj->elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(obj->elf, shstrndx, sh.sh_name);
		if (name && !strncmp(name, ".kpl.", 5)) {
			kb_err("%s already has a %s section (packed twice?)",
			       obj->path, name);
			return 1;
		}
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (obj->syms) {
			kb_err("%s: more than one symbol table", obj->path);
			return 1;
		}
		obj->syms = elf_getdata(scn, NULL);
		obj->strndx = sh.sh_link;
		obj->nr_syms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	}
	if (!obj->syms || !obj->nr_syms) {
		kb_err("%s: no symbol table", obj->path);
		return 1;
	}
	return 0;
}

int kb_object__open(const char *path, struct kb_object **out)
{
	struct kb_object *obj;
	GElf_Ehdr eh;
	int err = 1;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		kb_err("libelf: %s", elf_errmsg(-1));
		return 1;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		kb_err("out of memory");
		return 1;
	}
	obj->path = path;
	obj->fd = -1;
	obj->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (obj->fd < 0) {
		kb_err("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	obj->elf = elf_begin(obj->fd, ELF_C_READ_MMAP, NULL);
	if (!obj->elf || elf_kind(obj->elf) != ELF_K_ELF ||
	    !gelf_getehdr(obj->elf, &eh)) {
		kb_err("%s is not an ELF file", path);
		goto out;
	}
	if (gelf_getclass(obj->elf) != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		kb_err("%s is not an x86-64 ELF64 object", path);
		goto out;
	}
	if (eh.e_type != ET_REL) {
		kb_err("%s is not a relocatable object (compile with -c)",
		       path);
		goto out;
	}
	err = check_sections(obj);
out:
	if (err) {
		kb_object__close(obj);
		return 1;
	}
	*out = obj;
	return 0;
}

void kb_object__close(struct kb_object *obj)
{
	if (!obj)
		return;
	if (obj->elf)
		elf_end(obj->elf);
	if (obj->fd >= 0)
		close(obj->fd);
	free(obj);
}

/* Index of the first symbol named @name, or 0; *@sym filled. */
static size_t find_sym(const struct kb_object *obj, const char *name,
		       GElf_Sym *sym)
{
	size_t i;

	for (i = 1; i < obj->nr_syms; i++) {
		const char *n;

		if (!gelf_getsym(obj->syms, (int)i, sym))
			continue;
		n = elf_strptr(obj->elf, obj->strndx, sym->st_name);
		if (n && !strcmp(n, name))
			return i;
	}
	return 0;
}

int kb_object__check_func(const struct kb_object *obj, const char *name)
{
	GElf_Shdr sh;
	GElf_Sym sym;

	if (!find_sym(obj, name, &sym)) {
		kb_err("%s does not define '%s'", obj->path, name);
		return 1;
	}
	if (sym.st_shndx == SHN_UNDEF) {
		kb_err("%s does not define '%s' (it is undefined there)",
		       obj->path, name);
		return 1;
	}
	if (GELF_ST_TYPE(sym.st_info) != STT_FUNC) {
		kb_err("'%s' in %s is not a function", name, obj->path);
		return 1;
	}
	if (sym.st_shndx >= SHN_LORESERVE ||
	    !gelf_getshdr(elf_getscn(obj->elf, sym.st_shndx), &sh) ||
	    !(sh.sh_flags & SHF_EXECINSTR)) {
		kb_err("'%s' in %s is not in an executable section", name,
		       obj->path);
		return 1;
	}
	return 0;
}

int kb_object__check_undef(const struct kb_object *obj, const char *name)
{
	GElf_Sym sym;

	if (!find_sym(obj, name, &sym) || sym.st_shndx != SHN_UNDEF) {
		kb_err("ref '%s': %s has no undefined symbol of that name",
		       name, obj->path);
		return 1;
	}
	return 0;
}
