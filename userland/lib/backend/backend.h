/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Backends stop a process's threads, read and write its memory and map
 * memory in it.  `ptrace` works everywhere; `kmod` (docs/kmod.md) talks to
 * /dev/kpatch_lite.  The engine only sees this interface.
 */
#ifndef KPL_LIB_BACKEND_H
#define KPL_LIB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "kpl/target.h"

/* A thread's user registers as needed by the safety checks. */
struct kpl_thread {
	pid_t tid;
	uint64_t ip, sp, bp;
	struct kpl_arch_regs regs;	/* all of them, for unwinding */
};

struct kpl_proc;

/* A piece of a region being mapped, at @off in it, and its protection. */
struct kpl_map_range {
	uint64_t off, len;
	int prot;
	/* Anonymous memory, not the memfd (perf names only anonymous
	 * code from perf-PID.map): a backend that cannot maps the memfd. */
	bool anon;
};

/* One entry of a batch write: @len new bytes at @addr, if @expect is. */
struct kpl_batch_write {
	uint64_t addr;
	const void *bytes;
	const void *expect;	/* NULL: written unchecked */
	size_t len;
};

/*
 * A function called in one borrowed thread of the target: @fn(@args),
 * returning through the mark stub at @stub (arch.h), which sets the byte
 * at @mark.  @check, if set, sees the thread before anything changes
 * and may refuse it (its error is returned, the thread given back as it
 * was).  Outputs: @tid, the thread borrowed; @started, true once the
 * thread was set on its way (from then on the call runs to its end even
 * if kpl dies; an error after it means it may still be running).
 */
struct kpl_call {
	uint64_t fn;
	uint64_t args[6];
	uint64_t stub, mark;
	int (*check)(void *ctx, const struct kpl_thread *th);
	void *ctx;
	int timeout_ms;
	pid_t tid;
	bool started;
};

struct kpl_backend {
	const char *name;
	/* NULL or: can this backend work here (e.g. the device exists)? */
	bool (*available)(void);
	int (*open)(struct kpl_proc *p);
	void (*close)(struct kpl_proc *p);
	/* Quiesce every thread; fill p->threads.  Time-bounded. */
	int (*stop)(struct kpl_proc *p, int timeout_ms);
	/* Let every thread run again (after serialising cores). */
	void (*resume)(struct kpl_proc *p);
	/*
	 * Map a private region of @len bytes named @name (visible in
	 * /proc/PID/maps) at exactly @addr if free (-EEXIST otherwise),
	 * each of the @nr ranges @r (which cover it) with its final
	 * protection: nothing is mprotect'ed later, and the bytes are
	 * written afterwards through FOLL_FORCE (/proc/PID/mem or the
	 * module), so no page is ever writable and executable.
	 * @head: 0, or @head more bytes of the same file, from file
	 * offset @len, mapped read-only at @addr - @head (the region's
	 * image page, patch_image.h), in the same step: only a backend
	 * whose maps_head() says so is given one.
	 */
	int (*map)(struct kpl_proc *p, uint64_t addr, size_t len,
		   size_t head, const char *name,
		   const struct kpl_map_range *r, size_t nr);
	/* Can map() map a head in @p?  NULL: never.  (kmod: only a module
	 * of ABI 2.3 or later, KPL_VERSION_F_MAP_HEAD.) */
	bool (*maps_head)(const struct kpl_proc *p);
	int (*unmap)(struct kpl_proc *p, uint64_t addr, size_t len);
	/*
	 * NULL, or memory access of the backend's own, which
	 * kpl_proc__read/write use instead of /proc/PID/mem while the
	 * process is stopped.  @expect: NULL, or the @len bytes that must be
	 * there now, else nothing is written (-KPL_E_MISMATCH).
	 */
	int (*read)(struct kpl_proc *p, uint64_t addr, void *buf, size_t len);
	int (*write)(struct kpl_proc *p, uint64_t addr, const void *buf,
		     const void *expect, size_t len);
	/*
	 * NULL (the engine then verifies and writes entry by entry), or
	 * verify every entry of @w, then write every one, in one step of
	 * the backend's own while the process is stopped: all or nothing.
	 * Return 0, or -KPL_E_MISMATCH (or another error) with the index
	 * of the entry that differed or failed in *@failed; nothing written.
	 */
	int (*write_batch)(struct kpl_proc *p, const struct kpl_batch_write *w,
			   size_t nr, size_t *failed);
	/* Make the call @c, with the process not stopped: time-bounded.
	 * Every backend has one (kmod borrows a thread through ptrace). */
	int (*call)(struct kpl_proc *p, struct kpl_call *c);
};

