// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "ehframe.h"
#include "internal.h"
#include "loader.h"
#include "patch.h"

#define PAGE 4096ull
/* The most a patch may load: far above any real fix. */
#define KPL_LOAD_MAX (64u << 20)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* An undefined symbol and the indirections it needs. */
struct kpl_load_ext {
	uint32_t sym;
	uint64_t addr;		/* resolved */
	uint64_t got;		/* offset of GOT slot, or 0 */
	uint64_t stub;		/* offset of call stub, or 0 */
	uint64_t slot;		/* offset of the stub's slot */
	uint64_t gd;		/* offset of its tls_index pair (need_gd) */
	uint64_t ie;		/* offset of its TP-offset slot (need_ie) */
	bool need_got, need_stub;
	bool tls, need_gd, need_ie;	/* addr is a TLS block offset */
};

static bool sec_loaded(const struct kpl_patch_section *s)
{
	if (!(s->flags & SHF_ALLOC))
		return false;
	/* .eh_frame is loaded (read-only, see is_eh_frame()); an
	 * .eh_frame_hdr is the linker's, never in an object. */
	if (!strncmp(s->name, ".eh_frame_hdr", 13) ||
	    !strncmp(s->name, ".note", 5))
		return false;
	return true;
}

/*
 * The unwind table: loaded with the read-only part, 4 zero bytes after
 * it (the terminator an object's table lacks, which a runtime
 * registration needs), and its place kept for the record (state.h).
 */
static bool is_eh_frame(const struct kpl_patch_section *s)
{
	return !strcmp(s->name, ".eh_frame");
}

static int check_eh_frame(struct kpl_load *ld, const struct kpl_patch *patch)
{
	char why[128];
	size_t i;
	int err;

	ld->eh_frame_sec = SIZE_MAX;
	for (i = 0; i < patch->nr_sections; i++) {
		const struct kpl_patch_section *s = &patch->sections[i];

		if (!is_eh_frame(s) || !s->size)
			continue;	/* an empty table is no table */
		if (ld->eh_frame_sec != SIZE_MAX ||
		    (s->flags & (SHF_WRITE | SHF_EXECINSTR)) || !s->data) {
			pr_warn("loader: a patch carries one read-only .eh_frame at most\n");
			return -KPL_E_FORMAT;
		}
		err = kpl_eh_frame__check(s->data, s->size, why, sizeof(why));
		if (err) {
			pr_warn("loader: malformed .eh_frame: %s\n", why);
			return err;
		}
		ld->eh_frame_sec = i;
	}
	return 0;
}

static bool kind_tls(enum kpl_arch_reloc_kind kind)
{
	return kind == KPL_RELOC_TLS_GD || kind == KPL_RELOC_TLS_LD ||
	       kind == KPL_RELOC_TLS_IE || kind == KPL_RELOC_TLS_OFF;
}

/* Note what a TLS relocation against @e needs; @e is NULL for TLS_LD. */
static int scan_tls(struct kpl_load *ld, const struct kpl_patch *patch,
		    const struct kpl_patch_reloc *r,
		    enum kpl_arch_reloc_kind kind, struct kpl_load_ext *e)
{
	const struct kpl_patch_symbol *s = &patch->symbols[r->sym];

	if (kind == KPL_RELOC_TLS_LD) {
		ld->need_modid = true;
		ld->need_ldm = true;
		return 0;
	}
	if (s->shndx != SHN_UNDEF) {
		pr_warn("loader: the patch defines thread-local '%s': a patch cannot add thread-local storage to running threads\n",
			s->name);
		return -KPL_E_RELOC;
	}
	e->tls = true;
	if (kind == KPL_RELOC_TLS_GD) {
		e->need_gd = true;
		ld->need_modid = true;
	} else if (kind == KPL_RELOC_TLS_IE) {
		e->need_ie = true;
		ld->need_tpoff = true;
	}
	return 0;
}

