// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Patch code that an exception may leave or pass through.
 *
 * Patch code runs from an anonymous mapping that the target's unwinder
 * does not know: libgcc's _Unwind_Find_FDE searches only loaded objects
 * and registered tables.  So the loader maps the patch's .eh_frame
 * (loader.c) and, with the ptrace backend, eh_reg.c registers it in the
 * target's libgcc before any entry jumps to the patch.  A C++ exception
 * that meets a frame of patch code with no FDE, or an FDE without the
 * LSDA and personality its handlers need, ends in std::terminate(): the
 * process dies where, before the patch, the exception was caught.  So a
 * function of a patch that may
 *   - throw: call __cxa_throw, std::__throw_*, _Unwind_RaiseException...;
 *   - catch or clean up: call _Unwind_Resume, __cxa_begin_catch...;
 *   - in C++, call anything that may throw: a mangled function other than
 *     operator delete, or through a pointer (a virtual call, a std::function)
 * must be covered by an FDE of the patch's .eh_frame at that call, and
 * one that catches or cleans up by an FDE with an LSDA whose CIE names a
 * personality routine (kpl-build carries .gcc_except_table and the
 * DW.ref word, patch_lsda.c there); else the patch is refused.  A patch
 * with such a function "unwinds": apply refuses it where its table
 * cannot be registered (eh_reg.c), rather than apply it.
 *
 * A patch is C++ when any name in it is mangled.  C code calls through
 * pointers freely: a C function is unwound through only when a callback
 * throws a C++ exception across the C library, which C libraries do not
 * support anyway; pthread_cancel() unwinding stops at a patch frame
 * without an FDE and then runs the thread's cleanups as for any frame
 * without unwind data.
 *
 * kpl-build runs this check on every patch it writes, and apply (and so
 * check and kpld) runs it before touching the target.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "ehframe.h"
#include "internal.h"
#include "patch.h"

static const char *const throwers[] = {
	"__cxa_throw",		 "__cxa_rethrow",
	"__cxa_bad_cast",	 "__cxa_bad_typeid",
	"__cxa_call_unexpected", "__cxa_throw_bad_array_new_length",
	"_Unwind_RaiseException", "_Unwind_Resume_or_Rethrow",
	"_Unwind_ForcedUnwind",
};

/* Only a function with handlers or cleanups calls these. */
static const char *const catchers[] = {
	"_Unwind_Resume",	"__cxa_begin_catch",	   "__cxa_end_catch",
	"__cxa_call_terminate", "__cxa_get_exception_ptr",
};

/* A relocation of the section being scanned. */
struct rel {
	uint64_t off;
	uint32_t sym;
};

/* What the patch's .eh_frame covers: one FDE. */
struct cover {
	size_t sec;		/* the section of its code */
	uint64_t lo, hi;
	bool lsda, pers;	/* its LSDA and its CIE's personality bound */
};

