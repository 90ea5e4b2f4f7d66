// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/arch/x86_64_regs.c and the register side
 * of arch/x86_64_inject.c: struct kpl_arch_regs is opaque to the engine,
 * so every register it reads or sets goes through these functions, and
 * each one is checked here against struct user_regs_struct, field by
 * field.  Also the other facts the engine used to know itself: the FPU
 * regsets, static TLS placement, and the reach of a rel32 call.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include <cmocka.h>

#include "arch.h"

static struct kpl_arch_regs to_arch(const struct user_regs_struct *u)
{
	struct kpl_arch_regs r;

	assert_int_equal(sizeof(r), sizeof(*u));
	memcpy(&r, u, sizeof(r));
	return r;
}

static struct user_regs_struct to_user(const struct kpl_arch_regs *r)
{
	struct user_regs_struct u;

	memcpy(&u, r, sizeof(u));
	return u;
}

/* Every register a different value, none zero. */
static struct user_regs_struct distinct(void)
{
	uint64_t w[sizeof(struct user_regs_struct) / 8];
	struct user_regs_struct u;
	size_t i;

	for (i = 0; i < sizeof(w) / 8; i++)
		w[i] = 0x1000 + i;
	memcpy(&u, w, sizeof(u));
	return u;
}

/* libdw numbers x86-64 registers rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * r8..r15, then rip: each must land in its own column. */
static void test_regs__accessors_and_dwarf_order(void **state)
{
	struct user_regs_struct u;
	struct kpl_arch_regs r;
	uint64_t dw[KPL_ARCH_DWARF_REGS];
	const uint64_t want[KPL_ARCH_DWARF_REGS] = {
		1, 4, 3, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
	};
	size_t i;

	(void)state;
	memset(&u, 0xff, sizeof(u));
	u.rax = 1, u.rbx = 2, u.rcx = 3, u.rdx = 4, u.rsi = 5, u.rdi = 6;
	u.rbp = 7, u.rsp = 8, u.r8 = 9, u.r9 = 10, u.r10 = 11, u.r11 = 12;
	u.r12 = 13, u.r13 = 14, u.r14 = 15, u.r15 = 16, u.rip = 17;
	r = to_arch(&u);
	kpl_arch_dwarf_regs(&r, dw);
	for (i = 0; i < KPL_ARCH_DWARF_REGS; i++)
		assert_int_equal(dw[i], want[i]);
	assert_int_equal(kpl_arch_regs_pc(&r), 17);
	assert_int_equal(kpl_arch_regs_sp(&r), 8);
	assert_int_equal(kpl_arch_regs_fp(&r), 7);
}

/* A little stack for kpl_arch_regs_at_caller() to read. */
struct stack {
	uint64_t base;
	uint64_t slot[4];
	uint64_t last_addr;
	size_t last_len;
	int fail;
};

static int stack_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct stack *s = arg;

	s->last_addr = addr;
	s->last_len = len;
	if (s->fail)
		return s->fail;
	if (addr < s->base || addr - s->base + len > sizeof(s->slot))
		return -EFAULT;
	memcpy(buf, (uint8_t *)s->slot + (addr - s->base), len);
	return 0;
}

/* At a function's entry the call's return address is at rsp: the caller
 * resumes there with it popped; nothing else changes. */
static void test_at_caller__pops_the_return_address(void **state)
{
	struct stack s = { .base = 0x7ffd0000 };
	struct user_regs_struct u = distinct(), before, after;
	struct kpl_arch_regs r;

	(void)state;
	u.rsp = s.base + 8;
	u.rip = 0x401000;
	s.slot[1] = 0x402345;
	before = u;
	r = to_arch(&u);
	assert_int_equal(kpl_arch_regs_at_caller(&r, stack_read, &s), 0);
	assert_int_equal(s.last_addr, s.base + 8);
	assert_int_equal(s.last_len, 8);
	after = to_user(&r);
	assert_int_equal(after.rip, 0x402345);
	assert_int_equal(after.rsp, s.base + 16);
	after.rip = before.rip;
	after.rsp = before.rsp;
	assert_memory_equal(&after, &before, sizeof(before));
}

