// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * System calls run by one borrowed thread of the target, for the ptrace
 * backend's map and unmap (ptrace_map.c).
 *
 * A session holds one thread.  It first writes, below the part of the
 * thread's stack it may be using, an insurance frame (arch:
 * kpl_arch_build_frame()) holding the thread's own registers, signal
 * mask and FPU state, with the C library's rt_sigreturn trampoline as
 * its return address.  Each syscall is then run by pointing the thread
 * at a system call followed by a return in its own text (a gadget the
 * arch finds) with its stack pointer on that frame, and following it with
 * PTRACE_SYSCALL to its exit stop, where the result is read.  If kpl
 * dies at any instant, the kernel lets the thread go from wherever it
 * is: it finishes at most the syscall it was given, returns into the
 * trampoline and rt_sigreturn restores it.  No single step is used: a
 * tracer dying mid-step leaves a trap flag whose SIGTRAP kills the
 * thread.
 *
 * At the end the thread's registers are put back with PTRACE_SETREGSET.
 * Registers are opaque here (struct kpl_arch_regs): the arch changes
 * them (kpl_arch_syscall_regs()) and builds the frames.
 * If it had been stopped inside a syscall the kernel will restart, it is
 * taken back to an event stop first, so the restart happens as the
 * kernel itself would do it, signals included.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

#define SCRATCH KPL_PT_SCRATCH


/* The most bytes any of the arch's FPU regsets holds. */
static size_t fpstate_max(void)
{
	const struct kpl_arch_regset *rs;
	size_t max = 0;

	for (rs = kpl_arch_fpu_regsets; rs->nt; rs++)
		if (rs->max > max)
			max = rs->max;
	return max;
}

/*
 * The thread's FPU state, in the layout a signal frame holds: from the
 * first of the arch's regsets the kernel gives (@buf holds
 * fpstate_max() bytes).
 */
static int get_fpstate(pid_t tid, uint8_t *buf, size_t *len,
		       unsigned int *nt)
{
	const struct kpl_arch_regset *rs;
	int err = -EINVAL;

	for (rs = kpl_arch_fpu_regsets; rs->nt; rs++) {
		struct iovec iov = { buf, rs->max };

		if (kpl_pt_req(PTRACE_GETREGSET, tid, (void *)(long)rs->nt,
			       &iov) == 0) {
			*len = iov.iov_len;
			*nt = rs->nt;
			return 0;
		}
		err = -errno;
	}
	return err;
}

/*
 * The step frame that makes the thread close(@fd) on its way back, should
 * kpl die, into @buf (kpl_arch_step_frame_size() bytes): it lies right
 * below the insurance frame, into which the close returns.  Its length,
 * or <0.
 */
static int step_frame(struct kpl_pt_inj *ij, long fd, uint8_t *buf,
		      size_t len)
{
	uint64_t a[6] = { (uint64_t)fd }, all = ~0ull;
	struct kpl_arch_regs r;

	kpl_arch_syscall_regs(&ij->orig, &r, ij->pp->g.syscall_ret, ij->frame,
			      SYS_close, a);
	return kpl_arch_build_step_frame(&r, all, ij->pp->g.sigreturn, 0, buf,
					 len);
}

/*
 * Arm a session on stopped thread @t: the insurance frame goes in, and
 * with @closing the step frame of kpl_pt_inj_close_on_death(ij, -1)
 * right below it, in the same write.
 */
