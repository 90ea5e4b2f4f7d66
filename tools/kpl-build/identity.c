// SPDX-License-Identifier: GPL-2.0
/*
 * The library exactly as shipped: a distribution installs it stripped,
 * so the symbols a patch is built against come from a rebuild.  They
 * describe the shipped file only if the rebuild has the same code and
 * data at the same addresses; the build-ids differ anyway (the debug
 * info that goes into them names the build directory).  So every
 * section the loader maps (SHF_ALLOC) but the build-id note must be
 * the same in both: name, type, flags, address, size and, unless it is
 * NOBITS, every byte.  A difference is reported with the section and,
 * from the rebuild's .symtab, the functions and variables whose bytes
 * differ.
 *
 * Nothing from either file is trusted: section contents are read through
 * libelf's bounds, and names are printed escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "elfobj.h"
#include "identity.h"
#include "kpl/errors.h"
#include "kpl/escape.h"

/* Enough to name what differs; the rest is counted. */
#define KB_IDENT_MAX_SYMS 8

struct ident_file {
	const char *path;
	int fd;
	Elf *elf;
	size_t shstrndx;
};

static int ident_open(struct ident_file *f, const char *path)
{
	GElf_Ehdr eh;

	f->path = path;
	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		kb_err("cannot open %s: %s", path, strerror(errno));
		return 1;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF ||
	    !gelf_getehdr(f->elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_DYN && eh.e_type != ET_EXEC) ||
	    elf_getshdrstrndx(f->elf, &f->shstrndx)) {
		kb_err("%s is not an x86-64 shared library or executable",
		       path);
		return 1;
	}
	return 0;
}

static void ident_close(struct ident_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
}

static const char *sec_name(const struct ident_file *f, const GElf_Shdr *sh)
{
	const char *n = elf_strptr(f->elf, f->shstrndx, sh->sh_name);

	return n ? n : "";
}

/* @f's section named @name, or NULL. */
static Elf_Scn *find_sec(const struct ident_file *f, const char *name,
			 GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn)))
		if (gelf_getshdr(scn, sh) && !strcmp(sec_name(f, sh), name))
			return scn;
	return NULL;
}

/* The whole contents of a section, or NULL (empty, NOBITS, unreadable). */
static const uint8_t *sec_bytes(Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return NULL;
	d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size != sh->sh_size)
		return NULL;
	return d->d_buf;
}

/*
 * Name the rebuild's symbols of section @shndx whose bytes differ between
 * @a and @b (both sh_size long, at address @addr).  Return: how many.
 */
