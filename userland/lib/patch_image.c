// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ELF image of a patch mapping (patch_image.h).
 *
 * A patch mapping is not an ELF file: its record sits at offset 0, where
 * the kernel module and every kpl look for it.  Unwinders and debuggers
 * want an ELF file: libdwfl asks kpl's find_elf callback for one
 * (unwind_patch.c), gdb loads one with add-symbol-file.  So one is made
 * here, in memory, from the mapping's own contents: the record names
 * each patched function and where its new code is, the trailer where the
 * .eh_frame is.  Helpers the patch carries have no name in the record;
 * each FDE that starts where no named function does gets a name made
 * from the patch id and its offset, so that a frame there is still
 * placed.
 *
 * Everything comes from a target that may be hostile: the record and
 * trailer are read once and checked before use, the table is walked by
 * kpl_eh_frame__check() before any FDE is read, an FDE is used for a
 * symbol only when it lies inside the patch's code, and a name keeps
 * printable ASCII only, since debuggers print it as it is.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "backend/backend.h"
#include "ehframe.h"
#include "internal.h"
#include "maps.h"
#include "patch_image.h"
#include "state.h"

void kpl_patch_image__ehdr(Elf64_Ehdr *eh)
{
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = KPL_ARCH_ELF_MACHINE;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
}

enum { SEC_TEXT = 1, SEC_EH, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, NR_SEC };

static const char shstr[] = "\0.text\0.eh_frame\0.symtab\0.strtab\0.shstrtab";
/* Each section's name, as offsets in shstr. */
static const uint32_t sec_name[NR_SEC] = { 0, 1, 7, 17, 25, 33 };

/* The layout: headers, names, symbols, strings, then the table. */
struct layout {
	size_t shstr, sym, str, str_len, tab, end;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void lay_out(const struct kpl_patch_image *in, struct layout *l)
{
	size_t i;

	l->shstr = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) +
		   NR_SEC * sizeof(Elf64_Shdr);
	l->sym = align8(l->shstr + sizeof(shstr));
	l->str = l->sym + (in->nr_syms + 1) * sizeof(Elf64_Sym);
	l->str_len = 1;
	for (i = 0; i < in->nr_syms; i++)
		l->str_len += strnlen(in->syms[i].name,
				      sizeof(in->syms[i].name) - 1) +
			      1;
	l->tab = align8(l->str + l->str_len);
	/* In place, the table is the mapping's own, not a copy. */
	l->end = l->tab + (in->tab && !in->head ? in->tab_len : 0);
}

static void sec(Elf64_Shdr *sh, int i, uint32_t type, uint64_t flags,
		uint64_t addr, size_t off, size_t size, uint64_t align)
{
	sh[i].sh_name = sec_name[i];
	sh[i].sh_type = type;
	sh[i].sh_flags = flags;
	sh[i].sh_addr = addr;
	sh[i].sh_offset = off;
	sh[i].sh_size = size;
	sh[i].sh_addralign = align;
}

/* What a debugger may print of a name: printable ASCII, the rest '?'. */
static void put_name(char *to, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		to[i] = (s[i] > ' ' && s[i] < 0x7f) ? s[i] : '?';
}