struct scan {
	const struct kpl_patch *p;
	size_t sec;
	struct rel *rels;	/* of section sec, sorted by offset */
	size_t nr_rels;
	bool cxx;
	struct cover *cov;
	size_t nr_cov;
	size_t eh;		/* the .eh_frame section, 0: none */
	bool unwinds;		/* some function needs its FDE */
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

static bool mangled(const char *name)
{
	return name[0] == '_' && name[1] == 'Z';
}

/* std::__throw_logic_error and its kin: _ZSt19__throw_logic_errorPKc. */
static bool std_thrower(const char *name)
{
	size_t n = strspn(name + (strncmp(name, "_ZSt", 4) ? 0 : 4),
			  "0123456789");

	return !strncmp(name, "_ZSt", 4) && n &&
	       !strncmp(name + 4 + n, "__throw_", 8);
}

static bool is_cxx(const struct kpl_patch *p)
{
	size_t i;

	for (i = 1; i < p->nr_symbols; i++)
		if (mangled(p->symbols[i].name) ||
		    !strcmp(p->symbols[i].name, "__gxx_personality_v0"))
			return true;
	for (i = 0; i < p->nr_funcs; i++)
		if (mangled(p->funcs[i].old_name))
			return true;
	return false;
}

/* The function of section @sec that holds @off, for messages. */
static const char *owner(const struct kpl_patch *p, size_t sec, uint64_t off)
{
	size_t i;

	for (i = 1; i < p->nr_symbols; i++) {
		const struct kpl_patch_symbol *s = &p->symbols[i];

		if (s->type == STT_FUNC && s->shndx == sec && s->name[0] &&
		    off >= s->value && off - s->value < s->size)
			return s->name;
	}
	return p->sections[sec].name;
}

/* Why a call to @name may throw or be unwound through, or NULL. */
static const char *callee_why(const char *name)
{
	if (in_list(name, throwers, KPL_ARRAY_SIZE(throwers)) || std_thrower(name))
		return "throws a C++ exception";
	if (in_list(name, catchers, KPL_ARRAY_SIZE(catchers)))
		return "catches or cleans up after a C++ exception";
	/* operator delete is noexcept. */
	if (mangled(name) && strncmp(name, "_Zdl", 4) && strncmp(name, "_Zda", 4))
		return "calls C++ code that may throw";
	return NULL;
}

static const struct cover *covered(const struct scan *sc, uint64_t off)
{
	size_t i;

	for (i = 0; i < sc->nr_cov; i++)
		if (sc->cov[i].sec == sc->sec && off >= sc->cov[i].lo &&
		    off < sc->cov[i].hi)
			return &sc->cov[i];
	return NULL;
}

/*
 * A call at @off that @why (to @what): fine when an FDE covers it (with
 * an LSDA and a personality if @handler); else refused, saying which.
 */
static int need_fde(struct scan *sc, uint64_t off, const char *why,
		    const char *what, bool handler)
{
	const struct cover *c = covered(sc, off);
	const char *missing;

	if (c && (!handler || (c->lsda && c->pers))) {
		sc->unwinds = true;
		return 0;
	}
	if (!c)
		missing = "the patch carries no unwind entry (FDE) for it";
	else if (!c->lsda)
		missing = "its unwind entry carries no exception table (LSDA)";
	else
		missing = "its unwind entry names no personality routine";
	pr_warn("patch: %s %s (%s at +0x%llx) but %s, so an exception there would end the process\n",
		owner(sc->p, sc->sec, off), why, what, (unsigned long long)off,
		missing);
	return -KPL_E_UNWIND;
}

static int on_call(const struct kpl_arch_call *c, void *arg)
{
	struct scan *sc = arg;
	const struct kpl_patch_symbol *s;
	const char *why;
	size_t lo = 0, hi = sc->nr_rels;

	/* The first relocation at or after the instruction. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sc->rels[mid].off < c->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sc->nr_rels && sc->rels[lo].off < c->off + c->len) {
		s = &sc->p->symbols[sc->rels[lo].sym];
		/* Patch code calling patch code: checked on its own. */
		if (s->shndx != SHN_UNDEF)
			return 0;
		why = callee_why(s->name);
		return why ? need_fde(sc, c->off, why, s->name,
				      in_list(s->name, catchers,
					      KPL_ARRAY_SIZE(catchers))) :
			     0;
	}
	if (c->indirect && sc->cxx)
		return need_fde(sc, c->off, "calls C++ code that may throw",
				"an indirect call", false);
	return 0;
}

static int cmp_rel(const void *a, const void *b)
{
	uint64_t x = ((const struct rel *)a)->off;
	uint64_t y = ((const struct rel *)b)->off;

	return x < y ? -1 : x > y;
}

