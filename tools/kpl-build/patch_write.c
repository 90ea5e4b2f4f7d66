// SPDX-License-Identifier: GPL-2.0
/*
 * The patch object: a new ET_REL written with libelf, holding the
 * sections patch_select.c included (copied byte for byte from the patched
 * build), their relocations rewritten, and a symbol table with a section
 * symbol per section, the patch's own functions and data, and an
 * undefined symbol for every name it takes from the library.  And the
 * manifest that tells kb_pack() which old function each new one replaces
 * and which local of the library each undefined name means.
 *
 * Relocations are rewritten one by one: a target inside an included
 * section becomes that section's symbol plus the offset; any other
 * target becomes the undefined symbol of the library name it was
 * resolved to, with the addend relative to that symbol.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

struct out {
	Elf *elf;
	struct kb_strtab shstr, str;
	Elf64_Sym *syms;
	size_t nr_syms, nr_locals;
	size_t und_base; /* index of the first undefined symbol */
	Elf64_Rela **relas; /* kept until elf_update() */
	size_t nr_relas;
	struct kb_eh_frame eh; /* kept until elf_update() */
	bool oom;
};

static uint32_t name(struct out *o, struct kb_strtab *t, const char *s)
{
	uint32_t off = kb_strtab__add(t, s);

	if (off == UINT32_MAX)
		o->oom = true;
	return off == UINT32_MAX ? 0 : off;
}

static Elf_Scn *new_section(struct out *o, const char *sname, uint32_t type,
			    uint64_t flags, uint64_t align, uint64_t entsize,
			    const void *data, uint64_t size)
{
	Elf_Scn *scn = elf_newscn(o->elf);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	GElf_Shdr sh;

	if (!d || !gelf_getshdr(scn, &sh)) {
		kb_err("libelf: %s", elf_errmsg(-1));
		return NULL;
	}
	sh.sh_name = name(o, &o->shstr, sname);
	sh.sh_type = type;
	sh.sh_flags = flags;
	sh.sh_addralign = align ? align : 1;
	sh.sh_entsize = entsize;
	d->d_buf = (void *)data;
	d->d_size = size;
	d->d_type = ELF_T_BYTE;
	d->d_align = align ? align : 1;
	if (!gelf_update_shdr(scn, &sh)) {
		kb_err("libelf: %s", elf_errmsg(-1));
		return NULL;
	}
	return scn;
}

static int add_sym(struct out *o, const char *sname, unsigned char info,
		   unsigned char other, size_t shndx, uint64_t value,
		   uint64_t size, size_t *index)
{
	Elf64_Sym *v = realloc(o->syms, (o->nr_syms + 1) * sizeof(*v));

	if (!v) {
		o->oom = true;
		return 1;
	}
	o->syms = v;
	v[o->nr_syms] = (Elf64_Sym){
		.st_name = *sname ? name(o, &o->str, sname) : 0,
		.st_info = info,
		.st_other = other,
		.st_shndx = (uint16_t)shndx,
		.st_value = value,
		.st_size = size,
	};
	if (index)
		*index = o->nr_syms;
	o->nr_syms++;
	return 0;
}

/* Copy every included section; number them. */
static int copy_sections(struct out *o, const struct kb_selection *sel)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		for (j = 1; j < p->nr_secs; j++) {
			struct kb_sec *s = &p->secs[j];
			Elf_Scn *scn;

			if (!s->include)
				continue;
			/* One copy of each COMDAT group (comdat_taken()):
			 * the patch has no groups, so none needs sh_link. */
			scn = new_section(o, s->name, s->sh.sh_type,
					  s->sh.sh_flags & ~(uint64_t)SHF_GROUP,
					  s->sh.sh_addralign, s->sh.sh_entsize,
					  s->data, s->sh.sh_size);
			if (!scn)
				return 1;
			s->out_index = elf_ndxscn(scn);
		}
	}
	return 0;
}