void *kpl_patch_image__make(const struct kpl_patch_image *in, size_t *size)
{
	uint64_t move = in->vaddr - in->base;
	/* Where the table's bytes are in the image. */
	size_t tab_at;
	struct layout l;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	Elf64_Sym *sym;
	uint8_t *im;
	size_t i, at = 1;

	lay_out(in, &l);
	if (in->head && l.end > in->head)
		return NULL;
	tab_at = in->head ? in->head + (in->eh_frame - in->base) : l.tab;
	im = calloc(1, in->head ? in->head : l.end);
	if (!im)
		return NULL;
	eh = (Elf64_Ehdr *)im;
	ph = (Elf64_Phdr *)(eh + 1);
	sh = (Elf64_Shdr *)(ph + 1);
	kpl_patch_image__ehdr(eh);
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = sizeof(*eh) + sizeof(*ph);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = NR_SEC;
	eh->e_shstrndx = SEC_SHSTRTAB;
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_vaddr = in->vaddr - in->head;
	ph->p_paddr = ph->p_vaddr;
	ph->p_memsz = in->head + in->size;
	/* In place, its bytes are the page's and the mapping's. */
	ph->p_filesz = in->head ? ph->p_memsz : 0;
	ph->p_align = 4096;
	sec(sh, SEC_TEXT, SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR,
	    in->text_lo + move, l.tab, in->text_hi - in->text_lo, 16);
	sec(sh, SEC_EH, SHT_PROGBITS, SHF_ALLOC,
	    in->tab ? in->eh_frame + move : 0, in->tab ? tab_at : l.tab,
	    in->tab ? in->tab_len : 0, 8);
	sec(sh, SEC_SYMTAB, SHT_SYMTAB, 0, 0, l.sym,
	    (in->nr_syms + 1) * sizeof(*sym), 8);
	sh[SEC_SYMTAB].sh_link = SEC_STRTAB;
	sh[SEC_SYMTAB].sh_info = 1; /* every symbol is global */
	sh[SEC_SYMTAB].sh_entsize = sizeof(*sym);
	sec(sh, SEC_STRTAB, SHT_STRTAB, 0, 0, l.str, l.str_len, 1);
	sec(sh, SEC_SHSTRTAB, SHT_STRTAB, 0, 0, l.shstr, sizeof(shstr), 1);
	memcpy(im + l.shstr, shstr, sizeof(shstr));
	sym = (Elf64_Sym *)(im + l.sym);
	for (i = 0; i < in->nr_syms; i++) {
		const struct kpl_patch_image_sym *s = &in->syms[i];
		size_t n = strnlen(s->name, sizeof(s->name) - 1);

		sym[i + 1].st_name = (uint32_t)at;
		sym[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		sym[i + 1].st_shndx = SEC_TEXT;
		sym[i + 1].st_value = s->addr + move;
		sym[i + 1].st_size = s->size;
		put_name((char *)im + l.str + at, s->name, n);
		at += n + 1;
	}
	if (in->tab && !in->head)
		memcpy(im + l.tab, in->tab, in->tab_len);
	*size = in->head ? in->head : l.end;
	return im;
}

/* Bytes mapped from @base under the same memfd, as the maps say. */
static uint64_t extent(const struct kpl_maps *m, uint64_t base)
{
	uint64_t end = 0;
	size_t i, first = m->nr;

	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i];

		if (first == m->nr && v->start == base) {
			first = i;
			end = v->end;
		} else if (first < m->nr && v->start == end &&
			   v->inode == m->v[first].inode &&
			   !strcmp(v->path, m->v[first].path)) {
			end = v->end;
		}
	}
	return end ? end - base : 0;
}

/* The validated record at @base and its trailer: 0 or -errno/-KPL_E_*. */
static int read_record(struct kpl_proc *p, const struct kpl_maps *maps,
		       uint64_t base, struct kpl_state **stp,
		       struct kpl_state_unwind *u)
{
	struct kpl_state_where w = { base, extent(maps, base), maps };
	struct kpl_state hdr, *st;
	char why[128];
	size_t len;
	int err;

	if (w.extent < sizeof(hdr))
		return -KPL_E_STATE;
	err = kpl_proc__read(p, base, &hdr, sizeof(hdr));
	if (err)
		return err;
	if (hdr.nr_funcs > KPL_STATE_MAX_FUNCS)
		return -KPL_E_STATE;
	len = KPL_STATE_SIZE_UNWIND((size_t)hdr.nr_funcs);
	if (len > w.extent)
		return -KPL_E_STATE;
	st = malloc(len);
	if (!st)
		return -ENOMEM;
	err = kpl_proc__read(p, base, st, len);
	if (!err)
		err = kpl_state__check(st, len, &w, why, sizeof(why));
	if (!err) {
		/* Read once: what is checked is what is used. */
		memcpy(u, (uint8_t *)st + KPL_STATE_SIZE(st->nr_funcs),
		       sizeof(*u));
		/* A trailer that fails (or a record older than trailers):
		 * a patch without a table, its names still good. */
		if (kpl_state__check_unwind(st, u, why, sizeof(why))) {
			pr_debug("patch image: patch %s: %s\n", st->id, why);
			memset(u, 0, sizeof(*u));
		}
	} else if (err == -KPL_E_STATE) {
		pr_debug("patch image: mapping at 0x%llx: %s\n",
			 (unsigned long long)base, why);
	}
	if (err) {
		free(st);
		return err;
	}
	*stp = st;
	return 0;
}

