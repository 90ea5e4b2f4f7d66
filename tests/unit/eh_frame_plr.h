/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the unwind-table unit tests (test_lib_ehframe.c,
 * test_patch_unwind.c): a CIE "zPLR" and one FDE with an LSDA pointer,
 * as g++ -fPIC writes them for a C++ function with a handler, and where
 * its relocated fields lie.  The fields a patch relocates are zero here.
 */
#ifndef KPL_TEST_EH_FRAME_PLR_H
#define KPL_TEST_EH_FRAME_PLR_H

#include <stdint.h>

enum {
	EH_PLR_PERS_AT = 0x13,	/* the CIE's personality pointer */
	EH_PLR_PC_AT = 0x28,	/* the FDE's pc_begin */
	EH_PLR_RANGE_AT = 0x2c,	/* its pc_range */
	EH_PLR_LSDA_AT = 0x31,	/* its LSDA pointer */
};

static const uint8_t eh_frame_plr[] = {
	/* CIE at 0x00 */
	0x1c, 0x00, 0x00, 0x00,		/* length 28 */
	0x00, 0x00, 0x00, 0x00,		/* id 0: a CIE */
	0x01,				/* version 1 */
	'z', 'P', 'L', 'R', 0x00,	/* augmentation "zPLR" */
	0x01,				/* code alignment 1 */
	0x78,				/* data alignment -8 */
	0x10,				/* return address: r16 (rip) */
	0x07,				/* augmentation data: 7 bytes */
	0x9b,				/* personality: indirect|pcrel|sdata4 */
	0x00, 0x00, 0x00, 0x00,		/* at 0x13 (relocated) */
	0x1b,				/* LSDA: pcrel|sdata4 */
	0x1b,				/* FDE pointers: pcrel|sdata4 */
	0x0c, 0x07, 0x08,		/* DW_CFA_def_cfa: rsp+8 */
	0x90, 0x01,			/* DW_CFA_offset: rip at cfa-8 */
	0x00, 0x00,			/* DW_CFA_nop x2 */
	/* FDE at 0x20 */
	0x18, 0x00, 0x00, 0x00,		/* length 24 */
	0x24, 0x00, 0x00, 0x00,		/* CIE pointer: 0x24 back, to 0x00 */
	0x00, 0x00, 0x00, 0x00,		/* pc_begin at 0x28 (relocated) */
	0x07, 0x00, 0x00, 0x00,		/* pc_range 7, at 0x2c */
	0x04,				/* augmentation data: 4 bytes */
	0x00, 0x00, 0x00, 0x00,		/* LSDA at 0x31 (relocated) */
	0x00, 0x00, 0x00,		/* DW_CFA_nop x3 */
	/* terminator at 0x38 */
	0x00, 0x00, 0x00, 0x00,
};

#endif
