/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Facts about an ELF file on disk that a caller placing probes or
 * guards on a library needs: its build-id, and where a link-time
 * address lies in the file.  Each call opens @path, reads only what it
 * needs and closes it; the file is not trusted (every header is bounds
 * checked by libelf and here).
 */
#ifndef KPL_ELF_H
#define KPL_ELF_H

#include <stddef.h>
#include <stdint.h>

/*
 * kpl_elf_build_id() - read the GNU build-id of @path.
 * @buf: receives at most @len bytes
 * Return: the build-id's length; 0 when the file has none, has one
 * longer than @len, or is not ELF; -errno when @path cannot be opened.
 */
int kpl_elf_build_id(const char *path, uint8_t *buf, size_t len);

/*
 * kpl_elf_file_offset() - the offset in the file @path of the link-time
 * address @vaddr, through the PT_LOAD segment whose file bytes hold it
 * (what a uprobe, or the module's guard, takes).
 * Return: 0 and *@off, -KPL_E_RANGE when no PT_LOAD has @vaddr in its
 * file bytes, -errno / -KPL_E_FORMAT when the file cannot be read.
 */
int kpl_elf_file_offset(const char *path, uint64_t vaddr, uint64_t *off);

/*
 * kpl_elf_init_offset() - the offset in the file @path of its DT_INIT
 * function: the entry the dynamic linker calls once the object is
 * mapped and relocated, before any other code of it runs.
 * Return: 0 and *@off, -ENODATA when the object has no DT_INIT,
 * -KPL_E_RANGE when DT_INIT lies in no PT_LOAD's file bytes, -errno /
 * -KPL_E_FORMAT when the file cannot be read.
 */
int kpl_elf_init_offset(const char *path, uint64_t *off);

#endif
