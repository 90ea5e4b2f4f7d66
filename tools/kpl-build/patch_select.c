// SPDX-License-Identifier: GPL-2.0
/*
 * What the patch holds and what it refuses, once diff.c has compared the
 * builds.
 *
 * The seeds are the changed functions.  Following their relocations, the
 * patch takes in whatever has no counterpart in the running library: new
 * functions, new data (global, static, static local), .cold parts, and
 * the anonymous sections the code needs (strings, constants, jump
 * tables).  Everything else that already exists is referenced by name,
 * locals with their STT_FILE, and must resolve in the library the way
 * the loader will resolve it.
 *
 * Refused, each with the symbol and the reason: any existing data whose
 * size, initial value or const-ness changed (the process holds the old
 * one and code left in the library uses it), a changed constructor list,
 * new or changed thread-local variables and TLS models the loader cannot
 * serve (tls_why()), unnamed writable data, a changed function whose
 * entry the prologue analysis rejects, a library the original build does
 * not reproduce, and a diff that changes data but no function.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "build.h"
#include "elfobj.h"
#include "kpl/errors.h"

__attribute__((format(printf, 2, 3))) static void
refuse(struct kb_selection *sel, const char *fmt, ...)
{
	va_list ap;

	fputs("kpl-build: refusing: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	sel->refused++;
}

static int push(void *arrayp, size_t *n, const void *elem, size_t size)
{
	char **a = arrayp;
	char *v = realloc(*a, (*n + 1) * size);

	if (!v) {
		kb_err("out of memory");
		return 1;
	}
	memcpy(v + *n * size, elem, size);
	*a = v;
	(*n)++;
	return 0;
}

/* Existing data may not change at all: the process holds the old one. */
static void check_data(struct kb_selection *sel)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		for (j = 1; j < p->nr_syms; j++) {
			struct kb_sym *s = &p->syms[j];

			if (!kb_sym__is_data(s) || s->status != KB_CHANGED)
				continue;
			if (!s->twin)
				refuse(sel, "%s %s", kb_sym__desc(s), s->why);
			else if (s->sym.st_size != s->twin->sym.st_size)
				refuse(sel,
				       "%s: its size changed (%llu -> %llu bytes): the running process holds the old one and the library's code uses the old size",
				       kb_sym__desc(s),
				       (unsigned long long)s->twin->sym.st_size,
				       (unsigned long long)s->sym.st_size);
			else
				refuse(sel,
				       "%s: %s: data that already exists in a running process cannot be changed by a live patch",
				       kb_sym__desc(s), s->why);
		}
	}
}

static bool is_ctor_list(const char *name)
{
	static const char *const lists[] = { ".init_array", ".fini_array",
					     ".preinit_array", ".ctors",
					     ".dtors" };
	size_t i, n;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		n = strlen(lists[i]);
		if (!strncmp(name, lists[i], n) && (!name[n] || name[n] == '.'))
			return true;
	}
	return false;
}

/* No code of a patch runs when it is applied: constructors would not. */
static void check_ctors(struct kb_selection *sel)
{
	size_t i, j, k;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i], *o = p->twin;

		for (j = 1; j < p->nr_secs; j++) {
			const struct kb_sec *ps = &p->secs[j], *os = NULL;

			if (!is_ctor_list(ps->name))
				continue;
			for (k = 1; k < o->nr_secs && !os; k++)
				if (!strcmp(o->secs[k].name, ps->name))
					os = &o->secs[k];
			if (!os || !kb_sec_equal(o, os, p, ps))
				refuse(sel,
				       "%s: %s changed: a constructor or destructor would never run, since applying a live patch runs none of its code",
				       p->src, ps->name);
		}
	}
}

struct work {
	struct kb_obj *obj;
	struct kb_sec *sec;
};

/*
 * A COMDAT section (an inline function or a template instance: vague
 * linkage) of the same name already taken from another object: the
 * linker kept one copy of the group in the library, and the one-definition
 * rule makes every copy the same, so the patch holds one too.  The other
 * objects' references to it stay by name and reach the library's copy,
 * whose entry jumps to the patch's.
 */
