/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A loaded ELF shared object (the target library, or any other object a
 * patch links against): its build-id, soname, symbols and segments, read
 * from the file with libelf.
 */
#ifndef KPL_LIB_ELFOBJ_H
#define KPL_LIB_ELFOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpl/elf.h"
#include "kpl/format.h"

struct kpl_elf_sym {
	const char *name;
	const char *file;	/* STT_FILE before a local, "" otherwise */
	uint64_t value;		/* link-time address (add the load bias) */
	uint64_t size;
	uint8_t type;		/* STT_* */
	uint8_t bind;		/* STB_* */
	bool dynamic;		/* from .dynsym (exported) */
	bool defined;
	/*
	 * Undefined, but with an address: a non-PIE executable's PLT entry
	 * for a function its absolute relocations take the address of.
	 * The dynamic linker binds every reference but a call's (JUMP_SLOT)
	 * to it, so that the function has one address in the process.
	 */
	bool canonical;
	uint8_t vis;		/* STV_* */
	/*
	 * .dynsym only: the version a definition provides or a reference
	 * needs (NULL: unversioned), and whether it is a non-default one
	 * (name@VER, not name@@VER), bound only by a reference naming it.
	 */
	bool ver_hidden;
	const char *version;
};

/* A symbol this object imports through its GOT (JUMP_SLOT/GLOB_DAT). */
struct kpl_elf_import {
	const char *name;
	uint64_t got;		/* link-time address of the GOT slot */
};

struct kpl_elf {
	char *path;
	int fd;
	void *elf;		/* Elf * */
	uint16_t e_type;
	uint8_t build_id[KPL_BUILD_ID_MAX];
	size_t build_id_len;
	char *soname;		/* DT_SONAME, or NULL */
	uint64_t min_vaddr;	/* lowest PT_LOAD p_vaddr, page aligned */
	uint64_t max_vaddr;	/* end of the highest PT_LOAD */
	/* The symbol tables, read on first use (elftab.c). */
	struct kpl_elf_tab *tab;
	struct kpl_elf_import *imports;
	size_t nr_imports;
	bool has_symtab;
	/*
	 * GOT slots through which the object reaches its own thread-local
	 * storage, 0 when it has none: a DTPMOD64 slot holds its TLS
	 * module id, a TPOFF64 slot tls_tpoff_bias plus its TLS block's
	 * offset from the thread pointer (link-time addresses).
	 */
	uint64_t tls_modid_got;
	uint64_t tls_tpoff_got;
	uint64_t tls_tpoff_bias;
	/* The dynamic section: DT_NEEDED in order, and where it is. */
	const char **needed;
	size_t nr_needed;
	uint64_t dyn_vaddr;	/* PT_DYNAMIC p_vaddr, 0 if none */
	bool symbolic;		/* DT_SYMBOLIC: its own definitions first */
};

/*
 * kpl_elf__open() - open @path and read its headers, dynamic section and
 * imports; its symbols are read when first asked for.
 * Return: 0 and *@out, or -errno / -KPL_E_FORMAT.
 */
int kpl_elf__open(const char *path, struct kpl_elf **out);
void kpl_elf__close(struct kpl_elf *elf);

/*
 * The symbol tables (elftab.c).  Lookups write to a struct kpl_elf,
 * const as it is, until its tables are read whole (kpl_elf__symbols()):
 * one that threads share must be read whole before they see it.
 */
struct kpl_elf_tab;
/* Take @vernames (kpl_elf_versions()), freed by kpl_elf_tab__free(). */
int kpl_elf_tab__new(void *elf, const char **vernames, size_t nr,
		     struct kpl_elf_tab **out);
void kpl_elf_tab__free(struct kpl_elf_tab *tab);

/*
 * kpl_elf__symbols() - every symbol of .symtab and .dynsym in table
 * order (but entry 0, STT_FILE and STT_SECTION entries and nameless
 * ones), read on the first call.  Return: 0 and *@syms, *@nr, or -ENOMEM.
 */
int kpl_elf__symbols(const struct kpl_elf *elf,
		     const struct kpl_elf_sym **syms, size_t *nr);

