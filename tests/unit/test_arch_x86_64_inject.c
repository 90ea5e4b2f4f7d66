// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/arch/x86_64_inject.c: the gadgets found in
 * code bytes, and the insurance frame and step frame as rt_sigreturn
 * reads them (struct rt_sigframe of the 64-bit kernel: the return slot,
 * ucontext with its sigcontext at 48 and the mask at 304, the FPU state
 * at 512 from the frame).  Offsets below are from the frame's start.
 */
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

#define SIGRET 0x7f0000012340ull	/* the trampoline's address */
#define RSP 0x7ffd00010000ull
#define RED_ZONE 128
#define FP_OFF 512			/* FPU state, from the frame */
#define SW_OFF (FP_OFF + 464)		/* struct _fpx_sw_bytes in it */
#define MAGIC1 0x46505853u
#define MAGIC2 0x46505845u

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

/* struct sigcontext's fields, from the frame's start. */
enum {
	F_PRETCODE = 0, F_UC_FLAGS = 8, F_SS_FLAGS = 32,
	F_R8 = 48, F_R15 = 104, F_RDI = 112, F_RBP = 128, F_RAX = 152,
	F_RSP = 168, F_RIP = 176, F_EFLAGS = 184, F_FPSTATE = 232,
	F_SIGMASK = 304,
};

static struct kpl_arch_regs regs_of(const struct user_regs_struct *u)
{
	struct kpl_arch_regs r;

	memcpy(&r, u, sizeof(r));
	return r;
}

static struct user_regs_struct thread(void)
{
	struct user_regs_struct u;

	memset(&u, 0, sizeof(u));
	u.r8 = 8, u.r15 = 15, u.rdi = 0xd1, u.rbp = 0xb9, u.rax = 0xa1;
	u.rsp = RSP, u.rip = 0x401234, u.eflags = 0x246;
	u.orig_rax = (unsigned long long)-1;	/* not in a syscall */
	u.cs = 0x33, u.ss = 0x2b;
	return u;
}

/* No XSAVE: a 512-byte fxsave area, copied as is, no magic. */
static void test_build_frame__fxsave_below_red_zone(void **state)
{
	struct user_regs_struct u = thread();
	struct kpl_arch_regs r = regs_of(&u);
	uint8_t fx[512], buf[2048];
	struct kpl_arch_frame_in in = {
		.regs = &r, .sigmask = 0x5000, .fpstate = fx,
		.fpstate_len = sizeof(fx), .sigreturn = SIGRET, .below = 256,
	};
	size_t need = kpl_arch_frame_size(sizeof(fx));
	uint64_t at = 0;
	int n;

	(void)state;
	memset(fx, 0x3c, sizeof(fx));
	/* 512 of frame, 512 of state, 4 of end magic, to 64 bytes */
	assert_int_equal(need, 1088);
	n = kpl_arch_build_frame(&in, buf, sizeof(buf), &at);
	assert_int_equal(n, need);
	assert_int_equal(at, (RSP - RED_ZONE - 256 - need) & ~63ull);
	assert_int_equal(at % 64, 0);
	assert_int_equal(rd64(buf, F_PRETCODE), SIGRET);
	assert_int_equal(rd64(buf, F_UC_FLAGS), 0x6);	/* SS, STRICT_SS */
	assert_int_equal(rd32(buf, F_SS_FLAGS), 3);	/* sigaltstack kept */
	assert_int_equal(rd64(buf, F_R8), 8);
	assert_int_equal(rd64(buf, F_R15), 15);
	assert_int_equal(rd64(buf, F_RDI), 0xd1);
	assert_int_equal(rd64(buf, F_RBP), 0xb9);
	assert_int_equal(rd64(buf, F_RAX), 0xa1);
	assert_int_equal(rd64(buf, F_RSP), RSP);
	assert_int_equal(rd64(buf, F_RIP), 0x401234);
	assert_int_equal(rd64(buf, F_EFLAGS), 0x246);
	assert_int_equal(rd64(buf, F_FPSTATE), at + FP_OFF);
	assert_int_equal(rd64(buf, F_SIGMASK), 0x5000);
	assert_memory_equal(buf + FP_OFF, fx, sizeof(fx));
}

/* Stopped in an interrupted syscall: the frame holds the registers the
 * kernel's restart would give (rip back on the syscall, the number in
 * rax), since rt_sigreturn does not restart anything. */
static void test_build_frame__restart_applied(void **state)
{
	static const struct {
		long long rax;
		uint64_t want_rax, want_rip;
	} cases[] = {
		{ -512, 7, 0x401232 },		/* ERESTARTSYS */
		{ -516, 7, 0x401232 },		/* RESTARTBLOCK: the call */
		{ -4, (uint64_t)-4, 0x401234 },	/* EINTR: as it is */
	};
	uint8_t fx[512] = { 0 }, buf[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct user_regs_struct u = thread();
		struct kpl_arch_regs r;
		struct kpl_arch_frame_in in = {
			.regs = &r, .fpstate = fx, .fpstate_len = sizeof(fx),
			.sigreturn = SIGRET,
		};
		uint64_t at;

		u.orig_rax = 7;
		u.rax = (unsigned long long)cases[i].rax;
		r = regs_of(&u);
		assert_true(kpl_arch_build_frame(&in, buf, sizeof(buf), &at) >
			    0);
		assert_int_equal(rd64(buf, F_RAX), cases[i].want_rax);
		assert_int_equal(rd64(buf, F_RIP), cases[i].want_rip);
	}
}

