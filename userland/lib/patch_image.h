/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * An ELF image describing one patch mapping of a target, made in memory
 * from what the mapping holds: its record (state.h) names the patched
 * functions and where their new code lies, its trailer where the
 * patch's .eh_frame lies.  kpl's own unwinder hands it to libdwfl
 * (unwind_patch.c); kpl_target__symfile() writes it for debuggers.  The
 * target may be hostile: everything is read once, validated, and only
 * what was validated goes into the image.
 */
#ifndef KPL_LIB_PATCH_IMAGE_H
#define KPL_LIB_PATCH_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct kpl_maps;
struct kpl_proc;
struct kpl_state;

/* The image page's granule, and the most a region's image may take. */
#define KPL_PATCH_IMAGE_PAGE 4096u
#define KPL_PATCH_IMAGE_HEAD_MAX (64u * 1024)

/* The longest symbol name an image carries (a record's is shorter). */
#define KPL_PATCH_IMAGE_NAME_MAX 96

struct kpl_patch_image_sym {
	uint64_t addr, size;	/* in the target */
	char name[KPL_PATCH_IMAGE_NAME_MAX];	/* terminated */
};

/* What an image is made of. */
struct kpl_patch_image {
	uint64_t vaddr;		/* where the image puts the mapping's start */
	/*
	 * 0, or the image is made to be mapped in place, @head bytes just
	 * below the mapping: its PT_LOAD spans both from file offset 0
	 * (what elf_from_remote_memory() reads), the .eh_frame section is
	 * the mapping's own table (@tab is not copied), and the image is
	 * @head bytes long, or NULL when it does not fit.
	 */
	uint64_t head;
	uint64_t base, size;	/* the mapping in the target */
	uint64_t text_lo, text_hi;	/* the patch's code in it */
	uint64_t eh_frame;	/* the table's address in the target */
	const uint8_t *tab;	/* its bytes, terminator included, or NULL */
	size_t tab_len;
	const struct kpl_patch_image_sym *syms;
	size_t nr_syms;
};

/*
 * kpl_patch_image__make() - an ET_DYN image of @in: one PT_LOAD at
 * @in->vaddr spanning the mapping; sections .text (SHT_NOBITS, over the
 * code), .eh_frame (the table, at its address), .symtab with one
 * STT_FUNC per symbol (each byte of its name that is not printable
 * ASCII, and the space, made '?': debuggers print names as they are),
 * .strtab and .shstrtab.  Addresses in the image
 * are the target's moved by @in->vaddr - @in->base: 0 for libdwfl,
 * which adds the mapping's start as bias; the target's own for a
 * debugger's add-symbol-file.
 * Return: the image (free()), its length in *@size; NULL without memory.
 */
void *kpl_patch_image__make(const struct kpl_patch_image *in, size_t *size);

/* A 64-bit ELF header of a shared object for this machine, no more. */
void kpl_patch_image__ehdr(Elf64_Ehdr *eh);

/* kpl_patch_image__read() flags. */
enum {
	/* Addresses as in the target (else relative to the mapping). */
	KPL_PATCH_IMAGE_ABSOLUTE = 1,
	/* No image for a patch without a valid table (-ENOENT). */
	KPL_PATCH_IMAGE_NEED_TABLE = 2,
};

/*
 * kpl_patch_image__read() - the image of the patch mapping at @base of
 * @p, whose mappings are @maps: the record and its trailer are read and
 * checked (kpl_state__check(), kpl_state__check_unwind()), then the
 * table (kpl_eh_frame__check()).  A trailer or table that fails its
 * check, like a record older than trailers, leaves the image without a
 * table (logged).  Symbols: each patched function's name at its new
 * code, sized by the FDE that starts there; code an FDE covers that no
 * record names is "kpl:ID+0xOFFSET" (its offset in the code).
 * Return: 0 and *@out (free()) of *@size bytes; -KPL_E_STATE for a bad
 * record, -ENOENT with KPL_PATCH_IMAGE_NEED_TABLE and no
 * table, -EFAULT or -errno when the target could not be read.
 */
int kpl_patch_image__read(struct kpl_proc *p, const struct kpl_maps *maps,
			  uint64_t base, unsigned int flags, void **out,
			  size_t *size);

/*
 * kpl_patch_image__page() - the image page of a region being applied:
 * @st is the record as apply.c made it (trailer included), @region the
 * region's bytes, the table among them.  Mapped read-only just below
 * the record, from the region's memfd past its end, it makes the region
 * a module that libdwfl (eu-stack) reads from memory: it names patch
 * frames from the .symtab and unwinds past them with the .eh_frame
 * (docs/engine.md).  Return: 0 and *@out (free()) of *@head bytes, a
 * multiple of KPL_PATCH_IMAGE_PAGE; -E2BIG past KPL_PATCH_IMAGE_HEAD_MAX,
 * -ENOMEM.
 */
int kpl_patch_image__page(const struct kpl_state *st, const uint8_t *region,
			  void **out, size_t *head);

/*
 * kpl_patch_image__head() - the bytes of the image page mapped just
 * below the region at @base of @size bytes, per @m: a read-only mapping
 * ending at @base of the same memfd as the region's first line (which
 * must be a patch's, at offset 0), from file offset @size.  Anything
 * else below the region is not the patch's.  Return: its length, or 0.
 */
uint64_t kpl_patch_image__head(const struct kpl_maps *m, uint64_t base,
			       uint64_t size);

/*
 * kpl_patch_image__unmap() - unmap the region at @base of @size bytes
 * of @p, and its image page, if /proc/PID/maps shows one now
 * (kpl_patch_image__head()), in one munmap.  Every unmap of a patch
 * region goes through here: with the kmod backend, or from a kpl older
 * than image pages, there is none.  Return: 0 or -errno.
 */
int kpl_patch_image__unmap(struct kpl_proc *p, uint64_t base, uint64_t size);

#endif
