/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libkpl: live patching of shared libraries in running processes.
 *
 *	struct kpl_patch *patch;
 *	struct kpl_target *t;
 *
 *	kpl_patch__open_verified("fix.kpl", NULL, &patch); // trusted keys
 *	kpl_target__open(pid, NULL, &t);
 *	kpl_target__apply(t, patch, NULL);	// all or nothing
 *	...
 *	kpl_target__revert(t, kpl_patch__id(patch), NULL);
 *	kpl_target__close(t);
 *	kpl_patch__free(patch);
 *
 * Every function that can fail returns 0 or a negative errno / -KPL_E_*
 * code (kpl_strerror()); messages go through kpl_set_print().  Options
 * structs start with `size_t sz`: set it to sizeof the struct, and zero
 * every field you do not set (a designated initializer does).  They grow
 * without breaking callers: a struct from older headers (smaller sz)
 * gets the defaults for the fields it lacks; one from newer headers is
 * accepted when the bytes this libkpl does not know are zero, and
 * refused with -EINVAL otherwise.  Link with -lkpl (libkpl.so or libkpl.a; the static library
 * also needs -ldw -lelf -lcapstone -lcrypto).
 */
#ifndef KPL_KPL_H
#define KPL_KPL_H

#include "kpl/errors.h"
#include "kpl/format.h"
#include "kpl/log.h"
#include "kpl/patch.h"
#include "kpl/target.h"

#endif
