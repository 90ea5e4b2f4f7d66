/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A patch's unwind tables (.eh_frame): checked before the loader maps
 * them and before the unwinder reads them back from a target, since both
 * the patch file and the target are untrusted.
 */
#ifndef KPL_LIB_EHFRAME_H
#define KPL_LIB_EHFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most .eh_frame one patch may carry: far above any real fix. */
#define KPL_EH_FRAME_MAX (1u << 20)

/*
 * kpl_eh_frame__check() - walk the @len bytes of an .eh_frame section:
 * every entry's length lies inside it, no entry uses the 64-bit length
 * form, every FDE's CIE pointer leads back to a CIE that starts an entry
 * before it, every CIE has version 1 or 3, and a zero terminator, if
 * any, ends it.  The contents of CIEs and FDEs (instructions, pointer
 * encodings) are left to the reader, which bounds itself by the entry.
 * Return: 0, or -KPL_E_FORMAT with the first problem in @why.
 */
int kpl_eh_frame__check(const uint8_t *p, size_t len, char *why,
			size_t why_len);

/* What an FDE says about the code it covers, as offsets in the table. */
struct kpl_eh_fde {
	size_t off; /* the entry */
	size_t pc_at; /* its pc_begin field */
	uint64_t range; /* pc_range, the bytes it covers */
	size_t lsda_at; /* its LSDA pointer, SIZE_MAX: none */
	size_t pers_at; /* its CIE's personality, SIZE_MAX: none */
	uint8_t pc_enc; /* pc_begin's encoding (DW_EH_PE_*), with pc_at */
};

/*
 * kpl_eh_fde__pc() - the address @f's pc_begin names, for a table at
 * @addr: absolute and pc-relative encodings only (what compilers write).
 * Return: true and *@pc, or false when it cannot be said.
 */
bool kpl_eh_fde__pc(const uint8_t *p, const struct kpl_eh_fde *f,
		    uint64_t addr, uint64_t *pc);

typedef int (*kpl_eh_fde_fn)(const struct kpl_eh_fde *f, void *arg);

/*
 * kpl_eh_frame__each_fde() - call @fn for each FDE of the @len bytes of
 * an .eh_frame that kpl_eh_frame__check() accepted, with the fields its
 * CIE's augmentation ("zPLR" and kin) places.  An FDE whose CIE cannot
 * be read (an unknown augmentation or encoding, fields past the entry)
 * is passed with pc_at SIZE_MAX: nothing can be said about its code.
 * Return: 0, or the first non-zero value @fn returned.
 */
int kpl_eh_frame__each_fde(const uint8_t *p, size_t len, kpl_eh_fde_fn fn,
			   void *arg);

#endif
