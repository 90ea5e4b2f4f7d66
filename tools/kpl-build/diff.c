// SPDX-License-Identifier: GPL-2.0
/*
 * Two builds of one source file, original and patched: pair every symbol
 * with its twin, then compare each pair as code or data.
 *
 * Code is compared with its relocations normalised (kb_target()): a call
 * to f is a call to f whatever f's section index, a string is its bytes
 * whatever its offset in .rodata.str1.1 or its .LC number, a jump table
 * is its contents.  So a change that only moves code, adds a function
 * or renumbers labels is not a change, and a caller into which the
 * compiler inlined a changed callee is one, because its own bytes differ.
 * A function with aliases is compared once, and its other names follow
 * (diff_elf.c, find_aliases()).
 *
 * Static locals (x.0, x.1 ... in GCC's naming) are paired by base name:
 * the number may change when another static local is added before them.
 * When the base name repeats, the functions that use them decide.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

#define MAX_DEPTH 3

static bool is_static_local(const struct kb_sym *s)
{
	return s->bind == STB_LOCAL && kb_sym__is_data(s) && s->sec &&
	       kb_static_base(s->name);
}

static int add_user(struct kb_sym *s, const char *fn)
{
	char *u;
	size_t n = strlen(fn);

	if (s->users) {
		/* A short list: a linear search keeps it duplicate-free. */
		const char *p = s->users;

		while ((p = strstr(p, fn))) {
			if ((p == s->users || p[-1] == ',') &&
			    (p[n] == ',' || !p[n]))
				return 0;
			p += n;
		}
		if (asprintf(&u, "%s,%s", s->users, fn) < 0)
			return 1;
		free(s->users);
	} else if (!(u = strdup(fn))) {
		return 1;
	}
	s->users = u;
	return 0;
}

/* Who uses each piece of data: the functions whose code refers to it. */
static int find_users(struct kb_obj *obj)
{
	size_t i, j;

	for (i = 1; i < obj->nr_secs; i++) {
		const struct kb_sec *sec = &obj->secs[i];

		if (!sec->owner || !kb_sym__is_func(sec->owner))
			continue;
		for (j = 0; j < sec->nr_relas; j++) {
			struct kb_target t;

			kb_target(obj, &sec->relas[j], &t);
			if (t.kind == KB_T_SYM && kb_sym__is_data(t.sym) &&
			    add_user(t.sym, sec->owner->name)) {
				kb_err("out of memory");
				return 1;
			}
		}
	}
	return 0;
}

static bool same_kind(const struct kb_sym *a, const struct kb_sym *b)
{
	if (!a->sec != !b->sec)
		return false;
	if (!a->sec)
		return true; /* undefined: a name is a name */
	return kb_sym__is_func(a) == kb_sym__is_func(b) &&
	       (a->type == STT_TLS) == (b->type == STT_TLS);
}

static bool users_meet(const char *a, const char *b)
{
	char *copy, *tok, *save = NULL;
	bool meet = false;
	size_t n;

	if (!a || !b || !(copy = strdup(a)))
		return false;
	for (tok = strtok_r(copy, ",", &save); tok && !meet;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *p = b;

		n = strlen(tok);
		while (!meet && (p = strstr(p, tok))) {
			meet = (p == b || p[-1] == ',') &&
			       (!p[n] || p[n] == ',');
			p += n;
		}
	}
	free(copy);
	return meet;
}

/* Does @s have its bytes in its section (not NOBITS, not past the end)? */
static bool has_bytes(const struct kb_sym *s)
{
	return s->sec && s->sec->data &&
	       s->sym.st_value <= s->sec->sh.sh_size &&
	       s->sym.st_size <= s->sec->sh.sh_size - s->sym.st_value;
}

static bool same_bytes(const struct kb_sym *a, const struct kb_sym *b)
{
	uint64_t size = a->sym.st_size;

	if (size != b->sym.st_size || !has_bytes(a) || !has_bytes(b))
		return false;
	return !memcmp(a->sec->data + a->sym.st_value,
		       b->sec->data + b->sym.st_value, size);
}

