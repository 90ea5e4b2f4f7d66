// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Registering a patch's unwind table with the target's libgcc.
 *
 * libgcc's unwinder (which C++ exceptions, backtrace(3) and
 * pthread_cancel() use) finds the unwind table of a PC in the objects
 * the dynamic linker loaded and in those registered with
 * __register_frame_info().  A patch mapping is neither, so an exception
 * meeting a frame of patch code ended in std::terminate().  So once the
 * patch is mapped and filled, and before any entry jumps there, one
 * borrowed thread calls, in the process's own libgcc_s.so.1,
 *
 *	__register_frame_info(eh_frame, object)
 *
 * with libgcc's struct object in the patch's own writable part (never
 * malloc'ed: a borrowed thread calling malloc can deadlock), and before
 * the mapping goes, __deregister_frame_info(eh_frame).
 *
 * The calls must never deadlock the target.  libgcc takes its
 * object_mutex there, and may free() (deregistering a table it has
 * sorted) or, in libgcc 13, malloc().  Other threads run during the
 * borrowed stop, so a lock one of them holds is released by it; but the
 * borrowed thread itself may have been stopped holding one, inside the
 * unwinder or the allocator, and would wait for itself forever.  So its
 * stack is unwound first, and if any frame is in libgcc_s or in an
 * allocator function, the thread is let go, and the call tried again a
 * bounded number of times, saying so, before giving up with nothing
 * changed.  The call itself is time-bounded too (ptrace_call.c).
 *
 * Kills.  The mark stub sets a byte in the area once each call has
 * returned, in the target's own thread, so a later kpl reads what a
 * killed one did: registered and not deregistered means a
 * deregistration is owed before the unmap; neither mark while some
 * stack holds a return into the patch's text (the mark stub) means the
 * call may still run, and the mapping is kept.  A registered table is
 * never unmapped: libgcc would read freed memory at the next throw.
 *
 * With no libgcc_s in the process, no C++ exception can be thrown or
 * unwound there (libstdc++ needs it), and glibc loads it only when a
 * thread is first cancelled: nothing is registered, and a later
 * cancellation unwinds as through any code without a table.  The kmod
 * backend cannot run code in the target: nothing is registered there.
 * A patch whose code may throw or be unwound through (it carries the
 * FDEs, LSDAs and personality that takes, patch_unwind.c) is refused in
 * both cases, never applied with a table nobody reads.  With kmod, so is
 * any patch with a table in a process that maps libgcc_s: patch_unwind.c
 * does not look for C code that a C++ callback's exception (or a
 * cancellation) passes through, and where libgcc_s runs, some may.
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "eh_reg.h"
#include "internal.h"
#include "loader.h"
#include "patch.h"
#include "patch_image.h"
#include "perfmap.h"
#include "state.h"
#include "target.h"
#include "unwind.h"

#define EH_TRIES 8		/* borrowed threads tried before giving up */
#define EH_CALL_TIMEOUT_MS 3000
#define EH_RANGES_MAX 64

/* Functions whose frames on the borrowed thread's stack may hold a lock
 * the calls need: the allocator's, and fork's (which holds them all). */
static const char *const alloc_funcs[] = {
	"malloc", "free", "calloc", "realloc", "reallocarray", "memalign",
	"aligned_alloc", "posix_memalign", "valloc", "pvalloc",
	"malloc_trim", "malloc_stats", "malloc_info", "mallinfo",
	"mallinfo2", "mallopt", "__libc_malloc", "__libc_free",
	"__libc_calloc", "__libc_realloc", "__libc_memalign", "fork",
	"_Fork",
};

struct eh_ctx {
	struct kpl_target *t;
	uint64_t reg, dereg;	/* the two functions in the target */
	struct kpl_range ranges[EH_RANGES_MAX];
	size_t nr;
	struct kpl_unwind *u;
	const struct kpl_range *hit;
};

static bool is_libgcc(const char *path)
{
	const char *b = strrchr(path, '/');

	return !strncmp(b ? b + 1 : path, "libgcc_s.so", 11);
}

static void add_range(struct eh_ctx *c, uint64_t lo, uint64_t hi,
		      const char *name)
{
	if (c->nr < EH_RANGES_MAX && hi > lo)
		c->ranges[c->nr++] = (struct kpl_range){ lo, hi, name };
}

/*
 * libgcc_s in the target, its two functions and the ranges no frame of
 * the borrowed thread may be in.  Return 0, or -ENOENT when the process
 * has no libgcc_s (nothing to register with).
 */
