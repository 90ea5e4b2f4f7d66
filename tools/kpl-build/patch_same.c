// SPDX-License-Identifier: GPL-2.0
/*
 * Is the original build the library?  kpl-build compiles the original
 * tree again, every function in a section of its own, and takes from
 * that build what the library holds: the names the patch refers to, and
 * each replaced function's entry.  That holds only if the recompile is
 * the library, so every function and variable both have must be the
 * same in both.
 *
 * Same size is taken as the same (the diff's own comparison of the two
 * recompiles does the rest; a rebuild from other sources or with other
 * flags shows in sizes).  A function whose size differs is not refused
 * at once: a library built with one .text per file has its jumps
 * between functions of one file resolved and shortened by the assembler,
 * where the recompile keeps them long and relocated (arch:
 * kpl_arch_same_code()).  So such a function is compared instruction by
 * instruction with the library's bytes, and accepted when the only
 * differences are the encodings of branches that reach the same places
 * and the NOPs of alignment; every relocated field must reach, in the
 * library, what the relocation names (its symbol, the symbol's PLT
 * entry or GOT slot, or for a string the same bytes).
 *
 * Not followed: a field whose relocation names an anonymous section (a
 * jump table, a constant pool) and thread-local fields.  Their bytes
 * are still left out of the comparison only, never the instruction.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "build.h"
#include "elfobj.h"
#include "kpl/errors.h"

struct same_ctx {
	const struct kb_selection *sel;
	const struct kb_obj *obj;
	const struct kb_rela **relas; /* one per kpl_arch_field */
};

/* Where @s is in the library, or false. */
static bool lib_addr(const struct same_ctx *c, const struct kb_sym *s,
		     uint64_t *addr)
{
	const struct kpl_elf_sym *l;

	/* Undefined: another file's function (NOTYPE here), which the
	 * library binds directly when it is hidden (a local there). */
	if (!*s->name || (s->sec && !kb_sym__named(s)) ||
	    kpl_elf__find(c->sel->lib, s->name,
			  s->sec && s->bind == STB_LOCAL ? c->obj->file : NULL,
			  &l))
		return false;
	*addr = l->value;
	return true;
}

/* A branch to @where that is @name's PLT entry. */
static bool plt_of(const struct same_ctx *c, const char *name, uint64_t where)
{
	const struct kpl_elf_import *imp = kpl_elf__import(c->sel->lib, name);
	uint8_t code[16];
	uint64_t slot;

	return imp && !kpl_elf__read(c->sel->lib, where, code, sizeof(code)) &&
	       kpl_arch_plt_slot(code, sizeof(code), where, &slot) &&
	       slot == imp->got;
}

/* A GOT slot at @slot that holds @name (bound by the loader or by ld). */
static bool got_of(const struct same_ctx *c, const struct kb_sym *s,
		   uint64_t slot)
{
	const struct kpl_elf_import *imp =
		kpl_elf__import(c->sel->lib, s->name);
	uint64_t addr, held;

	if (imp && imp->got == slot)
		return true;
	/* ld writes a locally bound symbol's address into its slot too. */
	return lib_addr(c, s, &addr) &&
	       !kpl_elf__read(c->sel->lib, slot, &held, sizeof(held)) &&
	       held == addr;
}

/* A string or constant of a merge section, at @where in the library. */
static bool same_const(const struct same_ctx *c, const struct kb_target *t,
		       uint64_t where)
{
	const struct kb_sec *sec = t->sec;
	size_t len, max;
	uint8_t *buf;
	bool same;

	if (!sec->data || t->off >= sec->sh.sh_size)
		return false;
	max = sec->sh.sh_size - t->off;
	if (sec->sh.sh_flags & SHF_STRINGS) {
		const uint8_t *nul = memchr(sec->data + t->off, 0, max);

		if (!nul)
			return false;
		len = (size_t)(nul - (sec->data + t->off)) + 1;
	} else {
		len = sec->sh.sh_entsize ? sec->sh.sh_entsize : 1;
		if (len > max)
			return false;
	}
	buf = malloc(len);
	same = buf && !kpl_elf__read(c->sel->lib, where, buf, len) &&
	       !memcmp(buf, sec->data + t->off, len);
	free(buf);
	return same;
}

static bool reaches(void *arg, const struct kpl_arch_reach *r)
{
	const struct same_ctx *c = arg;
	const struct kb_rela *rela = c->relas[r->field];
	struct kb_target t;
	uint64_t addr;

	kb_target(c->obj, rela, &t);
	switch (t.kind) {
	case KB_T_ANON:
		return true; /* not followed (see the top of the file) */
	case KB_T_MERGE:
		return same_const(
			c, &t, r->where - (uint64_t)r->adj - (uint64_t)t.delta);
	case KB_T_SYM:
		break;
	}
	if (r->kind == KPL_RELOC_GOT)
		return got_of(c, t.sym,
			      r->where - (uint64_t)r->adj -
				      (uint64_t)rela->addend);
	if (lib_addr(c, t.sym, &addr) &&
	    r->where == addr + (uint64_t)t.delta + (uint64_t)r->adj)
		return true;
	return r->branch && t.delta + r->adj == 0 &&
	       plt_of(c, t.sym->name, r->where);
}

