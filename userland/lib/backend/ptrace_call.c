// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A function called by one borrowed thread of the target, for the
 * ptrace backend: how a patch's unwind table is registered with, and
 * taken back from, the target's libgcc (eh_reg.c).
 *
 * The session is the syscalls' (ptrace_inject.c): first the insurance
 * frame, an rt_sigframe below the red zone holding the thread's own
 * registers, mask and FPU state, returning into the C library's
 * rt_sigreturn trampoline.  Below it goes one word, the address of the
 * patch's mark stub, and the thread is pointed at the function with its
 * stack pointer on that word (8 past a 16-byte boundary, as the ABI
 * wants at a call's entry, the frame being 64-aligned), every signal
 * blocked.  So the thread runs
 *
 *	fn(args)  ->  mark stub: movb $1, (%rbx); ret  ->  trampoline:
 *	rt_sigreturn from the insurance frame
 *
 * and comes out with every register, its mask and its FPU state as they
 * were, whether kpl watches or died at any instant on the way: nothing
 * is single-stepped and nothing waits for kpl.  kpl follows it with
 * PTRACE_SYSCALL, sees the rt_sigreturn enter with the stack pointer
 * just above the frame's return slot and leave, and then restores the
 * registers itself as after a syscall (a syscall the thread was in
 * restarts as the kernel would).
 *
 * While the function runs, the thread's stack holds a return address
 * into the patch's text, so any later unwinding check keeps the patch
 * mapped; once it has returned, the mark is set.  A later kpl therefore
 * always knows whether the call happened (eh_reg.c).  The wait is
 * bounded: past @timeout_ms the thread is let go, still in the call,
 * which it finishes on its own.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

static void to_thread(const struct kpl_pt_thread *t, struct kpl_thread *th)
{
	memset(th, 0, sizeof(*th));
	th->tid = t->tid;
	th->ip = kpl_arch_regs_pc(&t->regs);
	th->sp = kpl_arch_regs_sp(&t->regs);
	th->bp = kpl_arch_regs_fp(&t->regs);
	th->regs = t->regs;
}

/* Run the armed thread until the insurance frame's rt_sigreturn left. */
static int follow(struct kpl_pt_inj *ij, uint64_t deadline)
{
	bool returning = false;
	int w;

	for (;;) {
		struct __ptrace_syscall_info si;

		w = kpl_pt_inj_next_syscall(ij, deadline, &si);
		if (w)
			return w;
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    si.entry.nr == SYS_rt_sigreturn &&
		    si.stack_pointer == ij->frame + 8) {
			returning = true;	/* the stub has run */
		} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && returning) {
			ij->at_exit = true;
			return 0;
		}
		/* Else a syscall of the function's own (a futex...). */
	}
}

int kpl_pt_call_with(struct kpl_proc *p, struct kpl_pt *pp,
		     struct kpl_call *c)
{
	struct kpl_pt one;
	struct kpl_arch_regs r;
	struct kpl_pt_thread *t;
	struct kpl_pt_inj ij;
	struct kpl_thread th;
	uint64_t all = ~0ull, at;
	int err, e2;

	c->started = false;
	err = kpl_pt_find_gadgets(p, pp);
	if (!err)
		err = kpl_pt_borrow(p, pp, &one, &t, false);
	if (err)
		return err;
	c->tid = t->tid;
	if (c->check) {
		to_thread(t, &th);
		err = c->check(c->ctx, &th);
		if (err)
			goto out;
	}
	err = kpl_pt_inj_begin(&ij, p, pp, t, NULL, 0);
	if (err)
		goto out;
	at = ij.frame - 8;
	err = kpl_arch_call_regs(&ij.orig, &r, c->fn, at, c->args, c->mark);
	if (!err)
		err = kpl_proc__write(p, at, &c->stub, sizeof(c->stub));
	if (err)
		goto out_end;
	ij.sp = at;
	kpl_fault_tag("call in flight");
	err = kpl_pt_setregs(t->tid, &r);
	if (err)
		goto out_end;
	ij.armed = true;
	c->started = true;
	/* Only now: the frame holds the thread's own mask. */
	if (kpl_pt_req(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all),
		       &all) < 0) {
		err = -errno;
		goto out_end;
	}
	ij.masked = true;
	err = follow(&ij, kpl_now_ns() + (uint64_t)c->timeout_ms * 1000000ull);
	if (err == -KPL_E_TIMEOUT)
		pr_warn("ptrace: pid %d: the call in thread %d did not return "
			"within %d ms; it is left to finish on its own\n",
			p->pid, t->tid, c->timeout_ms);
out_end:
	kpl_fault_tag(NULL);
	e2 = kpl_pt_inj_end(&ij);
	if (!err)
		err = e2;
out:
	kpl_pt_give_back(p, &one);
	return err;
}

int kpl_pt_call(struct kpl_proc *p, struct kpl_call *c)
{
	return kpl_pt_call_with(p, p->priv, c);
}
