// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Is a function as linked the function an object file holds?
 * (kpl_arch_same_code(), for kpl-build.)
 *
 * A library is usually built with one .text section per object file.
 * The assembler then resolves a jump from one function to another of
 * the same file itself, and relaxes it: a tail call `jmp f` to a static
 * function 40 bytes away is eb rel8 (2 bytes), a `jne f` 75 rel8.
 * kpl-build compiles the same file again with -ffunction-sections, so
 * that each function is a section of its own: those jumps now leave
 * their section, carry a relocation and keep their long forms, e9 rel32
 * (5 bytes) and 0f 85 rel32 (6).  The function is the same code but
 * its size differs, and so do the loop alignment paddings after the
 * shortened jump (a .p2align fills up to the next 16 bytes with NOPs of
 * whatever length it takes).
 *
 * So the two are compared as instruction streams, NOPs left out: the
 * same instruction, byte for byte, at each step, except for what the
 * linker and the relaxation may change, and for that the comparison
 * checks what the instruction reaches rather than how it is encoded:
 *
 *   - a relative jump, conditional jump or call of the same kind
 *     (capstone's instruction id: jne is jne in its rel8 and rel32
 *     forms) and prefixes; inside the function, its target must be the
 *     instruction paired with the object's target (checked once every
 *     pair is known, since targets may lie ahead); through a
 *     relocation, the caller says whether the linked target is the
 *     relocation's symbol (or its PLT entry);
 *   - a relocated field: its bytes are the linker's, so they are left
 *     out of the byte comparison and the caller checks where they
 *     lead; a GOT load the linker relaxed (mov foo@GOTPCREL(%rip) to
 *     lea foo(%rip), 8b to 8d) is a direct reference to foo;
 *   - an operand addressed from %rip inside the function without a
 *     relocation (a computed goto's label): it must reach the paired
 *     instruction.
 * Anything else that differs is a difference, reported with both
 * instructions.  TLS fields are masked and not followed.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "arch.h"
#include "internal.h"

#define X86_END SIZE_MAX

struct x86_same_insn {
	uint32_t off;
	uint8_t size;
	bool nop;
	size_t pair; /* the paired instruction of the other side */
};

struct x86_same_side {
	const uint8_t *code;
	size_t size;
	uint64_t addr;
	struct x86_same_insn *insns;
	size_t nr;
};

/* A branch inside the function: checked once every pair is known. */
struct x86_same_target {
	size_t a, b; /* the branch on each side */
	uint64_t ta, tb; /* its target, from each side's start */
};

struct x86_same {
	const struct kpl_arch_same_in *in;
	struct kpl_arch_mismatch *m;
	csh cs;
	cs_insn *ia, *ib;
	struct x86_same_side a, b; /* linked, object */
	struct x86_same_target *pend;
	size_t nr_pend;
	size_t fields_used;
};

static int x86_same_open(csh *cs)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
		return -ENOTSUP;
	/* Messages in objdump's syntax, to be compared with objdump -d. */
	if (cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK ||
	    cs_option(*cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT) != CS_ERR_OK) {
		cs_close(cs);
		return -ENOTSUP;
	}
	return 0;
}

/* Decode instruction @i of @d into @insn. */
static bool x86_same_decode(const struct x86_same *s,
			    const struct x86_same_side *d, size_t i,
			    cs_insn *insn)
{
	const uint8_t *pc = d->code + d->insns[i].off;
	size_t left = d->insns[i].size;
	uint64_t ip = d->addr + d->insns[i].off;

	return cs_disasm_iter(s->cs, &pc, &left, &ip, insn);
}

/* "jmp 0x10 (eb e4)", "the end" or "undecodable (0f ff ...)". */
static void x86_same_text(const struct x86_same *s,
			  const struct x86_same_side *d, size_t i,
			  cs_insn *insn, char *buf, size_t len)
{
	size_t n, k, at;

	if (i == X86_END || i >= d->nr) {
		snprintf(buf, len, "the end");
		return;
	}
	if (x86_same_decode(s, d, i, insn))
		n = (size_t)snprintf(buf, len, "%s%s%s (", insn->mnemonic,
				     insn->op_str[0] ? " " : "", insn->op_str);
	else
		n = (size_t)snprintf(buf, len, "undecodable (");
	at = d->insns[i].off;
	for (k = 0; k < d->insns[i].size && n + 4 < len; k++)
		n += (size_t)snprintf(buf + n, len - n, "%s%02x", k ? " " : "",
				      d->code[at + k]);
	if (n + 1 < len)
		snprintf(buf + n, len - n, ")");
}