static int make_symbols(struct out *o, const struct kb_selection *sel)
{
	size_t i, j, pass;
	int err = add_sym(o, "", 0, 0, SHN_UNDEF, 0, 0, NULL);

	for (i = 0; !err && i < sel->nr_objs; i++)
		for (j = 1; !err && j < sel->objs[i]->nr_secs; j++) {
			struct kb_sec *s = &sel->objs[i]->secs[j];

			if (s->include)
				err = add_sym(
					o, "",
					GELF_ST_INFO(STB_LOCAL, STT_SECTION), 0,
					s->out_index, 0, 0, &s->out_secsym);
		}
	/* Locals first (ELF requires it), then the globals. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; !err && i < sel->nr_defs; i++) {
			struct kb_sym *s = sel->defs[i];

			if ((s->bind == STB_LOCAL) != (pass == 0))
				continue;
			err = add_sym(o, s->out_name,
				      GELF_ST_INFO(s->bind, s->type),
				      s->sym.st_other, s->sec->out_index,
				      s->sym.st_value, s->sym.st_size,
				      &s->out_index);
		}
		if (pass == 0)
			o->nr_locals = o->nr_syms;
	}
	o->und_base = o->nr_syms;
	for (i = 0; !err && i < sel->nr_refs; i++)
		err = add_sym(o, sel->refs[i].name,
			      GELF_ST_INFO(sel->refs[i].weak ? STB_WEAK :
							       STB_GLOBAL,
					   STT_NOTYPE),
			      0, SHN_UNDEF, 0, 0, NULL);
	return err || o->oom;
}

static size_t ref_index(const struct out *o, const struct kb_selection *sel,
			const char *lname)
{
	size_t i;

	for (i = 0; i < sel->nr_refs; i++)
		if (!strcmp(sel->refs[i].name, lname))
			return o->und_base + i;
	return 0;
}

/* The rewritten form of relocation @r of @obj; 1 when it cannot be. */
static int rewrite(const struct out *o, const struct kb_selection *sel,
		   const struct kb_obj *obj, const struct kb_rela *r,
		   Elf64_Rela *out)
{
	const struct kb_sym *s = &obj->syms[r->sym];
	struct kb_target t;
	size_t idx = 0;
	int64_t addend = r->addend;

	if (s->sec && s->sec->include) {
		idx = s->sec->out_secsym;
		addend += (int64_t)s->sym.st_value;
	} else if (s->def) {
		idx = s->def->sec->out_secsym;
		addend += (int64_t)s->def->sym.st_value;
	} else if (!s->sec && s->sym.st_shndx == SHN_UNDEF) {
		idx = ref_index(o, sel, s->name);
	} else if (s->sec) {
		kb_target(obj, r, &t);
		if (t.kind == KB_T_SYM && t.sym->ref) {
			const struct kb_sym *l = t.sym->twin ? t.sym->twin :
							       t.sym;

			idx = ref_index(o, sel, l->name);
			addend = t.delta;
		}
	}
	if (!idx) {
		kb_err("%s: cannot express a relocation against '%s' at 0x%llx",
		       obj->src, s->name, (unsigned long long)r->offset);
		return 1;
	}
	out->r_offset = r->offset;
	out->r_info = ELF64_R_INFO(idx, r->type);
	out->r_addend = addend;
	return 0;
}

static int write_relas(struct out *o, const struct kb_selection *sel,
		       size_t symtab)
{
	size_t i, j, k;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		for (j = 1; j < p->nr_secs; j++) {
			const struct kb_sec *s = &p->secs[j];
			Elf64_Rela *v, **keep;
			char *rname;
			Elf_Scn *scn;
			GElf_Shdr sh;

			if (!s->include || !s->nr_relas)
				continue;
			v = calloc(s->nr_relas, sizeof(*v));
			keep = realloc(o->relas,
				       (o->nr_relas + 1) * sizeof(*keep));
			if (!v || !keep) {
				free(v);
				kb_err("out of memory");
				return 1;
			}
			o->relas = keep;
			keep[o->nr_relas++] = v;
			for (k = 0; k < s->nr_relas; k++)
				if (rewrite(o, sel, p, &s->relas[k], &v[k]))
					return 1;
			if (asprintf(&rname, ".rela%s", s->name) < 0)
				return 1;
			scn = new_section(o, rname, SHT_RELA, SHF_INFO_LINK, 8,
					  sizeof(*v), v,
					  s->nr_relas * sizeof(*v));
			free(rname);
			if (!scn || !gelf_getshdr(scn, &sh))
				return 1;
			sh.sh_link = (uint32_t)symtab;
			sh.sh_info = (uint32_t)s->out_index;
			if (!gelf_update_shdr(scn, &sh))
				return 1;
		}
	}
	return 0;
}

/* The included functions' unwind entries: .eh_frame and its relocations. */
static int write_eh_frame(struct out *o, const struct kb_selection *sel,
			  size_t symtab)
{
	Elf64_Rela *v, **keep;
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t i, sec;

	if (kb_eh_frame(sel, &o->eh))
		return 1;
	if (!o->eh.size)
		return 0;
	scn = new_section(o, ".eh_frame", SHT_PROGBITS, SHF_ALLOC, 8, 0,
			  o->eh.data, o->eh.size);
	if (!scn)
		return 1;
	sec = elf_ndxscn(scn);
	v = calloc(o->eh.nr_relas + 1, sizeof(*v));
	keep = realloc(o->relas, (o->nr_relas + 1) * sizeof(*keep));
	if (!v || !keep) {
		free(v);
		kb_err("out of memory");
		return 1;
	}
	o->relas = keep;
	keep[o->nr_relas++] = v;
	for (i = 0; i < o->eh.nr_relas; i++)
		if (rewrite(o, sel, o->eh.relas[i].obj, &o->eh.relas[i].r,
			    &v[i]))
			return 1;
	if (!o->eh.nr_relas)
		return 0;
	scn = new_section(o, ".rela.eh_frame", SHT_RELA, SHF_INFO_LINK, 8,
			  sizeof(*v), v, o->eh.nr_relas * sizeof(*v));
	if (!scn || !gelf_getshdr(scn, &sh))
		return 1;
	sh.sh_link = (uint32_t)symtab;
	sh.sh_info = (uint32_t)sec;
	return !gelf_update_shdr(scn, &sh);
}

