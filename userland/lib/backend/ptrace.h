/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The ptrace backend's private header: ptrace.c stops and releases
 * threads, ptrace_inject.c runs system calls in one of them.
 */
#ifndef KPL_LIB_PTRACE_H
#define KPL_LIB_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"

struct kpl_proc;

struct kpl_pt_thread {
	pid_t tid;
	int status;		/* of the last stop collected */
	bool stopped;		/* in a ptrace stop now: may be detached */
	bool group_stop;	/* that stop is a group-stop (SIGSTOP...) */
	bool spin;		/* waits for its stops poll first (kpl_pt_wait()) */
	struct kpl_arch_regs regs;	/* as that stop found them */
};

struct kpl_pt {
	struct kpl_pt_thread *t;
	size_t nr, cap;
	int stat_fd;		/* /proc/PID/stat, + 1 (0: not open) */
	bool spin;		/* the threads it seizes get ->spin */
	struct kpl_arch_gadgets g;	/* found once per process */
	/* A thread the last all-thread stop found asleep in a system call
	 * the kernel restarts (kpl_arch_sleep_restarts()), or 0: the one
	 * to borrow next (a revert's unmap follows its stop at once, when
	 * the sleepers it woke are not back in their calls yet).  In the
	 * struct kpl_pt_seize() fills for one thread: the one to prefer, 0
	 * to look for a sleeper, -1 to take the first. */
	pid_t sleeper;
};

/* ptrace(2), with a fault-injection point before it. */
long kpl_pt_req(int req, pid_t tid, void *addr, void *data);

/*
 * @tid's registers, read or written whole through the arch's regset
 * (PTRACE_GETREGSET / PTRACE_SETREGSET of KPL_ARCH_NT_REGS).
 * Return 0 or -errno (-EIO when the kernel's regset is not the size of
 * struct kpl_arch_regs: a task of another ABI).
 */
int kpl_pt_getregs(pid_t tid, struct kpl_arch_regs *regs);
int kpl_pt_setregs(pid_t tid, const struct kpl_arch_regs *regs);

/*
 * Wait for @t's next stop of kpl's own; signals on the way are handed
 * on at once, resuming with @resume.  Return 1 stopped, 0 gone, <0 error.
 */
int kpl_pt_wait(struct kpl_pt_thread *t, uint64_t deadline, int resume);
/* The same, but a signal-delivery-stop of signal @keep is handed to the
 * caller, undelivered (return 2). */
int kpl_pt_wait_keep(struct kpl_pt_thread *t, uint64_t deadline, int resume,
		     int keep);

/*
 * Seize and stop every thread of @p (or with @only_one, one: @pp->sleeper
 * if it is listed, else unless it is -1 one asleep in a system call the
 * kernel restarts, else the first; the first too if the one chosen
 * exits before its stop) into @pp.
 * p->stop_ns is when the stop began.  On failure nothing stays stopped.
 */
int kpl_pt_seize(struct kpl_proc *p, struct kpl_pt *pp, int timeout_ms,
		 bool only_one);
/* What /proc says of the threads (ptrace_threads.c). */
/* Threads looked at for the one to borrow: the first listed. */
#define KPL_PT_BORROW_LOOK 8
/* Running threads per CPU from which a borrow stops them all. */
#define KPL_PT_CROWDED 3
/* Of @nr threads listed, the one to borrow: @hint if listed (-1: the
 * first, no looking), else one asleep where the kernel restarts it,
 * else the first; *@crowded: none asleep, and more running than the
 * process has CPUs (then stop them all). */
pid_t kpl_pt_pick_borrow(pid_t pid, const pid_t *tids, size_t nr,
			 pid_t hint, bool *crowded);
/* Thread @tid, whose seize said EPERM, is gone or a zombie. */
bool kpl_pt_exited(pid_t pid, pid_t tid);
/* Open /proc/PID/stat into @pp for kpl_pt_all_known(), once. */
void kpl_pt_open_stat(pid_t pid, struct kpl_pt *pp);

/*
 * How long a wait for a stop polls before it sleeps, in a stop whose
 * threads kpl_pt_spin_wanted() (ptrace.c, "Waiting for a tracee").
 */
#define KPL_PT_SPIN_NS 100000ull

/* Before a stop: does the process have one thread, which last ran on
 * another CPU than ours (from @pp's /proc/PID/stat)? */
bool kpl_pt_spin_wanted(const struct kpl_pt *pp);
/* Are @pp's threads, all stopped, every thread of the process? */
bool kpl_pt_all_known(struct kpl_pt *pp);

/* Detach every thread of @pp (each resumes as it was). */
void kpl_pt_release(struct kpl_pt *pp);
/* Release @pp's threads and free what it holds: its thread array and
 * its /proc/PID/stat fd (kpl_pt_open_stat(); kpl_pt_borrow() opens it
 * in the pp it is given, the kmod backend's own too).  Zeroed after. */
void kpl_pt_free(struct kpl_pt *pp);

/* The backend's map and unmap (ptrace_map.c), and call
 * (ptrace_call.c). */
struct kpl_map_range;
int kpl_pt_map(struct kpl_proc *p, uint64_t addr, size_t len, size_t head,
	       const char *name, const struct kpl_map_range *r, size_t nr);
int kpl_pt_unmap(struct kpl_proc *p, uint64_t addr, size_t len);
struct kpl_call;
int kpl_pt_call(struct kpl_proc *p, struct kpl_call *c);
/*
 * The same call with the ptrace state @pp, which need not be p->priv:
 * the kmod backend makes its calls this way (kmod.c), the process not
 * being stopped by either backend meanwhile.
 */