static void test_at_caller__read_error_changes_nothing(void **state)
{
	struct stack s = { .base = 0x7ffd0000, .fail = -EIO };
	struct user_regs_struct u = distinct();
	struct kpl_arch_regs r = to_arch(&u), orig = r;

	(void)state;
	assert_int_equal(kpl_arch_regs_at_caller(&r, stack_read, &s), -EIO);
	assert_memory_equal(&r, &orig, sizeof(r));
	assert_int_equal(kpl_arch_regs_at_caller(NULL, stack_read, &s),
			 -EINVAL);
	assert_int_equal(kpl_arch_regs_at_caller(&r, NULL, &s), -EINVAL);
	assert_memory_equal(&r, &orig, sizeof(r));
}

/* syscall; ret at pc: rax the number, rdi rsi rdx r10 r8 r9 the
 * arguments, no restart (orig_rax -1), no trap flag (eflags bit 8), and
 * every other register the thread's own. */
static void test_syscall_regs__number_args_pc_sp(void **state)
{
	const uint64_t args[6] = { 11, 22, 33, 44, 55, 66 };
	struct user_regs_struct u = distinct(), o, want;
	struct kpl_arch_regs r, out;

	(void)state;
	u.eflags = 0x346;	/* TF (0x100) set, IF, ZF, PF */
	r = to_arch(&u);
	memset(&out, 0xa5, sizeof(out));
	kpl_arch_syscall_regs(&r, &out, 0x7f0000001234, 0x7ffd00000040, 9,
			      args);
	o = to_user(&out);
	want = u;
	want.rip = 0x7f0000001234;
	want.rsp = 0x7ffd00000040;
	want.rax = 9;
	want.orig_rax = (unsigned long long)-1;
	want.rdi = 11, want.rsi = 22, want.rdx = 33;
	want.r10 = 44, want.r8 = 55, want.r9 = 66;
	want.eflags = 0x246;
	assert_memory_equal(&o, &want, sizeof(want));
	assert_int_equal(kpl_arch_regs_pc(&out), 0x7f0000001234);
	assert_int_equal(kpl_arch_regs_sp(&out), 0x7ffd00000040);
	/* The input is left alone. */
	o = to_user(&r);
	assert_memory_equal(&o, &u, sizeof(u));
}

/* Stopped in a syscall (orig_rax >= 0) that returned a restart code: the
 * kernel runs it again.  Any other result, or no syscall, is not.  Only
 * ERESTART_RESTARTBLOCK goes through the restart block (which a chain's
 * rt_sigreturn would reset). */
