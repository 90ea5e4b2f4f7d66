/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Options structs, one convention (libbpf's OPTS_VALID/OPTS_GET).
 *
 * Every public options struct starts with `size_t sz`, which the caller
 * sets to the size of the struct it was compiled with.  A program built
 * against an older, smaller struct still works: the fields it does not
 * have read as their defaults.  A program built against a newer, larger
 * one works as long as every byte this libkpl does not know is zero (it
 * left the new fields at their defaults); otherwise the call fails with
 * -EINVAL rather than silently ignore what was asked.  No caller struct
 * is ever copied whole: only the fields both sides know are read.
 *
 * At every public entry point that takes options:
 *
 *	if (!KPL_OPTS_VALID(opts, kpl_target_opts, backend))
 *		return -EINVAL;
 *	backend = KPL_OPTS_GET(opts, backend, NULL);
 */
#ifndef KPL_LIB_OPTS_H
#define KPL_LIB_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "kpl/fleet.h"
#include "kpl/target.h"

#define kpl_offsetofend(type, field) \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * kpl_opts_valid() - whether a caller's options struct of @sz bytes at
 * @opts fits this libkpl, which knows its first @known bytes (up to the
 * end of its last field).  Logs what is wrong, naming @type.
 */
bool kpl_opts_valid(const void *opts, size_t sz, size_t known,
		    const char *type);

/* NULL, or a struct type whose last field this libkpl knows is @last. */
#define KPL_OPTS_VALID(opts, type, last)               \
	(!(opts) || kpl_opts_valid((opts), (opts)->sz, \
				   kpl_offsetofend(struct type, last), #type))

/* Whether the caller's struct is large enough to hold @field. */
#define KPL_OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= kpl_offsetofend(__typeof__(*(opts)), field))

/* @field if the caller's struct has it, else @fallback. */
#define KPL_OPTS_GET(opts, field, fallback) \
	(KPL_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/*
 * kpl_apply_opts_get() - check @in (NULL: the defaults) and copy the
 * fields it has into *@out, a full struct with the defaults elsewhere.
 * Return: 0, or -EINVAL (logged) when @in does not fit.
 */
int kpl_apply_opts_get(const struct kpl_apply_opts *in,
		       struct kpl_apply_opts *out);

/*
 * kpl_fleet_opts_get() - the same for fleet options, with the apply and
 * target options they point to checked as well (not copied: the
 * functions they go to read them field by field).
 */
int kpl_fleet_opts_get(const struct kpl_fleet_opts *in,
		       struct kpl_fleet_opts *out);

#endif
