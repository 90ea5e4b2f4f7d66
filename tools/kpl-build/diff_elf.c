// SPDX-License-Identifier: GPL-2.0
/*
 * One build of one source file: its relocatable object read with libelf
 * into sections, symbols and relocations, and the normalised targets of
 * relocations that diff.c compares.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

bool kb_sym__is_func(const struct kb_sym *s)
{
	return s->type == STT_FUNC || s->type == STT_GNU_IFUNC;
}

bool kb_sym__is_data(const struct kb_sym *s)
{
	return s->type == STT_OBJECT || s->type == STT_TLS;
}

bool kb_sym__named(const struct kb_sym *s)
{
	return (kb_sym__is_func(s) || kb_sym__is_data(s)) && *s->name;
}

size_t kb_static_base(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *p;

	if (!dot || dot == name || !dot[1])
		return 0;
	for (p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return (size_t)(dot - name);
}

bool kb_sym__copyable(const struct kb_sym *s)
{
	return s->bind == STB_LOCAL && s->type == STT_OBJECT && s->sec &&
	       !(s->sec->sh.sh_flags & SHF_WRITE) && kb_static_base(s->name);
}

const uint8_t *kb_sym__bytes(const struct kb_sym *s)
{
	if (!s->sec || !s->sec->data)
		return NULL;
	return s->sec->data + s->sym.st_value;
}

const char *kb_sym__desc(const struct kb_sym *s)
{
	static char buf[512];
	const char *what = kb_sym__is_func(s) ? "function" :
			   s->type == STT_TLS ? "thread-local variable" :
			   kb_sym__is_data(s) ? "variable" :
						"symbol";

	size_t base = kb_static_base(s->name);

	if (s->bind == STB_LOCAL && kb_sym__is_data(s) && base && s->users)
		snprintf(buf, sizeof(buf), "static local '%.*s' of %s (%s)",
			 (int)base, s->name, s->users, s->obj->file);
	else if (s->bind == STB_LOCAL)
		snprintf(buf, sizeof(buf), "static %s '%s' (%s)", what, s->name,
			 s->obj->file);
	else
		snprintf(buf, sizeof(buf), "%s '%s' (%s)", what, s->name,
			 s->obj->file);
	return buf;
}

bool kb_rela__pcrel(uint32_t type)
{
	switch (type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return true;
	}
	return false;
}

bool kb_rela__tls(uint32_t type)
{
	switch (type) {
	case R_X86_64_DTPMOD64:
	case R_X86_64_DTPOFF64:
	case R_X86_64_TPOFF64:
	case R_X86_64_TLSGD:
	case R_X86_64_TLSLD:
	case R_X86_64_DTPOFF32:
	case R_X86_64_GOTTPOFF:
	case R_X86_64_TPOFF32:
	case R_X86_64_GOTPC32_TLSDESC:
	case R_X86_64_TLSDESC_CALL:
	case R_X86_64_TLSDESC:
		return true;
	}
	return false;
}

static int read_sections(struct kb_obj *obj)
{
	size_t shstrndx, i;
	Elf_Scn *scn;

	if (elf_getshdrnum(obj->elf, &obj->nr_secs) ||
	    elf_getshdrstrndx(obj->elf, &shstrndx)) {
		kb_err("%s: cannot read section headers: %s", obj->path,
		       elf_errmsg(-1));
		return 1;
	}
	obj->secs = calloc(obj->nr_secs, sizeof(*obj->secs));
	if (!obj->secs) {
		kb_err("out of memory");
		return 1;
	}
	for (i = 1; i < obj->nr_secs; i++) {
		struct kb_sec *sec = &obj->secs[i];
		Elf_Data *d;

		scn = elf_getscn(obj->elf, i);
		if (!scn || !gelf_getshdr(scn, &sec->sh)) {
			kb_err("%s: bad section %zu", obj->path, i);
			return 1;
		}
		sec->index = i;
		sec->name = elf_strptr(obj->elf, shstrndx, sec->sh.sh_name);
		if (!sec->name)
			sec->name = "";
		if (sec->sh.sh_type == SHT_NOBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (d && d->d_size == sec->sh.sh_size && d->d_size)
			sec->data = d->d_buf;
	}
	return 0;
}

static bool same_place(const struct kb_sym *a, const struct kb_sym *b)
{
	return a->sym.st_value == b->sym.st_value &&
	       a->sym.st_size == b->sym.st_size &&
	       kb_sym__is_func(a) == kb_sym__is_func(b);
}

/* The name an alias set is known by: a global one callers outside see. */
static bool better_owner(const struct kb_sym *s, const struct kb_sym *o)
{
	bool exported = s->bind != STB_LOCAL &&
			GELF_ST_VISIBILITY(s->sym.st_other) == STV_DEFAULT;

	return exported && (o->bind == STB_LOCAL ||
			    GELF_ST_VISIBILITY(o->sym.st_other) != STV_DEFAULT);
}

