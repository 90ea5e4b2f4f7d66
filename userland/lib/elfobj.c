// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Reading one ELF object with libelf: its build-id, segments, dynamic
 * section, version names, imports and the GOT slots of its own
 * thread-local storage, kept in a struct kpl_elf; its symbols are read
 * when first asked for (elftab.c), and elfsym.c answers which of them a
 * name finds.  Then the questions about a file's bytes by link-time
 * address, some of them public (kpl/elf.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "elfobj.h"
#include "internal.h"

static int elf_lib_init(void)
{
	static int ok = -1;

	if (ok < 0)
		ok = elf_version(EV_CURRENT) != EV_NONE;
	return ok ? 0 : -KPL_E_FORMAT;
}

void kpl_hex(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Copy the NT_GNU_BUILD_ID note of any SHT_NOTE section. */
static size_t read_build_id(Elf *elf, uint8_t *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4))
				continue;
			if (nh.n_descsz == 0 || nh.n_descsz > len)
				return 0;
			memcpy(buf, (char *)d->d_buf + doff, nh.n_descsz);
			return nh.n_descsz;
		}
	}
	return 0;
}

static int read_segments(struct kpl_elf *ke, Elf *elf)
{
	size_t n, i;
	bool any = false;

	if (elf_getphdrnum(elf, &n))
		return -KPL_E_FORMAT;
	ke->min_vaddr = UINT64_MAX;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type == PT_DYNAMIC)
			ke->dyn_vaddr = ph.p_vaddr;
		if (ph.p_type != PT_LOAD)
			continue;
		any = true;
		if ((ph.p_vaddr & ~0xfffULL) < ke->min_vaddr)
			ke->min_vaddr = ph.p_vaddr & ~0xfffULL;
		if (ph.p_vaddr + ph.p_memsz > ke->max_vaddr)
			ke->max_vaddr = ph.p_vaddr + ph.p_memsz;
	}
	if (!any)
		ke->min_vaddr = 0;
	return 0;
}

static int read_dynamic(struct kpl_elf *ke, Elf *elf, Elf_Scn *scn,
			GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n;

	if (!d || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	free(ke->needed);
	ke->needed = calloc(n ? n : 1, sizeof(*ke->needed));
	if (!ke->needed)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Dyn dyn;
		const char *s;

		if (!gelf_getdyn(d, i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag == DT_SYMBOLIC ||
		    (dyn.d_tag == DT_FLAGS && (dyn.d_un.d_val & DF_SYMBOLIC)))
			ke->symbolic = true;
		if (dyn.d_tag != DT_SONAME && dyn.d_tag != DT_NEEDED)
			continue;
		s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (s && dyn.d_tag == DT_NEEDED)
			ke->needed[ke->nr_needed++] = s;
		if (s && dyn.d_tag == DT_SONAME && !ke->soname) {
			ke->soname = strdup(s);
			if (!ke->soname)
				return -ENOMEM;
		}
	}
	return 0;
}

/*
 * A TLS relocation of the object's own storage (symbol 0, or one the
 * object defines): the first DTPMOD64 and TPOFF64 slots are kept.
 */
static void note_tls(struct kpl_elf *ke, const GElf_Rela *r,
		     enum kpl_arch_dynrel kind, const GElf_Sym *gs)
{
	if (GELF_R_SYM(r->r_info) && gs->st_shndx == SHN_UNDEF)
		return;
	if (kind == KPL_DYNREL_TLS_MODID && !ke->tls_modid_got) {
		ke->tls_modid_got = r->r_offset;
	} else if (kind == KPL_DYNREL_TLS_TPOFF && !ke->tls_tpoff_got) {
		ke->tls_tpoff_got = r->r_offset;
		ke->tls_tpoff_bias = (GELF_R_SYM(r->r_info) ? gs->st_value : 0) +
				     (uint64_t)r->r_addend;
	}
}

/*
 * Record the GOT slots of JUMP_SLOT and GLOB_DAT relocations, and those
 * of the object's own thread-local storage.
 */
static int read_imports(struct kpl_elf *ke, Elf *elf, Elf_Scn *scn,
			GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	Elf_Scn *symscn = elf_getscn(elf, sh->sh_link);
	GElf_Shdr symsh;
	Elf_Data *syms;
	struct kpl_elf_import *im;
	size_t i, n;

	if (!d || !sh->sh_entsize || !symscn || !gelf_getshdr(symscn, &symsh))
		return 0;
	syms = elf_getdata(symscn, NULL);
	if (!syms)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	im = realloc(ke->imports, (ke->nr_imports + n) * sizeof(*im));
	if (!im)
		return -ENOMEM;
	ke->imports = im;
	for (i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym gs;
		const char *name;
		enum kpl_arch_dynrel kind;

		if (!gelf_getrela(d, (int)i, &r))
			continue;
		kind = kpl_arch_dynrel(GELF_R_TYPE(r.r_info));
		if (!gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &gs))
			continue;
		if (kind == KPL_DYNREL_TLS_MODID || kind == KPL_DYNREL_TLS_TPOFF)
			note_tls(ke, &r, kind, &gs);
		if (kind != KPL_DYNREL_IMPORT)
			continue;
		name = elf_strptr(elf, symsh.sh_link, gs.st_name);
		if (!name || !*name)
			continue;
		ke->imports[ke->nr_imports].name = name;
		ke->imports[ke->nr_imports].got = r.r_offset;
		ke->nr_imports++;
	}
	return 0;
}