static bool comdat_taken(const struct work *wl, size_t n,
			 const struct kb_sec *sec)
{
	size_t i;

	if (!(sec->sh.sh_flags & SHF_GROUP))
		return false;
	for (i = 0; i < n; i++)
		if ((wl[i].sec->sh.sh_flags & SHF_GROUP) &&
		    !strcmp(wl[i].sec->name, sec->name))
			return true;
	return false;
}

static int include(struct work **wl, size_t *n, struct kb_obj *obj,
		   struct kb_sec *sec)
{
	struct work w = { obj, sec };

	if (sec->include || comdat_taken(*wl, *n, sec))
		return 0;
	sec->include = true;
	return push(wl, n, &w, sizeof(w));
}

/* @s is referenced by name: the library's name, a local's file. */
static int add_ref(struct kb_selection *sel, struct kb_sym *s)
{
	const struct kb_sym *l = s->twin ? s->twin : s;
	struct kb_libref r = {
		.name = l->name,
		.file = s->sec && l->bind == STB_LOCAL ? s->obj->file : NULL,
		.check = s->sec != NULL || s->type == STT_TLS,
		.weak = !s->sec && s->bind == STB_WEAK,
		.tls = s->type == STT_TLS,
	};
	size_t i;

	if (s->ref)
		return 0;
	s->ref = true;
	for (i = 0; i < sel->nr_refs; i++) {
		const struct kb_libref *o = &sel->refs[i];

		if (strcmp(o->name, r.name))
			continue;
		if (!o->file != !r.file ||
		    (r.file && strcmp(o->file, r.file))) {
			refuse(sel,
			       "the patch would refer to two different symbols named '%s' (%s and %s): kpl resolves undefined symbols by name",
			       r.name, o->file ? o->file : "global",
			       r.file ? r.file : "global");
			return 0;
		}
		return 0;
	}
	return push(&sel->refs, &sel->nr_refs, &r, sizeof(r));
}

/* The global that another patched object defines for undefined @u. */
static struct kb_sym *definition(const struct kb_selection *sel,
				 const struct kb_sym *u)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		if (p == u->obj)
			continue;
		for (j = 1; j < p->nr_syms; j++) {
			struct kb_sym *s = &p->syms[j];

			if (s->sec && s->bind != STB_LOCAL &&
			    kb_sym__named(s) && !strcmp(s->name, u->name))
				return s;
		}
	}
	return NULL;
}

/*
 * Why a TLS relocation cannot go in a patch, or NULL: the library's own
 * __thread variables may be used under the general-dynamic,
 * local-dynamic and initial-exec models, as the library's code uses them
 * (the loader reads the module id and offsets the dynamic linker chose).
 */
static const char *tls_why(uint32_t type, const struct kb_target *t)
{
	const struct kb_sym *s = t->sym;

	switch (type) {
	case R_X86_64_TLSGD:
	case R_X86_64_TLSLD:
	case R_X86_64_DTPOFF32:
	case R_X86_64_GOTTPOFF:
		break;
	case R_X86_64_TPOFF32:
		return "the local-exec model is for executables (build the library with -fPIC)";
	case R_X86_64_GOTPC32_TLSDESC:
	case R_X86_64_TLSDESC_CALL:
		return "TLS descriptors (-mtls-dialect=gnu2) are not supported";
	default:
		return "this TLS relocation is not supported in code";
	}
	if (t->kind != KB_T_SYM || !s)
		return "an unnamed thread-local variable cannot be referenced by name";
	if (s->status == KB_NEW)
		return "a patch cannot add thread-local storage to threads that already run";
	if (s->status == KB_CHANGED)
		return "its size or initial value changed, and every thread holds the old one";
	return NULL;
}

static const char *what_fn(const struct kb_sec *sec)
{
	return sec->owner ? sec->owner->name : sec->name;
}

/* Follow the relocations of one included section. */
static int follow(struct kb_selection *sel, struct work **wl, size_t *n,
		  struct kb_obj *obj, struct kb_sec *sec)
{
	size_t i;

