// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ELF file behind one object a process maps, opened once, on first
 * use.  Below both target.c (which lists the objects) and scope.c (which
 * searches them as the dynamic linker does), so neither calls the other
 * for it.
 */
#include <elf.h>
#include <stdio.h>

#include "elfobj.h"
#include "share.h"
#include "target.h"

/* The command's parse of the file (share.h), if a fleet command holds one. */
static struct kpl_elf *shared_elf(struct kpl_target *t, struct kpl_obj *o)
{
	struct kpl_share_file f = { t->pid, o->map_start, o->map_end,
				    o->dev_major, o->dev_minor, o->inode,
				    o->path };

	return o->map_start ? kpl_share__kelf(&f) : NULL;
}

struct kpl_elf *kpl_obj__elf(struct kpl_target *t, struct kpl_obj *o)
{
	char path[96];

	if (o->elf || o->elf_failed)
		return o->elf;
	o->elf = shared_elf(t, o);
	o->elf_shared = o->elf != NULL;
	/* map_files names the very inode mapped, even if the path was
	 * replaced on disk since. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", t->pid,
		 (unsigned long long)o->map_start,
		 (unsigned long long)o->map_end);
	if (!o->elf && (!o->map_start || kpl_elf__open(path, &o->elf))) {
		if (kpl_elf__open(o->path, &o->elf)) {
			o->elf_failed = true;
			return NULL;
		}
	}
	o->bias = o->map_start - o->elf->min_vaddr;
	if (o->elf->e_type == ET_EXEC)
		o->bias = 0;
	return o->elf;
}
