// SPDX-License-Identifier: GPL-2.0
/*
 * Struct and union layouts, from the debug info of both builds (libdw;
 * kpl-build compiles with -g, which does not change the code).
 *
 * A fix that adds, removes, moves or resizes a member changes the offsets
 * the patched functions use, while the objects of that type in the
 * running process, and the library code that keeps running, have the old
 * layout.  Nothing in the machine code says so when the objects are only
 * reached through pointers, which is why the debug info is asked.  Every
 * named struct or union (or typedef of an anonymous one) found in both
 * builds of a file must have the same size and the same members at the
 * same offsets with the same sizes.
 *
 * C++ classes too: a class (or struct) is named with its namespaces and
 * enclosing classes ("class a::Parser"), and its signature also holds its
 * base classes at their offsets and its virtual methods at their vtable
 * slots: a new virtual method changes the vtables of the objects that
 * already exist, which no patch can change.  Static members take no room
 * in the object and are left out.
 *
 * Relocatable objects need their .debug_* relocations applied before the
 * names read right; libdwfl's offline mode does that.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

struct layout {
	char *name; /* "struct point", "union u", "typedef foo_t" */
	char *sig; /* "8 bytes: x@0+4 y@4+4 base:A@8+4 virtual:f#2" */
};

struct layouts {
	struct layout *v;
	size_t n;
	bool oom;
};

static void add(struct layouts *ls, const char *kind, const char *name,
		char *sig)
{
	struct layout *v;
	char *full;
	size_t i;

	if (asprintf(&full, "%s %s", kind, name) < 0) {
		free(sig);
		ls->oom = true;
		return;
	}
	for (i = 0; i < ls->n; i++)
		if (!strcmp(ls->v[i].name, full)) {
			/* The same type seen again (or a scoped namesake). */
			free(full);
			free(sig);
			return;
		}
	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (!v) {
		free(full);
		free(sig);
		ls->oom = true;
		return;
	}
	ls->v = v;
	v[ls->n++] = (struct layout){ full, sig };
}

/* A virtual method's entry: "virtual:NAME#SLOT", or NULL. */
static char *virtual_entry(Dwarf_Die *m)
{
	Dwarf_Attribute a;
	Dwarf_Word slot = 0;
	Dwarf_Op *ops;
	size_t nops;
	char *s;

	if (!dwarf_hasattr(m, DW_AT_virtuality))
		return NULL;
	/* DW_AT_vtable_elem_location: DW_OP_constu SLOT. */
	if (dwarf_attr(m, DW_AT_vtable_elem_location, &a) &&
	    !dwarf_getlocation(&a, &ops, &nops) && nops)
		slot = ops[0].number;
	if (asprintf(&s, " virtual:%s#%llu",
		     dwarf_diename(m) ? dwarf_diename(m) : "?",
		     (unsigned long long)slot) < 0)
		return NULL;
	return s;
}

/*
 * "8 bytes: x@0+4 y@4+4 flags@64:3" for a struct, union or class DIE;
 * base classes "base:NAME@OFF+SIZE", virtual methods "virtual:NAME#SLOT".
 */
static char *signature(Dwarf_Die *die)
{
	Dwarf_Word size = 0, off, bits, msize;
	Dwarf_Attribute a;
	Dwarf_Die child, type;
	char *sig = NULL, *more;

	if (dwarf_aggregate_size(die, &size))
		size = 0;
	if (asprintf(&sig, "%llu bytes:", (unsigned long long)size) < 0)
		return NULL;
	if (dwarf_child(die, &child))
		return sig;
	do {
		const char *mname;
		bool base = dwarf_tag(&child) == DW_TAG_inheritance;

		if (dwarf_tag(&child) == DW_TAG_subprogram) {
			char *v = virtual_entry(&child);

			if (!v)
				continue;
			more = NULL;
			if (asprintf(&more, "%s%s", sig, v) < 0)
				more = NULL;
			free(v);
			free(sig);
			sig = more;
			if (!sig)
				return NULL;
			continue;
		}
		/* Static members (DWARF 4) take no room in the object. */
		if ((dwarf_tag(&child) != DW_TAG_member && !base) ||
		    dwarf_hasattr(&child, DW_AT_declaration))
			continue;
		mname = dwarf_diename(&child);
		if (base && dwarf_formref_die(dwarf_attr(&child, DW_AT_type, &a),
					      &type))
			mname = dwarf_diename(&type);
		off = 0;
		bits = 0;
		msize = 0;
		/* Byte offset, or bit offset for a bit-field (DWARF 4+). */
		if (dwarf_attr(&child, DW_AT_data_member_location, &a) ||
		    dwarf_attr(&child, DW_AT_data_bit_offset, &a))
			dwarf_formudata(&a, &off);
		if (dwarf_attr(&child, DW_AT_bit_size, &a))
			dwarf_formudata(&a, &bits);
		if (!bits &&
		    (!dwarf_formref_die(dwarf_attr(&child, DW_AT_type, &a),
					&type) ||
		     dwarf_aggregate_size(&type, &msize)))
			msize = 0;
		if (asprintf(&more, "%s %s%s@%llu%s%llu", sig, base ? "base:" : "",
			     mname ? mname : "?", (unsigned long long)off,
			     bits ? ":" : "+",
			     (unsigned long long)(bits ? bits : msize)) < 0) {
			free(sig);
			return NULL;
		}
		free(sig);
		sig = more;
	} while (!dwarf_siblingof(&child, &child));
	return sig;
}