/*
 * Static locals of one name: constant ones with the same bytes are
 * interchangeable, and their bytes pair them before their users do (GCC
 * numbers __PRETTY_FUNCTION__.N per file, so one assert() more
 * renumbers every other, and a function that inlines two asserting
 * callees uses two).  Among several with the same bytes, the one with
 * the same users, then the one of the same name (an unchanged file),
 * else any.
 */
static struct kb_sym *pair_const(struct kb_obj *o, const struct kb_sym *s,
				 size_t n)
{
	struct kb_sym *same = NULL, *users = NULL, *name = NULL;
	size_t i, nr_same = 0, nr_users = 0;

	if (!has_bytes(s) || (s->sec->sh.sh_flags & SHF_WRITE))
		return NULL;
	for (i = 1; i < o->nr_syms; i++) {
		struct kb_sym *c = &o->syms[i];

		if (!is_static_local(c) || kb_static_base(c->name) != n ||
		    strncmp(c->name, s->name, n) || c->twin ||
		    (c->sec->sh.sh_flags & SHF_WRITE) || !same_bytes(c, s))
			continue;
		nr_same++;
		same = c;
		if (!c->users == !s->users &&
		    (!c->users || !strcmp(c->users, s->users))) {
			nr_users++;
			users = c;
		}
		if (!strcmp(c->name, s->name))
			name = c;
	}
	if (nr_same == 1)
		return same;
	if (nr_users == 1)
		return users;
	/* the same bytes, all of them: any will do */
	return name ? name : same;
}

#define WHY_AMBIGUOUS \
	"cannot be told apart from the original build's static locals of the same name"

/* Pair the static local @s of the patched build with the original's. */
static void pair_static(struct kb_obj *o, struct kb_sym *s)
{
	size_t n = kb_static_base(s->name), i, cands = 0, hits = 0;
	struct kb_sym *only = NULL, *hit = NULL, *named = NULL;

	for (i = 1; i < o->nr_syms; i++) {
		struct kb_sym *c = &o->syms[i];

		if (!is_static_local(c) || kb_static_base(c->name) != n ||
		    strncmp(c->name, s->name, n) || !same_kind(c, s))
			continue;
		cands++;
		only = c;
		if (users_meet(s->users, c->users)) {
			hits++;
			hit = c;
		}
		if (!strcmp(c->name, s->name) && !c->twin && s->users &&
		    c->users && !strcmp(c->users, s->users))
			named = c;
	}
	/* Constants: their bytes first (users may overlap, through
	 * inlining, and a renumbered one meets the wrong one). */
	s->twin = cands > 1 ? pair_const(o, s, n) : NULL;
	if (!s->twin && cands == 1 && (hits == 1 || !s->users || !only->users))
		s->twin = only;
	else if (!s->twin && hits == 1)
		s->twin = hit;
	else if (!s->twin && cands) {
		/* A constant no function of the original uses, and with
		 * bytes of its own: new (the patch carries a copy). */
		if (!hits && has_bytes(s) && !(s->sec->sh.sh_flags & SHF_WRITE))
			return;
		/* Used by the same functions as others: see guessed(). */
		if (!named) {
			s->status = KB_CHANGED;
			s->why = WHY_AMBIGUOUS;
			return;
		}
		s->twin = named;
		s->guessed = true;
	}
	if (s->twin)
		s->twin->twin = s;
}

static void pair(struct kb_obj *o, struct kb_obj *p)
{
	size_t i, j;

	for (i = 1; i < p->nr_syms; i++) {
		struct kb_sym *s = &p->syms[i];

		if (!*s->name || s->type == STT_SECTION || s->type == STT_FILE)
			continue;
		if (!s->sec && s->sym.st_shndx != SHN_UNDEF)
			continue; /* SHN_ABS */
		if (!kb_sym__named(s) && s->sec)
			continue; /* labels */
		if (is_static_local(s)) {
			pair_static(o, s);
			continue;
		}
		for (j = 1; j < o->nr_syms; j++) {
			struct kb_sym *c = &o->syms[j];

			if (c->twin || strcmp(c->name, s->name) ||
			    !same_kind(c, s) || (c->sec && !kb_sym__named(c)))
				continue;
			s->twin = c;
			c->twin = s;
			break;
		}
	}
}