struct syms {
	const struct kpl_state *st;
	const uint8_t *tab;
	size_t tab_len;
	uint64_t eh_frame;
	struct kpl_patch_image_sym *v;
	size_t nr, max;
};

static struct kpl_patch_image_sym *sym_at(struct syms *s, uint64_t addr)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (s->v[i].addr == addr)
			return &s->v[i];
	return NULL;
}

static struct kpl_patch_image_sym *sym_new(struct syms *s)
{
	struct kpl_patch_image_sym *v;

	if (s->nr == s->max) {
		size_t max = s->max ? 2 * s->max : 16;

		v = realloc(s->v, max * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		s->max = max;
	}
	v = &s->v[s->nr++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* An FDE inside the code sizes the function it starts, or names it. */
static int on_fde(const struct kpl_eh_fde *f, void *arg)
{
	struct syms *s = arg;
	struct kpl_patch_image_sym *y;
	uint64_t pc;

	if (!kpl_eh_fde__pc(s->tab, f, s->eh_frame, &pc) ||
	    pc < s->st->text_lo || pc >= s->st->text_hi || !f->range ||
	    f->range > s->st->text_hi - pc)
		return 0;
	y = sym_at(s, pc);
	if (!y) {
		y = sym_new(s);
		if (!y)
			return -ENOMEM;
		y->addr = pc;
		snprintf(y->name, sizeof(y->name), "kpl:%.*s+0x%llx",
			 KPL_ID_MAX, s->st->id,
			 (unsigned long long)(pc - s->st->text_lo));
	}
	if (!y->size)
		y->size = f->range;
	return 0;
}

/* The symbols of the record, and of the FDEs of the table if any. */
static int make_syms(struct syms *s)
{
	const struct kpl_state *st = s->st;
	uint32_t i;

	for (i = 0; i < st->nr_funcs; i++) {
		const struct kpl_state_func *f = &st->funcs[i];
		struct kpl_patch_image_sym *y;

		/* kpl_state__check(): new_addr lies in the code. */
		if (sym_at(s, f->new_addr))
			continue;
		y = sym_new(s);
		if (!y)
			return -ENOMEM;
		y->addr = f->new_addr;
		/* Terminated: kpl_state__check(). */
		snprintf(y->name, sizeof(y->name), "%s", f->name);
	}
	return s->tab ? kpl_eh_frame__each_fde(s->tab, s->tab_len, on_fde, s) :
			0;
}

/* The table of @st's trailer @u, checked: 0 and *@tab, or none (NULL). */
static int read_table(struct kpl_proc *p, const struct kpl_state *st,
		      const struct kpl_state_unwind *u, uint8_t **tab,
		      size_t *len)
{
	char why[128];
	uint8_t *t;
	int err;

	*tab = NULL;
	if (!u->eh_frame_size)
		return 0;
	/* kpl_state__check_unwind() bounded it, its terminator too. */
	*len = u->eh_frame_size + 4;
	t = malloc(*len);
	if (!t)
		return -ENOMEM;
	err = kpl_proc__read(p, u->eh_frame, t, *len);
	if (err) {
		free(t);
		return err;
	}
	if (kpl_eh_frame__check(t, *len, why, sizeof(why))) {
		pr_info("patch image: patch %s: unwind table refused: %s\n",
			st->id, why);
		free(t);
		return 0;
	}
	*tab = t;
	return 0;
}

/* What kpl_patch_image__make() takes, from a record and its names. */
static void image_in(struct kpl_patch_image *in, const struct syms *s,
		     uint64_t vaddr)
{
	*in = (struct kpl_patch_image){
		.vaddr = vaddr,
		.base = s->st->base,
		.size = s->st->size,
		.text_lo = s->st->text_lo,
		.text_hi = s->st->text_hi,
		.eh_frame = s->eh_frame,
		.tab = s->tab,
		.tab_len = s->tab_len,
		.syms = s->v,
		.nr_syms = s->nr,
	};
}

int kpl_patch_image__read(struct kpl_proc *p, const struct kpl_maps *maps,
			  uint64_t base, unsigned int flags, void **out,
			  size_t *size)
{
	struct kpl_state_unwind u;
	struct kpl_state *st = NULL;
	struct syms s = { 0 };
	struct kpl_patch_image in;
	void *im;
	int err;

	err = read_record(p, maps, base, &st, &u);
	if (!err)
		err = read_table(p, st, &u, (uint8_t **)&s.tab, &s.tab_len);
	if (!err && !s.tab && (flags & KPL_PATCH_IMAGE_NEED_TABLE))
		err = -ENOENT;
	if (err)
		goto out;
	s.st = st;
	s.eh_frame = u.eh_frame;
	err = make_syms(&s);
	if (err)
		goto out;
	image_in(&in, &s, (flags & KPL_PATCH_IMAGE_ABSOLUTE) ? st->base : 0);
	im = kpl_patch_image__make(&in, size);
	if (!im) {
		err = -ENOMEM;
		goto out;
	}
	*out = im;
out:
	free(s.v);
	free((void *)s.tab);
	free(st);
	return err;
}

int kpl_patch_image__page(const struct kpl_state *st, const uint8_t *region,
			  void **out, size_t *head)
{
	const struct kpl_state_unwind *u = kpl_state__unwind(st);
	struct syms s = { .st = st };
	struct kpl_patch_image in;
	struct layout l;
	void *im = NULL;
	int err;

	/* Our own record, as apply.c wrote it: the table, if any, lies
	 * inside the region (kpl_eh__place()). */
	if (u->eh_frame_size) {
		s.tab = region + (u->eh_frame - st->base);
		s.tab_len = u->eh_frame_size + 4;
		s.eh_frame = u->eh_frame;
	}
	err = make_syms(&s);
	if (err)
		goto out;
	image_in(&in, &s, 0);
	lay_out(&in, &l);
	in.head = (l.end + KPL_PATCH_IMAGE_PAGE - 1) &
		  ~(size_t)(KPL_PATCH_IMAGE_PAGE - 1);
	if (in.head > KPL_PATCH_IMAGE_HEAD_MAX) {
		err = -E2BIG;
		goto out;
	}
	in.vaddr = in.head;
	im = kpl_patch_image__make(&in, head);
	err = im ? 0 : -ENOMEM;
	if (!err)
		*out = im;
out:
	free(s.v);
	return err;
}

uint64_t kpl_patch_image__head(const struct kpl_maps *m, uint64_t base,
			       uint64_t size)
{
	size_t plen = strlen(KPL_STATE_PREFIX), i;

	for (i = 1; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i], *pg = &m->v[i - 1];

		if (v->start != base)
			continue;
		/* Only the patch's own file at exactly the place and offset
		 * the loader maps it: a process forging a page below its
		 * patch can have kpl unmap nothing but the patch's memfd. */
		if (v->offset || strncmp(v->path, KPL_STATE_PREFIX, plen) ||
		    v->cut || !v->inode || pg->end != base ||
		    pg->inode != v->inode || pg->dev_major != v->dev_major ||
		    pg->dev_minor != v->dev_minor ||
		    strcmp(pg->path, v->path) || pg->offset != size ||
		    pg->prot != PROT_READ ||
		    pg->end - pg->start > KPL_PATCH_IMAGE_HEAD_MAX)
			return 0;
		return pg->end - pg->start;
	}
	return 0;
}

int kpl_patch_image__unmap(struct kpl_proc *p, uint64_t base, uint64_t size)
{
	struct kpl_maps *m;
	uint64_t head;
	int err;

	/* Read now: what lies below the region is the process's to change
	 * at any time, and only what is there now may be taken. */
	err = kpl_maps__read(p->pid, &m);
	if (err)
		return err;
	head = kpl_patch_image__head(m, base, size);
	kpl_maps__free(m);
	/* One munmap: a kpl dying here leaves both or neither. */
	return kpl_proc__unmap(p, base - head, size + head);
}