static int elf_scan(struct kpl_elf *ke, Elf *elf)
{
	Elf_Scn *scn = NULL;
	const char **vn = NULL;
	size_t nr_vn = 0;
	GElf_Ehdr eh;
	int err;

	if (!gelf_getehdr(elf, &eh) || gelf_getclass(elf) != ELFCLASS64)
		return -KPL_E_FORMAT;
	ke->e_type = eh.e_type;
	ke->build_id_len = read_build_id(elf, ke->build_id,
					 sizeof(ke->build_id));
	err = read_segments(ke, elf);
	if (!err)
		err = kpl_elf_versions(elf, &vn, &nr_vn);
	if (!err) {
		/* The tables own the version names from here on. */
		err = kpl_elf_tab__new(elf, vn, nr_vn, &ke->tab);
		if (err)
			free(vn);
	}
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			err = read_dynamic(ke, elf, scn, &sh);
		else if (sh.sh_type == SHT_SYMTAB)
			ke->has_symtab = true;
		else if (sh.sh_type == SHT_RELA && (sh.sh_flags & SHF_ALLOC) &&
			 (ke->e_type == ET_DYN || ke->e_type == ET_EXEC))
			err = read_imports(ke, elf, scn, &sh);
	}
	return err;
}

int kpl_elf__open(const char *path, struct kpl_elf **out)
{
	struct kpl_elf *ke;
	Elf *elf;
	int err;

	err = elf_lib_init();
	if (err)
		return err;
	ke = calloc(1, sizeof(*ke));
	if (!ke)
		return -ENOMEM;
	ke->fd = open(path, O_RDONLY | O_CLOEXEC);
	ke->path = strdup(path);
	if (ke->fd < 0 || !ke->path) {
		err = ke->fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	elf = elf_begin(ke->fd, ELF_C_READ_MMAP, NULL);
	ke->elf = elf;
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		pr_debug("elf: %s is not an ELF file\n", path);
		err = -KPL_E_FORMAT;
		goto out;
	}
	err = elf_scan(ke, elf);
	if (err == -KPL_E_FORMAT)
		pr_warn("elf: %s: unreadable ELF headers\n", path);
out:
	if (err) {
		kpl_elf__close(ke);
		return err;
	}
	*out = ke;
	return 0;
}

void kpl_elf__close(struct kpl_elf *ke)
{
	if (!ke)
		return;
	if (ke->elf)
		elf_end(ke->elf);
	if (ke->fd >= 0)
		close(ke->fd);
	kpl_elf_tab__free(ke->tab);
	free(ke->imports);
	free(ke->needed);
	free(ke->soname);
	free(ke->path);
	free(ke);
}

/*
 * The one walk from a link-time address to the file: the PT_LOAD whose
 * file bytes (not its bss) hold all of [@vaddr, @vaddr + @len).
 */
static int seg_offset(Elf *elf, uint64_t vaddr, size_t len, uint64_t *off)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -KPL_E_FORMAT;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr > ph.p_filesz ||
		    len > ph.p_filesz - (vaddr - ph.p_vaddr))
			continue;
		*off = ph.p_offset + (vaddr - ph.p_vaddr);
		return 0;
	}
	return -KPL_E_RANGE;
}

int kpl_elf__offset(const struct kpl_elf *ke, uint64_t vaddr, size_t len,
		    uint64_t *off)
{
	return seg_offset(ke->elf, vaddr, len, off);
}

int kpl_elf__read(const struct kpl_elf *ke, uint64_t vaddr, void *buf,
		  size_t len)
{
	uint64_t off;
	ssize_t r;
	int err;

	err = seg_offset(ke->elf, vaddr, len, &off);
	if (err)
		return err;
	r = pread(ke->fd, buf, len, (off_t)off);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -KPL_E_RANGE;
}

/* Open @path for one question: the caller ends *@elf and closes *@fd. */
static int open_light(const char *path, int *fd, Elf **elf)
{
	if (elf_lib_init())
		return -KPL_E_FORMAT;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static void close_light(int fd, Elf *elf)
{
	elf_end(elf);
	close(fd);
}

KPL_API int kpl_elf_file_offset(const char *path, uint64_t vaddr,
				uint64_t *off)
{
	uint64_t o;
	Elf *elf;
	int fd, err;

	err = open_light(path, &fd, &elf);
	if (err)
		return err;
	err = seg_offset(elf, vaddr, 1, &o);
	close_light(fd, elf);
	if (!err)
		*off = o;
	return err;
}

/* DT_INIT's link-time address, from the SHT_DYNAMIC section, or 0. */
static uint64_t dt_init(Elf *elf)
{
	Elf_Scn *scn = NULL;
	uint64_t init = 0;
	size_t i;

	while (!init && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;

			if (gelf_getdyn(d, (int)i, &dyn) &&
			    dyn.d_tag == DT_INIT)
				init = dyn.d_un.d_ptr;
		}
	}
	return init;
}

KPL_API int kpl_elf_init_offset(const char *path, uint64_t *off)
{
	uint64_t init, o;
	Elf *elf;
	int fd, err;

	err = open_light(path, &fd, &elf);
	if (err)
		return err;
	init = dt_init(elf);
	err = init ? seg_offset(elf, init, 1, &o) : -ENODATA;
	close_light(fd, elf);
	if (!err)
		*off = o;
	return err;
}

KPL_API int kpl_elf_build_id(const char *path, uint8_t *buf, size_t len)
{
	Elf *elf;
	int fd, n;

	if (elf_lib_init())
		return -KPL_E_FORMAT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	n = elf ? (int)read_build_id(elf, buf, len) : -KPL_E_FORMAT;
	if (elf)
		elf_end(elf);
	close(fd);
	return n;
}