/*
 * kpl_elf__hashed() - the .dynsym entries named @name that the object's
 * .gnu.hash lists, in table order, as glibc's lookup finds them, before
 * the tables are read whole.  Return: their number (at most @max), or
 * -ENOSYS (tables read, no usable .gnu.hash: search kpl_elf__symbols()),
 * -E2BIG (more than @max), -ENOMEM.
 */
int kpl_elf__hashed(const struct kpl_elf *elf, const char *name,
		    const struct kpl_elf_sym **out, size_t max);

/* Lookups among the symbols read (elfsym.c). */

/*
 * kpl_elf__of_file() - whether @s may be the symbol a patch names with
 * @file: any symbol when @file is NULL or "", else only a local that
 * follows an STT_FILE of that name (the basename of either side is
 * compared).
 */
bool kpl_elf__of_file(const struct kpl_elf_sym *s, const char *file);

/*
 * kpl_elf__find() - find a defined symbol.
 * @file: NULL or "" for any; else only locals after that STT_FILE (the
 *        basename of either side is compared)
 * Globals win over locals; among locals the name must be unique unless
 * @file picks one.
 * Return: 0 and *@out, -KPL_E_SYMBOL when missing, -ENOTUNIQ when
 * several locals share the name.  Logs nothing: callers say what failed.
 */
int kpl_elf__find(const struct kpl_elf *elf, const char *name,
		  const char *file, const struct kpl_elf_sym **out);
/* The same among thread-local variables (value: offset in the block). */
int kpl_elf__find_tls(const struct kpl_elf *elf, const char *name,
		      const char *file, const struct kpl_elf_sym **out);

/*
 * Like kpl_elf__find() but only exported (.dynsym) definitions, IFUNCs
 * included (their address is the resolver's, not the function's: look
 * the function up through an importer's GOT, kpl_elf__import()).
 */
const struct kpl_elf_sym *kpl_elf__find_dynamic(const struct kpl_elf *elf,
						const char *name);

/*
 * kpl_elf__find_version() - an exported definition of @name that a
 * reference of version @version binds to, as the dynamic linker matches
 * them: @version NULL takes the default (or an unversioned) definition;
 * a version takes the definition of that version, hidden or not, or an
 * unversioned one.  Weak counts as defined, and so does an executable's
 * canonical PLT entry (the address all but calls bind to, and one that
 * calls may use); locals, hidden or internal visibility and TLS do not.
 * IFUNCs are returned.  Return: it or NULL.
 */
const struct kpl_elf_sym *kpl_elf__find_version(const struct kpl_elf *elf,
						const char *name,
						const char *version);

/*
 * The version with which @elf itself imports @name (its undefined
 * .dynsym entry), or NULL when it does not, or without a version.
 */
const char *kpl_elf__import_version(const struct kpl_elf *elf,
				    const char *name);

/* Version names by .gnu.version index, [0] and [1] NULL (elfver.c). */
int kpl_elf_versions(void *elf, const char ***out, size_t *nr);

/* The GOT slot through which @elf imports @name, or NULL. */
const struct kpl_elf_import *kpl_elf__import(const struct kpl_elf *elf,
					     const char *name);

/*
 * kpl_elf__read() - copy @len bytes at link-time address @vaddr from the
 * file's PT_LOAD segments.  Return: 0 or -KPL_E_RANGE / -errno.
 */
int kpl_elf__read(const struct kpl_elf *elf, uint64_t vaddr, void *buf,
		  size_t len);

/*
 * kpl_elf__offset() - the file offset of the @len bytes at link-time
 * address @vaddr, which one PT_LOAD's file bytes must hold whole.
 * Return: 0 and *@off, or -KPL_E_RANGE / -KPL_E_FORMAT.
 */
int kpl_elf__offset(const struct kpl_elf *elf, uint64_t vaddr, size_t len,
		    uint64_t *off);

/* The public kpl_elf_*() calls on a file are in <kpl/elf.h>. */

/* Format a build-id as lowercase hex into @out (2*len+1 bytes). */
void kpl_hex(const uint8_t *bytes, size_t len, char *out);

#endif