static int eh_find(struct kpl_target *t, struct eh_ctx *c)
{
	const struct kpl_elf_sym *r, *d;
	struct kpl_obj *gcc = NULL;
	size_t i, j;

	memset(c, 0, sizeof(*c));
	c->t = t;
	for (i = 0; i < t->nr_objs && !gcc; i++)
		if (t->objs[i].exec && is_libgcc(t->objs[i].path) &&
		    kpl_obj__elf(t, &t->objs[i]))
			gcc = &t->objs[i];
	if (!gcc)
		return -ENOENT;
	r = kpl_elf__find_dynamic(gcc->elf, "__register_frame_info");
	d = kpl_elf__find_dynamic(gcc->elf, "__deregister_frame_info");
	if (!r || !d || r->type != STT_FUNC || d->type != STT_FUNC)
		return -ENOENT;
	c->reg = gcc->bias + r->value;
	c->dereg = gcc->bias + d->value;
	add_range(c, gcc->lo, gcc->hi, "libgcc_s");
	for (i = 0; i < t->nr_objs; i++) {
		struct kpl_obj *o = &t->objs[i];

		if (!o->exec || o == gcc || !kpl_obj__elf(t, o))
			continue;
		for (j = 0; j < KPL_ARRAY_SIZE(alloc_funcs); j++) {
			const struct kpl_elf_sym *s =
				kpl_elf__find_dynamic(o->elf, alloc_funcs[j]);

			if (s && s->type == STT_FUNC)
				add_range(c, o->bias + s->value,
					  o->bias + s->value + s->size,
					  alloc_funcs[j]);
		}
	}
	return 0;
}

/* The borrowed thread, before anything changes: is it safe to use? */
static int eh_check(void *ctx, const struct kpl_thread *th)
{
	struct eh_ctx *c = ctx;

	c->hit = NULL;
	if (!kpl_unwind__thread(c->u, th, c->ranges, c->nr, &c->hit))
		return 0;
	return -EAGAIN;
}

static void nap_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Call @fn(@a0, @a1) in a borrowed thread that is not inside the
 * unwinder or the allocator, returning through @u's stub, which sets
 * the byte at @mark.  *@started as struct kpl_call's.
 */
static int eh_call(struct eh_ctx *c, const struct kpl_state_unwind *u,
		   uint64_t fn, uint64_t a0, uint64_t a1, uint64_t mark,
		   bool *started, const char *who, const char *what)
{
	struct kpl_target *t = c->t;
	unsigned int ms = 1;
	int i, err;

	*started = false;
	err = kpl_unwind__new(t->proc, &c->u);
	if (err)
		return err;
	for (i = 0; i < EH_TRIES; i++) {
		struct kpl_call call = {
			.fn = fn, .args = { a0, a1 }, .stub = u->eh_stub,
			.mark = mark, .check = eh_check, .ctx = c,
			.timeout_ms = EH_CALL_TIMEOUT_MS,
		};

		err = kpl_proc__call(t->proc, &call);
		*started = call.started;
		if (err != -EAGAIN)
			break;
		pr_warn("%s: pid %d: target thread %d is inside the %s (%s); "
			"retrying\n", who, t->pid, call.tid,
			c->hit && strcmp(c->hit->name, "libgcc_s") ?
				"allocator" : "unwinder",
			c->hit ? c->hit->name : "a stack it cannot unwind");
		nap_ms(ms);
		ms *= 2;
	}
	if (err == -EAGAIN) {
		pr_warn("%s: pid %d: no thread outside the unwinder and the "
			"allocator after %d tries: cannot %s the patch's "
			"unwind table without risking a deadlock\n", who,
			t->pid, EH_TRIES, what);
		err = -KPL_E_BUSY;
	} else if (err) {
		pr_warn("%s: pid %d: failed to %s the patch's unwind table "
			"with libgcc: %s\n", who, t->pid, what,
			kpl_strerror(err));
	}
	kpl_unwind__free(c->u);
	c->u = NULL;
	return err;
}

static int read_marks(struct kpl_target *t, const struct kpl_state_unwind *u,
		      uint8_t m[2])
{
	return kpl_proc__read(t->proc,
			      u->eh_area + offsetof(struct kpl_eh_area,
						    registered), m, 2);
}

int kpl_eh__register(struct kpl_target *t, const struct kpl_state *st,
		     const struct kpl_state_unwind *u, bool *in_flight,
		     const char *who)
{
	struct eh_ctx c;
	uint8_t m[2] = { 0 };
	bool started = false;
	int err;

	*in_flight = false;
	if (!u->eh_frame || !u->eh_area || eh_find(t, &c))
		return 0;
	err = eh_call(&c, u, c.reg, u->eh_frame, u->eh_area,
		      u->eh_area + offsetof(struct kpl_eh_area, registered),
		      &started, who, "register");
	if (!err) {
		err = read_marks(t, u, m);
		if (!err && !m[0]) {
			pr_warn("%s: pid %d: __register_frame_info returned "
				"but the patch %s's mark is not set\n", who,
				t->pid, st->id);
			err = -KPL_E_STATE;
		}
	}
	*in_flight = err && started;
	if (*in_flight)
		pr_warn("%s: pid %d: patch %s stays mapped, unapplied, until a "
			"later kpl finds the call done\n", who, t->pid, st->id);
	if (!err)
		pr_debug("%s: pid %d: patch %s's unwind table registered with "
			 "libgcc\n", who, t->pid, st->id);
	return err;
}

