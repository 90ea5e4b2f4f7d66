// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Symbol versions: the names .gnu.version indexes refer to, from the
 * version definitions (.gnu.version_d, what an object provides) and the
 * version needs (.gnu.version_r, what it imports).  Index 0 is local and
 * index 1 global and unversioned; both stay NULL.  Index 1 is also the
 * BASE definition (the soname), which the dynamic linker matches any
 * versioned reference to, as for an object without versions at all.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"

/* Far above any real object (glibc defines about 40 versions). */
#define VER_WALK_MAX 4096

static int set_name(const char ***v, size_t *nr, unsigned int ndx,
		    const char *name)
{
	const char **n;

	ndx &= 0x7fff;
	if (ndx < 2 || !name)
		return 0;
	if (ndx >= *nr) {
		n = realloc(*v, (ndx + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + *nr, 0, (ndx + 1 - *nr) * sizeof(*n));
		*v = n;
		*nr = ndx + 1;
	}
	(*v)[ndx] = name;
	return 0;
}

static int walk_verdef(Elf *elf, Elf_Data *d, size_t strndx, const char ***v,
		       size_t *nr)
{
	size_t off = 0, i;
	int err;

	for (i = 0; i < VER_WALK_MAX; i++) {
		GElf_Verdef vd;
		GElf_Verdaux va;

		if (!gelf_getverdef(d, (int)off, &vd))
			return 0;
		if (!(vd.vd_flags & VER_FLG_BASE) &&
		    gelf_getverdaux(d, (int)(off + vd.vd_aux), &va)) {
			err = set_name(v, nr, vd.vd_ndx,
				       elf_strptr(elf, strndx, va.vda_name));
			if (err)
				return err;
		}
		if (!vd.vd_next || off + vd.vd_next > d->d_size)
			return 0;
		off += vd.vd_next;
	}
	return 0;
}

static int walk_verneed(Elf *elf, Elf_Data *d, size_t strndx, const char ***v,
			size_t *nr)
{
	size_t off = 0, aoff, i, j;
	int err;

	for (i = 0; i < VER_WALK_MAX; i++) {
		GElf_Verneed vn;
		GElf_Vernaux va;

		if (!gelf_getverneed(d, (int)off, &vn))
			return 0;
		aoff = off + vn.vn_aux;
		for (j = 0; j < vn.vn_cnt && j < VER_WALK_MAX; j++) {
			if (aoff > d->d_size ||
			    !gelf_getvernaux(d, (int)aoff, &va))
				break;
			err = set_name(v, nr, va.vna_other,
				       elf_strptr(elf, strndx, va.vna_name));
			if (err)
				return err;
			if (!va.vna_next)
				break;
			aoff += va.vna_next;
		}
		if (!vn.vn_next || off + vn.vn_next > d->d_size)
			return 0;
		off += vn.vn_next;
	}
	return 0;
}

int kpl_elf_versions(void *e, const char ***out, size_t *nr)
{
	Elf *elf = e;
	Elf_Scn *scn = NULL;
	const char **v = NULL;
	size_t n = 0;
	int err = 0;

	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_GNU_verdef &&
						sh.sh_type != SHT_GNU_verneed))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		if (sh.sh_type == SHT_GNU_verdef)
			err = walk_verdef(elf, d, sh.sh_link, &v, &n);
		else
			err = walk_verneed(elf, d, sh.sh_link, &v, &n);
	}
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nr = n;
	return 0;
}