enum part { PART_TEXT, PART_CONST, PART_DATA, PART_NONE };

static enum part sec_part(const struct kpl_patch_section *s)
{
	if (!sec_loaded(s))
		return PART_NONE;
	if (s->flags & SHF_EXECINSTR)
		return PART_TEXT;
	if (s->flags & SHF_WRITE)
		return PART_DATA;
	return PART_CONST;
}

static struct kpl_load_ext *ext_get(struct kpl_load *ld, uint32_t sym)
{
	struct kpl_load_ext *e;
	size_t i;

	for (i = 0; i < ld->nr_ext; i++)
		if (ld->ext[i].sym == sym)
			return &ld->ext[i];
	e = realloc(ld->ext, (ld->nr_ext + 1) * sizeof(*e));
	if (!e)
		return NULL;
	ld->ext = e;
	e = &ld->ext[ld->nr_ext++];
	memset(e, 0, sizeof(*e));
	e->sym = sym;
	return e;
}

/* Note which undefined symbols need GOT slots or stubs. */
static int scan_relocs(struct kpl_load *ld, const struct kpl_patch *patch)
{
	size_t i;

	for (i = 0; i < patch->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &patch->relocs[i];
		const struct kpl_patch_symbol *s = &patch->symbols[r->sym];
		enum kpl_arch_reloc_kind kind;
		struct kpl_load_ext *e;
		int err;

		if (sec_part(&patch->sections[r->section]) == PART_NONE)
			continue;
		err = kpl_arch_reloc_kind(r->type, &kind);
		if (err) {
			pr_warn("loader: unsupported relocation %s (%u) in %s\n",
				kpl_arch_reloc_name(r->type), r->type,
				patch->sections[r->section].name);
			return err;
		}
		if (kind == KPL_RELOC_TLS_LD) {
			scan_tls(ld, patch, r, kind, NULL);
			continue;
		}
		if (s->shndx != SHN_UNDEF && kind != KPL_RELOC_GOT &&
		    !kind_tls(kind))
			continue;
		e = ext_get(ld, r->sym);
		if (!e)
			return -ENOMEM;
		if (kind_tls(kind)) {
			err = scan_tls(ld, patch, r, kind, e);
			if (err)
				return err;
		} else if (e->tls) {
			goto mixed;
		} else if (kind == KPL_RELOC_GOT)
			e->need_got = true;
		else if (kind == KPL_RELOC_CALL)
			e->need_stub = true;
		if (e->tls && (e->need_got || e->need_stub))
			goto mixed;
		continue;
mixed:
		pr_warn("loader: '%s' is used both as thread-local and as an ordinary symbol\n",
			s->name);
		return -KPL_E_RELOC;
	}
	return 0;
}