static int inj_begin(struct kpl_pt_inj *ij, struct kpl_proc *p,
		     struct kpl_pt *pp, struct kpl_pt_thread *t,
		     const void *scratch, size_t scratch_len, bool closing)
{
	struct kpl_arch_frame_in in = { 0 };
	uint8_t *fs = NULL, *fb = NULL;
	size_t step = closing ? kpl_arch_step_frame_size() : 0;
	uint64_t mask = 0;
	size_t flen = 0, need;
	int n, sn = 0, err;

	memset(ij, 0, sizeof(*ij));
	ij->p = p;
	ij->pp = pp;
	ij->t = t;
	ij->orig = t->regs;
	if (scratch_len > SCRATCH)
		return -ENAMETOOLONG;
	/*
	 * A thread in a group-stop (SIGSTOP; kpld's BPF hold stops new
	 * processes so) may be borrowed: it runs only kpl's syscalls, and
	 * detaching puts it back into the group-stop.  The gadgets were
	 * found before the stop (kpl_pt_find_gadgets()).
	 */
	if (!pp->g.syscall_ret || !pp->g.sigreturn)
		return -KPL_E_BACKEND;
	if (kpl_pt_req(PTRACE_GETSIGMASK, t->tid, (void *)sizeof(mask),
		       &mask) < 0)
		return -errno;
	fs = malloc(fpstate_max());
	if (!fs)
		return -ENOMEM;
	err = get_fpstate(t->tid, fs, &flen, &ij->fp_nt);
	if (err)
		goto out;
	need = kpl_arch_frame_size(flen);
	fb = calloc(1, step + need + SCRATCH);
	if (!fb) {
		err = -ENOMEM;
		goto out;
	}
	ij->mask = mask;
	in.regs = &t->regs;
	in.sigmask = mask;
	in.fpstate = fs;
	in.fpstate_len = flen;
	in.sigreturn = pp->g.sigreturn;
	in.below = SCRATCH;
	n = kpl_arch_build_frame(&in, fb + step, need, &ij->frame);
	if (n < 0) {
		err = n;
		pr_warn("ptrace: cannot build a restore frame for thread %d: "
			"%s\n", t->tid, kpl_strerror(err));
		goto out;
	}
	ij->scratch = ij->frame + (uint64_t)n;
	ij->sp = ij->frame;
	if (scratch_len)
		memcpy(fb + step + n, scratch, scratch_len);
	if (closing) {
		sn = step_frame(ij, -1, fb, step);
		if (sn < 0) {
			err = sn;
			goto out;
		}
	}
	/* The step frame ends where the frame begins: one write. */
	err = kpl_proc__write(p, ij->frame - (uint64_t)sn, fb + step - sn,
			      (size_t)sn + (size_t)n + SCRATCH);
	if (!err) {
		ij->sp = ij->frame - (uint64_t)sn;
		ij->fp = fs;	/* kept for a chain (kpl_pt_inj_end()) */
		ij->fp_len = flen;
		fs = NULL;
	}
out:
	free(fb);
	free(fs);
	return err;
}

int kpl_pt_inj_begin(struct kpl_pt_inj *ij, struct kpl_proc *p,
		     struct kpl_pt *pp, struct kpl_pt_thread *t,
		     const void *scratch, size_t scratch_len)
{
	return inj_begin(ij, p, pp, t, scratch, scratch_len, false);
}

int kpl_pt_inj_begin_closing(struct kpl_pt_inj *ij, struct kpl_proc *p,
			     struct kpl_pt *pp, struct kpl_pt_thread *t,
			     const void *scratch, size_t scratch_len)
{
	return inj_begin(ij, p, pp, t, scratch, scratch_len, true);
}

/* Is @t at a syscall stop of the syscall this session injected? */
static bool inj_ours(struct kpl_pt_inj *ij, const struct __ptrace_syscall_info *si)
{
	return si->instruction_pointer ==
		       ij->pp->g.syscall_ret + kpl_arch_syscall_len() &&
	       si->stack_pointer == ij->sp;
}

/*
 * Let the session's thread run to its next syscall stop (a group-stop on
 * the way is passed over).  Return: 0, or <0 (the wait's error, -ESRCH
 * when the thread is gone).
 */
static int inj_run(struct kpl_pt_inj *ij, uint64_t deadline)
{
	struct kpl_pt_thread *t = ij->t;
	int w;

	for (;;) {
		if (kpl_pt_req(PTRACE_SYSCALL, t->tid, NULL, NULL) < 0)
			return -errno;
		ij->running = true;
		w = kpl_pt_wait(t, deadline, PTRACE_SYSCALL);
		if (w <= 0)
			return w ? w : -ESRCH;
		ij->running = false;
		if (WSTOPSIG(t->status) == (SIGTRAP | 0x80))
			return 0;	/* else a group-stop: go on */
	}
}

