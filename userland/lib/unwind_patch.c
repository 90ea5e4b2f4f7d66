// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An ELF image in memory for each patch mapping, so that libdwfl unwinds
 * through patch code with the patch's own CFI.
 *
 * libdwfl reports the mapping "/memfd:kpl:ID (deleted)" as a module and
 * asks find_elf for its ELF; dwfl_linux_proc_find_elf() would read an
 * ELF header at the mapping's start, where the patch record is, and
 * fail, leaving the module without CFI.  Here the record is read from
 * the target and validated (kpl_state__check()), then its trailer
 * (kpl_state__check_unwind()), then the table it points to
 * (kpl_eh_frame__check()), since the target may have forged any of
 * them.  The image is an ET_DYN with one PT_LOAD at address 0 spanning
 * the mapping, so libdwfl's bias is the mapping's start, and one
 * .eh_frame section at the table's offset in the mapping, which libdw
 * reads as it reads a library's (a linear FDE search: no .eh_frame_hdr).
 *
 * Dwfl_Callbacks carry no context, so the session is a thread-local
 * pointer, set by unwind.c only while it loads modules.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "backend/backend.h"
#include "ehframe.h"
#include "internal.h"
#include "maps.h"
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

/* Bytes mapped from @base under the same memfd, as the maps say. */
static uint64_t extent(const struct kpl_maps *m, uint64_t base)
{
	uint64_t end = 0;
	size_t i, first = m->nr;

	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i];

		if (first == m->nr && v->start == base) {
			first = i;
			end = v->end;
		} else if (first < m->nr && v->start == end &&
			   v->inode == m->v[first].inode &&
			   !strcmp(v->path, m->v[first].path)) {
			end = v->end;
		}
	}
	return end ? end - base : 0;
}

/* The validated record at @base and its trailer: 0 or -errno/-KPL_E_*. */
static int read_record(struct kpl_patch_elfs *pe, uint64_t base,
		       struct kpl_state **stp, struct kpl_state_unwind *u)
{
	struct kpl_state_where w = { base, extent(pe->maps, base), pe->maps };
	struct kpl_state hdr, *st;
	char why[128];
	size_t len;
	int err;

	if (w.extent < sizeof(hdr))
		return -KPL_E_STATE;
	err = kpl_proc__read(pe->p, base, &hdr, sizeof(hdr));
	if (err)
		return err;
	if (hdr.nr_funcs > KPL_STATE_MAX_FUNCS)
		return -KPL_E_STATE;
	len = KPL_STATE_SIZE_UNWIND((size_t)hdr.nr_funcs);
	if (len > w.extent)
		return -KPL_E_STATE;
	st = malloc(len);
	if (!st)
		return -ENOMEM;
	err = kpl_proc__read(pe->p, base, st, len);
	if (!err)
		err = kpl_state__check(st, len, &w, why, sizeof(why));
	if (!err) {
		/* Read once: what is checked is what is used. */
		memcpy(u, (uint8_t *)st + KPL_STATE_SIZE(st->nr_funcs),
		       sizeof(*u));
		err = kpl_state__check_unwind(st, u, why, sizeof(why));
	}
	if (err == -KPL_E_STATE)
		pr_debug("unwind: patch mapping at 0x%llx: %s\n",
			 (unsigned long long)base, why);
	if (err) {
		free(st);
		return err;
	}
	*stp = st;
	return 0;
}

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh[3];
	char shstr[24];
	/* the table follows, 8-aligned */
};

static const char shstr[] = "\0.eh_frame\0.shstrtab";

/* The ELF image for the table @tab of @len bytes at @addr in @st. */
void kpl_patch_elfs__ehdr(Elf64_Ehdr *eh)
{
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = KPL_ARCH_ELF_MACHINE;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
}

static void *make_image(const struct kpl_state *st, uint64_t addr,
			const uint8_t *tab, size_t len, size_t *size)
{
	struct image *im;

	*size = sizeof(*im) + len;
	im = calloc(1, *size);
	if (!im)
		return NULL;
	kpl_patch_elfs__ehdr(&im->eh);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_shoff = offsetof(struct image, sh);
	im->eh.e_phentsize = sizeof(im->ph);
	im->eh.e_phnum = 1;
	im->eh.e_shentsize = sizeof(im->sh[0]);
	im->eh.e_shnum = 3;
	im->eh.e_shstrndx = 2;
	im->ph.p_type = PT_LOAD;
	im->ph.p_flags = PF_R | PF_X;
	im->ph.p_memsz = st->size;
	im->ph.p_align = 4096;
	im->sh[1].sh_name = 1;
	im->sh[1].sh_type = SHT_PROGBITS;
	im->sh[1].sh_flags = SHF_ALLOC;
	im->sh[1].sh_addr = addr - st->base;
	im->sh[1].sh_offset = sizeof(*im);
	im->sh[1].sh_size = len;
	im->sh[1].sh_addralign = 8;
	im->sh[2].sh_name = 11;
	im->sh[2].sh_type = SHT_STRTAB;
	im->sh[2].sh_offset = offsetof(struct image, shstr);
	im->sh[2].sh_size = sizeof(shstr);
	im->sh[2].sh_addralign = 1;
	_Static_assert(sizeof(shstr) <= sizeof(im->shstr), "shstr");
	_Static_assert(sizeof(struct image) % 8 == 0, "table alignment");
	memcpy(im->shstr, shstr, sizeof(shstr));
	memcpy(im + 1, tab, len);
	return im;
}

/* The image for the patch mapping at @base, or NULL when it has none. */
static Elf *patch_elf(struct kpl_patch_elfs *pe, uint64_t base)
{
	struct kpl_state_unwind u;
	struct kpl_state *st = NULL;
	uint8_t *tab = NULL;
	void *img = NULL, **v;
	char why[128];
	size_t len, size;
	Elf *elf = NULL;

	if (read_record(pe, base, &st, &u) || !u.eh_frame_size)
		goto out;
	len = u.eh_frame_size + 4; /* its terminator too */
	tab = malloc(len);
	if (!tab || kpl_proc__read(pe->p, u.eh_frame, tab, len))
		goto out;
	if (kpl_eh_frame__check(tab, len, why, sizeof(why))) {
		pr_info("unwind: patch %s: unwind table refused: %s\n", st->id,
			why);
		goto out;
	}
	v = realloc(pe->bufs, (pe->nr + 1) * sizeof(*v));
	if (!v)
		goto out;
	pe->bufs = v;
	img = make_image(st, u.eh_frame, tab, len, &size);
	if (!img)
		goto out;
	elf_version(EV_CURRENT);
	elf = elf_memory(img, size);
	if (!elf) {
		free(img);
		goto out;
	}
	pe->bufs[pe->nr++] = img;
out:
	free(tab);
	free(st);
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
