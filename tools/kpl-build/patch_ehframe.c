// SPDX-License-Identifier: GPL-2.0
/*
 * The patch's .eh_frame: the unwind entries of the functions it holds,
 * taken from each patched object's .eh_frame, so that the loader maps
 * them and unwinders can step through patch code (docs/engine.md).
 *
 * An object's .eh_frame is a run of CIEs and FDEs (ehframe.c in libkpl
 * describes the frame).  An FDE is kept when the relocation of its
 * pc_begin (at +8) names an included section, and every other
 * relocation in it (an LSDA pointer into .gcc_except_table) does too;
 * its CIE is kept once per object when the CIE's own relocations (a
 * personality routine's DW.ref word) also name included sections, a
 * word another object's copy stands for, or a name the loader binds
 * (non-PIC code's CIE names __gxx_personality_v0 itself, udata4,
 * relocated R_X86_64_32).  patch_lsda.c has included
 * what the FDEs of included functions point to, so what is left out is
 * an FDE that names something else: its function is unwound by nobody,
 * and kpl_patch__check_unwind() refuses it if it may throw or be
 * unwound through.  The kept entries are copied byte
 * for byte, the FDE's CIE pointer rewritten for the new offsets, and
 * their relocations returned for patch_write.c to rewrite as it does
 * any other section's.
 */
#include <stdlib.h>
#include <string.h>

#include "build.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

struct kb_sec *kb_eh_frame__of(const struct kb_obj *o)
{
	size_t i;

	for (i = 1; i < o->nr_secs; i++)
		if (!strcmp(o->secs[i].name, ".eh_frame") && o->secs[i].data)
			return &o->secs[i];
	return NULL;
}

/* Every relocation in [@lo, @hi) names what the patch holds or binds;
 * one at @pc, an included section. */
static bool entry_kept(const struct kb_obj *o, const struct kb_sec *eh,
		       uint64_t lo, uint64_t hi, uint64_t pc)
{
	bool has_pc = pc == UINT64_MAX;
	size_t i;

	for (i = 0; i < eh->nr_relas; i++) {
		const struct kb_rela *r = &eh->relas[i];
		const struct kb_sym *s;

		if (r->offset < lo || r->offset >= hi)
			continue;
		if (r->sym >= o->nr_syms)
			return false;
		s = &o->syms[r->sym];
		has_pc |= r->offset == pc;
		if (s->sec && s->sec->include)
			continue;
		/* s->def: a COMDAT word another object's copy stands for;
		 * s->ref: a name the loader binds (patch_lsda.c), as non-PIC
		 * code's CIE names __gxx_personality_v0 itself.  Never the
		 * code an FDE covers. */
		if (r->offset == pc || (!s->def && !s->ref))
			return false;
	}
	return has_pc;
}

static int push_bytes(struct kb_eh_frame *out, const uint8_t *p, size_t n)
{
	uint8_t *d = realloc(out->data, out->size + n);

	if (!d)
		return -1;
	memcpy(d + out->size, p, n);
	out->data = d;
	out->size += n;
	return 0;
}

/* Copy the relocations of [@lo, @hi), moved by @delta. */
static int push_relas(struct kb_eh_frame *out, const struct kb_obj *o,
		      const struct kb_sec *eh, uint64_t lo, uint64_t hi,
		      uint64_t delta)
{
	size_t i;

	for (i = 0; i < eh->nr_relas; i++) {
		const struct kb_rela *r = &eh->relas[i];
		struct kb_eh_rela *v;

		if (r->offset < lo || r->offset >= hi)
			continue;
		v = realloc(out->relas, (out->nr_relas + 1) * sizeof(*v));
		if (!v)
			return -1;
		out->relas = v;
		v[out->nr_relas].obj = o;
		v[out->nr_relas].r = *r;
		v[out->nr_relas].r.offset = r->offset + delta;
		out->nr_relas++;
	}
	return 0;
}

/* Where the CIEs of one object went in the output. */
struct cie_map {
	struct {
		size_t from;
		uint64_t to;
	} * v;
	size_t nr;
};