	for (i = 0; i < sec->nr_relas; i++) {
		const struct kb_rela *r = &sec->relas[i];
		struct kb_target t;
		struct kb_sym *s;

		kb_target(obj, r, &t);
		s = t.sym;
		if (kb_rela__tls(r->type) || (s && s->type == STT_TLS)) {
			const char *why = tls_why(r->type, &t);

			if (why) {
				refuse(sel,
				       "%s (%s) uses thread-local storage ('%s'): %s",
				       what_fn(sec), obj->file,
				       s ? s->name : obj->syms[r->sym].name,
				       why);
				continue;
			}
			/* The library's own variable, by name: below. */
		}
		if (t.kind != KB_T_SYM) {
			if (t.kind == KB_T_ANON &&
			    (t.sec->sh.sh_flags & SHF_WRITE)) {
				refuse(sel,
				       "%s (%s) uses unnamed writable data in %s: it may hold state the patch cannot share",
				       what_fn(sec), obj->file, t.sec->name);
				continue;
			}
			if (include(wl, n, obj, t.sec))
				return 1;
			continue;
		}
		if (s->sec == sec)
			continue;
		if (!s->sec && s->bind != STB_LOCAL) {
			struct kb_sym *d = definition(sel, s);

			if (d && (d->status != KB_SAME || d->parent)) {
				s->def = d;
				if (include(wl, n, d->obj, d->sec))
					return 1;
				continue;
			}
		}
		if (s->sec && (s->status != KB_SAME || s->parent)) {
			/* New (or changed: already refused if data). */
			if (s->status == KB_CHANGED && kb_sym__is_data(s))
				continue;
			if (include(wl, n, obj, s->sec))
				return 1;
			continue;
		}
		if (add_ref(sel, s))
			return 1;
	}
	return 0;
}

static int close_over(struct kb_selection *sel)
{
	struct work *wl = NULL;
	size_t n = 0, i, j, k;
	int err = 0;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		for (j = 1; j < p->nr_syms && !err; j++) {
			struct kb_sym *s = &p->syms[j];

			if (!kb_sym__is_func(s) || s->status != KB_CHANGED ||
			    s->parent || s->alias || !s->sec ||
			    comdat_taken(wl, n, s->sec))
				continue;
			err = push(&sel->replaced, &sel->nr_replaced, &s,
				   sizeof(s)) ||
			      include(&wl, &n, p, s->sec);
		}
	}
	for (k = 0; k < n && !err; k++)
		err = follow(sel, &wl, &n, wl[k].obj, wl[k].sec);
	free(wl);
	return err;
}

/*
 * Every name the patch leaves undefined that the library defines must
 * resolve there as the loader will resolve it (kpl_elf__find()).
 */
static void check_refs(struct kb_selection *sel)
{
	const struct kpl_elf_sym *ls;
	size_t i;
	int err;

	for (i = 0; i < sel->nr_refs; i++) {
		const struct kb_libref *r = &sel->refs[i];

		err = r->tls ? kpl_elf__find_tls(sel->lib, r->name, r->file, &ls)
			     : kpl_elf__find(sel->lib, r->name, r->file, &ls);
		if (err == -ENOTUNIQ)
			refuse(sel,
			       "'%s' is ambiguous in %s: several local symbols have that name and none of them can be told apart",
			       r->name, sel->lib_path);
		else if (err && r->check)
			refuse(sel, "'%s'%s%s is not in %s's symbol table%s",
			       r->name, r->file ? " of " : "",
			       r->file ? r->file : "", sel->lib_path,
			       sel->lib->has_symtab ? "" : " (stripped?)");
	}
}

/* A changed function: in the library, the same code, and takes a jump. */
static void check_replaced(struct kb_selection *sel, struct kb_sym *s)
{
	const struct kb_sym *o = s->twin;
	const char *file = o->bind == STB_LOCAL ? o->obj->file : NULL;
	const struct kpl_elf_sym *ls;
	struct kpl_arch_prologue pro;
	char why[2 * KPL_ARCH_INSN_TEXT + 128];
	const char *reason = NULL;
	uint8_t *code;
	int err;

	err = kpl_elf__find(sel->lib, o->name, file, &ls);
	if (err) {
		refuse(sel, "%s changed but is %s in %s", kb_sym__desc(o),
		       err == -ENOTUNIQ ? "ambiguous" : "not found",
		       sel->lib_path);
		return;
	}
	if (ls->type != STT_FUNC) {
		refuse(sel, "%s is not a function in %s", kb_sym__desc(o),
		       sel->lib_path);
		return;
	}
	/*
	 * Its size may differ where the library's assembler shortened
	 * jumps (patch_same.c): the code must be the same.  From here on
	 * the old function is the library's, ls->size bytes.
	 */
	if (ls->size != o->sym.st_size) {
		err = kb_same_as_lib(sel, o, ls, why, sizeof(why));
		if (err) {
			if (err > 0)
				refuse(sel,
				       "%s is %llu bytes in the original build but %llu in %s, and %s: the library was not built from this tree with these flags",
				       kb_sym__desc(o),
				       (unsigned long long)o->sym.st_size,
				       (unsigned long long)ls->size,
				       sel->lib_path, why);
			else
				sel->refused++;
			return;
		}
	}
	code = malloc(ls->size ? ls->size : 1);
	if (!code || kpl_elf__read(sel->lib, ls->value, code, ls->size)) {
		refuse(sel, "cannot read %s from %s", kb_sym__desc(o),
		       sel->lib_path);
		free(code);
		return;
	}
	err = kpl_arch_analyse(code, ls->size, ls->value, &pro, &reason);
	free(code);
	if (err)
		refuse(sel,
		       "%s cannot be patched: %s (its entry in %s at 0x%llx)",
		       kb_sym__desc(o), reason ? reason : kpl_strerror(err),
		       sel->lib_path, (unsigned long long)ls->value);
}

