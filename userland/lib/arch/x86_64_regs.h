/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Private to arch/x86_64*.c: struct kpl_arch_regs, which the engine
 * holds as opaque bytes, is struct user_regs_struct.  Copied in and out
 * rather than cast, so no pointer of one type reads an object of the
 * other.
 */
#ifndef KPL_ARCH_X86_64_REGS_H
#define KPL_ARCH_X86_64_REGS_H

#include <string.h>
#include <sys/user.h>

#include "../arch.h"

_Static_assert(sizeof(struct user_regs_struct) == KPL_ARCH_REGS_SIZE &&
		       sizeof(struct kpl_arch_regs) == KPL_ARCH_REGS_SIZE,
	       "struct kpl_arch_regs is struct user_regs_struct");

static inline struct user_regs_struct x86_regs(const struct kpl_arch_regs *r)
{
	struct user_regs_struct u;

	memcpy(&u, r, sizeof(u));
	return u;
}

static inline void x86_regs_put(struct kpl_arch_regs *r,
				const struct user_regs_struct *u)
{
	memcpy(r, u, sizeof(*r));
}

#endif
