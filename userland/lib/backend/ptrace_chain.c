// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A chain of system calls run by the borrowed thread at once, with no
 * stop between them (docs/engine.md, "Stops"): one step frame per call
 * after the first (ptrace_inject.c's frames, kpl_arch_build_step_frame()),
 * each leading to the next, the last tgkill() of the thread itself with
 * a signal it ignores, whose delivery stop hands it back to kpl.  Each
 * syscall injected alone costs two stops of the thread, entry and exit;
 * a chain costs one.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

/*
 * Wait for the chain's own signal (kpl_pt_inj_chain()): its signal-
 * delivery-stop, sent by the thread to itself (@ns_pid: its process in
 * its own pid namespace, as si_pid names it), or any of that number
 * with the thread just past the chain's last syscall (one sent by
 * someone else before it, with which ours merged: its action is to be
 * ignored, so dropping it changes nothing).  Another of that number
 * (none can be delivered in the chain, where all are blocked but ours,
 * and a faulting instruction's is another number) is handed on.
 */
static int chain_wait(struct kpl_pt_inj *ij, int sig, pid_t ns_pid,
		      uint64_t ret_sp, uint64_t deadline)
{
	uint64_t end_pc = ij->pp->g.syscall_ret + kpl_arch_syscall_len();
	struct kpl_pt_thread *t = ij->t;

	for (;;) {
		struct kpl_arch_regs cur;
		siginfo_t si;
		int w = kpl_pt_wait_keep(t, deadline, PTRACE_CONT, sig);

		if (w <= 0)
			return w ? w : -ESRCH;
		if (w == 1) {
			/* An event stop: a group-stop passed over, as
			 * inj_run() does; anything else is not ours. */
			if (!t->group_stop)
				return -KPL_E_BACKEND;
		} else if (kpl_pt_req(PTRACE_GETSIGINFO, t->tid, NULL, &si) < 0) {
			return -errno;
		} else if (si.si_code == SI_TKILL &&
			   si.si_pid == ns_pid) {
			return 0;
		} else if (!kpl_pt_getregs(t->tid, &cur) &&
			   kpl_arch_regs_pc(&cur) == end_pc &&
			   kpl_arch_regs_sp(&cur) == ret_sp) {
			return 0;
		}
		if (kpl_pt_req(PTRACE_CONT, t->tid, NULL,
			       (void *)(long)(w == 2 ? sig : 0)) < 0)
			return -errno;
	}
}

int kpl_pt_inj_chain(struct kpl_pt_inj *ij, const struct kpl_pt_call1 *c,
		     size_t nr, int sig, bool closes, bool same_ns)
{
	size_t fsz = kpl_arch_step_frame_size(), n = nr + 1, i;
	uint64_t ret_sp = closes ? ij->frame : ij->sp, lo, all = ~0ull;
	uint64_t deadline = kpl_now_ns() + KPL_PT_INJECT_TIMEOUT_NS;
	struct kpl_pt_thread *t = ij->t;
	struct kpl_pt_call1 last = { SYS_tgkill, { 0 } };
	struct kpl_arch_regs r;
	pid_t ns_pid, ns_tid;
	uint8_t *buf;
	int err;

	/* Each step frame's rt_sigreturn resets the thread's restart
	 * block, which a sleep it was stopped in may need to go on
	 * (restart_syscall): it would see EINTR.  One by one then. */
	if (ij->running || !nr || nr > 16 || sig < 1 || sig > 64 ||
	    !ij->fp || ij->sp < (n - 1) * fsz ||
	    kpl_arch_regs_restart_block(&ij->orig))
		return -EOPNOTSUPP;
	/* The thread runs tgkill() in its own pid namespace (a container
	 * has one): by kpl's numbers it would find no such thread, run on
	 * past the chain and never stop for us.  Only then is /proc read
	 * in the stop. */
	ns_pid = ij->p->pid;
	ns_tid = t->tid;
	if (!same_ns && kpl_pt_ns_ids(ij->p->pid, t->tid, &ns_pid, &ns_tid))
		return -EOPNOTSUPP;
	last.a[0] = (uint64_t)ns_pid;
	last.a[1] = (uint64_t)ns_tid;
	last.a[2] = (uint64_t)sig;
#ifdef KPL_FAULT_INJECT
	/* $KPL_FAULT_CHAIN_LOST: the command's first chain's tgkill()
	 * sends nothing, its stop never comes (test_chain.sh); the chained
	 * munmap that takes its mapping back is not touched. */
	static bool lost;

	if (!lost && getenv("KPL_FAULT_CHAIN_LOST")) {
		lost = true;
		last.a[2] = 0;
	}
#endif
	/* Calls 2..n each in a step frame, below the session's sp: call
	 * k's frame at lo + (k - 2) * fsz, its stack the next frame's. */
	lo = ij->sp - (n - 1) * fsz;
	buf = calloc(n - 1, fsz);
	if (!buf)
		return -EOPNOTSUPP;
	for (i = 1; i < n; i++) {
		const struct kpl_pt_call1 *ci = i < nr ? &c[i] : &last;
		uint64_t next = i + 1 < n ? lo + i * fsz : ret_sp;
		/* The signal is let through only after the last call. */
		uint64_t mask = i + 1 < n ? all : all & ~(1ull << (sig - 1));
		/* Each step frame resets the FPU but the last, which takes
		 * the thread's own back from the insurance frame. */
		uint64_t fp = i + 1 < n ? 0 : kpl_arch_frame_fpstate(ij->frame);

		kpl_arch_syscall_regs(&ij->orig, &r, ij->pp->g.syscall_ret,
				      next, ci->nr, ci->a);
		if (kpl_arch_build_step_frame(&r, mask, ij->pp->g.sigreturn,
					      fp, buf + (i - 1) * fsz,
					      fsz) < 0) {
			free(buf);
			return -EOPNOTSUPP;
		}
	}
	err = kpl_proc__write(ij->p, lo, buf, (n - 1) * fsz);
	free(buf);
	if (err)
		return -EOPNOTSUPP;
	kpl_arch_syscall_regs(&ij->orig, &r, ij->pp->g.syscall_ret,
			      n > 1 ? lo : ret_sp, c[0].nr, c[0].a);
	err = kpl_pt_setregs(t->tid, &r);
	if (err)
		return -EOPNOTSUPP;
	/* From here on the thread may run the chain without us: each step
	 * frame leads to the next, the last to the insurance frame. */
	ij->armed = true;
	ij->at_exit = false;
	ij->fp_lost = true;
	/* The mask only now, as kpl_pt_inj_syscall() does: killed before
	 * the registers, kpl would leave the thread its own code with
	 * every signal blocked; after them, the frames restore its mask. */
	if (!ij->masked) {
		if (kpl_pt_req(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all),
			       &all) < 0)
			return -errno;
		ij->masked = true;
	}
	kpl_fault_tag("chain in flight");
	if (kpl_pt_req(PTRACE_CONT, t->tid, NULL, NULL) < 0) {
		err = -errno;
		kpl_fault_tag(NULL);
		return err;
	}
	ij->running = true;
	err = chain_wait(ij, sig, ns_pid, ret_sp, deadline);
	kpl_fault_tag(NULL);
	if (err)
		return err;
	ij->running = false;
	/* At our signal's delivery stop, just past the last syscall, on
	 * the frame it returns into: replaceable, and detaching or
	 * resuming with no signal drops ours.  Its FPU state is its own
	 * again (the last step frame's), so kpl need not set it. */
	ij->at_exit = true;
	ij->fp_lost = false;
	ij->sp = ret_sp;
	return 0;
}
