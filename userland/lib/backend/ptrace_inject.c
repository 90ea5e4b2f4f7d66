// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * System calls run by one borrowed thread of the target, for the ptrace
 * backend's map and unmap.
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
#include <linux/magic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"

#define SCRATCH 256		/* bytes for strings, above the frame */
#define INJECT_TIMEOUT_NS 5000000000ull


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
static int get_fpstate(pid_t tid, uint8_t *buf, size_t *len)
{
	const struct kpl_arch_regset *rs;
	int err = -EINVAL;

	for (rs = kpl_arch_fpu_regsets; rs->nt; rs++) {
		struct iovec iov = { buf, rs->max };

		if (kpl_pt_req(PTRACE_GETREGSET, tid, (void *)(long)rs->nt,
			       &iov) == 0) {
			*len = iov.iov_len;
			return 0;
		}
		err = -errno;
	}
	return err;
}

/* Arm a session on stopped thread @t: the insurance frame goes in. */
int kpl_pt_inj_begin(struct kpl_pt_inj *ij, struct kpl_proc *p, struct kpl_pt *pp,
		     struct kpl_pt_thread *t, const void *scratch,
		     size_t scratch_len)
{
	struct kpl_arch_frame_in in = { 0 };
	uint8_t *fs = NULL, *fb = NULL;
	uint64_t mask = 0;
	size_t flen = 0, need;
	int n, err;

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
	err = get_fpstate(t->tid, fs, &flen);
	if (err)
		goto out;
	need = kpl_arch_frame_size(flen);
	fb = calloc(1, need + SCRATCH);
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
	n = kpl_arch_build_frame(&in, fb, need, &ij->frame);
	if (n < 0) {
		err = n;
		pr_warn("ptrace: cannot build a restore frame for thread %d: "
			"%s\n", t->tid, kpl_strerror(err));
		goto out;
	}
	ij->scratch = ij->frame + (uint64_t)n;
	ij->sp = ij->frame;
	if (scratch_len)
		memcpy(fb + n, scratch, scratch_len);
	err = kpl_proc__write(p, ij->frame, fb, (size_t)n + SCRATCH);
out:
	free(fb);
	free(fs);
	return err;
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
static int inj_syscall(struct kpl_pt_inj *ij, long nr, const uint64_t args[6],
		       long *ret)
{
	uint64_t deadline = kpl_now_ns() + INJECT_TIMEOUT_NS;
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
static int inj_close_on_death(struct kpl_pt_inj *ij, long fd)
{
	uint64_t a[6] = { (uint64_t)fd }, at, all = ~0ull;
	size_t sz = kpl_arch_step_frame_size();
	struct kpl_arch_regs r;
	uint8_t buf[512];
	int n, err;

	if (sz > sizeof(buf))
		return -EINVAL;
	kpl_arch_syscall_regs(&ij->orig, &r, ij->pp->g.syscall_ret, ij->frame,
			      SYS_close, a);
	n = kpl_arch_build_step_frame(&r, all, ij->pp->g.sigreturn, buf,
				      sizeof(buf));
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
int kpl_pt_inj_end(struct kpl_pt_inj *ij)
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
	w = kpl_pt_wait(t, kpl_now_ns() + INJECT_TIMEOUT_NS, PTRACE_CONT);
	return w < 0 ? w : 0;
}

/*
 * Borrow a thread: the world's first if it is stopped, else one thread
 * stopped for the occasion (one stop of one thread, logged).
 */
int kpl_pt_borrow(struct kpl_proc *p, struct kpl_pt *one,
		  struct kpl_pt_thread **t)
{
	struct kpl_pt *pp = p->priv;
	int err;

	if (p->stopped) {
		*t = &pp->t[0];
		return 0;
	}
	memset(one, 0, sizeof(*one));
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
	if (p->stopped)
		return;
	kpl_pt_release(one);
	kpl_proc__log_stop(p, p->stop_ns, kpl_now_ns(), 1, false);
	free(one->t);
}

static int sys_check(const char *what, long ret)
{
	if (ret < 0 && ret > -4096) {
		pr_warn("ptrace: remote %s failed: %s\n", what,
			strerror((int)-ret));
		return (int)ret;
	}
	return 0;
}

/*
 * mmap in the borrowed thread; its result in *@r.  Return 0, or <0 (its
 * error, -EEXIST when something is mapped there).
 */
static int inj_mmap(struct kpl_pt_inj *ij, uint64_t addr, uint64_t len,
		    int prot, int flags, long fd, uint64_t off, long *r)
{
	uint64_t a[6] = { addr, len, (uint64_t)prot, (uint64_t)flags,
			  (uint64_t)fd, off };
	int err = inj_syscall(ij, SYS_mmap, a, r);

	if (!err && *r == -EEXIST)
		return -EEXIST;
	if (!err)
		err = sys_check("mmap", *r);
	if (!err && (uint64_t)*r != addr) {
		/* A kernel without MAP_FIXED_NOREPLACE put it elsewhere:
		 * undo that one. */
		uint64_t u[6] = { (uint64_t)*r, len };

		inj_syscall(ij, SYS_munmap, u, r);
		err = -EEXIST;
	}
	return err;
}

/*
 * The region's mappings: the whole of it read-only from the memfd in one
 * mmap (MAP_FIXED_NOREPLACE, so it takes the whole range or nothing),
 * then each range that is not plain read-only memfd mapped over its own
 * part of it (MAP_FIXED) with its final protection.  A patch's state and
 * read-only data are read-only: a typical patch is two mmaps, the whole
 * and its text.  Each mmap creates its mapping with the protection it
 * keeps, so nothing gains PROT_EXEC later: MDWE allows it.
 */
static int inj_map_ranges(struct kpl_pt_inj *ij, uint64_t addr, size_t len,
			  long fd, const struct kpl_map_range *rg, size_t nr,
			  bool *mapped)
{
	size_t i;
	long r;
	int err;

	err = inj_mmap(ij, addr, len, PROT_READ,
		       MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0, &r);
	if (err)
		return err;
	*mapped = true;
	for (i = 0; !err && i < nr; i++) {
		if (rg[i].prot == PROT_READ && !rg[i].anon)
			continue;
		/* Filled through FOLL_FORCE like the rest; an anonymous
		 * maps line has no name, which kpl_maps__read() gives
		 * back from the memfd around it. */
		err = inj_mmap(ij, addr + rg[i].off, rg[i].len, rg[i].prot,
			       MAP_PRIVATE | MAP_FIXED |
				       (rg[i].anon ? MAP_ANONYMOUS : 0),
			       rg[i].anon ? -1 : fd, rg[i].anon ? 0 : rg[i].off,
			       &r);
	}
	return err;
}

/*
 * Size the target's memfd @fd from here through pidfd_getfd() (its own
 * file description and access mode), saving the borrowed thread a
 * syscall.  Other threads could put another file at @fd meanwhile: only
 * a tmpfs file named as our memfd is sized (no FUSE file to hang kpl).
 * Return 0, or <0: the caller then injects ftruncate as before.
 */
static int own_ftruncate(pid_t pid, long fd, const char *name, size_t len)
{
	char want[SCRATCH + 32], link[sizeof(want)], path[48];
	int pfd, mfd = -1, err = -ENOENT;
	struct statfs sf;
	ssize_t n;

	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -errno;
	mfd = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
	if (mfd < 0) {
		err = -errno;
		goto out;
	}
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || (size_t)n != strlen(want) ||
	    memcmp(link, want, (size_t)n) || fstatfs(mfd, &sf) ||
	    sf.f_type != TMPFS_MAGIC)
		goto out;
	err = ftruncate(mfd, (off_t)len) ? -errno : 0;
out:
	if (mfd >= 0)
		close(mfd);
	close(pfd);
	return err;
}

/*
 * memfd_create + ftruncate + the mmaps + close, in one borrowed stop.
 * The mapping shows as "/memfd:NAME (deleted)" in /proc/PID/maps, which
 * is how later invocations find the patch.
 */
int kpl_pt_map(struct kpl_proc *p, uint64_t addr, size_t len,
	       const char *name, const struct kpl_map_range *rg, size_t nr)
{
	struct kpl_pt *pp = p->priv, one;
	struct kpl_pt_thread *t;
	uint64_t a[6] = { 0 };
	size_t nlen = strlen(name) + 1;
	bool mapped = false;
	long fd = -1, r;
	struct kpl_pt_inj ij;
	int err, e2;

	if (nlen > SCRATCH)
		return -ENAMETOOLONG;
	err = kpl_pt_find_gadgets(p, pp);
	if (!err)
		err = kpl_pt_borrow(p, &one, &t);
	if (err)
		return err;
	err = kpl_pt_inj_begin(&ij, p, pp, t, name, nlen);
	if (err)
		goto out;
	a[0] = ij.scratch;
	a[1] = MFD_CLOEXEC;
	err = inj_close_on_death(&ij, -1);
	kpl_fault_tag("memfd in flight");
	if (!err)
		err = inj_syscall(&ij, SYS_memfd_create, a, &fd);
	if (!err)
		err = sys_check("memfd_create", fd);
	if (err) {
		kpl_fault_tag(NULL);
		goto out_end;
	}
	err = inj_close_on_death(&ij, fd);
	kpl_fault_tag(NULL);
	memset(a, 0, sizeof(a));
	a[0] = (uint64_t)fd;
	a[1] = len;
	if (!err && own_ftruncate(p->pid, fd, name, len)) {
		err = inj_syscall(&ij, SYS_ftruncate, a, &r);
		if (!err)
			err = sys_check("ftruncate", r);
	}
	if (!err)
		err = inj_map_ranges(&ij, addr, len, fd, rg, nr, &mapped);
	if (err && mapped) {
		/* Only what this call mapped, which is ours. */
		uint64_t u[6] = { addr, len };

		inj_syscall(&ij, SYS_munmap, u, &r);
	}
	memset(a, 0, sizeof(a));
	a[0] = (uint64_t)fd;
	ij.sp = ij.frame;	/* closed next: no more closing on death */
	if (!inj_syscall(&ij, SYS_close, a, &r) && !err)
		err = sys_check("close", r);
out_end:
	e2 = kpl_pt_inj_end(&ij);
	if (!err)
		err = e2;
out:
	kpl_pt_give_back(p, &one);
	return err;
}

int kpl_pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len)
{
	struct kpl_pt *pp = p->priv, one;
	struct kpl_pt_thread *t;
	uint64_t a[6] = { addr, len };
	struct kpl_pt_inj ij;
	long r;
	int err, e2;

	err = kpl_pt_find_gadgets(p, pp);
	if (!err)
		err = kpl_pt_borrow(p, &one, &t);
	if (err)
		return err;
	err = kpl_pt_inj_begin(&ij, p, pp, t, NULL, 0);
	if (!err) {
		err = inj_syscall(&ij, SYS_munmap, a, &r);
		if (!err)
			err = sys_check("munmap", r);
		e2 = kpl_pt_inj_end(&ij);
		if (!err)
			err = e2;
	}
	kpl_pt_give_back(p, &one);
	return err;
}