/*
 * A section is owned by the one function or object defined in it
 * (-ffunction-sections, -fdata-sections).  Several names at the same
 * place with the same size are still one function: aliases (the alias
 * attribute; libxml2 defines every exported function as a hidden
 * foo__internal_alias and an exported alias foo of it).  The owner is
 * the exported name when there is one, and the others point to it: they
 * are what the owner is, changed or not, and are never patched apart.
 * Any other section with several names (a section of its own, not
 * split) has no owner.
 */
static void find_aliases(struct kb_obj *obj)
{
	size_t i;

	for (i = 1; i < obj->nr_syms; i++) {
		struct kb_sym *s = &obj->syms[i];
		struct kb_sec *sec = s->sec;

		if (!sec || !kb_sym__named(s) || sec->nr_named < 2 ||
		    !sec->owner || s == sec->owner)
			continue;
		if (!same_place(s, sec->owner))
			sec->owner = NULL;
		else if (better_owner(s, sec->owner))
			sec->owner = s;
	}
	for (i = 1; i < obj->nr_syms; i++) {
		struct kb_sym *s = &obj->syms[i];

		if (s->sec && kb_sym__named(s) && s->sec->owner &&
		    s != s->sec->owner)
			s->alias = s->sec->owner;
	}
}

static int read_symbols(struct kb_obj *obj)
{
	struct kb_sec *symtab = NULL;
	Elf_Data *d;
	size_t i;

	for (i = 1; i < obj->nr_secs; i++)
		if (obj->secs[i].sh.sh_type == SHT_SYMTAB)
			symtab = &obj->secs[i];
	if (!symtab || !symtab->sh.sh_entsize) {
		kb_err("%s: no symbol table", obj->path);
		return 1;
	}
	d = elf_getdata(elf_getscn(obj->elf, symtab->index), NULL);
	obj->nr_syms = symtab->sh.sh_size / symtab->sh.sh_entsize;
	obj->syms = calloc(obj->nr_syms, sizeof(*obj->syms));
	if (!obj->syms || !d) {
		kb_err("%s: cannot read symbols", obj->path);
		return 1;
	}
	for (i = 0; i < obj->nr_syms; i++) {
		struct kb_sym *s = &obj->syms[i];
		const char *name;

		if (!gelf_getsym(d, (int)i, &s->sym)) {
			kb_err("%s: bad symbol %zu", obj->path, i);
			return 1;
		}
		s->index = i;
		s->obj = obj;
		s->type = GELF_ST_TYPE(s->sym.st_info);
		s->bind = GELF_ST_BIND(s->sym.st_info);
		name = elf_strptr(obj->elf, symtab->sh.sh_link, s->sym.st_name);
		s->name = name ? name : "";
		if (s->sym.st_shndx == SHN_XINDEX ||
		    s->sym.st_shndx == SHN_COMMON) {
			kb_err("%s: symbol '%s' is %s (build with -fno-common)",
			       obj->path, s->name,
			       s->sym.st_shndx == SHN_COMMON ?
				       "COMMON" :
				       "in an extended section");
			return 1;
		}
		if (s->sym.st_shndx != SHN_UNDEF &&
		    s->sym.st_shndx < obj->nr_secs)
			s->sec = &obj->secs[s->sym.st_shndx];
		if (s->sec && kb_sym__named(s) && !s->sec->nr_named++)
			s->sec->owner = s;
	}
	find_aliases(obj);
	return 0;
}