static int cmp_rela(const void *a, const void *b)
{
	const struct kb_rela *x = *(const struct kb_rela *const *)a;
	const struct kb_rela *y = *(const struct kb_rela *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Pointers to the relocations of @sec inside [start, start + size), sorted. */
static const struct kb_rela **relas_in(const struct kb_sec *sec, uint64_t start,
				       uint64_t size, size_t *n)
{
	const struct kb_rela **v = calloc(sec->nr_relas + 1, sizeof(*v));
	size_t i;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < sec->nr_relas; i++)
		if (sec->relas[i].offset >= start &&
		    sec->relas[i].offset - start < size)
			v[(*n)++] = &sec->relas[i];
	qsort(v, *n, sizeof(*v), cmp_rela);
	return v;
}

static bool range_equal(const struct kb_obj *o, const struct kb_sec *os,
			uint64_t ostart, const struct kb_obj *p,
			const struct kb_sec *ps, uint64_t pstart, uint64_t size,
			int depth);

static bool merge_equal(const struct kb_target *a, const struct kb_target *b)
{
	const struct kb_sec *x = a->sec, *y = b->sec;

	if (!x->data || !y->data || a->off >= x->sh.sh_size ||
	    b->off >= y->sh.sh_size)
		return a->off == b->off && x->data == y->data;
	if (x->sh.sh_flags & SHF_STRINGS) {
		size_t nx = strnlen((const char *)x->data + a->off,
				    x->sh.sh_size - a->off);
		size_t ny = strnlen((const char *)y->data + b->off,
				    y->sh.sh_size - b->off);

		return nx == ny &&
		       !memcmp(x->data + a->off, y->data + b->off, nx);
	}
	if (x->sh.sh_entsize != y->sh.sh_entsize ||
	    x->sh.sh_size - a->off < x->sh.sh_entsize ||
	    y->sh.sh_size - b->off < y->sh.sh_entsize)
		return false;
	return !memcmp(x->data + a->off, y->data + b->off, x->sh.sh_entsize);
}

static bool target_equal(const struct kb_obj *o, const struct kb_rela *ro,
			 const struct kb_obj *p, const struct kb_rela *rp,
			 int depth)
{
	struct kb_target a, b;

	if (ro->type != rp->type)
		return false;
	kb_target(o, ro, &a);
	kb_target(p, rp, &b);
	if (a.kind != b.kind || a.delta != b.delta)
		return false;
	switch (a.kind) {
	case KB_T_SYM:
		return b.sym->twin == a.sym;
	case KB_T_MERGE:
		return merge_equal(&a, &b);
	case KB_T_ANON:
		return depth < MAX_DEPTH &&
		       a.sec->sh.sh_size == b.sec->sh.sh_size &&
		       a.sec->sh.sh_type == b.sec->sh.sh_type &&
		       a.sec->sh.sh_flags == b.sec->sh.sh_flags &&
		       range_equal(o, a.sec, 0, p, b.sec, 0, a.sec->sh.sh_size,
				   depth + 1);
	}
	return false;
}

static bool range_equal(const struct kb_obj *o, const struct kb_sec *os,
			uint64_t ostart, const struct kb_obj *p,
			const struct kb_sec *ps, uint64_t pstart, uint64_t size,
			int depth)
{
	const struct kb_rela **ro = NULL, **rp = NULL;
	size_t no, np, i;
	bool eq = false;

	if (!os->data != !ps->data)
		return false;
	if (os->data && memcmp(os->data + ostart, ps->data + pstart, size))
		return false;
	ro = relas_in(os, ostart, size, &no);
	rp = relas_in(ps, pstart, size, &np);
	if (!ro || !rp || no != np)
		goto out;
	for (i = 0; i < no; i++)
		if (ro[i]->offset - ostart != rp[i]->offset - pstart ||
		    !target_equal(o, ro[i], p, rp[i], depth))
			goto out;
	eq = true;
out:
	free(ro);
	free(rp);
	return eq;
}

/* Compare @s (patched) with its twin; set status and why. */
static void compare(struct kb_sym *s)
{
	const struct kb_sym *t = s->twin;
	const struct kb_sec *ps = s->sec, *os = t->sec;
	uint64_t size = s->sym.st_size;

	s->status = KB_SAME;
	if (!ps)
		return;
	if (size != t->sym.st_size) {
		s->status = KB_CHANGED;
		s->why = "its size changed";
		return;
	}
	if (kb_sym__is_data(s) &&
	    (ps->sh.sh_flags & SHF_WRITE) != (os->sh.sh_flags & SHF_WRITE)) {
		s->status = KB_CHANGED;
		s->why = ps->sh.sh_flags & SHF_WRITE ? "it is no longer const" :
						       "it became const";
		return;
	}
	if ((ps->sh.sh_type == SHT_NOBITS) != (os->sh.sh_type == SHT_NOBITS)) {
		s->status = KB_CHANGED;
		s->why = "its initial value changed";
		return;
	}
	if (!range_equal(t->obj, os, t->sym.st_value, s->obj, ps,
			 s->sym.st_value, size, 0)) {
		s->status = KB_CHANGED;
		s->why = kb_sym__is_func(s) ? "its code changed" :
					      "its initial value changed";
	}
}

/*
 * Static locals of one name used by the same functions (GCC inlined the
 * functions that declare them into those: c14n.c's three ns_default in
 * xmlC14NProcessNode) cannot be told apart by their users, and writable
 * ones not by their bytes either.  They are paired by name, a guess,
 * and the guess is kept only where it cannot matter: when every function
 * that uses them is the same in both builds with that pairing, no code
 * of the patch refers to them.  When one of those functions changed, the
 * patch would, and they are refused as before.
 */
static bool users_same(const struct kb_obj *p, const struct kb_sym *s)
{
	char *copy = strdup(s->users), *tok, *save = NULL;
	bool same = copy != NULL;
	size_t i;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && same;
	     tok = strtok_r(NULL, ",", &save))
		for (i = 1; i < p->nr_syms; i++)
			if (kb_sym__is_func(&p->syms[i]) && p->syms[i].sec &&
			    !strcmp(p->syms[i].name, tok))
				same = same && p->syms[i].status == KB_SAME;
	free(copy);
	return same;
}

