/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The x86-64 constants behind arch.h, which includes this file when the
 * compiler targets x86-64: sizes the engine's structures are built
 * from, and the facts of the instruction set and of the ELF ABI that are
 * plain numbers.  Everything else is a function in arch/x86_64*.c.
 */
#ifndef KPL_ARCH_X86_64_H
#define KPL_ARCH_X86_64_H

/*
 * struct kpl_arch_regs: the NT_PRSTATUS regset (struct user_regs_struct,
 * 27 eight-byte registers), which is also the layout of the module's
 * kpl_thread_regs.regs.
 */
#define KPL_ARCH_REGS_SIZE 216

/* The most bytes of FPU state a thread has (XSAVE area with AVX-512,
 * AMX tiles: the kernel's fpu_user_cfg.max_size is below this). */
#define KPL_ARCH_FPSTATE_MAX 32768

/* DWARF registers 0..16: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * r8..r15, and the return address column (rip). */
#define KPL_ARCH_DWARF_REGS 17

/* The byte that fills unused text: int3 traps if ever executed. */
#define KPL_ARCH_TRAP_FILL 0xcc

/* The ELF machine of patches and libraries (e_machine), and its name. */
#define KPL_ARCH_ELF_MACHINE 62	/* EM_X86_64 */
#define KPL_ARCH_NAME "x86-64"

/* The end of the user address space (4-level page tables). */
#define KPL_ARCH_USER_TOP 0x7ffffffff000ull

/*
 * How far the patch may lie from its library: the reach of the jump and
 * of the patch's PC-relative references to the library (rel32: 2 GiB).
 */
#define KPL_ARCH_REACH (2ull << 30)

#endif
