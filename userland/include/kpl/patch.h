/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Opening and inspecting .kpl patch files. */
#ifndef KPL_PATCH_H
#define KPL_PATCH_H

#include <stddef.h>
#include <stdint.h>

struct kpl_patch;

/*
 * kpl_patch__open() - read, parse and validate a patch file.
 * @path: the .kpl file
 * @out:  on success, a patch the caller frees with kpl_patch__free()
 * Return: 0, -errno for I/O errors, -KPL_E_FORMAT / -KPL_E_VERSION for a
 * malformed file (the reason is logged through kpl_set_print()).
 */
int kpl_patch__open(const char *path, struct kpl_patch **out);

/* kpl_patch__free() - free a patch; NULL is fine. */
void kpl_patch__free(struct kpl_patch *patch);

/* Accessors: strings are owned by the patch. */
const char *kpl_patch__id(const struct kpl_patch *patch);
const char *kpl_patch__description(const struct kpl_patch *patch);
const char *kpl_patch__target_soname(const struct kpl_patch *patch);
uint32_t kpl_patch__version(const struct kpl_patch *patch);
uint32_t kpl_patch__flags(const struct kpl_patch *patch);
/* Copies the build-id (at most @len bytes) and returns its length. */
size_t kpl_patch__build_id(const struct kpl_patch *patch, uint8_t *buf,
			   size_t len);
size_t kpl_patch__nr_funcs(const struct kpl_patch *patch);
/* Old and new symbol names of function @i, or NULL when out of range. */
const char *kpl_patch__func_old(const struct kpl_patch *patch, size_t i);
const char *kpl_patch__func_new(const struct kpl_patch *patch, size_t i);
/* STT_FILE name that disambiguates a local old symbol, "" for a global. */
const char *kpl_patch__func_file(const struct kpl_patch *patch, size_t i);

/*
 * References: undefined symbols of the patch that mean a local of the
 * target, named by symbol and STT_FILE.  NULL when out of range.
 */
size_t kpl_patch__nr_refs(const struct kpl_patch *patch);
const char *kpl_patch__ref_name(const struct kpl_patch *patch, size_t i);
const char *kpl_patch__ref_file(const struct kpl_patch *patch, size_t i);

/* The path given to kpl_patch__open(), NULL for a patch parsed in memory. */
const char *kpl_patch__path(const struct kpl_patch *patch);

#endif
