/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A patch's unwind table registered with the target's libgcc
 * (__register_frame_info), so that a C++ exception thrown in or through
 * patch code is caught as it was before the patch, and taken back
 * (__deregister_frame_info) before the patch is unmapped.  eh_reg.c says
 * how; docs/engine.md why.
 */
#ifndef KPL_LIB_EH_REG_H
#define KPL_LIB_EH_REG_H

#include <stdbool.h>
#include <stdint.h>

struct kpl_load;
struct kpl_patch;
struct kpl_target;
struct kpl_state;
struct kpl_state_unwind;

/*
 * kpl_eh__register() - register the table of the patch mapped at
 * @st->base, whose trailer is @u (the engine's own copy), if it has one
 * and the process maps libgcc_s; else do nothing.  @who prefixes the
 * log ("apply").
 * Return: 0 (done or not needed), or <0 with *@in_flight set when the
 * call may still run in the target: the mapping must then stay, for a
 * later repair, which finds what happened from the marks.
 */
int kpl_eh__register(struct kpl_target *t, const struct kpl_state *st,
		     const struct kpl_state_unwind *u, bool *in_flight,
		     const char *who);

/*
 * kpl_eh__place() - fill the unwind trailer of the record @st, whose
 * base is set, from the layout @ld: where the patch's table, libgcc's
 * object and the mark stub lie in the target (zeros without a table).
 */
void kpl_eh__place(struct kpl_state *st, const struct kpl_load *ld);

/*
 * kpl_eh__can_register() - can @patch be applied to @t as far as its
 * unwind table goes?  When its code may throw or be unwound through
 * (@unwinds, from kpl_patch__scan_unwind()), its table must be
 * registered, which needs a libgcc_s in the process (both backends can
 * call it).  Other code that carries a table (C) is unwound through only
 * where libgcc_s runs, and registered there.  Nothing is touched.
 * Return: 0, or -KPL_E_UNWIND saying why in the log.
 */
int kpl_eh__can_register(struct kpl_target *t, const struct kpl_patch *patch,
			 bool unwinds, const char *who);

/*
 * kpl_eh__attach() - the apply's step after the patch record @st is
 * mapped and filled: register its table (kpl_eh__register(), the
 * engine's copy of the trailer).  @needed: the patch's code may throw
 * (kpl_patch__scan_unwind()), and a table that is not registered fails
 * the step.  On a failure whose call may still run in the target,
 * *@mapped is cleared: the mapping stays for a later repair.
 * Return: 0 or <0 (logged).
 */
int kpl_eh__attach(struct kpl_target *t, struct kpl_state *st, bool needed,
		   bool *mapped, const char *who);

/*
 * kpl_eh__trailer() - read and validate the trailer of the valid record
 * @st mapped at @st->base.  *@u is zeroed when there is none (an older
 * record) or it fails the checks (logged).
 */
void kpl_eh__trailer(struct kpl_target *t, const struct kpl_state *st,
		     struct kpl_state_unwind *u);

/*
 * kpl_eh__unmap() - unmap the patch mapping of record @st (trailer @u,
 * NULL for none), taking its table back from libgcc first if it is
 * registered.  No stack may hold the patch's code (the caller checked).
 * Return: 0, or <0 with the mapping left as it is (logged).
 */
int kpl_eh__unmap(struct kpl_target *t, const struct kpl_state *st,
		  const struct kpl_state_unwind *u, const char *who);

/* The same for a record found in the target: its trailer read first. */
int kpl_eh__unmap_found(struct kpl_target *t, const struct kpl_state *st,
			const char *who);

#endif