int kpl_load__layout(const struct kpl_patch *patch, size_t state_size,
		     struct kpl_load **out)
{
	uint64_t off[3] = { 0 }, start[3], cur;
	static const int prot[3] = { PROT_READ | PROT_EXEC, PROT_READ,
				     PROT_READ | PROT_WRITE };
	struct kpl_load *ld;
	size_t i, p;
	int err;

	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return -ENOMEM;
	ld->sec_off = calloc(patch->nr_sections, sizeof(*ld->sec_off));
	if (!ld->sec_off) {
		err = -ENOMEM;
		goto out;
	}
	err = scan_relocs(ld, patch);
	if (!err)
		err = check_eh_frame(ld, patch);
	if (err)
		goto out;
	/* First pass: offsets within each part. */
	for (i = 0; i < patch->nr_sections; i++) {
		const struct kpl_patch_section *s = &patch->sections[i];
		enum part pt = sec_part(s);

		ld->sec_off[i] = UINT64_MAX;
		if (pt == PART_NONE)
			continue;
		/* Bounded, so no offset below can wrap (.bss sizes come
		 * from the file, unchecked against its size). */
		if (s->size > KPL_LOAD_MAX || s->align > PAGE ||
		    off[pt] + s->size + s->align > KPL_LOAD_MAX) {
			pr_warn("loader: section %s too large or too aligned "
				"(size 0x%llx, align 0x%llx; at most %u MiB "
				"in all, page aligned)\n", s->name,
				(unsigned long long)s->size,
				(unsigned long long)s->align,
				KPL_LOAD_MAX >> 20);
			err = -KPL_E_FORMAT;
			goto out;
		}
		off[pt] = ALIGN_UP(off[pt], s->align);
		ld->sec_off[i] = off[pt];
		off[pt] += s->size;
		if (i == ld->eh_frame_sec)
			off[pt] += 4;
	}
	off[PART_TEXT] = ALIGN_UP(off[PART_TEXT], 16);
	off[PART_CONST] = ALIGN_UP(off[PART_CONST], 8);
	for (i = 0; i < ld->nr_ext; i++) {
		struct kpl_load_ext *e = &ld->ext[i];

		if (e->need_got) {
			e->got = off[PART_CONST];
			off[PART_CONST] += 8;
		}
		if (e->need_stub) {
			e->stub = off[PART_TEXT];
			off[PART_TEXT] += KPL_ARCH_STUB_MAX;
			e->slot = off[PART_CONST];
			off[PART_CONST] += 8;
		}
		if (e->need_gd) {
			e->gd = off[PART_CONST];
			off[PART_CONST] += 16;
		}
		if (e->need_ie) {
			e->ie = off[PART_CONST];
			off[PART_CONST] += 8;
		}
	}
	if (ld->need_ldm) {
		ld->ldm = off[PART_CONST];
		off[PART_CONST] += 16;
	}
	/* With a table, what registering it in the target needs. */
	if (ld->eh_frame_sec != SIZE_MAX) {
		ld->eh_stub = off[PART_TEXT];
		off[PART_TEXT] += 16;
		off[PART_DATA] = ALIGN_UP(off[PART_DATA], 64);
		ld->eh_area = off[PART_DATA];
		off[PART_DATA] += KPL_LOAD_EH_AREA;
	}
	/* Second pass: place the parts after the state area. */
	ld->state_size = state_size;
	cur = ALIGN_UP(state_size, PAGE);
	ld->ranges[0] = (struct kpl_load_range){ 0, cur, PROT_READ };
	ld->nr_ranges = 1;
	for (p = 0; p < 3; p++) {
		start[p] = cur;
		if (!off[p])
			continue;
		ld->ranges[ld->nr_ranges++] = (struct kpl_load_range){
			cur, ALIGN_UP(off[p], PAGE), prot[p]
		};
		cur += ALIGN_UP(off[p], PAGE);
	}
	for (i = 0; i < patch->nr_sections; i++) {
		enum part pt = sec_part(&patch->sections[i]);

		if (pt != PART_NONE)
			ld->sec_off[i] += start[pt];
	}
	for (i = 0; i < ld->nr_ext; i++) {
		struct kpl_load_ext *e = &ld->ext[i];

		if (e->need_got)
			e->got += start[PART_CONST];
		if (e->need_stub) {
			e->stub += start[PART_TEXT];
			e->slot += start[PART_CONST];
		}
		if (e->need_gd)
			e->gd += start[PART_CONST];
		if (e->need_ie)
			e->ie += start[PART_CONST];
	}
	if (ld->need_ldm)
		ld->ldm += start[PART_CONST];
	if (ld->eh_frame_sec != SIZE_MAX) {
		ld->eh_stub += start[PART_TEXT];
		ld->eh_area += start[PART_DATA];
	}
	if (ld->eh_frame_sec != SIZE_MAX &&
	    ld->sec_off[ld->eh_frame_sec] != UINT64_MAX) {
		ld->eh_frame = ld->sec_off[ld->eh_frame_sec];
		ld->eh_frame_size = patch->sections[ld->eh_frame_sec].size;
	}
	ld->size = cur;
	ld->image = calloc(1, ld->size);
	if (!ld->image) {
		err = -ENOMEM;
		goto out;
	}
	/* Fill text with the trap byte so stray jumps trap, not slide. */
	if (off[PART_TEXT])
		memset(ld->image + start[PART_TEXT], KPL_ARCH_TRAP_FILL,
		       ALIGN_UP(off[PART_TEXT], PAGE));
	if (ld->eh_frame_sec != SIZE_MAX)
		kpl_arch_mark_stub(ld->image + ld->eh_stub);
	for (i = 0; i < patch->nr_sections; i++) {
		const struct kpl_patch_section *s = &patch->sections[i];

		if (ld->sec_off[i] != UINT64_MAX && s->data)
			memcpy(ld->image + ld->sec_off[i], s->data, s->size);
	}
out:
	if (err) {
		kpl_load__free(ld);
		return err;
	}
	*out = ld;
	return 0;
}

