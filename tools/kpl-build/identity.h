/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build: proving that a rebuild is the library as shipped
 * (identity.c), so that its symbols may stand for the stripped file's.
 */
#ifndef KPL_BUILD_IDENTITY_H
#define KPL_BUILD_IDENTITY_H

/*
 * kb_identity__prove() - check that every section of @shipped that is
 * loaded (SHF_ALLOC), but its GNU build-id note, is in @rebuilt at the
 * same address with the same size, type, flags and bytes, and that
 * @rebuilt loads no other section.
 * Return: 0 when they are the same; 1 after naming through kb_err()
 * every section that differs and the rebuild's functions and variables
 * in it whose bytes differ, or why a file could not be read.
 */
int kb_identity__prove(const char *rebuilt, const char *shipped);

struct kb_selection;
/*
 * kb_identity__check_refs() - every global name the patch @sel leaves
 * to the library must be found by kpl apply in @target, the file the
 * process maps: exported at the address the rebuild gives it, or, when
 * the stripped @target does not name it at all, located by the
 * rebuild's address (its ref is marked by_addr, and pack writes it to
 * .kpl.addr).  A thread-local variable or a symbol without a size can
 * only go by name.
 * Return: 0, or 1 after naming each one that cannot be found.
 */
int kb_identity__check_refs(struct kb_selection *sel, const char *target);

#endif