static int scan_section(struct scan *sc)
{
	const struct kpl_patch_section *s = &sc->p->sections[sc->sec];
	size_t i;

	sc->nr_rels = 0;
	for (i = 0; i < sc->p->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &sc->p->relocs[i];

		if (r->section == sc->sec)
			sc->rels[sc->nr_rels++] =
				(struct rel){ .off = r->offset, .sym = r->sym };
	}
	qsort(sc->rels, sc->nr_rels, sizeof(*sc->rels), cmp_rel);
	return kpl_arch_calls(s->data, s->size, on_call, sc);
}

/* The relocation of the .eh_frame field at @at: its symbol, or NULL. */
static const struct kpl_patch_symbol *eh_rel(const struct scan *sc, size_t at,
					     int64_t *addend)
{
	size_t i;

	if (at == SIZE_MAX)
		return NULL;
	for (i = 0; i < sc->p->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &sc->p->relocs[i];

		if (r->section == sc->eh && r->offset == at) {
			*addend = r->addend;
			return &sc->p->symbols[r->sym];
		}
	}
	return NULL;
}

static bool defined_in(const struct kpl_patch *p,
		       const struct kpl_patch_symbol *s, bool code)
{
	return s && s->shndx != SHN_UNDEF && s->shndx < p->nr_sections &&
	       !(p->sections[s->shndx].flags & SHF_EXECINSTR) == !code;
}

static int on_fde(const struct kpl_eh_fde *f, void *arg)
{
	struct scan *sc = arg;
	const struct kpl_patch_symbol *pc, *s;
	struct cover *c;
	int64_t a = 0, b = 0;

	pc = eh_rel(sc, f->pc_at, &a);
	if (!defined_in(sc->p, pc, true))
		return 0; /* covers nothing the patch holds */
	c = &sc->cov[sc->nr_cov++];
	c->sec = pc->shndx;
	c->lo = pc->value + (uint64_t)a;
	c->hi = c->lo + f->range;
	c->lsda = defined_in(sc->p, eh_rel(sc, f->lsda_at, &b), false);
	s = eh_rel(sc, f->pers_at, &b);
	/* The patch's own DW.ref word, or the routine's name. */
	c->pers = s && (defined_in(sc->p, s, false) || s->name[0]);
	return 0;
}

/* What the patch's .eh_frame covers (a table that fails its check
 * covers nothing: the loader refuses it anyway). */
static int read_cover(struct scan *sc)
{
	const struct kpl_patch_section *s;
	char why[128];
	size_t i;

	for (i = 1; i < sc->p->nr_sections && !sc->eh; i++)
		if (!strcmp(sc->p->sections[i].name, ".eh_frame") &&
		    sc->p->sections[i].data)
			sc->eh = i;
	if (!sc->eh)
		return 0;
	s = &sc->p->sections[sc->eh];
	if (kpl_eh_frame__check(s->data, s->size, why, sizeof(why)))
		return 0;
	/* An FDE is 8 bytes at least. */
	sc->cov = calloc(s->size / 8 + 1, sizeof(*sc->cov));
	if (!sc->cov)
		return -ENOMEM;
	return kpl_eh_frame__each_fde(s->data, s->size, on_fde, sc);
}

int kpl_patch__scan_unwind(const struct kpl_patch *p, bool *unwinds)
{
	struct scan sc = { .p = p };
	size_t i;
	int err;

	if (!p)
		return -EINVAL;
	sc.cxx = is_cxx(p);
	sc.rels = malloc((p->nr_relocs ? p->nr_relocs : 1) * sizeof(*sc.rels));
	err = sc.rels ? read_cover(&sc) : -ENOMEM;
	for (i = 1; !err && i < p->nr_sections; i++) {
		const struct kpl_patch_section *s = &p->sections[i];

		if ((s->flags & SHF_EXECINSTR) && s->data) {
			sc.sec = i;
			err = scan_section(&sc);
		}
	}
	free(sc.rels);
	free(sc.cov);
	if (!err && unwinds)
		*unwinds = sc.unwinds;
	return err;
}

KPL_API int kpl_patch__check_unwind(const struct kpl_patch *p)
{
	return kpl_patch__scan_unwind(p, NULL);
}
