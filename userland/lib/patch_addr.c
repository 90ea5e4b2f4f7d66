// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * .kpl.addr: where a patch's old functions and refs are in the target
 * file, for the symbols a stripped file no longer names (a static
 * function of a library as a distribution shipped it).  kpl-build takes
 * the address from a rebuild it proved to be that file, and the patch
 * names the file's build-id, which apply checks before it looks here:
 * an address is only ever used in the file it was taken for.
 *
 * The parser checks what it can without the target (sizes, overflow,
 * agreement with old_size); kpl_patch__find_func()/_ref() check the
 * rest against the target's segments and symbols at apply.
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "elfobj.h"
#include "escape.h"
#include "internal.h"
#include "patch.h"

/* "function 2 'foo'" or "ref 0 'bar'", the name escaped and cut. */
static const char *entry_name(const struct kpl_patch *p, size_t i, char *buf,
			      size_t size)
{
	char esc[KPL_ESCAPE_MAX(64)];
	bool fn = i < p->nr_funcs;
	size_t j = fn ? i : i - p->nr_funcs;

	kpl_escape_str(esc, sizeof(esc),
		       fn ? p->funcs[j].old_name : p->refs[j].name);
	snprintf(buf, size, "%s %zu '%s'", fn ? "function" : "ref", j, esc);
	return buf;
}

/*
 * A ref names the file of the local it means, except one that .kpl.addr
 * locates: a library's hidden global is a local without a file once
 * linked, and the address alone says which symbol it is.
 */
static int refs_named(const struct kpl_patch *p)
{
	char esc[KPL_ESCAPE_MAX(64)];
	size_t i;

	for (i = 0; i < p->nr_refs; i++) {
		if (*p->refs[i].file || p->refs[i].addr)
			continue;
		pr_warn("patch: ref %zu '%s': empty file and no address in %s\n",
			i, kpl_escape_str(esc, sizeof(esc), p->refs[i].name),
			KPL_SEC_ADDR);
		return -KPL_E_FORMAT;
	}
	return 0;
}

int kpl_patch_addr__parse(struct kpl_patch *p, const struct kpl_patch_secs *ks)
{
	size_t n = p->nr_funcs + p->nr_refs, i;
	char what[KPL_ESCAPE_MAX(64) + 32];
	struct kpl_addr_disk a;

	if (!ks->addr)
		return refs_named(p);
	if (ks->addr->size != (uint64_t)n * sizeof(a)) {
		pr_warn("patch: %s size %llu does not match %zu functions + %zu refs (expected %zu)\n",
			KPL_SEC_ADDR, (unsigned long long)ks->addr->size,
			p->nr_funcs, p->nr_refs, n * sizeof(a));
		return -KPL_E_FORMAT;
	}
	for (i = 0; i < n; i++) {
		const char *bad = NULL;

		memcpy(&a, ks->addr->data + i * sizeof(a), sizeof(a));
		if (!a.value && a.size)
			bad = "has a size but no address";
		else if (a.value && (!a.size || a.size > KPL_ADDR_SIZE_MAX))
			bad = "size not in 1..16777216";
		else if (a.value > UINT64_MAX - a.size)
			bad = "address + size overflows";
		else if ((a.value & KPL_ADDR_TLS) && i < p->nr_funcs)
			bad = "a function cannot be a thread-local offset";
		else if ((a.value & KPL_ADDR_TLS) &&
			 (a.value & ~KPL_ADDR_TLS) + a.size > KPL_ADDR_TLS_MAX)
			bad = "thread-local offset + size past 4 GiB";
		else if (a.value && i < p->nr_funcs && p->funcs[i].old_size &&
			 p->funcs[i].old_size != a.size)
			bad = "size is not the function's old_size";
		if (bad) {
			pr_warn("patch: %s entry %zu (%s): address 0x%llx size %llu: %s\n",
				KPL_SEC_ADDR, i,
				entry_name(p, i, what, sizeof(what)),
				(unsigned long long)a.value,
				(unsigned long long)a.size, bad);
			return -KPL_E_FORMAT;
		}
		if (i < p->nr_funcs) {
			p->funcs[i].addr = a.value;
			p->funcs[i].addr_size = a.size;
		} else {
			p->refs[i - p->nr_funcs].addr = a.value;
			p->refs[i - p->nr_funcs].addr_size = a.size;
		}
	}
	return refs_named(p);
}

