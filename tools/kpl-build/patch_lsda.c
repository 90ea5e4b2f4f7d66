// SPDX-License-Identifier: GPL-2.0
/*
 * What an included function's unwind entry needs besides its code, so
 * that an exception thrown in, caught in or unwound through patch code
 * behaves as it did in the library (docs/engine.md).
 *
 * A C++ function with handlers or cleanups has an LSDA: the FDE's
 * augmentation holds a pointer (pcrel|sdata4 in PIC code, relocated
 * R_X86_64_PC32) to its part of .gcc_except_table, in a section of its
 * own with -ffunction-sections.  Its CIE names the personality routine
 * through a DW.ref.__gxx_personality_v0 word (indirect|pcrel|sdata4):
 * a hidden, COMDAT, 8-byte data word holding the routine's address.
 * The LSDA's type table points the same way through DW.ref.<typeinfo>
 * words.  None of these is reached from code, so the selection
 * (patch_select.c), which follows code, does not take them in; this step
 * does, for the FDEs of included functions:
 *
 *   - each .gcc_except_table section an FDE points to is included, with
 *     its relocations;
 *   - each DW.ref word is included once (the patch's own word, which the
 *     loader fills with the address the name binds to in the target, in
 *     the dynamic linker's lookup order), and the same word in another
 *     patched object stands for that copy (kb_sym.def);
 *   - the name a word holds is referenced like any other name the patch
 *     leaves undefined: __gxx_personality_v0 and libstdc++'s typeinfo
 *     objects from wherever the target binds them, the library's own
 *     typeinfo objects checked in its symbol table.
 *
 * A typeinfo object (and its name) that only the patched build has, for
 * a handler of a type the patch adds, is carried with the patch.
 * Refused, by name: a typeinfo object that changed, and a relocation
 * these tables hold that is none of the above.  An FDE that still names
 * something not included is left out (patch_ehframe.c), and
 * kpl_patch__check_unwind() then refuses a function that needs it.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "elfobj.h"

struct lsda {
	struct kb_selection *sel;
	unsigned int refused;
	int err; /* out of memory */
};

static bool is_word(const struct kb_sym *s)
{
	return s->sec && !strncmp(s->name, "DW.ref.", 7) && s->sym.st_size == 8;
}

static bool is_lsda_sec(const struct kb_sec *sec)
{
	return !strncmp(sec->name, ".gcc_except_table", 17) &&
	       !(sec->sh.sh_flags & (SHF_WRITE | SHF_EXECINSTR));
}

/* The included copy of the COMDAT word @name in another patched object. */
static struct kb_sym *word_taken(const struct kb_selection *sel,
				 const struct kb_obj *obj, const char *name)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		if (p == obj)
			continue;
		for (j = 1; j < p->nr_syms; j++) {
			struct kb_sym *s = &p->syms[j];

			if (is_word(s) && s->sec->include &&
			    !strcmp(s->name, name))
				return s;
		}
	}
	return NULL;
}

/* @s is referenced by name: the library's own (@s defined) or not. */
static void add_ref(struct lsda *l, struct kb_sym *s, const char *what)
{
	struct kb_selection *sel = l->sel;
	const struct kb_sym *n = s->twin ? s->twin : s;
	struct kb_libref r = {
		.name = n->name,
		.file = s->sec && n->bind == STB_LOCAL ? s->obj->file : NULL,
		.check = s->sec != NULL,
		.weak = !s->sec && s->bind == STB_WEAK,
	};
	const struct kpl_elf_sym *ls;
	struct kb_libref *v;
	size_t i;

	if (s->ref)
		return;
	s->ref = true;
	for (i = 0; i < sel->nr_refs; i++)
		if (!strcmp(sel->refs[i].name, r.name)) {
			if (!sel->refs[i].file == !r.file &&
			    (!r.file || !strcmp(sel->refs[i].file, r.file)))
				return;
			kb_err("refusing: the patch would refer to two different symbols named '%s': kpl resolves undefined symbols by name",
			       r.name);
			l->refused++;
			return;
		}
	if (r.check && kpl_elf__find(sel->lib, r.name, r.file, &ls)) {
		kb_err("refusing: '%s' (%s) is not in %s's symbol table%s",
		       r.name, what, sel->lib_path,
		       sel->lib->has_symtab ? "" : " (stripped?)");
		l->refused++;
		return;
	}
	v = realloc(sel->refs, (sel->nr_refs + 1) * sizeof(*v));
	if (!v) {
		l->err = 1;
		return;
	}
	sel->refs = v;
	v[sel->nr_refs++] = r;
}

