// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * x86-64 facts for running a system call in a stopped thread of the
 * target so that the thread survives the tracer dying at any instant.
 *
 * The injected registers point the thread at a `syscall; ret` sequence
 * found in its own text, with its stack pointer at an rt_sigframe that
 * kpl wrote below the red zone.  The frame's return slot holds the
 * address of the C library's signal trampoline (`mov $15, %rax;
 * syscall`, i.e. rt_sigreturn), and its context holds the thread's own
 * registers, signal mask and FPU/AVX state.  So from the moment the
 * injected registers are set, a thread whose tracer vanishes runs at most
 * the one injected syscall, returns into the trampoline, and rt_sigreturn
 * puts back every register it had: there is no state in which it would
 * run on with borrowed registers, and no single step (a tracer that dies
 * with the trap flag set leaves a SIGTRAP that kills the thread).
 *
 * Pure functions over bytes, like the rest of arch/: no process, no I/O.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "x86_64_regs.h"

/* The kernel's struct sigcontext (64-bit), in the rt_sigframe. */
struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

/* struct rt_sigframe as rt_sigreturn reads it at (sp - 8). */
struct x86_rt_sigframe {
	uint64_t pretcode;
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad0;
	uint64_t ss_size;
	struct x86_sigcontext mc;
	uint64_t sigmask;
	uint8_t info[128];
};

_Static_assert(offsetof(struct x86_rt_sigframe, mc) == 48, "uc_mcontext");
_Static_assert(offsetof(struct x86_rt_sigframe, sigmask) == 304,
	       "uc_sigmask");
_Static_assert(sizeof(struct x86_rt_sigframe) == 440, "rt_sigframe");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define SW_RESERVED_OFF 464	/* struct _fpx_sw_bytes in the fxsave area */
#define FXSAVE_SIZE 512
#define FPSTATE_OFF 512		/* from the frame start; 64-byte aligned */
#define RED_ZONE 128

/* The kernel's restart codes, never seen by user space. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define NR_restart_syscall 219

int kpl_arch_find_gadgets(const uint8_t *buf, size_t len, uint64_t addr,
			  struct kpl_arch_gadgets *g)
{
	/* syscall; ret */
	static const uint8_t sys_ret[] = { 0x0f, 0x05, 0xc3 };
	/* glibc and musl __restore_rt: mov $15, %rax; syscall */
	static const uint8_t rt1[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00,
				       0x00, 0x00, 0x0f, 0x05 };
	/* mov $15, %eax; syscall (Go, others) */
	static const uint8_t rt2[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00,
				       0x0f, 0x05 };
	const uint8_t *p;

	if (!buf || !g)
		return -EINVAL;
	if (!g->syscall_ret) {
		p = memmem(buf, len, sys_ret, sizeof(sys_ret));
		if (p)
			g->syscall_ret = addr + (uint64_t)(p - buf);
	}
	if (!g->sigreturn) {
		p = memmem(buf, len, rt1, sizeof(rt1));
		if (!p)
			p = memmem(buf, len, rt2, sizeof(rt2));
		if (p)
			g->sigreturn = addr + (uint64_t)(p - buf);
	}
	return g->syscall_ret && g->sigreturn ? 0 : -ENOENT;
}

size_t kpl_arch_gadget_overlap(void)
{
	return 8;	/* longest pattern - 1: scan windows overlap by this */
}

const char *kpl_arch_gadget_missing(const struct kpl_arch_gadgets *g)
{
	return g->sigreturn ? "'syscall; ret' sequence"
			    : "rt_sigreturn trampoline";
}

/*
 * The registers a thread stopped in a syscall would resume with after
 * the kernel's restart logic: rt_sigreturn clears orig_rax, so restarts
 * are applied here.  The restart block is reset by rt_sigreturn too, so
 * a RESTART_BLOCK syscall (nanosleep, poll...) is restarted from its
 * original arguments rather than through restart_syscall.
 */
static void resume_regs(const struct user_regs_struct *r,
			struct user_regs_struct *out, bool via_sigreturn)
{
	*out = *r;
	if ((int64_t)r->orig_rax < 0)
		return;
	switch (-(int64_t)r->rax) {
	case ERESTARTSYS:
	case ERESTARTNOINTR:
	case ERESTARTNOHAND:
		out->rax = r->orig_rax;
		out->rip -= 2;
		break;
	case ERESTART_RESTARTBLOCK:
		out->rax = via_sigreturn ? r->orig_rax : NR_restart_syscall;
		out->rip -= 2;
		break;
	default:
		return;
	}
	out->orig_rax = (uint64_t)-1;
}

bool kpl_arch_regs_restarting(const struct kpl_arch_regs *regs)
{
	const struct user_regs_struct u = x86_regs(regs);
	struct user_regs_struct r;

	resume_regs(&u, &r, false);
	return r.rip != u.rip;
}

bool kpl_arch_regs_restart_block(const struct kpl_arch_regs *regs)
{
	const struct user_regs_struct u = x86_regs(regs);

	return (int64_t)u.orig_rax >= 0 &&
	       -(int64_t)u.rax == ERESTART_RESTARTBLOCK;
}

long kpl_arch_regs_syscall(const struct kpl_arch_regs *regs)
{
	const struct user_regs_struct u = x86_regs(regs);

	return (long)u.orig_rax < 0 ? -1 : (long)u.orig_rax;
}

bool kpl_arch_sleep_restarts(long nr)
{
	switch (nr) {
	case SYS_futex:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_restart_syscall:	/* one of them, interrupted once */
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_pause:
		return true;
	default:
		return false;
	}
}

size_t kpl_arch_frame_size(size_t fpstate_len)
{
	/* frame, padding to the fpstate, the xstate, its end magic; a
	 * multiple of 64 so what lies above it stays aligned */
	return (FPSTATE_OFF + fpstate_len + 4 + 63) & ~(size_t)63;
}

/* An rt_sigframe whose context is @rr, returning into @sigreturn. */
static void fill_frame(struct x86_rt_sigframe *f,
		       const struct user_regs_struct *rr, uint64_t sigreturn,
		       uint64_t sigmask)
{
	memset(f, 0, sizeof(*f));
	f->pretcode = sigreturn;
	f->uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	/* An invalid mode: rt_sigreturn's sigaltstack() fails with EINVAL
	 * and leaves the thread's alternate stack as it is. */
	f->ss_flags = 3;
	f->mc.r8 = rr->r8;
	f->mc.r9 = rr->r9;
	f->mc.r10 = rr->r10;
	f->mc.r11 = rr->r11;
	f->mc.r12 = rr->r12;
	f->mc.r13 = rr->r13;
	f->mc.r14 = rr->r14;
	f->mc.r15 = rr->r15;
	f->mc.rdi = rr->rdi;
	f->mc.rsi = rr->rsi;
	f->mc.rbp = rr->rbp;
	f->mc.rbx = rr->rbx;
	f->mc.rdx = rr->rdx;
	f->mc.rax = rr->rax;
	f->mc.rcx = rr->rcx;
	f->mc.rsp = rr->rsp;
	f->mc.rip = rr->rip;
	f->mc.eflags = rr->eflags;
	f->mc.cs = (uint16_t)rr->cs;
	f->mc.ss = (uint16_t)rr->ss;
	f->sigmask = sigmask;
}

size_t kpl_arch_step_frame_size(void)
{
	return (sizeof(struct x86_rt_sigframe) + 63) & ~(size_t)63;
}

uint64_t kpl_arch_frame_fpstate(uint64_t frame_at)
{
	return frame_at + FPSTATE_OFF;
}

int kpl_arch_build_step_frame(const struct kpl_arch_regs *regs,
			      uint64_t sigmask, uint64_t sigreturn,
			      uint64_t fpstate, uint8_t *buf, size_t len)
{
	struct user_regs_struct u;
	struct x86_rt_sigframe f;
	size_t need = kpl_arch_step_frame_size();

	if (!regs || !sigreturn || len < need || (fpstate & 63))
		return -EINVAL;
	u = x86_regs(regs);
	fill_frame(&f, &u, sigreturn, sigmask);
	/* rt_sigreturn restores the FPU from there (XRSTOR wants 64-byte
	 * alignment), and with none resets it. */
	f.mc.fpstate = fpstate;
	memset(buf, 0, need);
	memcpy(buf, &f, sizeof(f));
	return (int)need;
}

int kpl_arch_build_frame(const struct kpl_arch_frame_in *in, uint8_t *buf,
			 size_t len, uint64_t *frame_at)
{
	const uint8_t *xstate = in->fpstate;
	size_t xstate_len = in->fpstate_len;
	struct user_regs_struct u, rr;
	const struct user_regs_struct *r = &u;
	struct x86_rt_sigframe f;
	size_t need = kpl_arch_frame_size(xstate_len);
	uint64_t at;
	uint32_t magic1 = 0, xsize = 0;

	if (!in->regs || !xstate || xstate_len < FXSAVE_SIZE ||
	    len < need || !in->sigreturn)
		return -EINVAL;
	u = x86_regs(in->regs);
	if (xstate_len > FXSAVE_SIZE) {
		memcpy(&magic1, xstate + SW_RESERVED_OFF, 4);
		memcpy(&xsize, xstate + SW_RESERVED_OFF + 12, 4);
		if (magic1 == FP_XSTATE_MAGIC1 && xsize != xstate_len)
			return -EINVAL;
	}
	/* Below the red zone, below whatever the caller keeps there. */
	if (r->rsp < RED_ZONE + in->below + need + 64)
		return -ERANGE;
	at = (r->rsp - RED_ZONE - in->below - need) & ~63ull;
	resume_regs(r, &rr, true);

	fill_frame(&f, &rr, in->sigreturn, in->sigmask);
	f.uc_flags |= xstate_len > FXSAVE_SIZE ? UC_FP_XSTATE : 0;
	f.mc.fpstate = at + FPSTATE_OFF;

	memset(buf, 0, need);
	memcpy(buf, &f, sizeof(f));
	memcpy(buf + FPSTATE_OFF, xstate, xstate_len);
	if (xstate_len > FXSAVE_SIZE && magic1 != FP_XSTATE_MAGIC1) {
		/*
		 * ptrace's NT_X86_XSTATE keeps XCR0 where a signal frame
		 * keeps struct _fpx_sw_bytes: write what rt_sigreturn
		 * checks (magic, sizes, the features to restore).
		 */
		uint8_t *sw = buf + FPSTATE_OFF + SW_RESERVED_OFF;
		uint32_t m1 = FP_XSTATE_MAGIC1;
		uint32_t ext = (uint32_t)xstate_len + 4;
		uint32_t size = (uint32_t)xstate_len;
		uint64_t xcr0;

		memcpy(&xcr0, xstate + SW_RESERVED_OFF, 8);
		memset(sw, 0, 48);
		memcpy(sw, &m1, 4);
		memcpy(sw + 4, &ext, 4);
		memcpy(sw + 8, &xcr0, 8);
		memcpy(sw + 16, &size, 4);
	}
	if (xstate_len > FXSAVE_SIZE) {
		uint32_t m2 = FP_XSTATE_MAGIC2;

		memcpy(buf + FPSTATE_OFF + xstate_len, &m2, 4);
	}
	*frame_at = at;
	return (int)need;
}

void kpl_arch_syscall_regs(const struct kpl_arch_regs *regs,
			   struct kpl_arch_regs *out, uint64_t pc, uint64_t sp,
			   long nr, const uint64_t args[6])
{
	struct user_regs_struct u = x86_regs(regs);
	struct user_regs_struct *o = &u;

	o->rip = pc;
	o->rsp = sp;
	o->rax = (uint64_t)nr;
	o->orig_rax = (uint64_t)-1;	/* no restart on the way out */
	o->rdi = args[0];
	o->rsi = args[1];
	o->rdx = args[2];
	o->r10 = args[3];
	o->r8 = args[4];
	o->r9 = args[5];
	o->eflags &= ~0x100ull;		/* never the trap flag */
	x86_regs_put(out, o);
}

uint64_t kpl_arch_syscall_len(void)
{
	return 2;
}

void kpl_arch_mark_stub(uint8_t *buf)
{
	/* movb $1, (%rbx); ret */
	static const uint8_t stub[KPL_ARCH_MARK_STUB_LEN] = { 0xc6, 0x03, 0x01,
							      0xc3 };

	memcpy(buf, stub, sizeof(stub));
}

int kpl_arch_call_regs(const struct kpl_arch_regs *regs,
		       struct kpl_arch_regs *out, uint64_t fn, uint64_t sp,
		       const uint64_t args[6], uint64_t mark)
{
	struct user_regs_struct u = x86_regs(regs);
	struct user_regs_struct *o = &u;

	if ((sp & 15) != 8)
		return -EINVAL;
	o->rip = fn;
	o->rsp = sp;
	o->rbx = mark;		/* callee-saved: the stub finds it intact */
	o->rax = 0;		/* no vector registers for varargs */
	o->orig_rax = (uint64_t)-1;
	o->rdi = args[0];
	o->rsi = args[1];
	o->rdx = args[2];
	o->rcx = args[3];
	o->r8 = args[4];
	o->r9 = args[5];
	o->eflags &= ~0x500ull;	/* neither the trap nor the direction flag */
	x86_regs_put(out, o);
	return 0;
}