/* NT_X86_XSTATE keeps XCR0 where a signal frame keeps its software
 * bytes: the frame gets magic1, the sizes and the features, magic2 after
 * the state, and UC_FP_XSTATE. */
static void test_build_frame__xstate_software_bytes(void **state)
{
	struct user_regs_struct u = thread();
	struct kpl_arch_regs r = regs_of(&u);
	uint8_t xs[1024], buf[4096];
	struct kpl_arch_frame_in in = {
		.regs = &r, .fpstate = xs, .fpstate_len = sizeof(xs),
		.sigreturn = SIGRET,
	};
	const uint64_t xcr0 = 0x2e7;
	uint64_t at;

	(void)state;
	memset(xs, 0x11, sizeof(xs));
	memcpy(xs + 464, &xcr0, 8);
	assert_int_equal(kpl_arch_build_frame(&in, buf, sizeof(buf), &at),
			 kpl_arch_frame_size(sizeof(xs)));
	assert_int_equal(rd64(buf, F_UC_FLAGS), 0x7);
	assert_int_equal(rd32(buf, SW_OFF), MAGIC1);
	assert_int_equal(rd32(buf, SW_OFF + 4), sizeof(xs) + 4);
	assert_int_equal(rd64(buf, SW_OFF + 8), xcr0);
	assert_int_equal(rd32(buf, SW_OFF + 16), sizeof(xs));
	assert_int_equal(rd32(buf, FP_OFF + sizeof(xs)), MAGIC2);
	/* The state itself is copied as is. */
	assert_memory_equal(buf + FP_OFF, xs, 464);
}

static void test_build_frame__bad_input_refused(void **state)
{
	struct user_regs_struct u = thread();
	struct kpl_arch_regs r;
	uint8_t xs[1024] = { 0 }, buf[4096];
	struct kpl_arch_frame_in in = {
		.regs = &r, .fpstate = xs, .fpstate_len = 512,
		.sigreturn = SIGRET,
	};
	const uint32_t m1 = MAGIC1, wrong = 2048;
	uint64_t at = 0xdead;

	(void)state;
	r = regs_of(&u);
	in.fpstate_len = 511;		/* shorter than fxsave */
	assert_int_equal(kpl_arch_build_frame(&in, buf, sizeof(buf), &at),
			 -EINVAL);
	in.fpstate_len = 512;
	assert_int_equal(kpl_arch_build_frame(&in, buf, 1000, &at), -EINVAL);
	in.sigreturn = 0;
	assert_int_equal(kpl_arch_build_frame(&in, buf, sizeof(buf), &at),
			 -EINVAL);
	in.sigreturn = SIGRET;
	/* Software bytes that disagree with the state's size. */
	memcpy(xs + 464, &m1, 4);
	memcpy(xs + 464 + 12, &wrong, 4);
	in.fpstate_len = sizeof(xs);
	assert_int_equal(kpl_arch_build_frame(&in, buf, sizeof(buf), &at),
			 -EINVAL);
	/* No room below the stack pointer. */
	u.rsp = 1024;
	r = regs_of(&u);
	in.fpstate_len = 512;
	assert_int_equal(kpl_arch_build_frame(&in, buf, sizeof(buf), &at),
			 -ERANGE);
	assert_int_equal(at, 0xdead);
}

/* The step frame's context is the registers exactly: no restart logic,
 * no FPU state. */
static void test_build_step_frame__regs_exactly(void **state)
{
	struct user_regs_struct u = thread();
	struct kpl_arch_regs r;
	uint8_t buf[512];

	(void)state;
	u.orig_rax = 7;
	u.rax = (unsigned long long)-512;
	r = regs_of(&u);
	assert_int_equal(kpl_arch_step_frame_size(), 448);
	assert_int_equal(kpl_arch_build_step_frame(&r, ~0ull, SIGRET, 0, buf,
						   sizeof(buf)),
			 448);
	assert_int_equal(rd64(buf, F_PRETCODE), SIGRET);
	assert_int_equal(rd64(buf, F_RAX), (uint64_t)-512);
	assert_int_equal(rd64(buf, F_RIP), 0x401234);
	assert_int_equal(rd64(buf, F_FPSTATE), 0);
	assert_int_equal(rd64(buf, F_SIGMASK), ~0ull);
	assert_int_equal(kpl_arch_build_step_frame(&r, 0, SIGRET, 0, buf, 447),
			 -EINVAL);
	assert_int_equal(kpl_arch_build_step_frame(&r, 0, 0, 0, buf,
						   sizeof(buf)),
			 -EINVAL);
	/* With an insurance frame's FPU state: that address, aligned. */
	assert_int_equal(kpl_arch_frame_fpstate(0x7ffe1000), 0x7ffe1200);
	assert_int_equal(kpl_arch_build_step_frame(&r, 0, SIGRET, 0x7ffe1200,
						   buf, sizeof(buf)),
			 448);
	assert_int_equal(rd64(buf, F_FPSTATE), 0x7ffe1200);
	assert_int_equal(kpl_arch_build_step_frame(&r, 0, SIGRET, 0x7ffe1208,
						   buf, sizeof(buf)),
			 -EINVAL);
}