static int read_relas(struct kb_obj *obj)
{
	size_t i, j;

	for (i = 1; i < obj->nr_secs; i++) {
		const struct kb_sec *rs = &obj->secs[i];
		struct kb_sec *target;
		Elf_Data *d;

		if (rs->sh.sh_type == SHT_REL) {
			kb_err("%s: SHT_REL section %s (x86-64 objects use RELA)",
			       obj->path, rs->name);
			return 1;
		}
		if (rs->sh.sh_type != SHT_RELA)
			continue;
		if (rs->sh.sh_info == 0 || rs->sh.sh_info >= obj->nr_secs ||
		    !rs->sh.sh_entsize) {
			kb_err("%s: bad relocation section %s", obj->path,
			       rs->name);
			return 1;
		}
		target = &obj->secs[rs->sh.sh_info];
		d = elf_getdata(elf_getscn(obj->elf, i), NULL);
		target->nr_relas = rs->sh.sh_size / rs->sh.sh_entsize;
		target->relas =
			calloc(target->nr_relas + 1, sizeof(*target->relas));
		if (!target->relas || !d) {
			kb_err("%s: cannot read %s", obj->path, rs->name);
			return 1;
		}
		for (j = 0; j < target->nr_relas; j++) {
			GElf_Rela r;

			if (!gelf_getrela(d, (int)j, &r) ||
			    GELF_R_SYM(r.r_info) >= obj->nr_syms) {
				kb_err("%s: bad relocation %zu in %s",
				       obj->path, j, rs->name);
				return 1;
			}
			target->relas[j] = (struct kb_rela){
				.offset = r.r_offset,
				.type = (uint32_t)GELF_R_TYPE(r.r_info),
				.sym = (uint32_t)GELF_R_SYM(r.r_info),
				.addend = r.r_addend,
			};
		}
	}
	return 0;
}

/* f.cold (and f.cold.N) is a piece of f: never patched on its own. */
static void link_parts(struct kb_obj *obj)
{
	size_t i, j;

	for (i = 1; i < obj->nr_syms; i++) {
		struct kb_sym *s = &obj->syms[i];
		const char *dot = strstr(s->name, ".cold");
		size_t n;

		if (!kb_sym__is_func(s) || !dot || !s->sec)
			continue;
		n = (size_t)(dot - s->name);
		for (j = 1; j < obj->nr_syms; j++) {
			struct kb_sym *p = &obj->syms[j];

			if (p != s && kb_sym__is_func(p) && p->sec &&
			    !strncmp(p->name, s->name, n) && !p->name[n]) {
				s->parent = p->alias ? p->alias : p;
				break;
			}
		}
	}
}

