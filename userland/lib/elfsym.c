// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Which of one object's symbols a name finds (elfobj.c reads them): its
 * own definitions by name and file for what a patch replaces or refers
 * to in it, its exports by name and version as the dynamic linker
 * matches a reference to them, and what it imports and through which GOT
 * slot.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "elfobj.h"
#include "internal.h"

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool kpl_elf__of_file(const struct kpl_elf_sym *s, const char *file)
{
	if (!file || !*file)
		return true;
	return s->bind == STB_LOCAL &&
	       !strcmp(base_name(s->file), base_name(file));
}

/* A definition with an address (@tls false) or a TLS variable (true). */
static bool sym_usable(const struct kpl_elf_sym *s, bool tls)
{
	if (tls)
		return s->defined && !s->ver_hidden && s->type == STT_TLS;
	return s->defined && !s->ver_hidden && s->type != STT_TLS &&
	       s->type != STT_GNU_IFUNC;
}

static int find_sym(const struct kpl_elf *ke, const char *name,
		    const char *file, bool tls, const struct kpl_elf_sym **out)
{
	const struct kpl_elf_sym *global = NULL, *local = NULL, *syms;
	size_t i, nr, nr_local = 0;
	int err = kpl_elf__symbols(ke, &syms, &nr);

	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		const struct kpl_elf_sym *s = &syms[i];

		if (!sym_usable(s, tls) || strcmp(s->name, name) ||
		    !kpl_elf__of_file(s, file))
			continue;
		if (s->bind == STB_LOCAL) {
			/* The same local seen twice (it is one symbol). */
			if (local && local->value == s->value)
				continue;
			local = s;
			nr_local++;
		} else if (!global) {
			global = s;
		}
	}
	if (global) {
		*out = global;
		return 0;
	}
	if (nr_local == 1) {
		*out = local;
		return 0;
	}
	return nr_local > 1 ? -ENOTUNIQ : -KPL_E_SYMBOL;
}

int kpl_elf__find(const struct kpl_elf *ke, const char *name,
		  const char *file, const struct kpl_elf_sym **out)
{
	return find_sym(ke, name, file, false, out);
}

int kpl_elf__find_tls(const struct kpl_elf *ke, const char *name,
		      const char *file, const struct kpl_elf_sym **out)
{
	return find_sym(ke, name, file, true, out);
}

static bool is_dynamic_def(const struct kpl_elf_sym *s, const char *version)
{
	(void)version;
	return s->dynamic && s->defined && !s->ver_hidden &&
	       s->type != STT_TLS && s->bind != STB_LOCAL;
}

/* What glibc's check_match() accepts (elf/dl-lookup.c). */
static bool binds(const struct kpl_elf_sym *s, const char *version)
{
	if (!s->dynamic || !(s->defined || s->canonical) ||
	    s->type == STT_TLS || s->bind == STB_LOCAL ||
	    s->vis == STV_HIDDEN || s->vis == STV_INTERNAL)
		return false;
	return !version ? !s->ver_hidden
			: (s->version ? !strcmp(s->version, version)
				      : !s->ver_hidden);
}

/* Most .dynsym entries of one name a hash lookup takes (more: rare). */
#define NAMED_MAX 16

/*
 * The first export named @name that @ok takes with @version: through
 * the hash table while the tables are unread, else by reading them.  A
 * table that cannot be read (no memory) exports nothing here, as an
 * object that cannot be opened defines nothing in the scope (scope.c).
 */
static const struct kpl_elf_sym *
first_export(const struct kpl_elf *ke, const char *name, const char *version,
	     bool (*ok)(const struct kpl_elf_sym *, const char *))
{
	const struct kpl_elf_sym *named[NAMED_MAX], *syms;
	int n = kpl_elf__hashed(ke, name, named, NAMED_MAX);
	size_t i, nr;

	if (n >= 0) {
		for (i = 0; i < (size_t)n; i++)
			if (ok(named[i], version))
				return named[i];
		return NULL;
	}
	if (kpl_elf__symbols(ke, &syms, &nr))
		return NULL;
	for (i = 0; i < nr; i++)
		if (ok(&syms[i], version) && !strcmp(syms[i].name, name))
			return &syms[i];
	return NULL;
}

const struct kpl_elf_sym *kpl_elf__find_dynamic(const struct kpl_elf *ke,
						const char *name)
{
	return first_export(ke, name, NULL, is_dynamic_def);
}

const struct kpl_elf_sym *kpl_elf__find_version(const struct kpl_elf *ke,
						const char *name,
						const char *version)
{
	return first_export(ke, name, version, binds);
}

const char *kpl_elf__import_version(const struct kpl_elf *ke,
				    const char *name)
{
	const struct kpl_elf_sym *syms;
	size_t i, nr;

	if (kpl_elf__symbols(ke, &syms, &nr))
		return NULL;
	for (i = 0; i < nr; i++) {
		const struct kpl_elf_sym *s = &syms[i];

		if (s->dynamic && !s->defined && s->version &&
		    !strcmp(s->name, name))
			return s->version;
	}
	return NULL;
}

const struct kpl_elf_import *kpl_elf__import(const struct kpl_elf *ke,
					     const char *name)
{
	size_t i;

	for (i = 0; i < ke->nr_imports; i++)
		if (!strcmp(ke->imports[i].name, name))
			return &ke->imports[i];
	return NULL;
}