int kb_write(const struct kb_selection *sel, const char *path)
{
	struct out o = { 0 };
	Elf_Scn *symtab, *strtab, *shstrtab;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	size_t i;
	int fd, err = 1;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kb_err("cannot create %s: %s", path, strerror(errno));
		return 1;
	}
	o.elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!o.elf || !gelf_newehdr(o.elf, ELFCLASS64) ||
	    !gelf_getehdr(o.elf, &eh)) {
		kb_err("libelf: %s", elf_errmsg(-1));
		goto out;
	}
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	name(&o, &o.shstr, "");
	name(&o, &o.str, "");
	if (copy_sections(&o, sel) || make_symbols(&o, sel))
		goto out;
	/* The string tables' buffers move as they grow: data set last. */
	symtab = new_section(&o, ".symtab", SHT_SYMTAB, 0, 8, sizeof(Elf64_Sym),
			     o.syms, o.nr_syms * sizeof(Elf64_Sym));
	strtab = new_section(&o, ".strtab", SHT_STRTAB, 0, 1, 0, NULL, 0);
	if (!symtab || !strtab || !gelf_getshdr(symtab, &sh))
		goto out;
	sh.sh_link = (uint32_t)elf_ndxscn(strtab);
	sh.sh_info = (uint32_t)o.nr_locals;
	if (!gelf_update_shdr(symtab, &sh) ||
	    write_relas(&o, sel, elf_ndxscn(symtab)) ||
	    write_eh_frame(&o, sel, elf_ndxscn(symtab)))
		goto out;
	shstrtab = new_section(&o, ".shstrtab", SHT_STRTAB, 0, 1, 0, NULL, 0);
	if (!shstrtab || o.oom)
		goto out;
	elf_getdata(strtab, NULL)->d_buf = o.str.buf;
	elf_getdata(strtab, NULL)->d_size = o.str.len;
	elf_getdata(shstrtab, NULL)->d_buf = o.shstr.buf;
	elf_getdata(shstrtab, NULL)->d_size = o.shstr.len;
	eh.e_shstrndx = (uint16_t)elf_ndxscn(shstrtab);
	if (!gelf_update_ehdr(o.elf, &eh) ||
	    elf_update(o.elf, ELF_C_WRITE) < 0) {
		kb_err("cannot write %s: %s", path, elf_errmsg(-1));
		goto out;
	}
	err = 0;
out:
	if (o.oom)
		kb_err("out of memory");
	if (o.elf)
		elf_end(o.elf);
	for (i = 0; i < o.nr_relas; i++)
		free(o.relas[i]);
	free(o.relas);
	kb_eh_frame__free(&o.eh);
	free(o.syms);
	kb_strtab__free(&o.str);
	kb_strtab__free(&o.shstr);
	close(fd);
	if (err)
		unlink(path);
	return err;
}

int kb_write_manifest(const struct kb_selection *sel,
		      const struct kb_meta *meta, const char *path)
{
	FILE *f = fopen(path, "we");
	size_t i;

	if (!f) {
		kb_err("cannot create %s: %s", path, strerror(errno));
		return 1;
	}
	fprintf(f,
		"# written by kpl-build build: the input of kpl-build pack\n");
	fprintf(f, "id %s\nversion %u\n", meta->id, meta->version);
	if (meta->description && *meta->description)
		fprintf(f, "description %s\n", meta->description);
	if (meta->flags & KPL_PATCH_F_REPLACE)
		fprintf(f, "flags replace\n");
	if (meta->vuln)
		kb_vuln__write(f, meta->vuln);
	for (i = 0; i < sel->nr_replaced; i++) {
		const struct kb_sym *s = sel->replaced[i], *o = s->twin;

		fprintf(f, "func %s %s", o->name, s->out_name);
		if (o->bind == STB_LOCAL)
			fprintf(f, " file=%s", o->obj->file);
		fprintf(f, "\n");
	}
	for (i = 0; i < sel->nr_refs; i++)
		if (sel->refs[i].file)
			fprintf(f, "ref %s file=%s\n", sel->refs[i].name,
				sel->refs[i].file);
		else if (sel->refs[i].by_addr)
			fprintf(f, "ref %s\n", sel->refs[i].name);
	if (fclose(f)) {
		kb_err("cannot write %s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}