static int cmp_rela(const void *a, const void *b)
{
	const struct kb_rela *x = *(const struct kb_rela *const *)a;
	const struct kb_rela *y = *(const struct kb_rela *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * kb_same_as_lib() - is function @s of the original build the library's
 * @ls?  Return: 0 the same, 1 not (@why says where), -1 out of memory.
 */
int kb_same_as_lib(const struct kb_selection *sel, const struct kb_sym *s,
		   const struct kpl_elf_sym *ls, char *why, size_t len)
{
	const struct kb_sec *sec = s->sec;
	const uint8_t *obj = kb_sym__bytes(s);
	uint64_t start = s->sym.st_value, size = s->sym.st_size;
	struct same_ctx c = { .sel = sel, .obj = s->obj };
	struct kpl_arch_field *fields = NULL;
	struct kpl_arch_mismatch m;
	struct kpl_arch_same_in in;
	uint8_t *linked = NULL;
	size_t i, n = 0;
	int err;

	if (!obj || start > sec->sh.sh_size || size > sec->sh.sh_size - start) {
		snprintf(why, len, "its bytes are not in %s", sec->name);
		return 1;
	}
	linked = malloc(ls->size ? ls->size : 1);
	c.relas = calloc(sec->nr_relas + 1, sizeof(*c.relas));
	fields = calloc(sec->nr_relas + 1, sizeof(*fields));
	if (!linked || !c.relas || !fields) {
		err = -1;
		goto out;
	}
	if (kpl_elf__read(sel->lib, ls->value, linked, ls->size)) {
		snprintf(why, len, "its bytes cannot be read from %s",
			 sel->lib_path);
		err = 1;
		goto out;
	}
	for (i = 0; i < sec->nr_relas; i++)
		if (sec->relas[i].offset >= start &&
		    sec->relas[i].offset < start + size)
			c.relas[n++] = &sec->relas[i];
	qsort(c.relas, n, sizeof(*c.relas), cmp_rela);
	for (i = 0; i < n; i++)
		fields[i] = (struct kpl_arch_field){ c.relas[i]->offset - start,
						     c.relas[i]->type };
	in = (struct kpl_arch_same_in){
		.linked = linked,
		.linked_size = ls->size,
		.linked_addr = ls->value,
		.obj = obj,
		.obj_size = size,
		.fields = fields,
		.nr_fields = n,
		.reaches = reaches,
		.arg = &c,
	};
	err = kpl_arch_same_code(&in, &m);
	if (err == 1)
		snprintf(
			why, len,
			"its code differs at +0x%llx: %s in %s, %s in the original build (+0x%llx)",
			(unsigned long long)m.linked_off, m.linked,
			sel->lib_path, m.obj, (unsigned long long)m.obj_off);
	else if (err < 0)
		snprintf(why, len, "its code cannot be compared: %s",
			 kpl_strerror(err));
	err = err < 0 ? 1 : err;
out:
	if (err < 0)
		kb_err("out of memory");
	free(linked);
	free(c.relas);
	free(fields);
	return err;
}

/*
 * The original build must be the library: every function and variable
 * both have, the same size or, for a function, the same code.
 * Otherwise the references by name and the old functions' sizes cannot
 * be trusted.
 */
void kb_check_reproduced(struct kb_selection *sel)
{
	unsigned int bad = 0, relaxed = 0;
	char why[2 * KPL_ARCH_INSN_TEXT + 128];
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		const struct kb_obj *o = sel->objs[i]->twin;

		for (j = 1; j < o->nr_syms; j++) {
			const struct kb_sym *s = &o->syms[j];
			const struct kpl_elf_sym *ls;
			int err;

			if (!s->sec || !kb_sym__named(s) || s->parent ||
			    kb_sym__copyable(s) ||
			    kpl_elf__find(sel->lib, s->name,
					  s->bind == STB_LOCAL ? o->file : NULL,
					  &ls) ||
			    ls->size == s->sym.st_size)
				continue;
			if (kb_sym__is_func(s) && ls->type == STT_FUNC) {
				err = kb_same_as_lib(sel, s, ls, why,
						     sizeof(why));
				if (err < 0) {
					sel->refused++;
					return;
				}
				if (!err) {
					relaxed++;
					continue;
				}
			} else {
				snprintf(
					why, sizeof(why),
					"%llu bytes in the original build, %llu in %s",
					(unsigned long long)s->sym.st_size,
					(unsigned long long)ls->size,
					sel->lib_path);
			}
			if (bad++ < 5)
				kb_err("%s: %s", kb_sym__desc(s), why);
		}
	}
	if (relaxed)
		kb_info("%u function%s of %s differ%s in size from the original build only by the encodings of jumps and alignment padding: the same code",
			relaxed, relaxed == 1 ? "" : "s", sel->lib_path,
			relaxed == 1 ? "s" : "");
	if (bad) {
		kb_err("refusing: the original build does not reproduce %s (%u symbol%s): are --cc and --cflags the ones it was built with, and the tree its source?",
		       sel->lib_path, bad, bad == 1 ? " differs" : "s differ");
		sel->refused++;
	}
}
