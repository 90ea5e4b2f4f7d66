// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * x86-64 registers as the engine sees them through arch.h: where the
 * pc and the stack are, the DWARF register file an unwinder starts
 * from, how a thread held on a function's entry returns to its caller,
 * the FPU regsets, and where static TLS lies.
 *
 * Pure functions over bytes, like the rest of arch/: no process, no I/O.
 */
#include <elf.h>
#include <errno.h>

#include "x86_64_regs.h"

/* XSAVE layout first (what a signal frame holds with AVX and later);
 * without XSAVE, the legacy 512-byte fxsave area. */
const struct kpl_arch_regset kpl_arch_fpu_regsets[] = {
	{ NT_X86_XSTATE, KPL_ARCH_FPSTATE_MAX },
	{ NT_PRFPREG, 512 },
	{ 0, 0 },
};

_Static_assert(KPL_ARCH_NT_REGS == NT_PRSTATUS, "the general regset");

uint64_t kpl_arch_regs_pc(const struct kpl_arch_regs *regs)
{
	return x86_regs(regs).rip;
}

uint64_t kpl_arch_regs_sp(const struct kpl_arch_regs *regs)
{
	return x86_regs(regs).rsp;
}

uint64_t kpl_arch_regs_fp(const struct kpl_arch_regs *regs)
{
	return x86_regs(regs).rbp;
}

/* A call pushed the return address: it is at sp, and ret pops it. */
int kpl_arch_regs_at_caller(struct kpl_arch_regs *regs,
			    int (*read)(void *arg, uint64_t addr, void *buf,
					size_t len),
			    void *arg)
{
	struct user_regs_struct u;
	uint64_t ret = 0;
	int err;

	if (!regs || !read)
		return -EINVAL;
	u = x86_regs(regs);
	err = read(arg, u.rsp, &ret, sizeof(ret));
	if (err)
		return err;
	u.rip = ret;
	u.rsp += sizeof(ret);
	x86_regs_put(regs, &u);
	return 0;
}

/* DWARF numbers rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8..r15, then
 * the return address column (rip) as 16. */
void kpl_arch_dwarf_regs(const struct kpl_arch_regs *regs, uint64_t *dw)
{
	const struct user_regs_struct r = x86_regs(regs);

	dw[0] = r.rax;
	dw[1] = r.rdx;
	dw[2] = r.rcx;
	dw[3] = r.rbx;
	dw[4] = r.rsi;
	dw[5] = r.rdi;
	dw[6] = r.rbp;
	dw[7] = r.rsp;
	dw[8] = r.r8;
	dw[9] = r.r9;
	dw[10] = r.r10;
	dw[11] = r.r11;
	dw[12] = r.r12;
	dw[13] = r.r13;
	dw[14] = r.r14;
	dw[15] = r.r15;
	dw[16] = r.rip;
}

/* TLS variant II: the static TLS blocks end at the thread pointer (%fs
 * base), so every offset into them is negative. */
const char kpl_arch_tls_where[] = "below the thread pointer";

bool kpl_arch_tls_static(int64_t off, int64_t span)
{
	return off < 0 && off >= -span;
}
