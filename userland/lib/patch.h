/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A parsed and validated .kpl file.  After kpl_patch__open() returns 0
 * every index, offset and size below has been checked: the loader and the
 * CLI may use them without re-checking.
 */
#ifndef KPL_LIB_PATCH_H
#define KPL_LIB_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpl/format.h"
#include "kpl/patch.h"

struct kpl_patch_section {
	const char *name;
	uint32_t type;		/* SHT_PROGBITS, SHT_NOBITS, ... */
	uint64_t flags;		/* SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR */
	uint64_t size;
	uint64_t align;		/* power of two, >= 1 */
	uint64_t offset;	/* file offset of data; 0 when data is NULL */
	uint64_t entsize;	/* checked for SHT_SYMTAB and SHT_RELA */
	uint32_t link;		/* sh_link and sh_info as in the file; checked */
	uint32_t info;		/* for SHT_SYMTAB and SHT_RELA only */
	const uint8_t *data;	/* NULL for SHT_NULL/NOBITS; else size bytes */
};

struct kpl_patch_symbol {
	const char *name;	/* "" for unnamed */
	uint8_t type;		/* STT_* */
	uint8_t bind;		/* STB_* */
	uint16_t shndx;		/* SHN_UNDEF, SHN_ABS, or a section index */
	uint64_t value;		/* offset in section for defined symbols */
	uint64_t size;
};

/*
 * Relocations of every SHT_RELA section whose target is SHF_ALLOC, in file
 * order.  RELA sections for unloaded sections (.rela.debug_*) are skipped.
 */
struct kpl_patch_reloc {
	uint32_t section;	/* index of the SHF_ALLOC section relocated */
	uint32_t type;		/* the arch's relocation type (arch.h) */
	uint32_t sym;		/* index into symbols */
	uint64_t offset;	/* within section; field fits inside it */
	int64_t addend;
};

struct kpl_patch_func {
	const char *old_name;
	const char *old_file;	/* "" when the old symbol is not local */
	uint64_t old_size;	/* 0 = unchecked */
	const char *new_name;
	uint32_t new_sym;	/* index into symbols: defined STT_FUNC */
	uint64_t addr;		/* .kpl.addr: st_value in the target, 0 =
				 * by name; addr_size its st_size */
	uint64_t addr_size;
};

struct kpl_patch_ref {
	const char *name;	/* an undefined symbol of .symtab */
	const char *file;	/* non-empty */
	uint64_t addr;		/* as in struct kpl_patch_func */
	uint64_t addr_size;
};

struct kpl_patch {
	char *path;
	uint8_t *image;		/* the whole file */
	size_t image_size;

	uint32_t format_version;
	uint32_t flags;
	uint32_t version;
	const char *id;
	const char *description;
	const char *target_soname;
	uint8_t build_id[KPL_BUILD_ID_MAX];
	size_t build_id_len;

	struct kpl_patch_func *funcs;
	size_t nr_funcs;
	struct kpl_patch_ref *refs;
	size_t nr_refs;

	/* ELF contents, indexed as in the file (index 0 is the null entry). */
	struct kpl_patch_section *sections;
	size_t nr_sections;
	struct kpl_patch_symbol *symbols;
	size_t nr_symbols;
	struct kpl_patch_reloc *relocs;
	size_t nr_relocs;

	uint32_t symtab;	/* section index of .symtab */

	/* Set by kpl_patch__verify(): apply and check refuse without it. */
	bool verified;

	/* Signature (.kpl.sig, sign.c): offset and size of its data, 0 if
	 * none. */
	uint64_t sig_offset;
	uint64_t sig_size;

	/* .kpl.vuln: "" and 0 when the patch has none; strings checked. */
	const char **cves;
	size_t nr_cves;
	const char *advisory;
	const char *advisory_url;
	const char *advisory_text;
};

/*
 * kpl_patch__parse() - parse and validate a patch held in memory.
 * @image: @size bytes, copied (the caller keeps its buffer)
 * @out:   on success, a patch the caller frees with kpl_patch__free()
 * Used by kpl_patch__open(), the tests and the fuzzer.
 * Return: 0, -ENOMEM, -KPL_E_FORMAT or -KPL_E_VERSION (reason logged).
 */