/* syscall; ret (0f 05 c3) and a __restore_rt (mov $15, %rax; syscall),
 * found at their addresses; each filled once. */
static void test_find_gadgets__both_forms(void **state)
{
	static const uint8_t code[] = {
		0x90, 0x90,				/* 0: nop; nop */
		0x0f, 0x05,				/* 2: syscall */
		0x90,					/* 4: nop */
		0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, /* 5: mov $15,%rax */
		0x0f, 0x05,				/* c: syscall */
		0x0f, 0x05, 0xc3,			/* e: syscall; ret */
	};
	static const uint8_t go[] = {
		0xb8, 0x0f, 0x00, 0x00, 0x00,		/* mov $15, %eax */
		0x0f, 0x05,				/* syscall */
	};
	struct kpl_arch_gadgets g = { 0, 0 };

	(void)state;
	assert_int_equal(kpl_arch_gadget_overlap(), 8);
	assert_int_equal(kpl_arch_find_gadgets(code, 12, 0x1000, &g), -ENOENT);
	assert_int_equal(g.syscall_ret, 0);
	assert_int_equal(g.sigreturn, 0);
	assert_int_equal(kpl_arch_find_gadgets(code, sizeof(code), 0x1000,
					       &g), 0);
	assert_int_equal(g.syscall_ret, 0x100e);
	assert_int_equal(g.sigreturn, 0x1005);
	/* Found once: a later window does not move them. */
	assert_int_equal(kpl_arch_find_gadgets(code + 14, 3, 0x200e, &g), 0);
	assert_int_equal(g.syscall_ret, 0x100e);
	memset(&g, 0, sizeof(g));
	assert_int_equal(kpl_arch_find_gadgets(go, sizeof(go), 0x3000, &g),
			 -ENOENT);
	assert_int_equal(g.sigreturn, 0x3000);
	assert_int_equal(kpl_arch_find_gadgets(NULL, 0, 0, &g), -EINVAL);
}

/* The stub a call into the target returns through (arch.h). */
static void test_mark_stub__bytes(void **state)
{
	static const uint8_t want[] = {
		0xc6, 0x03, 0x01,	/* movb $1, (%rbx) */
		0xc3,			/* ret */
	};
	uint8_t buf[KPL_ARCH_MARK_STUB_LEN + 1];

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	kpl_arch_mark_stub(buf);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[KPL_ARCH_MARK_STUB_LEN], 0xcc);
}

static void test_call_regs__abi_and_mark(void **state)
{
	const uint64_t a[6] = { 11, 12, 13, 14, 15, 16 };
	struct user_regs_struct u, o;
	struct kpl_arch_regs r, out;

	(void)state;
	memset(&u, 0x5a, sizeof(u));
	u.eflags = 0x746;	/* TF, DF, IF, ZF, PF */
	u.orig_rax = 7;
	r = regs_of(&u);
	/* At a call's entry the return address is 8 past a 16-byte line. */
	assert_int_equal(kpl_arch_call_regs(&r, &out, 0x1000, 0x7ff0, a, 0x99),
			 -EINVAL);
	assert_int_equal(kpl_arch_call_regs(&r, &out, 0x1000, 0x7ff8, a, 0x99),
			 0);
	memcpy(&o, &out, sizeof(o));
	assert_int_equal(o.rip, 0x1000);
	assert_int_equal(o.rsp, 0x7ff8);
	assert_int_equal(o.rdi, 11);
	assert_int_equal(o.rsi, 12);
	assert_int_equal(o.rdx, 13);
	assert_int_equal(o.rcx, 14);
	assert_int_equal(o.r8, 15);
	assert_int_equal(o.r9, 16);
	assert_int_equal(o.rbx, 0x99);
	assert_int_equal(o.rax, 0);
	assert_int_equal(o.orig_rax, (uint64_t)-1);
	assert_int_equal(o.eflags, 0x246);
	/* The rest is the thread's own. */
	assert_int_equal(o.r12, u.r12);
	assert_int_equal(o.rbp, u.rbp);
	assert_int_equal(o.fs_base, u.fs_base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_frame__fxsave_below_red_zone),
		cmocka_unit_test(test_build_frame__restart_applied),
		cmocka_unit_test(test_build_frame__xstate_software_bytes),
		cmocka_unit_test(test_build_frame__bad_input_refused),
		cmocka_unit_test(test_build_step_frame__regs_exactly),
		cmocka_unit_test(test_find_gadgets__both_forms),
		cmocka_unit_test(test_mark_stub__bytes),
		cmocka_unit_test(test_call_regs__abi_and_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