/*
 * The flags of the PT_LOAD that holds all of [@vaddr, @vaddr + @len),
 * in its file bytes when @in_file (code is read from the file), else
 * anywhere in its memory (a static variable may be in .bss).
 */
static int segment_flags(const struct kpl_elf *elf, uint64_t vaddr,
			 uint64_t len, bool in_file, uint32_t *flags)
{
	size_t n, i;

	if (elf_getphdrnum(elf->elf, &n))
		return -KPL_E_FORMAT;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		uint64_t end;

		if (!gelf_getphdr(elf->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		end = in_file ? ph.p_filesz : ph.p_memsz;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr > end ||
		    len > end - (vaddr - ph.p_vaddr))
			continue;
		*flags = ph.p_flags;
		return 0;
	}
	return -KPL_E_RANGE;
}

/*
 * Where @elf names @name (a local of @file, when @file is not empty) at
 * all, it must name it at the address and size the patch gives: a patch
 * for another file, or one whose addresses are wrong, is refused rather
 * than trusted.
 */
static bool names_agree(const struct kpl_elf *elf, const char *name,
			const char *file, uint64_t value, uint64_t size)
{
	const struct kpl_elf_sym *syms;
	bool named = false;
	size_t i, nr;

	if (kpl_elf__symbols(elf, &syms, &nr))
		return false;	/* unreadable tables: refused, not trusted */
	for (i = 0; i < nr; i++) {
		const struct kpl_elf_sym *s = &syms[i];

		if (!s->defined || strcmp(s->name, name) ||
		    !kpl_elf__of_file(s, file))
			continue;
		if (s->value == value && s->size == size)
			return true;
		named = true;
	}
	return !named;
}

static int find_at(const struct kpl_patch *p, size_t i,
		   const struct kpl_elf *elf, const char *where, uint64_t value,
		   uint64_t size, struct kpl_elf_sym *out)
{
	bool fn = i < p->nr_funcs;
	size_t j = fn ? i : i - p->nr_funcs;
	const char *name = fn ? p->funcs[j].old_name : p->refs[j].name;
	const char *file = fn ? p->funcs[j].old_file : p->refs[j].file;
	char what[KPL_ESCAPE_MAX(64) + 32], path[KPL_ESCAPE_MAX(256)];
	const char *bad = NULL;
	uint32_t flags = 0;

	if (value & KPL_ADDR_TLS)
		bad = "is a thread-local variable's offset, used as an address";
	else if (segment_flags(elf, value, size, fn, &flags))
		bad = fn ? "is not inside one loaded segment's file bytes" :
			   "is not inside one loaded segment";
	else if (fn && !(flags & PF_X))
		bad = "is not in an executable segment";
	else if (!names_agree(elf, name, file, value, size))
		bad = "is not where the file's symbol table puts that name";
	if (bad) {
		pr_warn("apply: %s entry %zu (%s): address 0x%llx size %llu %s of %s\n",
			KPL_SEC_ADDR, i, entry_name(p, i, what, sizeof(what)),
			(unsigned long long)value, (unsigned long long)size,
			bad, kpl_escape_str(path, sizeof(path), where));
		return -KPL_E_SYMBOL;
	}
	memset(out, 0, sizeof(*out));
	out->name = name;
	out->file = file;
	out->value = value;
	out->size = size;
	out->type = fn ? STT_FUNC : STT_NOTYPE;
	out->bind = STB_LOCAL;
	out->defined = true;
	return 0;
}