int kb_obj__open(const char *path, const char *src, struct kb_obj **out)
{
	struct kb_obj *obj;
	const char *base;
	GElf_Ehdr eh;
	int err = 1;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		kb_err("libelf: %s", elf_errmsg(-1));
		return 1;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj || !(obj->path = strdup(path))) {
		free(obj);
		kb_err("out of memory");
		return 1;
	}
	base = strrchr(src, '/');
	obj->src = src;
	obj->file = base ? base + 1 : src;
	obj->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (obj->fd < 0) {
		kb_err("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	obj->elf = elf_begin(obj->fd, ELF_C_READ_MMAP, NULL);
	if (!obj->elf || !gelf_getehdr(obj->elf, &eh) ||
	    gelf_getclass(obj->elf) != ELFCLASS64 || eh.e_type != ET_REL ||
	    eh.e_machine != EM_X86_64) {
		kb_err("%s is not an x86-64 ELF64 relocatable object", path);
		goto out;
	}
	if (read_sections(obj) || read_symbols(obj) || read_relas(obj))
		goto out;
	link_parts(obj);
	err = 0;
out:
	if (err) {
		kb_obj__close(obj);
		return 1;
	}
	*out = obj;
	return 0;
}

void kb_obj__close(struct kb_obj *obj)
{
	size_t i;

	if (!obj)
		return;
	for (i = 0; obj->secs && i < obj->nr_secs; i++)
		free(obj->secs[i].relas);
	for (i = 0; obj->syms && i < obj->nr_syms; i++) {
		free(obj->syms[i].users);
		free(obj->syms[i].out_name);
	}
	free(obj->secs);
	free(obj->syms);
	if (obj->elf)
		elf_end(obj->elf);
	if (obj->fd >= 0)
		close(obj->fd);
	free(obj->path);
	free(obj);
}

/* The named symbol of @sec that covers offset @off, or NULL. */
static struct kb_sym *covering(const struct kb_obj *obj,
			       const struct kb_sec *sec, uint64_t off)
{
	size_t i;

	if (sec->owner)
		return sec->owner;
	for (i = 1; sec->nr_named && i < obj->nr_syms; i++) {
		struct kb_sym *s = &obj->syms[i];

		if (s->sec == sec && kb_sym__named(s) &&
		    off >= s->sym.st_value &&
		    (off < s->sym.st_value + s->sym.st_size ||
		     off == s->sym.st_value))
			return s;
	}
	return NULL;
}

void kb_target(const struct kb_obj *obj, const struct kb_rela *r,
	       struct kb_target *t)
{
	struct kb_sym *s = &obj->syms[r->sym];
	int64_t adj = kb_rela__pcrel(r->type) ? 4 : 0;
	uint64_t off;

	memset(t, 0, sizeof(*t));
	t->kind = KB_T_SYM;
	t->sym = s;
	t->delta = r->addend;
	if (!s->sec || (kb_sym__named(s) && !kb_sym__copyable(s) &&
			!(s->sec->sh.sh_flags & SHF_MERGE)))
		return;
	/*
	 * A section symbol, or a label (.LC0) in a merge section: the place
	 * meant is value + addend (+ 4 for a PC-relative field, which is
	 * relative to the end of a 4-byte field).
	 */
	off = s->sym.st_value + (uint64_t)r->addend + (uint64_t)adj;
	t->sec = s->sec;
	if (s->sec->sh.sh_flags & SHF_MERGE) {
		uint64_t e = s->sec->sh.sh_entsize ? s->sec->sh.sh_entsize : 1;

		/*
		 * GCC may address a string from outside it, before its first
		 * byte (lea .LC0-0x5(%rip): .LC0 - 1, for a loop that indexes
		 * from 1).  The string meant is the one the label names, and
		 * the delta says where the pointer is from it.
		 */
		if ((s->sec->sh.sh_flags & SHF_STRINGS) &&
		    off >= s->sec->sh.sh_size)
			off = s->sym.st_value;
		if (!(s->sec->sh.sh_flags & SHF_STRINGS))
			off -= off % e;
		t->kind = KB_T_MERGE;
		t->sym = NULL;
		t->off = off;
		t->delta = (int64_t)(s->sym.st_value + (uint64_t)r->addend) -
			   (int64_t)off;
		return;
	}
	t->sym = covering(obj, s->sec, off);
	if (t->sym && kb_sym__copyable(t->sym))
		t->sym = NULL;
	if (t->sym) {
		t->delta = (int64_t)(s->sym.st_value + (uint64_t)r->addend) -
			   (int64_t)t->sym->sym.st_value;
		return;
	}
	t->kind = KB_T_ANON;
	t->delta = (int64_t)(s->sym.st_value + (uint64_t)r->addend);
}
