/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Lays a patch's sections out in one region, builds its GOT and call
 * stubs, and relocates it: all in a local image, so the target sees
 * nothing until the engine copies the image in.
 *
 * Region layout (each part page aligned, protections final):
 *   [state  R ] the engine's record (see state.h)
 *   [text   RX] executable sections, then call stubs and (with an
 *               .eh_frame) the mark stub
 *   [const  R ] read-only sections (.eh_frame among them), GOT slots,
 *               stub slots
 *   [data   RW] writable sections and .bss, then (with an .eh_frame)
 *               the area registering the table in the target uses
 */
#ifndef KPL_LIB_LOADER_H
#define KPL_LIB_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kpl_patch;
struct kpl_patch_symbol;

/* Resolve undefined symbol @name (with its file hint, "" if none). */
typedef int (*kpl_resolve_fn)(void *ctx, const char *name, const char *file,
			      uint64_t *addr);

/*
 * The patched library's thread-local storage in the target, filled by the
 * engine before kpl_load__link() when kpl_load.need_modid or need_tpoff.
 * @offset resolves a TLS symbol to its offset in the library's TLS block
 * (called with kpl_load__link()'s @ctx).
 */
struct kpl_load_tls {
	kpl_resolve_fn offset;
	uint64_t modid;		/* the library's TLS module id, 0 = unknown */
	uint64_t tpoff;		/* its block's offset from the thread pointer */
	bool has_tpoff;
};

struct kpl_load_range {
	uint64_t off, len;
	int prot;
};

struct kpl_load {
	size_t size;		/* whole region, page multiple */
	uint64_t base;		/* target address, set by kpl_load__place */
	uint8_t *image;		/* size bytes */
	struct kpl_load_range ranges[4];
	size_t nr_ranges;
	uint64_t *sec_off;	/* per patch section; UINT64_MAX = dropped */
	size_t state_size;
	/* Undefined symbols needing a GOT slot or a call stub. */
	struct kpl_load_ext *ext;
	size_t nr_ext;
	/* Thread-local storage the patch code reaches (all in the library). */
	bool need_modid;	/* general or local dynamic: __tls_get_addr */
	bool need_tpoff;	/* initial exec: thread-pointer-relative */
	bool need_ldm;		/* local dynamic: the module's tls_index */
	uint64_t ldm;		/* its offset */
	struct kpl_load_tls tls;
	/* The patch's unwind table, checked (ehframe.h): its offset in the
	 * region and size (0 = none); 4 zero bytes follow it. */
	size_t eh_frame_sec;	/* SIZE_MAX = none */
	uint64_t eh_frame, eh_frame_size;
	/* With a table: the mark stub a call registering it returns
	 * through (text, arch.h), and KPL_LOAD_EH_AREA zeroed bytes for
	 * libgcc's object and the marks (data, state.h's kpl_eh_area). */
	uint64_t eh_stub, eh_area;
};

#define KPL_LOAD_EH_AREA 256

/*
 * kpl_load__layout() - size the region for @patch, leaving @state_size
 * bytes at its start for the engine.  Return: 0 or -errno/-KPL_E_*.
 */
int kpl_load__layout(const struct kpl_patch *patch, size_t state_size,
		     struct kpl_load **out);

/*
 * kpl_load__link() - with ->base chosen, resolve every undefined symbol
 * through @resolve and apply every relocation into ->image.
 * Return: 0, -KPL_E_SYMBOL, -KPL_E_RANGE or -KPL_E_RELOC (logged).
 */
int kpl_load__link(struct kpl_load *ld, const struct kpl_patch *patch,
		   kpl_resolve_fn resolve, void *ctx);

/* Address of defined patch symbol @sym in the target after linking. */
uint64_t kpl_load__sym_addr(const struct kpl_load *ld,
			    const struct kpl_patch *patch, uint32_t sym);

void kpl_load__free(struct kpl_load *ld);

#endif
