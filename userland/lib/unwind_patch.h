/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Patch code for libdwfl (unwind.c): a patch mapping is not an ELF file,
 * so libdwfl finds no unwind table for it and the activeness check could
 * not unwind past a frame in patch code.  This gives libdwfl, for each
 * patch mapping, a small ELF image made in memory around the .eh_frame
 * the patch carries (located by the record's trailer, state.h).
 */
#ifndef KPL_LIB_UNWIND_PATCH_H
#define KPL_LIB_UNWIND_PATCH_H

#include <elf.h>
#include <elfutils/libdwfl.h>

struct kpl_proc;
struct kpl_maps;

/* The images made for one Dwfl session; they live until it ends. */
struct kpl_patch_elfs {
	struct kpl_proc *p;
	const struct kpl_maps *maps;
	void **bufs;
	size_t nr;
};

/*
 * The Dwfl find_elf callback: a "/memfd:kpl:" module whose record and
 * table pass validation gets its image in *@elfp; any other module is
 * passed to dwfl_linux_proc_find_elf().  It serves the session given to
 * kpl_patch_elfs__enter() on the calling thread; outside one, patch
 * mappings get no ELF, as before.
 */
int kpl_patch_elfs__find_elf(Dwfl_Module *mod, void **userdata,
			     const char *name, Dwarf_Addr base,
			     char **file_name, Elf **elfp);

void kpl_patch_elfs__enter(struct kpl_patch_elfs *pe);
void kpl_patch_elfs__leave(void);
/* Free the images: only after dwfl_end() of the session using them. */
void kpl_patch_elfs__free(struct kpl_patch_elfs *pe);

#endif
