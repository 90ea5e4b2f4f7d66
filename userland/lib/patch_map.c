// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The function map of a .kpl patch: .kpl.funcs and .kpl.refs.  Each entry
 * is resolved against the object's .symtab (already checked by
 * patch_elf.c) so the loader gets symbol indexes, not names to look up.
 * Names are found through a sorted index, not a scan per entry: the
 * parser must stay fast on hostile files with many entries.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "patch.h"

/* A symbol name and its index, sorted by name for lookups. */
struct sym_key {
	const char *name;
	uint32_t idx;
};

static int cmp_sym_key(const void *a, const void *b)
{
	return strcmp(((const struct sym_key *)a)->name,
		      ((const struct sym_key *)b)->name);
}

/* Check @sec holds exactly @n entries of @entsize bytes (absent means 0). */
static int check_count(const char *name, const struct kpl_patch_section *sec,
		       uint32_t n, size_t entsize)
{
	uint64_t want = (uint64_t)n * entsize;
	uint64_t have = sec ? sec->size : 0;

	if (have != want) {
		pr_warn("patch: %s size %llu does not match %u entries (expected %llu)\n",
			name, (unsigned long long)have, n,
			(unsigned long long)want);
		return -KPL_E_FORMAT;
	}
	return 0;
}

/* Sorted keys of the symbols @want accepts; *out NULL when there are none. */
static int sym_keys(const struct kpl_patch *p,
		    bool (*want)(const struct kpl_patch *, uint32_t),
		    struct sym_key **out, size_t *nr)
{
	struct sym_key *keys;
	uint32_t i;
	size_t n = 0;

	keys = calloc(p->nr_symbols, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < p->nr_symbols; i++)
		if (want(p, i))
			keys[n++] = (struct sym_key){ p->symbols[i].name, i };
	qsort(keys, n, sizeof(*keys), cmp_sym_key);
	*out = keys;
	*nr = n;
	return 0;
}

/* A function the loader can jump to: STT_FUNC in an executable section. */
static bool is_new_func(const struct kpl_patch *p, uint32_t i)
{
	const struct kpl_patch_symbol *s = &p->symbols[i];

	return s->type == STT_FUNC && s->shndx != SHN_UNDEF &&
	       s->shndx < p->nr_sections &&
	       (p->sections[s->shndx].flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
		       (SHF_ALLOC | SHF_EXECINSTR);
}

static bool is_undef(const struct kpl_patch *p, uint32_t i)
{
	return i > 0 && p->symbols[i].shndx == SHN_UNDEF;
}

static const struct sym_key *lookup(const struct sym_key *keys, size_t n,
				    const char *name, bool *dup)
{
	struct sym_key k = { name, 0 };
	const struct sym_key *hit;

	hit = n ? bsearch(&k, keys, n, sizeof(k), cmp_sym_key) : NULL;
	*dup = hit && ((hit > keys && !strcmp(hit[-1].name, name)) ||
		       (hit + 1 < keys + n && !strcmp(hit[1].name, name)));
	return hit;
}

/* Explain why @name is not a usable new function. */
static void explain_new(const struct kpl_patch *p, size_t f, const char *name)
{
	size_t i;

	for (i = 1; i < p->nr_symbols; i++) {
		const struct kpl_patch_symbol *s = &p->symbols[i];

		if (strcmp(s->name, name))
			continue;
		if (s->shndx == SHN_UNDEF)
			pr_warn("patch: function %zu: new symbol %s is undefined\n",
				f, name);
		else if (s->type != STT_FUNC)
			pr_warn("patch: function %zu: new symbol %s is not a function (type %u)\n",
				f, name, s->type);
		else
			pr_warn("patch: function %zu: new symbol %s is not in an executable section\n",
				f, name);
		return;
	}
	pr_warn("patch: function %zu: new symbol %s not in the symbol table\n",
		f, name);
}

static int cmp_func(const void *a, const void *b)
{
	const struct kpl_patch_func *fa = a, *fb = b;
	int c = strcmp(fa->old_name, fb->old_name);

	return c ? c : strcmp(fa->old_file, fb->old_file);
}

/* Duplicate (old_name, old_file) pairs would patch one function twice. */
static int check_dup_funcs(const struct kpl_patch *p)
{
	struct kpl_patch_func *sorted;
	size_t i;
	int err = 0;

	sorted = calloc(p->nr_funcs, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, p->funcs, p->nr_funcs * sizeof(*sorted));
	qsort(sorted, p->nr_funcs, sizeof(*sorted), cmp_func);
	for (i = 1; i < p->nr_funcs; i++) {
		if (!cmp_func(&sorted[i - 1], &sorted[i])) {
			pr_warn("patch: function %s%s%s listed more than once\n",
				sorted[i].old_name,
				*sorted[i].old_file ? " in " : "",
				sorted[i].old_file);
			err = -KPL_E_FORMAT;
			break;
		}
	}
	free(sorted);
	return err;
}

static int parse_func(struct kpl_patch *p, const struct kpl_patch_secs *ks,
		      size_t i, const struct sym_key *keys, size_t nr_keys)
{
	struct kpl_patch_func *f = &p->funcs[i];
	const struct sym_key *hit;
	struct kpl_func_disk d;
	bool dup;

	memcpy(&d, ks->funcs->data + i * sizeof(d), sizeof(d));
	f->old_name = kpl_patch__str(ks, d.old_name, "function old name");
	f->old_file = kpl_patch__str(ks, d.old_file, "function old file");
	f->new_name = kpl_patch__str(ks, d.new_name, "function new name");
	if (!f->old_name || !f->old_file || !f->new_name)
		return -KPL_E_FORMAT;
	f->old_size = d.old_size;
	if (!*f->old_name || !*f->new_name) {
		pr_warn("patch: function %zu: empty old or new name\n", i);
		return -KPL_E_FORMAT;
	}
	if (d.flags) {
		pr_warn("patch: function %zu (%s): reserved flags 0x%x set\n",
			i, f->old_name, d.flags);
		return -KPL_E_FORMAT;
	}
	hit = lookup(keys, nr_keys, f->new_name, &dup);
	if (!hit) {
		explain_new(p, i, f->new_name);
		return -KPL_E_FORMAT;
	}
	if (dup) {
		pr_warn("patch: function %zu: new symbol %s defined more than once\n",
			i, f->new_name);
		return -KPL_E_FORMAT;
	}
	f->new_sym = hit->idx;
	return 0;
}

static int parse_ref(struct kpl_patch *p, const struct kpl_patch_secs *ks,
		     size_t i, const struct sym_key *keys, size_t nr_keys)
{
	struct kpl_patch_ref *r = &p->refs[i];
	struct kpl_ref_disk d;
	bool dup;

	memcpy(&d, ks->refs->data + i * sizeof(d), sizeof(d));
	r->name = kpl_patch__str(ks, d.name, "ref name");
	r->file = kpl_patch__str(ks, d.file, "ref file");
	if (!r->name || !r->file)
		return -KPL_E_FORMAT;
	/* An empty file is for a ref .kpl.addr locates (patch_addr.c). */
	if (!*r->name) {
		pr_warn("patch: ref %zu: empty name\n", i);
		return -KPL_E_FORMAT;
	}
	if (!lookup(keys, nr_keys, r->name, &dup)) {
		pr_warn("patch: ref %zu: %s is not an undefined symbol of the object\n",
			i, r->name);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct kpl_patch_ref *)a)->name,
		      ((const struct kpl_patch_ref *)b)->name);
}