uint64_t kpl_load__sym_addr(const struct kpl_load *ld,
			    const struct kpl_patch *patch, uint32_t sym)
{
	const struct kpl_patch_symbol *s = &patch->symbols[sym];

	if (s->shndx == SHN_ABS)
		return s->value;
	if (s->shndx == SHN_UNDEF || s->shndx >= patch->nr_sections ||
	    ld->sec_off[s->shndx] == UINT64_MAX)
		return 0;
	return ld->base + ld->sec_off[s->shndx] + s->value;
}

static const char *file_hint(const struct kpl_patch *patch, const char *name)
{
	size_t i;

	for (i = 0; i < patch->nr_refs; i++)
		if (!strcmp(patch->refs[i].name, name))
			return patch->refs[i].file;
	return "";
}

/* What the engine found of the library's TLS must serve the patch. */
static int check_tls(const struct kpl_load *ld)
{
	if ((ld->need_modid && !ld->tls.modid) ||
	    ((ld->need_modid || ld->need_tpoff) && !ld->tls.offset)) {
		pr_warn("loader: the patch uses thread-local storage through __tls_get_addr, but the library's TLS module id is unknown: it has no DTPMOD64 relocation of its own (was the patch built with another TLS model than the library?)\n");
		return -KPL_E_RELOC;
	}
	if (ld->need_tpoff && !ld->tls.has_tpoff) {
		pr_warn("loader: the patch uses initial-exec thread-local storage, but the library's TLS offset is unknown: it has no TPOFF64 relocation of its own (was the patch built with another TLS model than the library?)\n");
		return -KPL_E_RELOC;
	}
	return 0;
}

/* A TLS symbol: its offset in the block, its pair and slot filled. */
static int resolve_tls(struct kpl_load *ld, struct kpl_load_ext *e,
		       const char *name, const char *file, void *ctx)
{
	uint64_t v[2];
	int err;

	err = ld->tls.offset(ctx, name, file, &e->addr);
	if (err)
		return err;
	if (e->need_gd) {
		v[0] = ld->tls.modid;
		v[1] = e->addr;
		memcpy(ld->image + e->gd, v, sizeof(v));
	}
	if (e->need_ie) {
		v[0] = ld->tls.tpoff + e->addr;
		memcpy(ld->image + e->ie, v, 8);
	}
	return 0;
}

