/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The dynamic linker's lookup scope in a target (scope.c): which loaded
 * object defines a symbol first, as the dynamic linker would bind a
 * reference from a given object.  Read from the process's link map.
 */
#ifndef KPL_LIB_SCOPE_H
#define KPL_LIB_SCOPE_H

#include <stddef.h>

struct kpl_target;
struct kpl_obj;
struct kpl_elf_sym;

/* Most entries read from a link map; a process with more is refused. */
#define KPL_LINK_MAP_MAX 4096

struct kpl_scope {
	/* Indices into t->objs, in link map (load) order. */
	size_t *order;
	char **names; /* each entry's l_name, as read */
	size_t nr;
	/* The first nr_global were loaded at start: the global scope. */
	size_t nr_global;
	/* Why the link map is unusable; "" when it is usable. */
	char why[512];
};

/*
 * kpl_scope__read() - read and check the link map of @t.  A link map
 * that cannot be read, or that disagrees with the mappings, gives a
 * scope with why[] set (logged), not an error.
 * Return: 0 and *@out, or -ENOMEM.
 */
int kpl_scope__read(struct kpl_target *t, struct kpl_scope **out);
void kpl_scope__free(struct kpl_scope *s);

/*
 * kpl_scope__lookup() - the definition of @name (of @version, or the
 * default one when NULL) a reference from @lib binds to: the first in
 * the global scope, then in @lib's own scope when it was dlopen'ed.
 * Without a usable link map, only a symbol that a single loaded object
 * defines is bound.  Reads the scope into t->scope on first use.
 * Return: 0 and *@obj, *@sym; -ENOENT when nothing defines it (nothing
 * logged); -KPL_E_SYMBOL when the binding cannot be known (logged).
 */
int kpl_scope__lookup(struct kpl_target *t, struct kpl_obj *lib,
		      const char *name, const char *version,
		      struct kpl_obj **obj, const struct kpl_elf_sym **sym);

#endif