static int check_dup_refs(const struct kpl_patch *p)
{
	struct kpl_patch_ref *sorted;
	size_t i;
	int err = 0;

	if (!p->nr_refs)
		return 0;
	sorted = calloc(p->nr_refs, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, p->refs, p->nr_refs * sizeof(*sorted));
	qsort(sorted, p->nr_refs, sizeof(*sorted), cmp_ref);
	for (i = 1; i < p->nr_refs; i++) {
		if (!cmp_ref(&sorted[i - 1], &sorted[i])) {
			pr_warn("patch: ref %s listed more than once\n",
				sorted[i].name);
			err = -KPL_E_FORMAT;
			break;
		}
	}
	free(sorted);
	return err;
}

int kpl_patch_map__parse(struct kpl_patch *p, const struct kpl_patch_secs *ks,
			 uint32_t nr_funcs, uint32_t nr_refs)
{
	struct sym_key *keys = NULL;
	size_t i, nr_keys;
	int err;

	if (nr_funcs == 0) {
		pr_warn("patch: no functions (nr_funcs is 0)\n");
		return -KPL_E_FORMAT;
	}
	err = check_count(KPL_SEC_FUNCS, ks->funcs, nr_funcs,
			  sizeof(struct kpl_func_disk));
	if (!err)
		err = check_count(KPL_SEC_REFS, ks->refs, nr_refs,
				  sizeof(struct kpl_ref_disk));
	if (err)
		return err;

	p->funcs = calloc(nr_funcs, sizeof(*p->funcs));
	p->refs = calloc(nr_refs ? nr_refs : 1, sizeof(*p->refs));
	if (!p->funcs || !p->refs)
		return -ENOMEM;
	p->nr_funcs = nr_funcs;
	p->nr_refs = nr_refs;

	err = sym_keys(p, is_new_func, &keys, &nr_keys);
	for (i = 0; !err && i < p->nr_funcs; i++)
		err = parse_func(p, ks, i, keys, nr_keys);
	free(keys);
	keys = NULL;
	if (!err)
		err = check_dup_funcs(p);
	if (!err && p->nr_refs)
		err = sym_keys(p, is_undef, &keys, &nr_keys);
	for (i = 0; !err && i < p->nr_refs; i++)
		err = parse_ref(p, ks, i, keys, nr_keys);
	free(keys);
	if (!err)
		err = check_dup_refs(p);
	return err;
}