/* Fill in where the two differ; always returns 1. */
static int x86_same_differ(struct x86_same *s, size_t ai, size_t bi)
{
	struct kpl_arch_mismatch *m = s->m;

	m->linked_off = ai < s->a.nr ? s->a.insns[ai].off : s->a.size;
	m->obj_off = bi < s->b.nr ? s->b.insns[bi].off : s->b.size;
	x86_same_text(s, &s->a, ai, s->ia, m->linked, sizeof(m->linked));
	x86_same_text(s, &s->b, bi, s->ib, m->obj, sizeof(m->obj));
	return 1;
}

/*
 * Split @d into instructions.  An undecodable byte is a difference: it
 * is recorded as a 1-byte instruction and the walk stops there.
 */
static int x86_same_split(struct x86_same *s, struct x86_same_side *d,
			  cs_insn *insn, size_t *bad)
{
	const uint8_t *pc = d->code;
	size_t left = d->size;
	uint64_t ip = d->addr;

	*bad = X86_END;
	d->insns = calloc(d->size ? d->size : 1, sizeof(*d->insns));
	if (!d->insns)
		return -ENOMEM;
	while (left) {
		struct x86_same_insn *r = &d->insns[d->nr++];

		r->off = (uint32_t)(pc - d->code);
		r->pair = X86_END;
		if (!cs_disasm_iter(s->cs, &pc, &left, &ip, insn)) {
			r->size = 1;
			*bad = d->nr - 1;
			return 0;
		}
		r->size = (uint8_t)insn->size;
		r->nop = insn->id == X86_INS_NOP;
	}
	return 0;
}

static bool x86_rel_branch(csh cs, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	return (cs_insn_group(cs, insn, CS_GRP_JUMP) ||
		cs_insn_group(cs, insn, CS_GRP_CALL) ||
		cs_insn_group(cs, insn, CS_GRP_BRANCH_RELATIVE)) &&
	       x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
}

static bool x86_rip_operand(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t k;

	for (k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM &&
		    x->operands[k].mem.base == X86_REG_RIP)
			return true;
	return false;
}

static bool x86_tls_kind(enum kpl_arch_reloc_kind k)
{
	return k == KPL_RELOC_TLS_GD || k == KPL_RELOC_TLS_LD ||
	       k == KPL_RELOC_TLS_IE || k == KPL_RELOC_TLS_OFF;
}

static bool x86_pcrel_type(uint32_t type)
{
	switch (type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
	case R_X86_64_TLSGD:
	case R_X86_64_TLSLD:
	case R_X86_64_GOTTPOFF:
	case R_X86_64_PC64:
		return true;
	}
	return false;
}

