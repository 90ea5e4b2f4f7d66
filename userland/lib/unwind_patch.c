// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An ELF image in memory for each patch mapping, so that libdwfl unwinds
 * through patch code with the patch's own CFI.
 *
 * libdwfl reports the mapping "/memfd:kpl:ID (deleted)" as a module and
 * asks find_elf for its ELF; dwfl_linux_proc_find_elf() would read an
 * ELF header at the mapping's start, where the patch record is, and
 * fail, leaving the module without CFI.  Here it gets the image
 * patch_image.c makes from the validated record, trailer and table: an
 * ET_DYN with one PT_LOAD at address 0 spanning the mapping, so
 * libdwfl's bias is the mapping's start, and an .eh_frame section at
 * the table's offset in the mapping, which libdw reads as it reads a
 * library's (a linear FDE search: no .eh_frame_hdr).  A patch without
 * a valid table gets no image, as before.
 *
 * Dwfl_Callbacks carry no context, so the session is a thread-local
 * pointer, set by unwind.c only while it loads modules.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "patch_image.h"
#include "state.h"
#include "unwind_patch.h"

static __thread struct kpl_patch_elfs *cur;

void kpl_patch_elfs__enter(struct kpl_patch_elfs *pe)
{
	cur = pe;
}

void kpl_patch_elfs__leave(void)
{
	cur = NULL;
}

void kpl_patch_elfs__free(struct kpl_patch_elfs *pe)
{
	size_t i;

	if (!pe)
		return;
	for (i = 0; i < pe->nr; i++)
		free(pe->bufs[i]);
	free(pe->bufs);
	pe->bufs = NULL;
	pe->nr = 0;
}

/* The image for the patch mapping at @base, or NULL when it has none. */
static Elf *patch_elf(struct kpl_patch_elfs *pe, uint64_t base)
{
	void *img = NULL, **v;
	size_t size;
	Elf *elf;

	v = realloc(pe->bufs, (pe->nr + 1) * sizeof(*v));
	if (!v)
		return NULL;
	pe->bufs = v;
	/* At 0: libdwfl's bias is the mapping's start. */
	if (kpl_patch_image__read(pe->p, pe->maps, base,
				  KPL_PATCH_IMAGE_NEED_TABLE, &img, &size))
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_memory(img, size);
	if (!elf) {
		free(img);
		return NULL;
	}
	pe->bufs[pe->nr++] = img;
	return elf;
}

int kpl_patch_elfs__find_elf(Dwfl_Module *mod, void **userdata,
			     const char *name, Dwarf_Addr base,
			     char **file_name, Elf **elfp)
{
	size_t plen = strlen(KPL_STATE_PREFIX);

	if (strncmp(name, KPL_STATE_PREFIX, plen))
		return dwfl_linux_proc_find_elf(mod, userdata, name, base,
						file_name, elfp);
	*elfp = cur ? patch_elf(cur, base) : NULL;
	return -1;
}
