// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An object's symbols, read when first asked for.
 *
 * A patch binds a handful of names, most of them in libc, whose .dynsym
 * holds 3,000 symbols: reading them all into kpl_elf_syms cost a 1x1
 * apply 0.1 ms and 35 page faults (tools/bench/README.md, "Symbols by
 * hash").  So a lookup by name among the exports (what the dynamic
 * linker's scope search asks, kpl_elf__find_version() and
 * kpl_elf__find_dynamic()) walks the object's .gnu.hash as glibc's
 * do_lookup_x() does: the Bloom filter, the bucket, the chain.  That is
 * the dynamic linker's own view of the object (found, like the tables
 * before it, by the section headers, where ld.so reads DT_GNU_HASH), so
 * nothing is bound that it would not bind.  Everything else, and an
 * object without a usable .gnu.hash, reads the whole tables once
 * (kpl_elf__symbols()).
 *
 * Not thread-safe until read whole: the hash path records what it
 * found (and whether the table is usable) in the object.  Once read
 * whole, a table is never changed again and the hash path is not
 * taken, so objects that fleet workers share are read whole when
 * opened (share.c), and only an object one thread owns is looked up by
 * hash.
 *
 * The files are the target's: every index, offset and count of the
 * hash table is checked against the section that holds it, and a table
 * that fails a check is not used (the whole table is read instead).
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "internal.h"

/* In .gnu.version: the symbol is a non-default version (name@VER). */
#define VERSYM_HIDDEN 0x8000

/* .gnu.hash, checked (gh_open()). */
struct gnu_hash {
	const uint64_t *bloom;
	uint32_t bloom_mask;	/* words - 1: glibc wants a power of two */
	uint32_t shift;
	const uint32_t *buckets;
	uint32_t nbuckets;
	uint32_t symoffset;
	const uint32_t *chain;	/* the entry of symbol symoffset first */
	size_t nr_chain;
};

/*
 * A symbol table read straight from libelf's buffers where it can be:
 * a 64-bit object's symbols, version indexes and string table are
 * arrays in the host's layout once elf_getdata() has them, and
 * gelf_getsym(), gelf_getversym() and elf_strptr() per symbol (which
 * checks the section every time) were half of the instructions of
 * reading libc's 3,000 dynamic symbols.  Every index and offset is
 * checked against the buffers.
 */
struct symtab {
	Elf *elf;
	Elf_Data *d, *ver;
	size_t link;
	const Elf64_Sym *sym;	/* NULL: through gelf */
	size_t nr_sym;
	const Elf64_Versym *vs;
	size_t nr_vs;
	const char *str;
	size_t str_len;
};

/* A symbol the hash table found, at .dynsym index @index. */
struct hashed {
	struct hashed *next;
	size_t index;
	struct kpl_elf_sym sym;
};

struct kpl_elf_tab {
	Elf *elf;
	const char **vernames;	/* by .gnu.version index */
	size_t nr_vernames;
	bool whole;		/* syms holds both tables: never changed again */
	int err;
	struct kpl_elf_sym *syms;
	size_t nr_syms;
	int gh_state;		/* 0 not looked at, 1 usable, <0 not */
	struct gnu_hash gh;
	struct symtab dyn;
	struct hashed *hashed;
};