int kb_diff(struct kb_obj *o, struct kb_obj *p)
{
	size_t i;

	o->twin = p;
	p->twin = o;
	if (find_users(o) || find_users(p))
		return 1;
	pair(o, p);
	for (i = 1; i < p->nr_syms; i++) {
		struct kb_sym *s = &p->syms[i];

		if (!s->sec || !kb_sym__named(s) || s->why ||
		    kb_sym__copyable(s) || s->alias)
			continue;
		if (s->twin)
			compare(s);
		else
			s->status = KB_NEW;
	}
	/* A changed or new .cold part changes the function it belongs to. */
	for (i = 1; i < p->nr_syms; i++) {
		struct kb_sym *s = &p->syms[i];

		if (s->parent && s->status != KB_SAME &&
		    s->parent->status == KB_SAME) {
			s->parent->status = KB_CHANGED;
			s->parent->why = "its .cold part changed";
		}
	}
	for (i = 1; i < p->nr_syms; i++) {
		struct kb_sym *s = &p->syms[i];

		if (!s->guessed || users_same(p, s))
			continue;
		s->status = KB_CHANGED;
		s->why = WHY_AMBIGUOUS;
		s->twin->twin = NULL;
		s->twin = NULL;
	}
	/* Another name of a function is what the function is. */
	for (i = 1; i < p->nr_syms; i++) {
		struct kb_sym *s = &p->syms[i];

		if (s->alias && !s->why) {
			s->status = s->alias->status;
			s->why = s->alias->why;
		}
	}
	return 0;
}

bool kb_sec_equal(const struct kb_obj *o, const struct kb_sec *os,
		  const struct kb_obj *p, const struct kb_sec *ps)
{
	return os->sh.sh_size == ps->sh.sh_size &&
	       os->sh.sh_type == ps->sh.sh_type &&
	       range_equal(o, os, 0, p, ps, 0, os->sh.sh_size, 0);
}