static const char *kind_of(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type:
		return "struct";
	case DW_TAG_union_type:
		return "union";
	case DW_TAG_class_type:
		return "class";
	}
	return NULL;
}

/* @scope: "" or the enclosing C++ namespaces and classes, "a::B::". */
static void walk(Dwarf_Die *die, struct layouts *ls, int depth,
		 const char *scope)
{
	Dwarf_Die child, type;
	Dwarf_Attribute a;
	char *inner, *qual;
	bool decl;
	int tag;

	if (depth > 16 || dwarf_child(die, &child))
		return;
	do {
		const char *name = dwarf_diename(&child);

		tag = dwarf_tag(&child);
		decl = dwarf_hasattr(&child, DW_AT_declaration);
		qual = NULL;
		if (name && asprintf(&qual, "%s%s", scope, name) < 0) {
			ls->oom = true;
			return;
		}
		if (kind_of(tag) && name && !decl) {
			add(ls, kind_of(tag), qual, signature(&child));
		} else if (tag == DW_TAG_typedef && name &&
			   dwarf_formref_die(dwarf_attr(&child, DW_AT_type, &a),
					     &type) &&
			   (dwarf_tag(&type) == DW_TAG_structure_type ||
			    dwarf_tag(&type) == DW_TAG_union_type) &&
			   !dwarf_diename(&type) &&
			   !dwarf_hasattr(&type, DW_AT_declaration)) {
			add(ls, "typedef", qual, signature(&type));
		}
		/* Names inside a namespace or a class are qualified by it. */
		inner = NULL;
		if (name && (tag == DW_TAG_namespace || kind_of(tag)) &&
		    asprintf(&inner, "%s::", qual) < 0)
			ls->oom = true;
		walk(&child, ls, depth + 1, inner ? inner : scope);
		free(inner);
		free(qual);
	} while (!ls->oom && !dwarf_siblingof(&child, &child));
}

static int read_layouts(const struct kb_obj *obj, struct layouts *ls)
{
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	Dwfl *dwfl = dwfl_begin(&cb);
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL;
	int err = 1;

	if (!dwfl) {
		kb_err("libdwfl: %s", dwfl_errmsg(-1));
		return 1;
	}
	mod = dwfl_report_offline(dwfl, obj->src, obj->path, -1);
	if (!mod || dwfl_report_end(dwfl, NULL, NULL)) {
		kb_err("%s: cannot read its debug info: %s", obj->path,
		       dwfl_errmsg(-1));
		goto out;
	}
	/* No debug info (an empty file): no layouts, nothing to compare. */
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)))
		walk(cu, ls, 0, "");
	err = ls->oom;
	if (err)
		kb_err("out of memory");
out:
	dwfl_end(dwfl);
	return err;
}

static void free_layouts(struct layouts *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		free(ls->v[i].name);
		free(ls->v[i].sig);
	}
	free(ls->v);
}

int kb_layout__compare(const struct kb_obj *o, const struct kb_obj *p,
		       unsigned int *nr_changed)
{
	struct layouts lo = { 0 }, lp = { 0 };
	size_t i, j;
	int err;

	err = read_layouts(o, &lo) || read_layouts(p, &lp);
	for (i = 0; !err && i < lp.n; i++)
		for (j = 0; j < lo.n; j++) {
			if (strcmp(lp.v[i].name, lo.v[j].name))
				continue;
			if (lp.v[i].sig && lo.v[j].sig &&
			    strcmp(lp.v[i].sig, lo.v[j].sig)) {
				kb_err("refusing: the layout of %s changed (%s): was %s now %s",
				       lp.v[i].name, p->file, lo.v[j].sig,
				       lp.v[i].sig);
				(*nr_changed)++;
			}
			break;
		}
	free_layouts(&lo);
	free_layouts(&lp);
	return err;
}