static int64_t x86_get(const uint8_t *p, size_t size, uint32_t type)
{
	uint64_t v = 0;
	size_t k;

	for (k = size; k--;)
		v = v << 8 | p[k];
	if (size == 4 && type != R_X86_64_32)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* The fields inside [@off, @end) of the object's code: *@first, *@nr. */
static bool x86_same_fields(struct x86_same *s, uint64_t off, uint64_t end,
			    size_t *first, size_t *nr)
{
	const struct kpl_arch_field *f = s->in->fields;
	size_t k = 0, n = 0;

	while (k < s->in->nr_fields && f[k].off < off)
		k++;
	*first = k;
	for (; k < s->in->nr_fields && f[k].off < end; k++, n++)
		if (!kpl_arch_reloc_size(f[k].type) ||
		    f[k].off + kpl_arch_reloc_size(f[k].type) > end)
			return false;
	*nr = n;
	s->fields_used += n;
	return true;
}

/* Whether byte @k of the object's instruction at @off is a field's. */
static bool x86_in_field(const struct x86_same *s, size_t first, size_t nr,
			 uint64_t at)
{
	size_t k;

	for (k = first; k < first + nr; k++) {
		const struct kpl_arch_field *f = &s->in->fields[k];

		if (at >= f->off && at < f->off + kpl_arch_reloc_size(f->type))
			return true;
	}
	return false;
}

static int x86_same_pend(struct x86_same *s, size_t i, size_t j, uint64_t ta,
			 uint64_t tb)
{
	struct x86_same_target *p;

	if (ta > s->a.size || tb > s->b.size)
		return x86_same_differ(s, i, j);
	p = realloc(s->pend, (s->nr_pend + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->pend = p;
	p[s->nr_pend++] = (struct x86_same_target){ i, j, ta, tb };
	return 0;
}

/* A relative branch of the object (ib) against the linked one (ia). */
static int x86_same_branch(struct x86_same *s, size_t i, size_t j, size_t first,
			   size_t nr)
{
	const cs_insn *a = s->ia, *b = s->ib;
	const struct kpl_arch_field *f = &s->in->fields[first];
	uint64_t b_end = b->address + b->size;
	uint64_t ta = (uint64_t)a->detail->x86.operands[0].imm;
	uint64_t tb = (uint64_t)b->detail->x86.operands[0].imm;
	struct kpl_arch_reach r = { .branch = true };

	if (!x86_rel_branch(s->cs, a) || a->id != b->id ||
	    memcmp(a->detail->x86.prefix, b->detail->x86.prefix,
		   sizeof(a->detail->x86.prefix)))
		return x86_same_differ(s, i, j);
	if (!nr)
		return x86_same_pend(s, i, j, ta - s->a.addr, tb);
	/* The displacement, the instruction's last 4 bytes, relocated. */
	if (nr != 1 || f->off + 4 != b_end || !x86_pcrel_type(f->type) ||
	    kpl_arch_reloc_kind(f->type, &r.kind) || x86_tls_kind(r.kind))
		return x86_same_differ(s, i, j);
	r.field = first;
	r.where = ta;
	r.adj = (int64_t)(b_end - f->off);
	return s->in->reaches(s->in->arg, &r) ? 0 : x86_same_differ(s, i, j);
}

/*
 * mov foo@GOTPCREL(%rip), %reg that the linker made lea foo(%rip), %reg:
 * only the opcode, 8b, became 8d.
 */
static bool x86_relaxed_load(const cs_insn *a, const cs_insn *b,
			     const struct kpl_arch_field *f, uint64_t at)
{
	size_t op = b->detail->x86.encoding.modrm_offset;

	return (f->type == R_X86_64_GOTPCRELX ||
		f->type == R_X86_64_REX_GOTPCRELX) &&
	       b->id == X86_INS_MOV && a->id == X86_INS_LEA && op >= 1 &&
	       at == b->address + op - 1 && b->bytes[op - 1] == 0x8b &&
	       a->bytes[op - 1] == 0x8d;
}

/* Any other instruction: the same bytes but for relocated fields. */
static int x86_same_plain(struct x86_same *s, size_t i, size_t j, size_t first,
			  size_t nr)
{
	const cs_insn *a = s->ia, *b = s->ib;
	uint64_t b_end = b->address + b->size;
	bool relaxed = false;
	size_t k;

	if (a->size != b->size)
		return x86_same_differ(s, i, j);
	for (k = 0; k < b->size; k++) {
		uint64_t at = b->address + k;

		if (a->bytes[k] == b->bytes[k] ||
		    x86_in_field(s, first, nr, at))
			continue;
		if (nr && !relaxed &&
		    x86_relaxed_load(a, b, &s->in->fields[first], at)) {
			relaxed = true;
			continue;
		}
		/* An unrelocated %rip operand within the function. */
		if (!nr && x86_rip_operand(b) && a->id == b->id &&
		    b->detail->x86.encoding.disp_offset &&
		    k >= b->detail->x86.encoding.disp_offset &&
		    k < (size_t)b->detail->x86.encoding.disp_offset +
				    b->detail->x86.encoding.disp_size)
			continue;
		return x86_same_differ(s, i, j);
	}
	if (!nr && x86_rip_operand(b))
		return x86_same_pend(s, i, j,
				     a->address + a->size +
					     (uint64_t)a->detail->x86.disp -
					     s->a.addr,
				     b_end + (uint64_t)b->detail->x86.disp);
	for (k = first; k < first + nr; k++) {
		const struct kpl_arch_field *f = &s->in->fields[k];
		size_t size = kpl_arch_reloc_size(f->type);
		uint64_t rel = f->off - b->address;
		struct kpl_arch_reach r = { .field = k };
		int64_t v;

		if (kpl_arch_reloc_kind(f->type, &r.kind))
			return x86_same_differ(s, i, j);
		if (x86_tls_kind(r.kind))
			continue;
		v = x86_get(a->bytes + rel, size, f->type);
		if (x86_pcrel_type(f->type)) {
			/* linked: S + A = v + P; object: S + A + adj */
			r.adj = (int64_t)(b_end - f->off);
			r.where = (uint64_t)v + a->address + rel +
				  (uint64_t)r.adj;
		} else {
			r.where = (uint64_t)v;
		}
		if (relaxed)
			r.kind = KPL_RELOC_DIRECT;
		if (!s->in->reaches(s->in->arg, &r))
			return x86_same_differ(s, i, j);
	}
	return 0;
}

static int x86_same_pair(struct x86_same *s, size_t i, size_t j)
{
	const struct x86_same_insn *bi = &s->b.insns[j];
	size_t first, nr;

	if (!x86_same_decode(s, &s->a, i, s->ia) ||
	    !x86_same_decode(s, &s->b, j, s->ib) ||
	    !x86_same_fields(s, bi->off, bi->off + bi->size, &first, &nr))
		return x86_same_differ(s, i, j);
	if (x86_rel_branch(s->cs, s->ib))
		return x86_same_branch(s, i, j, first, nr);
	return x86_same_plain(s, i, j, first, nr);
}

/* The first instruction that is not a NOP at or after offset @t. */
static bool x86_same_canon(const struct x86_same_side *d, uint64_t t,
			   size_t *idx)
{
	size_t lo = 0, hi = d->nr;

	if (t == d->size) {
		*idx = d->nr;
		return true;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->insns[mid].off < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->nr || d->insns[lo].off != t)
		return false;
	while (lo < d->nr && d->insns[lo].nop)
		lo++;
	*idx = lo;
	return true;
}

static int x86_same_targets(struct x86_same *s)
{
	size_t k, ia, ib;

	for (k = 0; k < s->nr_pend; k++) {
		const struct x86_same_target *p = &s->pend[k];

		if (!x86_same_canon(&s->a, p->ta, &ia) ||
		    !x86_same_canon(&s->b, p->tb, &ib) ||
		    (ib == s->b.nr ? ia != s->a.nr : s->b.insns[ib].pair != ia))
			return x86_same_differ(s, p->a, p->b);
	}
	return 0;
}

static int x86_same_walk(struct x86_same *s)
{
	size_t i = 0, j = 0, bad_a, bad_b;
	int err;

	err = x86_same_split(s, &s->a, s->ia, &bad_a);
	if (!err)
		err = x86_same_split(s, &s->b, s->ib, &bad_b);
	if (err)
		return err;
	for (;;) {
		while (i < s->a.nr && s->a.insns[i].nop)
			i++;
		while (j < s->b.nr && s->b.insns[j].nop)
			j++;
		if (i == s->a.nr || j == s->b.nr)
			break;
		if (i == bad_a || j == bad_b)
			return x86_same_differ(s, i, j);
		err = x86_same_pair(s, i, j);
		if (err)
			return err;
		s->a.insns[i].pair = j;
		s->b.insns[j].pair = i;
		i++;
		j++;
	}
	if (i != s->a.nr || j != s->b.nr)
		return x86_same_differ(s, i, j);
	/* A relocated field that no instruction holds whole. */
	if (s->fields_used != s->in->nr_fields)
		return x86_same_differ(s, s->a.nr, s->b.nr);
	return x86_same_targets(s);
}

int kpl_arch_same_code(const struct kpl_arch_same_in *in,
		       struct kpl_arch_mismatch *m)
{
	struct kpl_arch_mismatch found;
	struct x86_same s = { .in = in, .m = &found };
	size_t k;
	int err;

	if (!in || !m || (!in->linked && in->linked_size) ||
	    (!in->obj && in->obj_size) || (!in->fields && in->nr_fields) ||
	    !in->reaches || in->linked_size > UINT32_MAX ||
	    in->obj_size > UINT32_MAX)
		return -EINVAL;
	for (k = 1; k < in->nr_fields; k++)
		if (in->fields[k].off < in->fields[k - 1].off)
			return -EINVAL;
	s.a = (struct x86_same_side){ in->linked, in->linked_size,
				      in->linked_addr, NULL, 0 };
	s.b = (struct x86_same_side){ in->obj, in->obj_size, 0, NULL, 0 };
	err = x86_same_open(&s.cs);
	if (err)
		return err;
	s.ia = cs_malloc(s.cs);
	s.ib = cs_malloc(s.cs);
	err = s.ia && s.ib ? x86_same_walk(&s) : -ENOMEM;
	if (s.ia)
		cs_free(s.ia, 1);
	if (s.ib)
		cs_free(s.ib, 1);
	cs_close(&s.cs);
	free(s.a.insns);
	free(s.b.insns);
	free(s.pend);
	if (err == 1)
		*m = found;
	return err;
}

bool kpl_arch_plt_slot(const uint8_t *code, size_t size, uint64_t addr,
		       uint64_t *slot)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	size_t p = 0;
	int32_t disp;

	if (!code || !slot)
		return false;
	if (size >= sizeof(endbr64) && !memcmp(code, endbr64, sizeof(endbr64)))
		p = sizeof(endbr64);
	if (p < size && code[p] == 0xf2) /* bnd */
		p++;
	/* ff 25 disp32: jmp *disp32(%rip) */
	if (size < p + 6 || code[p] != 0xff || code[p + 1] != 0x25)
		return false;
	disp = (int32_t)((uint32_t)code[p + 2] | (uint32_t)code[p + 3] << 8 |
			 (uint32_t)code[p + 4] << 16 |
			 (uint32_t)code[p + 5] << 24);
	*slot = addr + p + 6 + (uint64_t)(int64_t)disp;
	return true;
}