int kpl_elf_tab__new(void *elf, const char **vernames, size_t nr,
		     struct kpl_elf_tab **out)
{
	struct kpl_elf_tab *tab = calloc(1, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	tab->elf = elf;
	tab->vernames = vernames;
	tab->nr_vernames = nr;
	*out = tab;
	return 0;
}

void kpl_elf_tab__free(struct kpl_elf_tab *tab)
{
	struct hashed *h, *next;

	if (!tab)
		return;
	for (h = tab->hashed; h; h = next) {
		next = h->next;
		free(h);
	}
	free(tab->syms);
	free(tab->vernames);
	free(tab);
}

/* The .gnu.version entries, one per .dynsym symbol, or NULL. */
static Elf_Data *versym_data(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			return elf_getdata(scn, NULL);
	return NULL;
}

static void symtab_open(struct symtab *t, Elf *elf, Elf_Data *d,
			Elf_Data *ver, size_t link)
{
	Elf_Scn *ss = elf_getscn(elf, link);
	Elf_Data *sd = NULL;
	GElf_Shdr ssh;

	/* As elf_strptr() wants it: a string table. */
	if (ss && gelf_getshdr(ss, &ssh) && ssh.sh_type == SHT_STRTAB)
		sd = elf_getdata(ss, NULL);
	memset(t, 0, sizeof(*t));
	t->elf = elf;
	t->d = d;
	t->ver = ver;
	t->link = link;
	if (gelf_getclass(elf) != ELFCLASS64 || d->d_type != ELF_T_SYM ||
	    !d->d_buf || !sd || sd->d_type != ELF_T_BYTE || !sd->d_buf ||
	    (ver && (ver->d_type != ELF_T_HALF || !ver->d_buf)))
		return;
	t->sym = d->d_buf;
	t->nr_sym = d->d_size / sizeof(Elf64_Sym);
	t->str = sd->d_buf;
	t->str_len = sd->d_size;
	if (ver) {
		t->vs = ver->d_buf;
		t->nr_vs = ver->d_size / sizeof(Elf64_Versym);
	}
}

/* Symbol @i into @gs, its version index into @vs, its name (or NULL). */
static const char *symtab_get(const struct symtab *t, size_t i, GElf_Sym *gs,
			      GElf_Versym *vs)
{
	*vs = 0;
	if (!t->sym) {
		if (!gelf_getsym(t->d, (int)i, gs))
			return NULL;
		if (t->ver && !gelf_getversym(t->ver, (int)i, vs))
			*vs = 0;
		return elf_strptr(t->elf, t->link, gs->st_name);
	}
	if (i >= t->nr_sym)
		return NULL;
	*gs = t->sym[i];
	if (i < t->nr_vs)
		*vs = t->vs[i];
	if (gs->st_name >= t->str_len ||
	    !memchr(t->str + gs->st_name, '\0', t->str_len - gs->st_name))
		return NULL;
	return t->str + gs->st_name;
}

static void sym_fill(const struct kpl_elf_tab *tab, struct kpl_elf_sym *s,
		     const GElf_Sym *gs, GElf_Versym vs, const char *name,
		     const char *file, bool dynamic)
{
	s->name = name;
	s->bind = GELF_ST_BIND(gs->st_info);
	s->file = s->bind == STB_LOCAL ? file : "";
	s->value = gs->st_value;
	s->size = gs->st_size;
	s->type = GELF_ST_TYPE(gs->st_info);
	s->dynamic = dynamic;
	s->defined = gs->st_shndx != SHN_UNDEF;
	/* What glibc's do_lookup_x() takes for a non-PLT reference. */
	s->canonical = dynamic && !s->defined && gs->st_value &&
		       s->type == STT_FUNC;
	s->vis = GELF_ST_VISIBILITY(gs->st_other);
	/*
	 * An old ABI kept for binaries linked against it (glibc's
	 * sched_setaffinity@GLIBC_2.3.3 beside @@GLIBC_2.3.4): ld binds a
	 * new reference to the default version, so a lookup by name alone
	 * must skip it.
	 */
	s->ver_hidden = vs & VERSYM_HIDDEN;
	s->version = (vs & 0x7fff) < tab->nr_vernames ?
			     tab->vernames[vs & 0x7fff] : NULL;
}

static int read_symbols(struct kpl_elf_tab *tab, Elf_Scn *scn, GElf_Shdr *sh,
			bool dynamic)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	Elf_Data *ver = dynamic ? versym_data(tab->elf) : NULL;
	const char *file = "";
	struct kpl_elf_sym *syms;
	struct symtab t;
	size_t i, n;

	if (!d)
		return 0;
	/*
	 * Counted from the data libelf holds, 64-bit entries (elf_scan()
	 * takes no other class): the file's sh_entsize is its own word, and
	 * a small one would make this array many times the file.
	 */
	n = d->d_size / sizeof(Elf64_Sym);
	syms = realloc(tab->syms, (tab->nr_syms + n) * sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	tab->syms = syms;
	symtab_open(&t, tab->elf, d, ver, sh->sh_link);
	for (i = 1; i < n; i++) {
		GElf_Sym gs;
		GElf_Versym vs;
		const char *name = symtab_get(&t, i, &gs, &vs);

		if (!name)
			continue;
		if (GELF_ST_TYPE(gs.st_info) == STT_FILE) {
			file = name;
			continue;
		}
		if (!*name || GELF_ST_TYPE(gs.st_info) == STT_SECTION)
			continue;
		sym_fill(tab, &tab->syms[tab->nr_syms++], &gs, vs, name, file,
			 dynamic);
	}
	return 0;
}

int kpl_elf__symbols(const struct kpl_elf *ke, const struct kpl_elf_sym **syms,
		     size_t *nr)
{
	struct kpl_elf_tab *tab = ke->tab;
	Elf_Scn *scn = NULL;

	/* Read once; after that only read, so threads may share it. */
	if (!tab->whole) {
		while (!tab->err && (scn = elf_nextscn(tab->elf, scn))) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_SYMTAB ||
			    sh.sh_type == SHT_DYNSYM)
				tab->err = read_symbols(
					tab, scn, &sh,
					sh.sh_type == SHT_DYNSYM);
		}
		if (tab->err)
			return tab->err;
		tab->whole = true;
	}
	*syms = tab->syms;
	*nr = tab->nr_syms;
	return 0;
}

/*
 * Check .gnu.hash and the .dynsym it indexes (its sh_link) as far as
 * glibc's _dl_setup_hash() relies on them, and bound the rest.
 */
