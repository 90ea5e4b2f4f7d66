// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kpl_target__symfile(): a patch's code described for debuggers.  gdb
 * reads shared libraries from the dynamic linker's list, not from
 * /proc/PID/maps, so a patch mapping is no object file to it and it has
 * neither names nor CFI there; an ELF file with both at the patch's
 * addresses, loaded with add-symbol-file, gives it both without a byte
 * of the target changing.  The file is the image patch_image.c makes
 * for kpl's own unwinder, at the target's addresses.
 */
#include <string.h>

#include "internal.h"
#include "patch_image.h"
#include "target.h"

KPL_API int kpl_target__symfile(struct kpl_target *t, const char *id,
				void **buf, size_t *len)
{
	size_t i;
	int err;

	err = kpl_target__refresh_if_changed(t);
	if (err)
		return err;
	for (i = 0; i < t->nr_found; i++)
		if (!strncmp(t->found[i].st->id, id,
			     sizeof(t->found[i].st->id)))
			break;
	if (i == t->nr_found)
		return -KPL_E_NOT_APPLIED;
	return kpl_patch_image__read(t->proc, t->maps, t->found[i].base,
				     KPL_PATCH_IMAGE_ABSOLUTE, buf, len);
}