static unsigned int name_syms(const struct ident_file *rb, size_t shndx,
			      const char *secname, uint64_t addr,
			      const uint8_t *a, const uint8_t *b, uint64_t size)
{
	char esc[KPL_ESCAPE_MAX(64)], list[512];
	unsigned int nr = 0;
	size_t len = 0, i, n;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym s;
	Elf_Data *d;

	list[0] = '\0';
	while ((scn = elf_nextscn(rb->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	d = scn ? elf_getdata(scn, NULL) : NULL;
	n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	for (i = 1; i < n; i++) {
		const char *name;
		uint64_t off;

		if (!gelf_getsym(d, (int)i, &s) || s.st_shndx != shndx ||
		    !s.st_size || s.st_value < addr ||
		    (GELF_ST_TYPE(s.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(s.st_info) != STT_OBJECT))
			continue;
		off = s.st_value - addr;
		if (off > size || s.st_size > size - off ||
		    !memcmp(a + off, b + off, s.st_size))
			continue;
		if (nr++ >= KB_IDENT_MAX_SYMS)
			continue;
		name = elf_strptr(rb->elf, sh.sh_link, s.st_name);
		kpl_escape_str(esc, sizeof(esc), name ? name : "?");
		len += (size_t)snprintf(
			list + len, sizeof(list) - len, "%s%s%s",
			nr > 1 ? ", " : "", esc,
			GELF_ST_TYPE(s.st_info) == STT_FUNC ? "()" : "");
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	if (nr)
		kb_err("  %s: %s%s", secname, list,
		       nr > KB_IDENT_MAX_SYMS ? " and more" : "");
	return nr;
}

/* Compare @rb's twin of the shipped section @ss; 0 when the same. */
static int compare_sec(const struct ident_file *sp, Elf_Scn *ss,
		       const GElf_Shdr *ssh, const struct ident_file *rb)
{
	char esc[KPL_ESCAPE_MAX(64)];
	const uint8_t *a, *b;
	const char *name;
	Elf_Scn *rs;
	GElf_Shdr rsh;
	uint64_t off;

	name = kpl_escape_str(esc, sizeof(esc), sec_name(sp, ssh));
	rs = find_sec(rb, sec_name(sp, ssh), &rsh);
	if (!rs || !(rsh.sh_flags & SHF_ALLOC)) {
		kb_err("section %s: in %s, not in the rebuild %s", name,
		       sp->path, rb->path);
		return 1;
	}
	if (rsh.sh_type != ssh->sh_type || rsh.sh_flags != ssh->sh_flags ||
	    rsh.sh_addr != ssh->sh_addr || rsh.sh_size != ssh->sh_size) {
		kb_err("section %s: at 0x%llx, 0x%llx bytes in %s; at 0x%llx, 0x%llx bytes in the rebuild%s",
		       name, (unsigned long long)ssh->sh_addr,
		       (unsigned long long)ssh->sh_size, sp->path,
		       (unsigned long long)rsh.sh_addr,
		       (unsigned long long)rsh.sh_size,
		       rsh.sh_type != ssh->sh_type ||
				       rsh.sh_flags != ssh->sh_flags ?
			       " (type or flags differ too)" :
			       "");
		return 1;
	}
	if (ssh->sh_type == SHT_NOBITS || !ssh->sh_size)
		return 0;
	a = sec_bytes(ss, ssh);
	b = sec_bytes(rs, &rsh);
	if (!a || !b) {
		kb_err("section %s: cannot read it from %s", name,
		       a ? rb->path : sp->path);
		return 1;
	}
	if (!memcmp(a, b, ssh->sh_size))
		return 0;
	for (off = 0; a[off] == b[off]; off++)
		;
	kb_err("section %s: different bytes, the first at 0x%llx", name,
	       (unsigned long long)(ssh->sh_addr + off));
	name_syms(rb, elf_ndxscn(rs), name, rsh.sh_addr, a, b, ssh->sh_size);
	return 1;
}

/* Every SHF_ALLOC section of @sp must be the same in @rb, and no more. */
static unsigned int compare_all(const struct ident_file *sp,
				const struct ident_file *rb)
{
	char esc[KPL_ESCAPE_MAX(64)];
	Elf_Scn *scn = NULL;
	unsigned int bad = 0;
	GElf_Shdr sh, other;

	while ((scn = elf_nextscn(sp->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    !strcmp(sec_name(sp, &sh), ".note.gnu.build-id"))
			continue;
		bad += (unsigned int)compare_sec(sp, scn, &sh, rb);
	}
	while ((scn = elf_nextscn(rb->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    find_sec(sp, sec_name(rb, &sh), &other))
			continue;
		kb_err("section %s: in the rebuild %s, not in %s",
		       kpl_escape_str(esc, sizeof(esc), sec_name(rb, &sh)),
		       rb->path, sp->path);
		bad++;
	}
	return bad;
}

int kb_identity__prove(const char *rebuilt, const char *shipped)
{
	struct ident_file rb = { .fd = -1 }, sp = { .fd = -1 };
	unsigned int bad;
	int err = 1;

	elf_version(EV_CURRENT);
	if (ident_open(&rb, rebuilt) || ident_open(&sp, shipped))
		goto out;
	bad = compare_all(&sp, &rb);
	if (bad) {
		kb_err("refusing: the rebuild %s is not %s as shipped (%u section%s): its symbols would not describe the shipped code",
		       rebuilt, shipped, bad,
		       bad == 1 ? " differs" : "s differ");
		goto out;
	}
	err = 0;
out:
	ident_close(&sp);
	ident_close(&rb);
	return err;
}

int kb_identity__check_refs(struct kb_selection *sel, const char *target)
{
	char esc[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s, *t;
	struct kpl_elf *te = NULL;
	unsigned int bad = 0;
	size_t i;
	int err;

	err = kpl_elf__open(target, &te);
	if (err) {
		kb_err("cannot read %s: %s", target, kpl_strerror(err));
		return 1;
	}
	/*
	 * Refs with a file are locals: kb_pack_for() checks those.  Any
	 * other name the rebuild defines is the library's own, hidden ones
	 * too (inflate_fast(): global in inffast.o, local once linked), and
	 * kpl apply looks for it in the file the process maps: by name
	 * when that file exports it, else at the rebuild's address, which
	 * kb_identity__prove() showed to hold the same bytes there.  What
	 * the rebuild does not define (memcpy) comes from other objects.
	 */
	for (i = 0; i < sel->nr_refs; i++) {
		struct kb_libref *r = &sel->refs[i];

		if (r->file || r->weak ||
		    kpl_elf__find(sel->lib, r->name, NULL, &s))
			continue;
		err = kpl_elf__find(te, r->name, NULL, &t);
		if (!err && t->value == s->value)
			continue;
		if (err == -KPL_E_SYMBOL && s->size && !r->tls &&
		    s->type != STT_TLS) {
			r->by_addr = true;
			continue;
		}
		if (bad++ < KB_IDENT_MAX_SYMS)
			kb_err("the patch uses '%s', which %s does not export%s: kpl apply could not find it there",
			       kpl_escape_str(esc, sizeof(esc), r->name),
			       target,
			       err != -KPL_E_SYMBOL ?
				       " at the rebuild's address" :
			       s->size ?
				       " (a thread-local variable goes by name only)" :
				       " (it has no size, so it cannot go by address)");
	}
	kpl_elf__close(te);
	if (bad)
		kb_err("refusing: %u symbol%s the patch needs cannot be found in %s",
		       bad, bad == 1 ? "" : "s", target);
	return bad ? 1 : 0;
}
