/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kpatch-lite: the ABI between kpatch_lite.ko (/dev/kpatch_lite) and
 * userland (the kmod backend of libkpl).
 *
 * Every structure uses fixed-width types only, so a 32-bit and a 64-bit
 * caller see the same layout; pointers travel as __u64.  KPL_ABI_VERSION
 * is bumped on any incompatible change; userland must query
 * KPL_IOC_VERSION before any other request and refuse a major version it
 * does not know.
 *
 * Growth: every request structure except struct kpl_version starts with
 * @size (the caller's sizeof) and @flags.  The module dispatches on the
 * command's type, number and direction, not on the size encoded in it,
 * and copies @size bytes: fields a newer caller appends must be zero
 * unless the module knows them (-E2BIG otherwise), fields an older
 * caller lacks read as zero.  Unknown @flags bits and nonzero reserved
 * fields are refused with -EINVAL.
 *
 * A session is one open file: KPL_IOC_ATTACH binds it to one process,
 * then KPL_IOC_STOP and KPL_IOC_RESUME bracket a stop of every thread of
 * that process, and the memory requests act on its address space whether
 * it is stopped or not.  Closing the file resumes a stopped process.
 * Every request needs CAP_SYS_ADMIN at the time of the call.
 *
 * ABI 2.2 adds KPL_IOC_WRITE_BATCH and the @parts of struct kpl_map;
 * both are announced by KPL_VERSION_F_BATCH, and every 2.1 request
 * works as before.  ABI 2.3 adds the @head of struct kpl_map, announced
 * by KPL_VERSION_F_MAP_HEAD; 2.1 and 2.2 requests work as before.
 *
 * Guards (KPL_IOC_GUARD_ADD/DEL, ABI 2.1) are not bound to a session:
 * a guard lives until it is deleted, from any descriptor, and pins the
 * module meanwhile.  What the guards do is reported as struct kpl_event
 * records, read() from any descriptor (poll() says when one is there).
 */
#ifndef _UAPI_LINUX_KPATCH_LITE_H
#define _UAPI_LINUX_KPATCH_LITE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KPL_DEVICE_NAME		"kpatch_lite"
#define KPL_DEVICE_PATH		"/dev/" KPL_DEVICE_NAME

/* Major in the high 16 bits, minor in the low 16 bits. */
#define KPL_ABI_VERSION_MAJOR	2
#define KPL_ABI_VERSION_MINOR	3
#define KPL_ABI_VERSION \
	((__u32)((KPL_ABI_VERSION_MAJOR << 16) | KPL_ABI_VERSION_MINOR))

/* Bounds the module enforces (-EINVAL beyond them). */
#define KPL_MEM_MAX		(1u << 20)	/* bytes per READ or WRITE */
#define KPL_MAP_MAX		(64u << 20)	/* bytes per MAP/PROTECT/UNMAP */
#define KPL_THREADS_MAX		4096		/* threads one STOP reports */
#define KPL_TIMEOUT_MAX_MS	10000		/* STOP: time to quiesce */
#define KPL_HOLD_MAX_MS		60000		/* STOP: longest stop */
#define KPL_HOLD_DEFAULT_MS	5000		/* STOP with hold_ms == 0 */
#define KPL_NAME_MAX		64		/* MAP name, NUL included */
#define KPL_MAP_PARTS_MAX	16		/* MAP parts */
#define KPL_MAP_HEAD_MAX	(64u << 10)	/* MAP head bytes */
#define KPL_BATCH_MAX		256		/* WRITE_BATCH entries */
#define KPL_BATCH_BYTES		64		/* bytes per entry */

/* Feature bits of struct kpl_version.flags. */
#define KPL_VERSION_F_GUARD	(1u << 0)	/* guards and events (2.1) */
#define KPL_VERSION_F_BATCH	(1u << 1)	/* WRITE_BATCH, MAP parts (2.2) */
#define KPL_VERSION_F_MAP_HEAD	(1u << 2)	/* MAP head (2.3) */

/**
 * struct kpl_version - answer to KPL_IOC_VERSION (frozen: no size field)
 * @abi_version: KPL_ABI_VERSION of the running module
 * @flags:	 KPL_VERSION_F_* the module supports
 */
struct kpl_version {
	__u32 abi_version;
	__u32 flags;
};

/* Attach to PID 1 too (refused otherwise: stopping init stalls the box). */
#define KPL_ATTACH_F_INIT	(1u << 0)
#define KPL_ATTACH_FLAGS	KPL_ATTACH_F_INIT

/**
 * struct kpl_attach - KPL_IOC_ATTACH: bind this session to a process
 * @size:     sizeof(struct kpl_attach)
 * @flags:    KPL_ATTACH_F_*
 * @pid:      process id (thread group id) in the caller's pid namespace
 * @reserved: must be 0
 *
 * Once per session (-EBUSY after).  Refused: no such process (-ESRCH),
 * kernel threads (-EPERM), PID 1 without KPL_ATTACH_F_INIT (-EPERM), the
 * caller's own process or one sharing its address space (-EDEADLK).
 */
struct kpl_attach {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 reserved;
};

/*
 * Register slots of struct kpl_thread_regs.regs: the layout of
 * struct user_regs_struct in <sys/user.h>, so userland can copy it whole.
 */
enum {
	KPL_REG_R15, KPL_REG_R14, KPL_REG_R13, KPL_REG_R12, KPL_REG_RBP,
	KPL_REG_RBX, KPL_REG_R11, KPL_REG_R10, KPL_REG_R9, KPL_REG_R8,
	KPL_REG_RAX, KPL_REG_RCX, KPL_REG_RDX, KPL_REG_RSI, KPL_REG_RDI,
	KPL_REG_ORIG_RAX, KPL_REG_RIP, KPL_REG_CS, KPL_REG_EFLAGS,
	KPL_REG_RSP, KPL_REG_SS, KPL_REG_FS_BASE, KPL_REG_GS_BASE,
	KPL_REG_DS, KPL_REG_ES, KPL_REG_FS, KPL_REG_GS,
	KPL_NR_REGS
};

/* How a thread is held (struct kpl_thread_regs.flags). */
#define KPL_THREAD_PARKED	(1u << 0)	/* waiting in the module's work */
#define KPL_THREAD_OFFCPU	(1u << 1)	/* seen off-CPU in the kernel */
/*
 * Held by a guard (KPL_GUARD_HOLD) at the entry of a guarded function,
 * before its first instruction ran: @ip is that entry and the return
 * address is at @sp.  When the process is patched the thread goes on in
 * the new function; it never runs a byte of the old one.
 */
#define KPL_THREAD_GUARDED	(1u << 2)

/**
 * struct kpl_thread_regs - one stopped thread
 * @tid:   thread id in the caller's pid namespace
 * @flags: KPL_THREAD_*
 * @ip:    user instruction pointer (regs[KPL_REG_RIP])
 * @sp:    user stack pointer (regs[KPL_REG_RSP])
 * @bp:    user frame pointer (regs[KPL_REG_RBP])
 * @regs:  every user register, indexed by KPL_REG_*
 *
 * An OFFCPU thread sits in a system call (or was preempted in the
 * kernel): @ip is where user code resumes when the call returns.  A call
 * a signal interrupts restarts at @ip - 2 (the syscall instruction).
 */
struct kpl_thread_regs {
	__u32 tid;
	__u32 flags;
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u64 regs[KPL_NR_REGS];
};

/**
 * struct kpl_stop - KPL_IOC_STOP: hold every thread of the process
 * @size:	    sizeof(struct kpl_stop)
 * @flags:	    none defined; 0
 * @pid:	    the attached pid again (-EINVAL if it differs)
 * @timeout_ms:     give up with -EBUSY when the threads are not all
 *		    quiescent after this long; 1..KPL_TIMEOUT_MAX_MS
 * @hold_ms:	    the module resumes the process by itself after this
 *		    long (0: KPL_HOLD_DEFAULT_MS; at most KPL_HOLD_MAX_MS);
 *		    every request then fails with -ETIMEDOUT until RESUME
 * @nr_threads_max: entries in @threads; at most KPL_THREADS_MAX
 * @threads:	    user pointer to struct kpl_thread_regs[@nr_threads_max]
 * @thread_size:    sizeof(struct kpl_thread_regs) as the caller knows it
 * @nr_threads:     out: threads stopped and described in @threads
 * @stop_ns:	    out: CLOCK_MONOTONIC when the first thread was asked
 * @quiesce_ns:     out: how long until every thread was quiescent
 *
 * A thread is quiescent once it waits in the module's task work (it
 * reached the return to user mode) or was seen off-CPU after that work
 * was queued: either way it runs no user instruction until RESUME.
 * Threads sleeping in system calls are not woken and see no EINTR; a
 * thread stopped by SIGSTOP or a debugger is off-CPU, hence quiescent.
 * A thread inside fork/vfork/clone/clone3 is only quiescent once parked,
 * so no new thread (or vfork child on the same memory) runs unseen.
 *
 * Errors: -EALREADY already stopped, -EBUSY not quiescent in time (or
 * another session holds the process), -EINTR a signal interrupted the
 * wait, -ENOSPC @nr_threads_max too small (@nr_threads says how many are
 * needed), -ESRCH the process is gone.  On error nothing stays stopped.
 */
struct kpl_stop {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 timeout_ms;
	__u32 hold_ms;
	__u32 nr_threads_max;
	__u64 threads;
	__u32 thread_size;
	__u32 nr_threads;
	__u64 stop_ns;
	__u64 quiesce_ns;
};

/**
 * struct kpl_resume - KPL_IOC_RESUME: let every thread run again
 * @size:    sizeof(struct kpl_resume)
 * @flags:   none defined; 0
 * @held_ns: out: how long the process was held
 *
 * Every held thread serialises its core (the cross-modifying code rule)
 * before its next user instruction.  -EBADFD when not stopped,
 * -ETIMEDOUT when hold_ms had already released it.
 */
struct kpl_resume {
	__u32 size;
	__u32 flags;
	__u64 held_ns;
};

/**
 * struct kpl_mem - KPL_IOC_READ and KPL_IOC_WRITE
 * @size:   sizeof(struct kpl_mem)
 * @flags:  none defined; 0
 * @addr:   target address
 * @len:    bytes, 1..KPL_MEM_MAX
 * @buf:    user pointer: READ fills it, WRITE takes the new bytes from it
 * @expect: WRITE only (READ: 0): 0, or a user pointer to the @len bytes
 *	    the target must hold now; otherwise -EILSEQ and nothing written
 *
 * Access is forced like ptrace's: read-only private pages (text) are
 * written through a private copy, the file is never changed.  A WRITE is
 * all or nothing: a fault half way puts the first part back (-EFAULT).
 */
struct kpl_mem {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u64 buf;
	__u64 expect;
};

/**
 * struct kpl_map_part - one piece of a KPL_IOC_MAP region (ABI 2.2)
 * @off:      page-aligned offset in the region
 * @len:      bytes, a non-zero multiple of the page size
 * @prot:     PROT_READ | PROT_WRITE | PROT_EXEC, never write with exec
 * @reserved: must be 0
 */
struct kpl_map_part {
	__u64 off;
	__u64 len;
	__u32 prot;
	__u32 reserved;
};

/**
 * struct kpl_map - KPL_IOC_MAP: new private memory in the target
 * @size:      sizeof(struct kpl_map): 96 (ABI 2.1), 112 (with @parts,
 *	       ABI 2.2) or 120 (with @head, ABI 2.3)
 * @flags:     none defined; 0
 * @addr:      page-aligned address; -EEXIST if anything is mapped there
 * @len:       bytes, 1..KPL_MAP_MAX, rounded up to pages
 * @prot:      PROT_READ | PROT_WRITE | PROT_EXEC, never write with exec;
 *	       0 when @nr_parts is not
 * @reserved:  must be 0
 * @name:      NUL-terminated, printable, no '/': the mapping shows in
 *	       /proc/PID/maps as "/memfd:<name> (deleted)", like a memfd's
 * @nr_parts:  0 (the whole region gets @prot), or 1..KPL_MAP_PARTS_MAX
 * @part_size: sizeof(struct kpl_map_part) when @nr_parts, else 0
 * @parts:     user pointer to struct kpl_map_part[@nr_parts]: in order,
 *	       each starting where the previous one ended, the first at 0,
 *	       together exactly the region (@len rounded up to pages)
 * @head:      0, or a multiple of the page size up to KPL_MAP_HEAD_MAX:
 *	       that many more bytes of the same file, from file offset
 *	       @len (rounded up to pages), mapped read-only just below the
 *	       region, at @addr - @head (ABI 2.3).  libkpl puts an ELF image
 *	       there, so that libdwfl (eu-stack) names the region's code;
 *	       the region itself (its record) stays at file offset 0.
 *
 * Zero-filled, backed by an unlinked shmem file (@len + @head bytes),
 * mapped MAP_PRIVATE, each part with its own protection, the head
 * read-only, all in one call: in a kworker borrowing the address space
 * while the process runs (no thread of it is stopped or borrowed), or
 * in one parked thread while it is stopped.  All or nothing: on error no
 * part and no head stays mapped, and nothing that was mapped before is
 * touched (-EEXIST if anything is mapped in the region or the head).
 * Write the contents afterwards with KPL_IOC_WRITE, which may write
 * read-only pages.  KPL_IOC_UNMAP of @addr - @head, @head + @len takes
 * the head and the region in one request.
 */
struct kpl_map {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u32 prot;
	__u32 reserved;
	char name[KPL_NAME_MAX];
	__u32 nr_parts;
	__u32 part_size;
	__u64 parts;
	__u64 head;
};

/* The size of struct kpl_map in ABI 2.1, before @nr_parts. */
#define KPL_MAP_SIZE_V1		96
/* The size of struct kpl_map in ABI 2.2, before @head. */
#define KPL_MAP_SIZE_V2		112

/**
 * struct kpl_range - KPL_IOC_PROTECT and KPL_IOC_UNMAP
 * @size:     sizeof(struct kpl_range)
 * @flags:    none defined; 0
 * @addr:     page-aligned address
 * @len:      bytes, 1..KPL_MAP_MAX, rounded up to pages
 * @prot:     PROTECT: new PROT_* (never write with exec); UNMAP: 0
 * @reserved: must be 0
 *
 * PROTECT works inside one mapping made by KPL_IOC_MAP (or a memfd) only
 * (-EINVAL otherwise) and maps that range afresh with @prot: its contents
 * are reset to the backing file's (zeros).  Set protections first, then
 * write the contents with KPL_IOC_WRITE, which may write read-only pages.
 */
struct kpl_range {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u32 prot;
	__u32 reserved;
};

/**
 * struct kpl_batch_entry - one write of a KPL_IOC_WRITE_BATCH
 * @addr:   target address
 * @len:    bytes, 1..KPL_BATCH_BYTES
 * @flags:  none defined; 0
 * @buf:    user pointer to the @len new bytes
 * @expect: 0, or a user pointer to the @len bytes the target must hold
 *	    now
 */
struct kpl_batch_entry {
	__u64 addr;
	__u32 len;
	__u32 flags;
	__u64 buf;
	__u64 expect;
};

/**
 * struct kpl_batch - KPL_IOC_WRITE_BATCH: verify every entry, then write
 * every entry, or none (ABI 2.2)
 * @size:	 sizeof(struct kpl_batch)
 * @flags:	 none defined; 0
 * @nr_entries:	 1..KPL_BATCH_MAX
 * @entry_size:	 sizeof(struct kpl_batch_entry)
 * @entries:	 user pointer to struct kpl_batch_entry[@nr_entries]; no
 *		 two entries may overlap
 * @failed:	 out: on -EILSEQ or -EFAULT, the index of the first entry
 *		 whose bytes differed or could not be had; else @nr_entries
 * @reserved:	 must be 0
 *
 * Only while the process is stopped (-EBADFD otherwise).  The whole
 * request runs under the target's mmap lock held for writing, as
 * KPL_IOC_WRITE does: every entry is read and compared first, and only
 * if all match is anything written, in order; a write that faults half
 * way puts back every byte written before it.  Text is written through
 * a private copy, as KPL_IOC_WRITE does.
 *
 * Errors: -EINVAL (a bad field, overlapping entries), -EBADFD (not
 * stopped), -EILSEQ (an entry's bytes are not the expected ones: nothing
 * written), -EFAULT (a bad user pointer, or an entry's target bytes
 * cannot be read or written: nothing written), -EINTR (killed waiting
 * for the lock or before writing: nothing written), -ESRCH, -ENOMEM.
 */
struct kpl_batch {
	__u32 size;
	__u32 flags;
	__u32 nr_entries;
	__u32 entry_size;
	__u64 entries;
	__u32 failed;
	__u32 reserved;
};

/*
 * Guards: processes that have not been patched yet.
 *
 * A guard registers a uprobe on the entry of each old function of one
 * patch, in the library file: a uprobe is per inode, so it covers every
 * process that maps the library now or later.  A thread entering such a
 * function traps into the module, which looks for the patch in that
 * process: the mapping "/memfd:kpl:<patch id>" and the record libkpl
 * keeps at its start (struct kpl_state in userland/lib/state.h; the
 * fields the module reads are KPL_REC_* below).
 *
 *  - Patched (record applied, the entry's jump in place): the thread
 *    goes on in the new function and the breakpoint leaves that process,
 *    so a patched process traps at most once per function, then never.
 *  - Not patched: the guard's policy.  HOLD keeps the thread in the
 *    module until the process is patched (it then goes on in the new
 *    function), or until @hold_ms passes (then @timeout_policy).  ALLOW
 *    lets it run the old function, reports it once and removes the
 *    breakpoint from that process.  KILL kills the process.
 *
 * Every case is reported as a struct kpl_event.
 *
 * The breakpoint (0xCC) sits on the function's first byte.  Uprobes take
 * the original instruction from the page cache and write their int3 over
 * whatever the process holds there, so an entry is only accepted when
 * the library starts it with endbr64 (F3 0F 1E FA, -EOPNOTSUPP
 * otherwise): libkpl keeps that instruction and writes its jump after
 * it, at entry + 4, so the int3 and the jump never overlap, and a thread
 * let through runs endbr64 (a no-op) and then whatever the process has
 * at entry + 4, the patch's jump included.
 *
 * While a thread is held, only the kmod backend can stop its process
 * (the thread sleeps killable in the kernel; PTRACE_INTERRUPT cannot
 * reach it).  A process killed while held dies as usual.
 */
#define KPL_GUARDS_MAX		64	/* guards at once */
#define KPL_GUARD_FUNCS_MAX	64	/* functions per guard */
#define KPL_GUARD_HOLD_MAX_MS	600000	/* longest hold */
#define KPL_GUARD_HOLD_DEFAULT_MS 10000	/* hold_ms == 0 */
#define KPL_PATCH_ID_MAX	64	/* [A-Za-z0-9._-], NUL not included */

/* Policies (struct kpl_guard_add.policy and .timeout_policy). */
#define KPL_GUARD_HOLD		1
#define KPL_GUARD_ALLOW		2
#define KPL_GUARD_KILL		3

/**
 * struct kpl_guard_add - KPL_IOC_GUARD_ADD: guard the entries of a patch
 * @size:	    sizeof(struct kpl_guard_add)
 * @flags:	    none defined; 0
 * @lib_fd:	    the library, opened for reading (a regular file)
 * @policy:	    KPL_GUARD_HOLD, KPL_GUARD_ALLOW or KPL_GUARD_KILL
 * @hold_ms:	    HOLD: longest hold, 0 (KPL_GUARD_HOLD_DEFAULT_MS) to
 *		    KPL_GUARD_HOLD_MAX_MS; otherwise 0
 * @timeout_policy: HOLD: KPL_GUARD_ALLOW or KPL_GUARD_KILL once @hold_ms
 *		    passed; otherwise 0
 * @nr_funcs:	    1..KPL_GUARD_FUNCS_MAX
 * @id:		    out: the guard's id (never 0)
 * @offsets:	    user pointer to __u64[@nr_funcs]: each old function's
 *		    entry as an offset in the file (its address minus the
 *		    load bias, mapped through the PT_LOAD headers)
 * @patch_id:	    NUL-terminated patch id, as in "/memfd:kpl:<id>"
 *
 * Errors: -EBADF (@lib_fd), -EINVAL (bad field, not a regular file, an
 * offset past its end, the same offset twice), -EOPNOTSUPP (an entry
 * without endbr64), -EEXIST (an entry another guard has), -ENOSPC
 * (KPL_GUARDS_MAX guards), or what uprobe_register() says.  All or
 * nothing: on error no breakpoint stays.
 */
struct kpl_guard_add {
	__u32 size;
	__u32 flags;
	__s32 lib_fd;
	__u32 policy;
	__u32 hold_ms;
	__u32 timeout_policy;
	__u32 nr_funcs;
	__u32 id;
	__u64 offsets;
	char patch_id[KPL_PATCH_ID_MAX + 8];
};

/**
 * struct kpl_guard_del - KPL_IOC_GUARD_DEL: remove a guard
 * @size:     sizeof(struct kpl_guard_del)
 * @flags:    none defined; 0
 * @id:	      what KPL_IOC_GUARD_ADD returned
 * @reserved: must be 0
 *
 * Held threads go on as if there had been no guard (KPL_RELEASE_DELETED),
 * then the breakpoints go from every process.  -ENOENT: no such guard.
 */
struct kpl_guard_del {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 reserved;
};

/* struct kpl_event.type */
#define KPL_EVENT_HOLD		1	/* a thread of an unpatched process held */
#define KPL_EVENT_RELEASE	2	/* a held thread let go, see @reason */
#define KPL_EVENT_ALLOW		3	/* an unpatched process ran the function */
#define KPL_EVENT_KILL		4	/* an unpatched process killed */
#define KPL_EVENT_PATCHED	5	/* a patched process entered it: sent to
					 * the new function, breakpoint removed */

/* struct kpl_event.reason, for KPL_EVENT_RELEASE */
#define KPL_RELEASE_PATCHED	1	/* goes on in the new function */
#define KPL_RELEASE_ALLOWED	2	/* hold_ms passed: runs the old one */
#define KPL_RELEASE_KILLED	3	/* hold_ms passed: process killed */
#define KPL_RELEASE_DELETED	4	/* the guard went away */
#define KPL_RELEASE_DIED	5	/* the process was killed meanwhile */

/**
 * struct kpl_event - one record read() from /dev/kpatch_lite
 * @size:     sizeof(struct kpl_event)
 * @type:     KPL_EVENT_*
 * @seq:      1, 2, ... over the module's life
 * @time_ns:  CLOCK_MONOTONIC
 * @pid:      the process, in the reader's pid namespace (0: not in it)
 * @tid:      the thread
 * @guard:    the guard's id
 * @func:     index into the guard's offsets
 * @addr:     the function's entry in that process
 * @lost:     events this reader missed just before this one (the module
 *	      keeps the last KPL_EVENTS_KEPT)
 * @reason:   KPL_RELEASE_* for KPL_EVENT_RELEASE, else 0
 * @patch_id: the guard's patch id
 *
 * Each open file reads the events that happen after it was opened, each
 * one once; read() wants room for at least one record and returns whole
 * records, blocking unless O_NONBLOCK (-EAGAIN).  Needs CAP_SYS_ADMIN.
 */
struct kpl_event {
	__u32 size;
	__u32 type;
	__u64 seq;
	__u64 time_ns;
	__s32 pid;
	__s32 tid;
	__u32 guard;
	__u32 func;
	__u64 addr;
	__u32 lost;
	__u32 reason;
	char patch_id[KPL_PATCH_ID_MAX + 8];
};

#define KPL_EVENTS_KEPT		256

/*
 * The patch record the guard reads in a process (userland/lib/state.h,
 * version 1): byte offsets, checked against that header when libkpl is
 * built.
 */
#define KPL_REC_MAGIC		"KPLSTAT1"	/* 8 bytes, no NUL */
#define KPL_REC_VERSION		1
#define KPL_REC_OFF_VERSION	8	/* __u32 */
#define KPL_REC_OFF_PHASE	12	/* __u32 */
#define KPL_REC_OFF_ID		16	/* char[72], NUL-terminated */
#define KPL_REC_ID_LEN		72
#define KPL_REC_OFF_NR_FUNCS	372	/* __u32 */
#define KPL_REC_OFF_FUNCS	432	/* struct kpl_state_func[nr_funcs] */
#define KPL_REC_PHASE_APPLIED	3
#define KPL_REC_FUNC_SIZE	152
#define KPL_REC_FUNC_OFF_ENTRY	0	/* __u64 */
#define KPL_REC_FUNC_OFF_ADDR	8	/* __u64: where the jump is */
#define KPL_REC_FUNC_OFF_NEW	24	/* __u64: the new function */
#define KPL_REC_FUNC_OFF_LEN	32	/* __u32: bytes of the jump */
#define KPL_REC_FUNC_OFF_JUMP	56	/* __u8[16]: the jump */
#define KPL_REC_BYTES		16

/* 0xE9 is x86 "jmp rel32"; unused as an ioctl type in 6.1 uapi. */
#define KPL_IOC_MAGIC		0xE9

#define KPL_IOC_VERSION		_IOR(KPL_IOC_MAGIC, 0x00, struct kpl_version)
#define KPL_IOC_ATTACH		_IOW(KPL_IOC_MAGIC, 0x01, struct kpl_attach)
#define KPL_IOC_STOP		_IOWR(KPL_IOC_MAGIC, 0x02, struct kpl_stop)
#define KPL_IOC_RESUME		_IOWR(KPL_IOC_MAGIC, 0x03, struct kpl_resume)
#define KPL_IOC_READ		_IOW(KPL_IOC_MAGIC, 0x04, struct kpl_mem)
#define KPL_IOC_WRITE		_IOW(KPL_IOC_MAGIC, 0x05, struct kpl_mem)
#define KPL_IOC_MAP		_IOW(KPL_IOC_MAGIC, 0x06, struct kpl_map)
#define KPL_IOC_PROTECT		_IOW(KPL_IOC_MAGIC, 0x07, struct kpl_range)
#define KPL_IOC_UNMAP		_IOW(KPL_IOC_MAGIC, 0x08, struct kpl_range)
#define KPL_IOC_GUARD_ADD	_IOWR(KPL_IOC_MAGIC, 0x09, struct kpl_guard_add)
#define KPL_IOC_GUARD_DEL	_IOW(KPL_IOC_MAGIC, 0x0a, struct kpl_guard_del)
#define KPL_IOC_WRITE_BATCH	_IOWR(KPL_IOC_MAGIC, 0x0b, struct kpl_batch)

#endif /* _UAPI_LINUX_KPATCH_LITE_H */