struct kpl_proc {
	pid_t pid;
	int mem_fd;
	const struct kpl_backend *be;
	void *priv;
	bool stopped;
	uint64_t stop_ns;	/* CLOCK_MONOTONIC when the stop began */
	uint64_t stops;		/* all-thread stops made: names the current one */
	struct kpl_thread *threads;	/* valid while stopped */
	size_t nr_threads;
	size_t threads_cap;	/* room in ->threads, its pages faulted in */
	struct kpl_stats *log;	/* NULL, or where stops are counted */
	/* Writes, maps and unmaps made through the kpl_proc__ calls: what
	 * the engine knows of the process is stale once this moves. */
	uint64_t changes;
	/* Maps, unmaps and calls made (a call may map memory too): the
	 * process's mappings as kpl knows them are stale once this moves. */
	uint64_t remaps;
	/* The target's /proc/PID/maps (target.c), read when remaps was
	 * maps_at; borrowed, NULL when there are none.  One read serves the
	 * gadget search and the unwinder, not one each. */
	const struct kpl_maps *maps;
	uint64_t maps_at;
	/* /proc/PID/maps as the backend read it right after its last map
	 * (the ptrace chain's check), when remaps was after_at; owned,
	 * NULL when there are none (kpl_proc__keep_maps()). */
	struct kpl_maps *after;
	uint64_t after_at;
};

extern const struct kpl_backend kpl_backend_ptrace;
extern const struct kpl_backend kpl_backend_kmod;

/* The backend called @name ("ptrace", ...), or NULL. */
const struct kpl_backend *kpl_backend_by_name(const char *name);
/* The best backend available on this machine. */
const struct kpl_backend *kpl_backend_default(void);

/* Open @pid with backend @be (NULL picks the best available). */
int kpl_proc__open(pid_t pid, const struct kpl_backend *be,
		   struct kpl_proc **out);
void kpl_proc__close(struct kpl_proc *p);

/*
 * Count one stop that held @threads threads (@all: every thread) from
 * @start_ns to @end_ns (CLOCK_MONOTONIC) in p->log, if set.  Backends
 * call this for every stop they make, borrowed threads included.
 */
void kpl_proc__log_stop(struct kpl_proc *p, uint64_t start_ns,
			uint64_t end_ns, unsigned int threads, bool all);

/* Read/write target memory through /proc/PID/mem (or the backend's own
 * access while stopped); all or nothing. */
int kpl_proc__read(struct kpl_proc *p, uint64_t addr, void *buf, size_t len);
int kpl_proc__write(struct kpl_proc *p, uint64_t addr, const void *buf,
		    size_t len);

/*
 * Short runs of target memory read at once (a patch's entries lie close
 * together in one library): add each run, read the span they lie in
 * with one read when it is at most KPL_SPAN_MAX bytes, then get each run
 * from it; a run the span did not give (longer, or across a gap that
 * cannot be read) is read alone.
 */
#define KPL_SPAN_MAX 4096

struct kpl_span {
	uint64_t lo, hi;
	bool read;
	uint8_t buf[KPL_SPAN_MAX];
};

void kpl_span__init(struct kpl_span *s);
void kpl_span__add(struct kpl_span *s, uint64_t addr, size_t len);
void kpl_proc__span_read(struct kpl_proc *p, struct kpl_span *s);
int kpl_proc__span_get(struct kpl_proc *p, const struct kpl_span *s,
		       uint64_t addr, void *buf, size_t len);
/*
 * Write only if the @len bytes at @addr are @expect now; otherwise
 * -KPL_E_MISMATCH and nothing written.  Checked in the kernel, in one
 * request, when the backend can (kmod, while stopped).
 */
int kpl_proc__write_expect(struct kpl_proc *p, uint64_t addr,
			   const void *buf, const void *expect, size_t len);

/*
 * The backend's other calls, every one through these wrappers (which
 * count the changes): see struct kpl_backend.  write_batch returns
 * -EOPNOTSUPP when the backend has none.
 */
int kpl_proc__stop(struct kpl_proc *p, int timeout_ms);
/* Room for @n threads in p->threads, its pages faulted in: a backend
 * asks before its stop when it knows the count, and in it otherwise. */
int kpl_proc__reserve_threads(struct kpl_proc *p, size_t n);
void kpl_proc__resume(struct kpl_proc *p);
int kpl_proc__map(struct kpl_proc *p, uint64_t addr, size_t len,
		  size_t head, const char *name, const struct kpl_map_range *r,
		  size_t nr);
/* Does kpl_proc__map() map the @head it is given (else it ignores it)? */
bool kpl_proc__maps_head(const struct kpl_proc *p);
int kpl_proc__unmap(struct kpl_proc *p, uint64_t addr, size_t len);
/*
 * The maps @m a backend read after its map, given to @p, and taken back
 * by the next reader while no map, unmap or call came in between (NULL
 * otherwise): the unwinder's stack walk then reads the file no second
 * time.
 */
void kpl_proc__keep_maps(struct kpl_proc *p, struct kpl_maps *m);
struct kpl_maps *kpl_proc__take_maps(struct kpl_proc *p);
bool kpl_proc__has_write_batch(const struct kpl_proc *p);
int kpl_proc__write_batch(struct kpl_proc *p, const struct kpl_batch_write *w,
			  size_t nr, size_t *failed);
const char *kpl_proc__backend_name(const struct kpl_proc *p);
int kpl_proc__call(struct kpl_proc *p, struct kpl_call *c);

#endif