static bool name_taken(const struct kb_selection *sel, const char *name)
{
	size_t i;

	for (i = 0; i < sel->nr_refs; i++)
		if (!strcmp(sel->refs[i].name, name))
			return true;
	for (i = 0; i < sel->nr_defs; i++)
		if (!strcmp(sel->defs[i]->out_name, name))
			return true;
	return false;
}

/* Name every defined symbol of the patch, uniquely. */
static int name_defs(struct kb_selection *sel)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++) {
		struct kb_obj *p = sel->objs[i];

		for (j = 1; j < p->nr_syms; j++) {
			struct kb_sym *s = &p->syms[j];
			unsigned int k = 0;

			if (!s->sec || !s->sec->include || !kb_sym__named(s))
				continue;
			if (!(s->out_name = strdup(s->name)))
				goto oom;
			while (name_taken(sel, s->out_name)) {
				free(s->out_name);
				if (asprintf(&s->out_name, "%s.kpl%u", s->name,
					     ++k) < 0) {
					s->out_name = NULL;
					goto oom;
				}
			}
			if (push(&sel->defs, &sel->nr_defs, &s, sizeof(s)))
				return 1;
			if (s->status == KB_NEW && kb_sym__is_func(s))
				sel->nr_new_funcs++;
			else if (s->status == KB_NEW)
				sel->nr_new_data++;
		}
	}
	return 0;
oom:
	kb_err("out of memory");
	return 1;
}

/* Why nothing is patched, when nothing is: 1 refused, 3 no change. */
static int nothing(struct kb_selection *sel)
{
	size_t i, j;
	bool data = false;

	for (i = 0; i < sel->nr_objs; i++)
		for (j = 1; j < sel->objs[i]->nr_syms; j++) {
			const struct kb_sym *s = &sel->objs[i]->syms[j];

			if (kb_sym__is_data(s) && s->status == KB_CHANGED)
				data = true;
		}
	if (data) {
		check_data(sel);
		refuse(sel,
		       "the diff changes data but no function: a live patch replaces functions, and cannot change data a running process already holds");
		return 1;
	}
	if (sel->nr_line_only)
		kb_info("nothing to patch: the only changes are to __LINE__ values (%zu function%s)",
			sel->nr_line_only, sel->nr_line_only == 1 ? "" : "s");
	else
		kb_info("nothing to patch: the diff changes no function's code");
	return 3;
}

int kb_select(struct kb_selection *sel)
{
	size_t i, j;

	for (i = 0; i < sel->nr_objs; i++)
		for (j = 1; j < sel->objs[i]->nr_syms; j++) {
			const struct kb_sym *s = &sel->objs[i]->syms[j];

			if (kb_sym__is_func(s) && s->status == KB_CHANGED &&
			    !s->parent)
				goto some;
		}
	return nothing(sel);
some:
	check_data(sel);
	check_ctors(sel);
	if (close_over(sel))
		return 1;
	check_refs(sel);
	for (i = 0; i < sel->nr_replaced; i++)
		check_replaced(sel, sel->replaced[i]);
	kb_check_reproduced(sel);
	if (sel->refused)
		return 1;
	return name_defs(sel);
}
