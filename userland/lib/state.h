/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The record each applied patch keeps at the start of its own mapping in
 * the target ("/memfd:kpl:<id>" in /proc/PID/maps).  It is all a later
 * `kpl status` or `kpl revert` needs, even with no daemon and no patch
 * file: the state lives with the process.
 *
 * The phase field is the journal.  A transaction moves
 *   PREPARED -> APPLYING -> APPLIED -> REVERTING -> (unmapped)
 * and writes the phase before touching any function entry, so an
 * invocation killed half way leaves APPLYING or REVERTING behind and the
 * next one rolls it back or forward from the per-function bytes here.
 *
 * A mapping whose code some thread's stack still holds when its entries
 * are restored is not unmapped but RETIRED: no entry leads there any
 * more, and the next invocation that finds no stack holding it unmaps
 * it.  A retired record says version 2, so a kpl that predates RETIRED
 * finds it unreadable and leaves it alone instead of unmapping it.
 */
#ifndef KPL_LIB_STATE_H
#define KPL_LIB_STATE_H

#include <stdint.h>

#include "kpl/format.h"

#define KPL_STATE_MAGIC "KPLSTAT1"
#define KPL_STATE_VERSION 1
#define KPL_STATE_VERSION_RETIRED 2	/* what a RETIRED record says */
#define KPL_STATE_PREFIX "/memfd:kpl:"
#define KPL_STATE_BYTES 16

enum kpl_phase {
	KPL_PHASE_PREPARED = 1,	/* mapped and filled, no entry written */
	KPL_PHASE_APPLYING,	/* entries being written */
	KPL_PHASE_APPLIED,	/* every entry jumps to the patch */
	KPL_PHASE_REVERTING,	/* entries being restored */
	KPL_PHASE_REPLACED,	/* superseded by a replace patch */
	KPL_PHASE_RETIRED,	/* entries restored, code still on a stack */
};

struct kpl_state_func {
	uint64_t entry;		/* old function's entry */
	uint64_t addr;		/* where the jump is written (entry + skip) */
	uint64_t size;		/* old function's size */
	uint64_t new_addr;	/* the new function */
	uint32_t len;		/* bytes written at addr */
	uint32_t reserved;
	uint8_t orig[KPL_STATE_BYTES];	/* what revert puts back */
	uint8_t jump[KPL_STATE_BYTES];	/* what this patch wrote */
	uint8_t prev[KPL_STATE_BYTES];	/* what apply found (rollback) */
	char name[64];
};

struct kpl_state {
	char magic[8];
	uint32_t version;
	uint32_t phase;		/* enum kpl_phase */
	char id[KPL_ID_MAX + 8];
	char description[128];
	char soname[64];
	char backend[16];
	uint8_t build_id[KPL_BUILD_ID_MAX];
	uint32_t build_id_len;
	uint32_t patch_version;
	uint32_t flags;
	uint32_t nr_funcs;
	uint64_t base, size;	/* this mapping */
	uint64_t text_lo, text_hi;	/* the patch's code, for activeness */
	uint64_t lib_base;
	uint64_t applied_ns;	/* CLOCK_REALTIME */
	uint64_t seq;		/* apply order among patches in the process */
	struct kpl_state_func funcs[];
};

#define KPL_STATE_SIZE(n) \
	(sizeof(struct kpl_state) + (n) * sizeof(struct kpl_state_func))

/*
 * After the record's funcs[], at KPL_STATE_SIZE(nr_funcs): where the
 * patch's unwind table lies in the mapping, for unwinders.  Added after
 * version 1 was out, so it is found by its magic and missing from older
 * records: a reader that finds no magic, or a trailer that fails
 * kpl_state__check_unwind(), treats the patch as having no table.
 */
#define KPL_STATE_UNWIND_MAGIC "KPLUNWD1"

struct kpl_state_unwind {
	char magic[8];
	uint64_t eh_frame;	/* .eh_frame in the read-only part, or 0 */
	uint64_t eh_frame_size;	/* without the 4-byte terminator after it */
	/* Registering the table with the target's libgcc (eh_reg.c): the
	 * struct kpl_eh_area in the writable part and the mark stub in
	 * the text, or both 0 (a record written before they existed said
	 * 0 here too: such a table was never registered). */
	uint64_t eh_area;
	uint64_t eh_stub;
};

/*
 * Zeroed by the fill.  libgcc's struct object is 6 words in libgcc 12
 * and 13 (7 with DWARF2_OBJECT_END_PTR_EXTENSION): room for 28.  Each
 * mark is set to 1 by the patch's mark stub (arch.h) in the target's
 * own thread when __register_frame_info, or __deregister_frame_info,
 * has returned, so a later kpl knows what a killed one left behind.
 */
struct kpl_eh_area {
	uint8_t object[224];
	uint8_t registered;
	uint8_t deregistered;
	uint8_t reserved[30];
};

_Static_assert(sizeof(struct kpl_eh_area) == 256, "KPL_LOAD_EH_AREA");

/* Record and trailer: what apply reserves at the mapping's start. */
#define KPL_STATE_SIZE_UNWIND(n) \
	(KPL_STATE_SIZE(n) + sizeof(struct kpl_state_unwind))

/* The trailer after the funcs[] of a record in kpl's own memory. */
static inline const struct kpl_state_unwind *
kpl_state__unwind(const struct kpl_state *st)
{
	return (const void *)((const uint8_t *)st +
			      KPL_STATE_SIZE((size_t)st->nr_funcs));
}

/* The most functions one record lists; apply refuses larger patches. */
#define KPL_STATE_MAX_FUNCS 4096

struct kpl_maps;

/* Where a record was found, as /proc/PID/maps says: what it must match. */
struct kpl_state_where {
	uint64_t base;		/* start of the record's mapping */
	uint64_t extent;	/* bytes mapped from base under its name */
	const struct kpl_maps *maps;	/* the process's mappings */
};

/*
 * kpl_state__check() - validate a record of @len bytes copied out of a
 * target.  The target may be hostile: every length, count, string,
 * address and phase is checked against the format and against @w before
 * anything uses the record.  Only a record that passes is trusted; one
 * that does not is garbage, whatever its mapping is called.
 * Return: 0, or -KPL_E_STATE with the first problem in @why.
 */
int kpl_state__check(const struct kpl_state *st, size_t len,
		     const struct kpl_state_where *w, char *why,
		     size_t why_len);

/*
 * kpl_state__set_unwind() - write the trailer after @st's funcs[], which
 * must have room for it (KPL_STATE_SIZE_UNWIND): the table at @eh_frame
 * of @size bytes, or none when both are 0, and its registration area and
 * mark stub (0 when none).
 */
void kpl_state__set_unwind(struct kpl_state *st, uint64_t eh_frame,
			   uint64_t size, uint64_t eh_area, uint64_t eh_stub);

/*
 * kpl_state__check_unwind() - validate the trailer @u read after the
 * validated record @st: its magic, and a table that lies, terminator
 * included, inside the mapping, after the record and outside the code,
 * and is no larger than KPL_EH_FRAME_MAX; a registration area inside the
 * mapping after the code and a stub inside the code, both or neither,
 * and only with a table.
 * Return: 0, or -KPL_E_STATE with the problem in @why.
 */
int kpl_state__check_unwind(const struct kpl_state *st,
			    const struct kpl_state_unwind *u, char *why,
			    size_t why_len);

#endif