static bool cie_find(const struct cie_map *m, size_t from, uint64_t *to)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		if (m->v[i].from == from) {
			*to = m->v[i].to;
			return true;
		}
	return false;
}

/* Copy the CIE at @cie (@cn bytes after its length) unless done. */
static int copy_cie(struct kb_eh_frame *out, struct cie_map *m,
		    const struct kb_obj *o, const struct kb_sec *eh, size_t cie,
		    uint32_t cn, uint64_t *to)
{
	void *v;

	if (cie_find(m, cie, to))
		return 0;
	v = realloc(m->v, (m->nr + 1) * sizeof(*m->v));
	if (!v)
		return -1;
	m->v = v;
	*to = out->size;
	m->v[m->nr].from = cie;
	m->v[m->nr++].to = *to;
	if (push_relas(out, o, eh, cie, cie + 4 + cn, out->size - cie))
		return -1;
	return push_bytes(out, eh->data + cie, 4 + (size_t)cn);
}

int kb_eh_frame__each(struct kb_obj *o, const struct kb_sec *eh, kb_eh_fn fn,
		      void *arg)
{
	const uint8_t *p = eh->data;
	size_t len = eh->sh.sh_size, off = 0;
	int err = 0;

	while (!err && len - off >= 8) {
		uint32_t n = rd32(p + off), id, cn;
		size_t cie;

		if (n < 4 || n == 0xffffffffu || n > len - off - 4)
			break;
		id = rd32(p + off + 4);
		off += 4 + (size_t)n;
		if (!id || id > off - n)
			continue; /* a CIE, or a pointer out of the table */
		cie = off - n - id;
		cn = rd32(p + cie);
		if (cn < 4 || cn > len - cie - 4 || rd32(p + cie + 4))
			continue; /* not a CIE */
		err = fn(o, eh, off - n - 4, off, cie, cie + 4 + (size_t)cn,
			 arg);
	}
	return err;
}

struct copy {
	struct kb_eh_frame *out;
	struct cie_map m;
};

/* Keep the FDE at [@lo, @hi) and its CIE at [@cie, @cie_hi)? */
static int copy_entry(struct kb_obj *o, const struct kb_sec *eh, size_t lo,
		      size_t hi, size_t cie, size_t cie_hi, void *arg)
{
	struct copy *c = arg;
	struct kb_eh_frame *out = c->out;
	uint64_t to, at;
	uint32_t id;
	int err;

	/* pc_begin relocated against an included section, as is
	 * everything else in the FDE and in its CIE. */
	if (!entry_kept(o, eh, lo, hi, lo + 8) ||
	    !entry_kept(o, eh, cie, cie_hi, UINT64_MAX))
		return 0;
	err = copy_cie(out, &c->m, o, eh, cie, (uint32_t)(cie_hi - cie - 4),
		       &to);
	at = out->size;
	err = err || push_relas(out, o, eh, lo, hi, at - lo) ||
	      push_bytes(out, eh->data + lo, hi - lo);
	if (!err) {
		id = (uint32_t)(at + 4 - to);
		memcpy(out->data + at + 4, &id, sizeof(id));
	}
	return err;
}

/* The kept entries of one object's table. */
static int one_object(struct kb_eh_frame *out, struct kb_obj *o,
		      const struct kb_sec *eh)
{
	struct copy c = { .out = out };
	int err = kb_eh_frame__each(o, eh, copy_entry, &c);

	free(c.m.v);
	return err;
}

int kb_eh_frame(const struct kb_selection *sel, struct kb_eh_frame *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sel->nr_objs; i++) {
		const struct kb_sec *eh = kb_eh_frame__of(sel->objs[i]);

		if (eh && one_object(out, sel->objs[i], eh)) {
			kb_err("out of memory");
			kb_eh_frame__free(out);
			return 1;
		}
	}
	return 0;
}

void kb_eh_frame__free(struct kb_eh_frame *f)
{
	free(f->data);
	free(f->relas);
	memset(f, 0, sizeof(*f));
}