static void take(struct lsda *l, struct kb_obj *o, struct kb_sec *sec);

/* The target of relocation @r in @o's table (or word) @from. */
static void bind(struct lsda *l, struct kb_obj *o, const struct kb_sec *from,
		 const struct kb_rela *r)
{
	struct kb_sym *s, *d;

	if (r->sym >= o->nr_syms) {
		kb_err("refusing: %s: a relocation in %s names symbol %u of %zu",
		       o->src, from->name, r->sym, o->nr_syms);
		l->refused++;
		return;
	}
	s = &o->syms[r->sym];
	if (s->def || (s->sec && s->sec->include))
		return;
	if (is_word(s)) {
		d = word_taken(l->sel, o, s->name);
		if (d)
			s->def = d;
		else
			take(l, o, s->sec);
	} else if (s->sec && is_lsda_sec(s->sec) && s->type == STT_SECTION) {
		take(l, o, s->sec);
	} else if (!s->sec && s->sym.st_shndx == SHN_UNDEF) {
		add_ref(l, s, "an exception table's");
	} else if (s->sec && kb_sym__named(s) && s->status == KB_SAME) {
		add_ref(l, s, "a type an exception table names");
	} else if (s->sec && kb_sym__named(s) && s->status == KB_NEW) {
		/* A type only the patch knows: its typeinfo and name. */
		take(l, o, s->sec);
	} else if (s->sec && kb_sym__named(s)) {
		kb_err("refusing: %s (%s): an exception table names '%s', which the patch changes: the process holds the old one",
		       from->name, o->file, s->name);
		l->refused++;
	} else {
		kb_err("refusing: %s (%s): cannot carry a relocation against '%s' in %s",
		       from->name, o->file, s->sec ? s->sec->name : s->name,
		       from->name);
		l->refused++;
	}
}

/* Include @sec (an LSDA or a DW.ref word) and what it points to. */
static void take(struct lsda *l, struct kb_obj *o, struct kb_sec *sec)
{
	size_t i;

	if (sec->include)
		return;
	sec->include = true;
	for (i = 0; i < sec->nr_relas; i++)
		bind(l, o, sec, &sec->relas[i]);
}

static bool pc_included(const struct kb_obj *o, const struct kb_sec *eh,
			size_t at)
{
	size_t i;

	for (i = 0; i < eh->nr_relas; i++) {
		const struct kb_rela *r = &eh->relas[i];

		if (r->offset == at)
			return r->sym < o->nr_syms && o->syms[r->sym].sec &&
			       o->syms[r->sym].sec->include;
	}
	return false;
}

static int one_entry(struct kb_obj *o, const struct kb_sec *eh, size_t lo,
		     size_t hi, size_t cie, size_t cie_hi, void *arg)
{
	struct lsda *l = arg;
	size_t i;

	if (!pc_included(o, eh, lo + 8))
		return 0;
	for (i = 0; i < eh->nr_relas; i++) {
		const struct kb_rela *r = &eh->relas[i];

		if (r->offset == lo + 8)
			continue;
		if ((r->offset >= lo && r->offset < hi) ||
		    (r->offset >= cie && r->offset < cie_hi))
			bind(l, o, eh, r);
	}
	return l->err;
}

int kb_lsda__select(struct kb_selection *sel)
{
	struct lsda l = { .sel = sel };
	size_t i;

	for (i = 0; !l.err && i < sel->nr_objs; i++) {
		const struct kb_sec *eh = kb_eh_frame__of(sel->objs[i]);

		if (eh)
			l.err = kb_eh_frame__each(sel->objs[i], eh, one_entry,
						  &l);
	}
	if (l.err)
		kb_err("out of memory");
	return l.err || l.refused ? 1 : 0;
}