int kpl_pt_call_with(struct kpl_proc *p, struct kpl_pt *pp,
		     struct kpl_call *c);

/*
 * An injection session on one borrowed thread (ptrace_inject.c): the
 * insurance frame, the thread's own registers and mask, and where kpl
 * left it.
 */
struct kpl_pt_inj {
	struct kpl_proc *p;
	struct kpl_pt *pp;
	struct kpl_pt_thread *t;
	struct kpl_arch_regs orig;
	uint64_t frame;		/* the insurance frame */
	uint64_t sp;		/* injected sp: the frame, or a step above */
	uint64_t scratch;	/* SCRATCH bytes above it */
	uint64_t mask;		/* the thread's own blocked signals */
	bool armed;		/* registers changed since the frame went in */
	bool masked;		/* every signal blocked while we work */
	bool running;		/* resumed, not seen stopped since */
	bool at_exit;		/* stopped at our syscall's exit stop */
	/* The thread's FPU state (regset @fp_nt, @fp_len bytes), put back
	 * by kpl_pt_inj_end() after a chain that did not end (its frames
	 * clear it; the last one, reached, restores it). */
	uint8_t *fp;
	size_t fp_len;
	unsigned int fp_nt;
	bool fp_lost;
};

/* Find the syscall and sigreturn gadgets, once per process, where the
 * command found them in another process if they are there too
 * (ptrace_gadget.c). */
int kpl_pt_find_gadgets(struct kpl_proc *p, struct kpl_pt *pp);
/*
 * Borrow a thread (the world's first if stopped, else one stopped for
 * the occasion into @one), and give it back (the stop is logged).  With
 * @sleeper, for system calls only, a thread asleep in one the kernel
 * restarts if there is one (the one @pp's last all-thread stop saw, if
 * still there): no running thread then loses the stop.  A call of the
 * target's own code (ptrace_call.c) takes the first thread, as it
 * always has: a thread asleep in a futex may hold locks the call needs.
 * @pp: the process's struct kpl_pt (the ptrace backend's p->priv; the
 * kmod backend keeps one of its own for its calls).
 */
int kpl_pt_borrow(struct kpl_proc *p, struct kpl_pt *pp,
		  struct kpl_pt *one, struct kpl_pt_thread **t, bool sleeper);
void kpl_pt_give_back(struct kpl_proc *p, struct kpl_pt *one);
/* Arm a session on stopped thread @t: the insurance frame goes in, with
 * @scratch_len bytes of @scratch above it. */
int kpl_pt_inj_begin(struct kpl_pt_inj *ij, struct kpl_proc *p,
		     struct kpl_pt *pp, struct kpl_pt_thread *t,
		     const void *scratch, size_t scratch_len);
/* The same, and kpl_pt_inj_close_on_death(ij, -1) armed in the same
 * write. */
int kpl_pt_inj_begin_closing(struct kpl_pt_inj *ij, struct kpl_proc *p,
			     struct kpl_pt *pp, struct kpl_pt_thread *t,
			     const void *scratch, size_t scratch_len);
/* Give the thread its registers back; <0 when they could not be here
 * (the insurance frame then restores them as the thread runs on). */
int kpl_pt_inj_end(struct kpl_pt_inj *ij);
/* Bytes for strings a session may put above its frame. */
#define KPL_PT_SCRATCH 256
/* How long an injected syscall, or a chain of them, may take. */
#define KPL_PT_INJECT_TIMEOUT_NS 5000000000ull
/* Run syscall @nr(@args) in the session's thread; *@ret its result. */
int kpl_pt_inj_syscall(struct kpl_pt_inj *ij, long nr, const uint64_t args[6],
		       long *ret);
/* Should kpl die from now on, the thread closes @fd on its way back
 * (-1: a close that fails harmlessly). */
int kpl_pt_inj_close_on_death(struct kpl_pt_inj *ij, long fd);
/*
 * Run @nr syscalls in the session's thread at once, chained through
 * step frames (no stop between them), their results unknown; then
 * tgkill(@sig) to itself, whose signal-delivery-stop hands the thread
 * back (a signal whose action is to be ignored: kpl_pt_chain_signal()).
 * The last returns into the insurance frame with @closes (the chain
 * closed what a step frame would close on death), else into the frame
 * at the session's sp.  @same_ns: the process is in kpl's pid namespace
 * (kpl_pt_sigcatch(), read before the stop), else the chain reads the
 * thread's numbers in its own.  -EOPNOTSUPP: nothing ran, inject one
 * by one.
 */
struct kpl_pt_call1 {
	long nr;
	uint64_t a[6];
};
int kpl_pt_inj_chain(struct kpl_pt_inj *ij, const struct kpl_pt_call1 *c,
		     size_t nr, int sig, bool closes, bool same_ns);
/* The signals @pid catches (all: unreadable, or a seccomp filter),
 * whether it is in kpl's pid namespace, and the signal a chain may end
 * with: one neither @caught nor @blocked, or 0 (ptrace_threads.c). */
uint64_t kpl_pt_sigcatch(pid_t pid, bool *same_ns);
int kpl_pt_chain_signal(uint64_t caught, uint64_t blocked);
/* Thread @tid of @pid as its own pid namespace numbers them. */
int kpl_pt_ns_ids(pid_t pid, pid_t tid, pid_t *ns_pid, pid_t *ns_tid);
/* Run the session's thread to its next syscall stop, read into @si. */
struct __ptrace_syscall_info;
int kpl_pt_inj_next_syscall(struct kpl_pt_inj *ij, uint64_t deadline,
			    struct __ptrace_syscall_info *si);

#endif