static int inj_info(struct kpl_pt_inj *ij, struct __ptrace_syscall_info *si)
{
	if (kpl_pt_req(PTRACE_GET_SYSCALL_INFO, ij->t->tid,
		       (void *)sizeof(*si), si) < 0)
		return -errno;
	return 0;
}

/* inj_run(), and that stop read into @si. */
int kpl_pt_inj_next_syscall(struct kpl_pt_inj *ij, uint64_t deadline,
			    struct __ptrace_syscall_info *si)
{
	int w = inj_run(ij, deadline);

	return w ? w : inj_info(ij, si);
}

/* Run syscall @nr(@args) in the session's thread; *@ret its result. */
int kpl_pt_inj_syscall(struct kpl_pt_inj *ij, long nr, const uint64_t args[6],
		       long *ret)
{
	uint64_t deadline = kpl_now_ns() + KPL_PT_INJECT_TIMEOUT_NS;
	struct kpl_pt_thread *t = ij->t;
	struct kpl_arch_regs r;
	bool entered = false;
	int w;

	if (ij->running)
		return -KPL_E_BACKEND;
	kpl_arch_syscall_regs(&ij->orig, &r, ij->pp->g.syscall_ret, ij->sp,
			      nr, args);
	w = kpl_pt_setregs(t->tid, &r);
	if (w)
		return w;
	ij->armed = true;
	ij->at_exit = false;
	/*
	 * Signals wait, queued with their siginfo, while the thread works
	 * for us: a storm of them would otherwise run the handler once per
	 * signal under the tracer.  Only now, with the frame's own mask
	 * behind the injected registers, so that a kpl dying here still
	 * leaves the thread its mask.
	 */
	if (!ij->masked) {
		uint64_t all = ~0ull;

		if (kpl_pt_req(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all),
			       &all) < 0)
			return -errno;
		ij->masked = true;
	}
	/*
	 * Syscall stops come entry, exit, entry...: the thread is resumed
	 * from a stop outside any syscall (an event stop, or the exit stop
	 * of the one before), so its next syscall stop is an entry, and
	 * only the stop after it needs reading.  That exit is ours when
	 * its IP and stack are; anything else (an entry where an exit was
	 * due, an exit that is not ours) puts us back in step.
	 */
	for (;;) {
		struct __ptrace_syscall_info si;

		w = inj_run(ij, deadline);
		if (w)
			return w;
		if (!entered) {
			entered = true;
			continue;
		}
		w = inj_info(ij, &si);
		if (w)
			return w;
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
			continue;	/* out of step: this was the entry */
		entered = false;
		if (si.op != PTRACE_SYSCALL_INFO_EXIT || !inj_ours(ij, &si))
			continue;	/* not our syscall */
		/* -ERESTART*: the kernel runs it again. */
		if (si.exit.rval <= -512 && si.exit.rval >= -516)
			continue;
		ij->at_exit = true;
		*ret = (long)si.exit.rval;
		return 0;
	}
}

/*
 * Should kpl die from now on, the thread closes @fd on its way back: the
 * syscalls that follow return into a step frame running close(@fd),
 * whose own return is the insurance frame.  Armed with @fd = -1 before
 * memfd_create (a close that fails harmlessly), then rewritten with the
 * descriptor it returned: only a kpl killed between the two leaves the
 * descriptor behind (close-on-exec).
 */
int kpl_pt_inj_close_on_death(struct kpl_pt_inj *ij, long fd)
{
	size_t sz = kpl_arch_step_frame_size();
	uint8_t buf[512];
	uint64_t at;
	int n, err;

	if (sz > sizeof(buf))
		return -EINVAL;
	n = step_frame(ij, fd, buf, sizeof(buf));
	if (n < 0)
		return n;
	at = ij->frame - (uint64_t)n;
	err = kpl_proc__write(ij->p, at, buf, (size_t)n);
	if (!err)
		ij->sp = at;
	return err;
}

/* After an error: is the thread stopped where its registers may be
 * replaced (not at a syscall-entry stop, still on our frame)? */