int kpl_patch__parse(const void *image, size_t size, struct kpl_patch **out);

/*
 * Between patch.c, patch_elf.c and patch_map.c only.  kpl_patch_elf__parse() checks the
 * ELF layer of @patch->image and fills sections, symbols, relocs and
 * symtab; on failure the caller frees what it allocated.
 */
int kpl_patch_elf__parse(struct kpl_patch *patch);
/* Index of the section named @name, 0 if none, -KPL_E_FORMAT if several. */
int kpl_patch_elf__find(const struct kpl_patch *patch, const char *name);

/* The .kpl.* sections of a patch being parsed; refs, sig, vuln may be NULL. */
struct kpl_patch_secs {
	const struct kpl_patch_section *info, *funcs, *refs, *strtab, *sig;
	const struct kpl_patch_section *vuln, *addr;
};

/*
 * patch_elf.c, the lowest layer, so that patch_map.c needs nothing from
 * patch.c: string at offset @off of .kpl.strtab (which ends with a NUL),
 * or NULL after logging that @what is out of bounds.
 */
const char *kpl_patch__str(const struct kpl_patch_secs *ks, uint32_t off,
			   const char *what);

/*
 * patch_unwind.c: kpl_patch__check_unwind(), and *@unwinds set when some
 * function of @p may throw or be unwound through (and has what it needs
 * for that): its table must then be registered in the target.
 */
int kpl_patch__scan_unwind(const struct kpl_patch *p, bool *unwinds);

/* patch_map.c: check .kpl.funcs and .kpl.refs, fill funcs and refs. */
int kpl_patch_map__parse(struct kpl_patch *patch,
			 const struct kpl_patch_secs *ks, uint32_t nr_funcs,
			 uint32_t nr_refs);

/*
 * patch_vuln.c: check .kpl.vuln (when present) and fill cves and the
 * advisory; without it they are empty.
 */
int kpl_patch_vuln__parse(struct kpl_patch *patch,
			  const struct kpl_patch_secs *ks);
/*
 * patch_addr.c: check .kpl.addr (when present) and fill the funcs' and
 * refs' addr and addr_size; without it every entry goes by name.
 */
int kpl_patch_addr__parse(struct kpl_patch *patch,
			  const struct kpl_patch_secs *ks);

struct kpl_elf;
struct kpl_elf_sym;
/*
 * kpl_patch__find_func() / kpl_patch__find_ref() - old function @i or
 * ref @i of @patch in the target file @elf: by address when the patch
 * gives one (checked against @elf's segments, and against its .symtab
 * when that names the symbol), else by name as kpl_elf__find() finds it.
 * *@out is filled (its strings are the patch's or @elf's).  Logs why
 * it fails, naming the file @path (NULL: @elf's own path).
 * Return: 0, -KPL_E_SYMBOL (not found, ambiguous, or an address @elf
 * does not hold).
 */
int kpl_patch__find_func(const struct kpl_patch *patch, size_t i,
			 const struct kpl_elf *elf, const char *path,
			 struct kpl_elf_sym *out);
int kpl_patch__find_ref(const struct kpl_patch *patch, size_t i,
			const struct kpl_elf *elf, const char *path,
			struct kpl_elf_sym *out);
/*
 * kpl_patch__find_tls_ref() - the offset in @elf's TLS block of the
 * thread-local ref @name of @patch that .kpl.addr locates (a stripped
 * library's static __thread), checked against @elf's PT_TLS and, when
 * its .symtab names the variable, against that.  Logs why it fails.
 * Return: 0 and *@off, -ENOENT (no such ref by offset: find it by name),
 * -KPL_E_SYMBOL.
 */
int kpl_patch__find_tls_ref(const struct kpl_patch *patch, const char *name,
			    const struct kpl_elf *elf, const char *path,
			    uint64_t *off);

/* An advisory id, URL and text as .kpl.vuln may hold them ("" is fine). */
bool kpl_vuln__advisory_ok(const char *id);
bool kpl_vuln__url_ok(const char *url);
bool kpl_vuln__text_ok(const char *text);

#endif