static int resolve_ext(struct kpl_load *ld, const struct kpl_patch *patch,
		       kpl_resolve_fn resolve, void *ctx)
{
	uint64_t ldm[2] = { ld->tls.modid, 0 };
	size_t i;
	int err;

	if (ld->need_modid || ld->need_tpoff) {
		err = check_tls(ld);
		if (err)
			return err;
	}
	if (ld->need_ldm)
		memcpy(ld->image + ld->ldm, ldm, sizeof(ldm));

	for (i = 0; i < ld->nr_ext; i++) {
		struct kpl_load_ext *e = &ld->ext[i];
		const struct kpl_patch_symbol *s = &patch->symbols[e->sym];
		size_t len;

		if (e->tls) {
			err = resolve_tls(ld, e, s->name,
					  file_hint(patch, s->name), ctx);
			if (err)
				return err;
			continue;
		}
		if (s->shndx != SHN_UNDEF) {
			e->addr = kpl_load__sym_addr(ld, patch, e->sym);
		} else {
			err = resolve(ctx, s->name, file_hint(patch, s->name),
				      &e->addr);
			if (err && s->bind == STB_WEAK)
				e->addr = 0;
			else if (err)
				return err;
		}
		if (e->need_got)
			memcpy(ld->image + e->got, &e->addr, 8);
		if (e->need_stub) {
			memcpy(ld->image + e->slot, &e->addr, 8);
			err = kpl_arch_encode_stub(ld->base + e->stub,
						   ld->base + e->slot,
						   ld->image + e->stub, &len);
			if (err)
				return -KPL_E_RANGE;
		}
	}
	return 0;
}

static const struct kpl_load_ext *ext_find(const struct kpl_load *ld,
					   uint32_t sym)
{
	size_t i;

	for (i = 0; i < ld->nr_ext; i++)
		if (ld->ext[i].sym == sym)
			return &ld->ext[i];
	return NULL;
}

int kpl_load__link(struct kpl_load *ld, const struct kpl_patch *patch,
		   kpl_resolve_fn resolve, void *ctx)
{
	size_t i;
	int err;

	err = resolve_ext(ld, patch, resolve, ctx);
	if (err)
		return err;
	for (i = 0; i < patch->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &patch->relocs[i];
		const struct kpl_patch_symbol *s = &patch->symbols[r->sym];
		const struct kpl_load_ext *e = ext_find(ld, r->sym);
		enum kpl_arch_reloc_kind kind;
		uint64_t loc_off, P, S;

		if (ld->sec_off[r->section] == UINT64_MAX)
			continue;
		kpl_arch_reloc_kind(r->type, &kind);
		loc_off = ld->sec_off[r->section] + r->offset;
		P = ld->base + loc_off;
		if (s->shndx != SHN_UNDEF && s->shndx != SHN_ABS &&
		    (s->shndx >= patch->nr_sections ||
		     ld->sec_off[s->shndx] == UINT64_MAX)) {
			pr_warn("loader: relocation in %s refers to dropped "
				"section of symbol '%s'\n",
				patch->sections[r->section].name, s->name);
			return -KPL_E_RELOC;
		}
		S = e ? e->addr : kpl_load__sym_addr(ld, patch, r->sym);
		if (kind == KPL_RELOC_GOT) {
			S = ld->base + e->got;
		} else if (kind == KPL_RELOC_TLS_GD) {
			S = ld->base + e->gd;
		} else if (kind == KPL_RELOC_TLS_IE) {
			S = ld->base + e->ie;
		} else if (kind == KPL_RELOC_TLS_LD) {
			S = ld->base + ld->ldm;
		} else if (kind == KPL_RELOC_CALL && e && e->need_stub &&
			   !kpl_arch_reloc_reaches(r->type, P, S, r->addend)) {
			S = ld->base + e->stub;
		}
		err = kpl_arch_reloc_apply(r->type, ld->image + loc_off,
					   ld->size - loc_off, P, S, r->addend);
		if (err) {
			pr_warn("loader: %s against '%s' at %s+0x%llx: %s\n",
				kpl_arch_reloc_name(r->type), s->name,
				patch->sections[r->section].name,
				(unsigned long long)r->offset,
				err == -ERANGE ? "target out of reach"
					       : kpl_strerror(err));
			return err == -ERANGE ? -KPL_E_RANGE : err;
		}
	}
	return 0;
}

void kpl_load__free(struct kpl_load *ld)
{
	if (!ld)
		return;
	free(ld->image);
	free(ld->sec_off);
	free(ld->ext);
	free(ld);
}