static bool inj_replaceable(struct kpl_pt_inj *ij)
{
	struct __ptrace_syscall_info si;
	struct kpl_arch_regs cur;
	pid_t tid = ij->t->tid;

	if (kpl_pt_getregs(tid, &cur) || kpl_arch_regs_sp(&cur) != ij->sp)
		return false;
	if (WSTOPSIG(ij->t->status) != (SIGTRAP | 0x80))
		return true;
	return kpl_pt_req(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(si),
			  &si) >= 0 && si.op != PTRACE_SYSCALL_INFO_ENTRY;
}

/*
 * Give the thread its registers back.  Return 0, or <0 when they could
 * not be restored here: the insurance frame then restores them as soon
 * as the thread runs on.
 */
static int inj_end(struct kpl_pt_inj *ij)
{
	struct kpl_pt_thread *t = ij->t;
	int w;

	if (ij->running) {
		/* An error while it ran: it must be stopped to be let go. */
		kpl_pt_req(PTRACE_INTERRUPT, t->tid, NULL, NULL);
		w = kpl_pt_wait(t, kpl_now_ns() + 1000000000ull, PTRACE_CONT);
		if (w <= 0) {
			t->stopped = false;
			pr_warn("ptrace: thread %d did not stop again; it "
				"stays traced until this process exits\n",
				t->tid);
			return -KPL_E_BACKEND;
		}
		ij->running = false;
	}
	if (!ij->armed)
		return 0;
	if (!ij->at_exit && !inj_replaceable(ij))
		return -KPL_E_BACKEND;
	/* The mask before the registers: in between, the frame would
	 * still restore both. */
	if (ij->masked && kpl_pt_req(PTRACE_SETSIGMASK, t->tid,
				     (void *)sizeof(ij->mask), &ij->mask) < 0)
		return -errno;
	ij->masked = false;
	if (ij->fp_lost) {
		struct iovec iov = { ij->fp, ij->fp_len };

		if (kpl_pt_req(PTRACE_SETREGSET, t->tid,
			       (void *)(long)ij->fp_nt, &iov) < 0)
			return -errno;
		ij->fp_lost = false;
	}
	w = kpl_pt_setregs(t->tid, &ij->orig);
	if (w)
		return w;
	ij->armed = false;
	if (!kpl_arch_regs_restarting(&ij->orig))
		return 0;
	/* Back to an event stop, so the kernel restarts the syscall the
	 * thread was in exactly as it would have without kpl. */
	if (kpl_pt_req(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 ||
	    kpl_pt_req(PTRACE_CONT, t->tid, NULL, NULL) < 0)
		return -errno;
	w = kpl_pt_wait(t, kpl_now_ns() + KPL_PT_INJECT_TIMEOUT_NS, PTRACE_CONT);
	return w < 0 ? w : 0;
}

int kpl_pt_inj_end(struct kpl_pt_inj *ij)
{
	int err = inj_end(ij);

	free(ij->fp);
	ij->fp = NULL;
	return err;
}

/*
 * Borrow a thread: the world's first if it is stopped, else one thread
 * stopped for the occasion (one stop of one thread, logged; ptrace.h).
 */
int kpl_pt_borrow(struct kpl_proc *p, struct kpl_pt *pp,
		  struct kpl_pt *one, struct kpl_pt_thread **t, bool sleeper)
{
	int err;

	if (p->stopped) {
		*t = &pp->t[0];
		return 0;
	}
	memset(one, 0, sizeof(*one));
	one->sleeper = sleeper ? pp->sleeper : -1;
	/* The process's own, kept open with @pp (only read in @one). */
	kpl_pt_open_stat(p->pid, pp);
	one->stat_fd = pp->stat_fd;
	err = kpl_pt_seize(p, one, 2000, true);
	if (err) {
		free(one->t);
		return err;
	}
	*t = &one->t[0];
	return 0;
}

void kpl_pt_give_back(struct kpl_proc *p, struct kpl_pt *one)
{
	size_t nr = one->nr;

	if (p->stopped)
		return;
	kpl_pt_release(one);
	kpl_proc__log_stop(p, p->stop_ns, kpl_now_ns(), (unsigned int)nr,
			   nr > 1);
	free(one->t);
}