void kpl_eh__place(struct kpl_state *st, const struct kpl_load *ld)
{
	if (ld->eh_frame_size)
		kpl_state__set_unwind(st, st->base + ld->eh_frame,
				      ld->eh_frame_size, st->base + ld->eh_area,
				      st->base + ld->eh_stub);
	else
		kpl_state__set_unwind(st, 0, 0, 0, 0);
}

static const char throws[] = "has code that may throw or be unwound through";

/* Patch @id has code that may throw: is there no libgcc_s to register
 * its table with? */
static int unregistrable(struct kpl_target *t, const char *id,
			 const char *who)
{
	struct eh_ctx c;

	if (!eh_find(t, &c))
		return 0;
	pr_warn("%s: pid %d: patch %s %s, but the process maps no libgcc_s.so.1 to register its unwind table with: an exception there would end the process\n",
		who, t->pid, id, throws);
	return -KPL_E_UNWIND;
}

/* C code with a table is registered wherever libgcc_s is mapped (both
 * backends can call it), and needs nothing where it is not. */
int kpl_eh__can_register(struct kpl_target *t, const struct kpl_patch *patch,
			 bool unwinds, const char *who)
{
	return unwinds ? unregistrable(t, patch->id, who) : 0;
}

int kpl_eh__attach(struct kpl_target *t, struct kpl_state *st, bool needed,
		   bool *mapped, const char *who)
{
	const struct kpl_state_unwind *u = kpl_state__unwind(st);
	bool in_flight = false;
	int err;

	if (needed && (!u->eh_frame || !u->eh_area)) {
		pr_warn("%s: pid %d: patch %s %s, but no unwind table to register\n",
			who, t->pid, st->id, throws);
		return -KPL_E_UNWIND;
	}
	if (needed && unregistrable(t, st->id, who))
		return -KPL_E_UNWIND;
	err = kpl_eh__register(t, st, u, &in_flight, who);
	if (err && in_flight)
		*mapped = false; /* the call may still run: kept */
	return err;
}

void kpl_eh__trailer(struct kpl_target *t, const struct kpl_state *st,
		     struct kpl_state_unwind *u)
{
	char why[160];

	if (kpl_proc__read(t->proc,
			   st->base + KPL_STATE_SIZE((size_t)st->nr_funcs), u,
			   sizeof(*u)) ||
	    kpl_state__check_unwind(st, u, why, sizeof(why))) {
		memset(u, 0, sizeof(*u));
		return;
	}
}


int kpl_eh__unmap(struct kpl_target *t, const struct kpl_state *st,
		  const struct kpl_state_unwind *u, const char *who)
{
	struct eh_ctx c;
	uint8_t m[2] = { 0 };
	bool started;
	int err = 0;

	if (u && u->eh_area) {
		err = read_marks(t, u, m);
		if (!err && m[0] && !m[1]) {
			if (eh_find(t, &c)) {
				pr_warn("%s: pid %d: patch %s's unwind table "
					"is registered with a libgcc this "
					"kpl cannot call\n", who, t->pid,
					st->id);
				err = -KPL_E_BACKEND;
			} else {
				err = eh_call(&c, u, c.dereg, u->eh_frame, 0,
					      u->eh_area +
						      offsetof(struct kpl_eh_area,
							       deregistered),
					      &started, who, "deregister");
			}
			if (!err)
				err = read_marks(t, u, m);
			if (!err && !m[1])
				err = -KPL_E_STATE;
		}
	}
	if (err) {
		pr_warn("%s: pid %d: patch %s stays mapped: its unwind table "
			"may still be registered with libgcc (%s); a later kpl "
			"takes it back and unmaps it\n", who, t->pid, st->id,
			kpl_strerror(err));
		return err;
	}
	err = kpl_patch_image__unmap(t->proc, st->base, st->size);
	if (!err)
		kpl_perfmap__unmapped(t->pid, st->id);
	return err;
}

int kpl_eh__unmap_found(struct kpl_target *t, const struct kpl_state *st,
			const char *who)
{
	struct kpl_state_unwind u;

	kpl_eh__trailer(t, st, &u);
	return kpl_eh__unmap(t, st, &u, who);
}