static int find_named(const struct kpl_elf *elf, const char *where,
		      const char *what, const char *name, const char *file,
		      struct kpl_elf_sym *out)
{
	char path[KPL_ESCAPE_MAX(256)];
	char esc[KPL_ESCAPE_MAX(64)], src[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s;
	int err;

	err = kpl_elf__find(elf, name, file, &s);
	if (!err) {
		*out = *s;
		return 0;
	}
	if (err == -ENOMEM)	/* reading the tables, not a missing name */
		return err;
	pr_warn("apply: %s '%s'%s%s %s in %s\n", what,
		kpl_escape_str(esc, sizeof(esc), name), *file ? " of " : "",
		kpl_escape_str(src, sizeof(src), file),
		err == -ENOTUNIQ ? "is ambiguous (name its file)" : "not found",
		kpl_escape_str(path, sizeof(path), where));
	return -KPL_E_SYMBOL;
}

int kpl_patch__find_func(const struct kpl_patch *p, size_t i,
			 const struct kpl_elf *elf, const char *path,
			 struct kpl_elf_sym *out)
{
	const struct kpl_patch_func *f = &p->funcs[i];

	if (!path)
		path = elf->path;
	if (f->addr)
		return find_at(p, i, elf, path, f->addr, f->addr_size, out);
	return find_named(elf, path, "function", f->old_name, f->old_file, out);
}

int kpl_patch__find_ref(const struct kpl_patch *p, size_t i,
			const struct kpl_elf *elf, const char *path,
			struct kpl_elf_sym *out)
{
	const struct kpl_patch_ref *r = &p->refs[i];

	if (!path)
		path = elf->path;
	if (r->addr)
		return find_at(p, p->nr_funcs + i, elf, path, r->addr,
			       r->addr_size, out);
	return find_named(elf, path, "symbol", r->name, r->file, out);
}

/* The memory size of @elf's PT_TLS: its TLS block; 0 if it has none. */
static uint64_t tls_memsz(const struct kpl_elf *elf)
{
	size_t n, i;

	if (elf_getphdrnum(elf->elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf->elf, i, &ph) && ph.p_type == PT_TLS)
			return ph.p_memsz;
	}
	return 0;
}

int kpl_patch__find_tls_ref(const struct kpl_patch *p, const char *name,
			    const struct kpl_elf *elf, const char *path,
			    uint64_t *off)
{
	char what[KPL_ESCAPE_MAX(64) + 32], where[KPL_ESCAPE_MAX(256)];
	const struct kpl_elf_sym *s;
	const char *bad = NULL;
	uint64_t o, size;
	size_t i;

	for (i = 0; p && i < p->nr_refs; i++)
		if ((p->refs[i].addr & KPL_ADDR_TLS) &&
		    !strcmp(p->refs[i].name, name))
			break;
	if (!p || i == p->nr_refs)
		return -ENOENT;
	o = p->refs[i].addr & ~KPL_ADDR_TLS;
	size = p->refs[i].addr_size;
	if (o + size > tls_memsz(elf))
		bad = "is not inside the file's TLS block";
	else if (!kpl_elf__find_tls(elf, name, p->refs[i].file, &s) &&
		 (s->value != o || s->size != size))
		bad = "is not where the file's symbol table puts that name";
	if (bad) {
		pr_warn("apply: %s entry %zu (%s): thread-local offset 0x%llx size %llu %s of %s\n",
			KPL_SEC_ADDR, p->nr_funcs + i,
			entry_name(p, p->nr_funcs + i, what, sizeof(what)),
			(unsigned long long)o, (unsigned long long)size, bad,
			kpl_escape_str(where, sizeof(where),
				       path ? path : elf->path));
		return -KPL_E_SYMBOL;
	}
	*off = o;
	return 0;
}

KPL_API uint64_t kpl_patch__func_addr(const struct kpl_patch *patch, size_t i,
				      uint64_t *size)
{
	const struct kpl_patch_func *f =
		i < patch->nr_funcs ? &patch->funcs[i] : NULL;

	if (size)
		*size = f ? f->addr_size : 0;
	return f ? f->addr : 0;
}

KPL_API uint64_t kpl_patch__ref_addr(const struct kpl_patch *patch, size_t i,
				     uint64_t *size)
{
	const struct kpl_patch_ref *r = i < patch->nr_refs ? &patch->refs[i] :
							     NULL;

	if (size)
		*size = r ? r->addr_size : 0;
	return r ? r->addr : 0;
}