static void test_restarting__only_restart_codes(void **state)
{
	static const struct {
		long long orig_rax, rax;
		bool restarting, block;
	} cases[] = {
		{ 7, -512, true, false },	/* ERESTARTSYS */
		{ 7, -513, true, false },	/* ERESTARTNOINTR */
		{ 7, -514, true, false },	/* ERESTARTNOHAND */
		{ 35, -516, true, true },	/* ERESTART_RESTARTBLOCK */
		{ 7, -515, false, false },	/* not a restart code */
		{ 7, -EINTR, false, false },
		{ 7, 0, false, false },
		{ -1, -512, false, false },	/* not in a syscall */
		{ -1, -516, false, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct user_regs_struct u = distinct();
		struct kpl_arch_regs r;

		u.orig_rax = (unsigned long long)cases[i].orig_rax;
		u.rax = (unsigned long long)cases[i].rax;
		r = to_arch(&u);
		assert_int_equal(kpl_arch_regs_restarting(&r),
				 cases[i].restarting);
		assert_int_equal(kpl_arch_regs_restart_block(&r),
				 cases[i].block);
	}
}

/* The FPU state comes from NT_X86_XSTATE (the XSAVE area a signal frame
 * holds), else the 512-byte fxsave area of NT_PRFPREG. */
static void test_fpu_regsets__xstate_then_fxsave(void **state)
{
	(void)state;
	assert_int_equal(KPL_ARCH_NT_REGS, NT_PRSTATUS);
	assert_int_equal(kpl_arch_fpu_regsets[0].nt, NT_X86_XSTATE);
	assert_true(kpl_arch_fpu_regsets[0].max >= 4096);
	assert_int_equal(kpl_arch_fpu_regsets[1].nt, NT_PRFPREG);
	assert_int_equal(kpl_arch_fpu_regsets[1].max, 512);
	assert_int_equal(kpl_arch_fpu_regsets[2].nt, 0);
	assert_int_equal(kpl_arch_fpu_regsets[2].max, 0);
}

/* TLS variant II: static TLS lies below the thread pointer, within the
 * span. */
static void test_tls_static__below_the_thread_pointer(void **state)
{
	const int64_t span = 1ll << 32;

	(void)state;
	assert_true(kpl_arch_tls_static(-8, span));
	assert_true(kpl_arch_tls_static(-1, span));
	assert_true(kpl_arch_tls_static(-span, span));
	assert_false(kpl_arch_tls_static(-span - 1, span));
	assert_false(kpl_arch_tls_static(0, span));
	assert_false(kpl_arch_tls_static(16, span));
	assert_false(kpl_arch_tls_static(INT64_MIN, span));
	assert_string_equal(kpl_arch_tls_where, "below the thread pointer");
}

/* call rel32 (R_X86_64_PLT32, S + A - P): reaches exactly when the
 * displacement fits 32 signed bits, as kpl_arch_reloc_apply() agrees. */
static void test_reloc_reaches__rel32_edges(void **state)
{
	const uint64_t P = 0x7f0000000000ull;
	const int64_t A = -4;
	static const struct {
		int64_t d;	/* S + A - P */
		bool reaches;
	} cases[] = {
		{ 0, true },
		{ INT32_MAX, true },
		{ (int64_t)INT32_MAX + 1, false },
		{ INT32_MIN, true },
		{ (int64_t)INT32_MIN - 1, false },
		{ 1ll << 40, false },
	};
	uint8_t buf[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t S = P + (uint64_t)cases[i].d - (uint64_t)A;

		assert_int_equal(kpl_arch_reloc_reaches(R_X86_64_PLT32, P, S,
							A),
				 cases[i].reaches);
		assert_int_equal(kpl_arch_reloc_apply(R_X86_64_PLT32, buf,
						      sizeof(buf), P, S, A),
				 cases[i].reaches ? 0 : -ERANGE);
	}
	/* A 64-bit field reaches anything; an unknown type nothing. */
	assert_true(kpl_arch_reloc_reaches(R_X86_64_64, P, 0, 0));
	assert_false(kpl_arch_reloc_reaches(R_X86_64_GOT32, P, P, 0));
	assert_false(kpl_arch_reloc_reaches(UINT32_MAX, P, P, 0));
}

/* The gadget a process lacks, named as the warning says it. */
static void test_gadget_missing__names(void **state)
{
	struct kpl_arch_gadgets g = { 0, 0 };

	(void)state;
	assert_string_equal(kpl_arch_gadget_missing(&g),
			    "rt_sigreturn trampoline");
	g.syscall_ret = 0x1000;
	assert_string_equal(kpl_arch_gadget_missing(&g),
			    "rt_sigreturn trampoline");
	g.syscall_ret = 0;
	g.sigreturn = 0x2000;
	assert_string_equal(kpl_arch_gadget_missing(&g),
			    "'syscall; ret' sequence");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regs__accessors_and_dwarf_order),
		cmocka_unit_test(test_at_caller__pops_the_return_address),
		cmocka_unit_test(test_at_caller__read_error_changes_nothing),
		cmocka_unit_test(test_syscall_regs__number_args_pc_sp),
		cmocka_unit_test(test_restarting__only_restart_codes),
		cmocka_unit_test(test_fpu_regsets__xstate_then_fxsave),
		cmocka_unit_test(test_tls_static__below_the_thread_pointer),
		cmocka_unit_test(test_reloc_reaches__rel32_edges),
		cmocka_unit_test(test_gadget_missing__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