static int gh_open(struct kpl_elf_tab *tab)
{
	struct gnu_hash *g = &tab->gh;
	Elf_Scn *scn = NULL, *ds;
	Elf_Data *d = NULL, *dd;
	GElf_Shdr sh, dsh;
	const uint32_t *w;
	size_t words, off;

	while ((scn = elf_nextscn(tab->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_HASH)
			break;
	if (scn)
		d = elf_getdata(scn, NULL);
	ds = scn ? elf_getscn(tab->elf, sh.sh_link) : NULL;
	if (!d || !d->d_buf || d->d_type != ELF_T_GNUHASH ||
	    (sh.sh_flags & SHF_COMPRESSED) || d->d_size < 16 ||
	    (uintptr_t)d->d_buf % 8 || !ds || !gelf_getshdr(ds, &dsh) ||
	    dsh.sh_type != SHT_DYNSYM)
		return -ENOENT;
	dd = elf_getdata(ds, NULL);
	if (!dd)
		return -ENOENT;
	symtab_open(&tab->dyn, tab->elf, dd, versym_data(tab->elf),
		    dsh.sh_link);
	if (!tab->dyn.sym)
		return -ENOENT;
	w = d->d_buf;
	g->nbuckets = w[0];
	g->symoffset = w[1];
	words = w[2];
	g->shift = w[3];
	if (!g->nbuckets || !words || (words & (words - 1)) ||
	    g->shift >= 32 || g->symoffset > tab->dyn.nr_sym)
		return -ENOENT;
	/* 32-bit counts: these sums cannot overflow a 64-bit size_t. */
	_Static_assert(sizeof(size_t) >= 8, "a 64-bit size_t");
	off = 16 + words * 8 + (size_t)g->nbuckets * 4;
	if (off > d->d_size)
		return -ENOENT;
	g->bloom = (const uint64_t *)(w + 4);
	g->bloom_mask = (uint32_t)(words - 1);
	g->buckets = (const uint32_t *)((const char *)d->d_buf + 16 +
					 words * 8);
	g->chain = (const uint32_t *)((const char *)d->d_buf + off);
	g->nr_chain = (d->d_size - off) / 4;
	return 0;
}

static uint32_t gh_hash(const char *name)
{
	uint32_t h = 5381;

	for (; *name; name++)
		h = h * 33 + (uint8_t)*name;
	return h;
}

/* The symbol at .dynsym index @i, made once and kept. */
static const struct kpl_elf_sym *hashed_at(struct kpl_elf_tab *tab, size_t i,
					   const GElf_Sym *gs, GElf_Versym vs,
					   const char *name)
{
	struct hashed *h;

	for (h = tab->hashed; h; h = h->next)
		if (h->index == i)
			return &h->sym;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->index = i;
	sym_fill(tab, &h->sym, gs, vs, name, "", true);
	h->next = tab->hashed;
	tab->hashed = h;
	return &h->sym;
}

int kpl_elf__hashed(const struct kpl_elf *ke, const char *name,
		    const struct kpl_elf_sym **out, size_t max)
{
	struct kpl_elf_tab *tab = ke->tab;
	const struct gnu_hash *g = &tab->gh;
	uint32_t h = gh_hash(name), bit1, bit2;
	uint64_t word;
	size_t i, n = 0;

	if (tab->whole)
		return -ENOSYS;
	if (!tab->gh_state)
		tab->gh_state = gh_open(tab) ? -1 : 1;
	if (tab->gh_state < 0)
		return -ENOSYS;
	/* As do_lookup_x(): the Bloom filter may say no at once. */
	word = g->bloom[(h / 64) & g->bloom_mask];
	bit1 = h % 64;
	bit2 = (h >> g->shift) % 64;
	if (!((word >> bit1) & (word >> bit2) & 1))
		return 0;
	i = g->buckets[h % g->nbuckets];
	if (!i)
		return 0;
	for (;; i++) {
		GElf_Sym gs;
		GElf_Versym vs;
		const char *s;
		uint32_t ch;

		/* A chain that leaves the table: not a table glibc reads. */
		if (i < g->symoffset || i - g->symoffset >= g->nr_chain ||
		    i >= tab->dyn.nr_sym)
			return -ENOSYS;
		ch = g->chain[i - g->symoffset];
		if (!((ch ^ h) >> 1)) {
			s = symtab_get(&tab->dyn, i, &gs, &vs);
			if (s && !strcmp(s, name) &&
			    GELF_ST_TYPE(gs.st_info) != STT_FILE &&
			    GELF_ST_TYPE(gs.st_info) != STT_SECTION) {
				if (n == max)
					return -E2BIG;
				out[n] = hashed_at(tab, i, &gs, vs, s);
				if (!out[n])
					return -ENOMEM;
				n++;
			}
		}
		if (ch & 1)
			return (int)n;
	}
}
