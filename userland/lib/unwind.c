// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "backend/backend.h"
#include "internal.h"
#include "maps.h"
#include "unwind.h"
#include "unwind_patch.h"

/* Stacks deeper than this are not scanned, only unwound. */
#define STACK_SCAN_MAX (1u << 20)

struct kpl_unwind {
	struct kpl_proc *p;
	Dwfl *dwfl;
	struct kpl_maps *maps;	/* to find each stack's top */
	struct kpl_patch_elfs pe;	/* patch code's unwind tables */
	/* The live part of the stack being checked, [sp, top of its
	 * mapping): scanned, and the unwinder's loads served from it. */
	uint64_t cache_lo;
	size_t cache_len;
	uint8_t *cache;
	size_t cache_cap;
	const struct kpl_thread *one;	/* kpl_unwind__thread()'s */
};

struct walk {
	const struct kpl_range *ranges;
	size_t nr;
	const struct kpl_range *hit;
	unsigned int frames;
};

/* Only .eh_frame from the mapped files is needed: no debuginfo search. */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base;
	(void)file_name, (void)debuglink_file, (void)debuglink_crc;
	(void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = kpl_patch_elfs__find_elf,
	.find_debuginfo = no_debuginfo,
};

/* The thread argument is the struct kpl_thread itself. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct kpl_unwind *u = arg;
	struct kpl_thread *th = *thread_argp;
	size_t i = th ? (size_t)(th - u->p->threads) + 1 : 0;

	(void)dwfl;
	if (i >= u->p->nr_threads)
		return 0;
	*thread_argp = &u->p->threads[i];
	return u->p->threads[i].tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct kpl_unwind *u = arg;
	size_t i;

	(void)dwfl;
	if (u->one && u->one->tid == tid) {
		*thread_argp = (void *)u->one;
		return true;
	}
	for (i = 0; i < u->p->nr_threads; i++) {
		if (u->p->threads[i].tid == tid) {
			*thread_argp = &u->p->threads[i];
			return true;
		}
	}
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			void *arg)
{
	struct kpl_unwind *u = arg;
	uint64_t v;

	(void)dwfl;
	if (addr >= u->cache_lo && addr - u->cache_lo + sizeof(v) <= u->cache_len) {
		memcpy(&v, u->cache + (addr - u->cache_lo), sizeof(v));
	} else if (kpl_proc__read(u->p, addr, &v, sizeof(v))) {
		return false;
	}
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct kpl_thread *th = thread_arg;
	Dwarf_Word dw[KPL_ARCH_DWARF_REGS];
	uint64_t v[KPL_ARCH_DWARF_REGS];
	size_t i;

	kpl_arch_dwarf_regs(&th->regs, v);
	for (i = 0; i < KPL_ARCH_DWARF_REGS; i++)
		dw[i] = v[i];
	if (!dwfl_thread_state_registers(thread, 0, KPL_ARCH_DWARF_REGS, dw))
		return false;
	/* The pc apart: it is not the return address column everywhere. */
	dwfl_thread_state_register_pc(thread, kpl_arch_regs_pc(&th->regs));
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int warm_module(Dwfl_Module *mod, void **userdata, const char *name,
		       Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;

	(void)userdata, (void)name, (void)start, (void)arg;
	dwfl_module_eh_cfi(mod, &bias);
	return DWARF_CB_OK;
}

int kpl_unwind__new(struct kpl_proc *p, struct kpl_unwind **out)
{
	struct kpl_unwind *u;
	int err = 0;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->p = p;
	err = kpl_maps__read(p->pid, &u->maps);
	if (err)
		goto out;
	u->pe.p = p;
	u->pe.maps = u->maps;
	u->dwfl = dwfl_begin(&proc_callbacks);
	if (!u->dwfl) {
		err = -ENOMEM;
		goto out;
	}
	dwfl_report_begin(u->dwfl);
	if (dwfl_linux_proc_report(u->dwfl, p->pid)) {
		pr_warn("unwind: failed to list modules of pid %d\n", p->pid);
		err = -ESRCH;
		goto out;
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL)) {
		err = -ENOMEM;
		goto out;
	}
	/* Load every module's CFI now, while the process runs, rather than
	 * on the first unwind inside the stop. */
	kpl_patch_elfs__enter(&u->pe);
	dwfl_getmodules(u->dwfl, warm_module, NULL, 0);
	kpl_patch_elfs__leave();
	if (!dwfl_attach_state(u->dwfl, NULL, p->pid, &thread_callbacks, u)) {
		pr_warn("unwind: cannot attach to pid %d: %s\n", p->pid,
			dwfl_errmsg(-1));
		err = -KPL_E_BACKEND;
	}
out:
	if (err) {
		kpl_unwind__free(u);
		return err;
	}
	*out = u;
	return 0;
}

void kpl_unwind__free(struct kpl_unwind *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	kpl_patch_elfs__free(&u->pe);
	kpl_maps__free(u->maps);
	free(u->cache);
	free(u);
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;
	size_t i;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* A return address points after the call: look at the call. */
	if (!activation && pc)
		pc--;
	w->frames++;
	for (i = 0; i < w->nr; i++) {
		if (pc >= w->ranges[i].lo && pc < w->ranges[i].hi) {
			w->hit = &w->ranges[i];
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

/*
 * Read the live part of the stack, from @sp to the end of the mapping it
 * lies in.  Return false if that is unknown or too large to scan.
 */
static bool stack_read(struct kpl_unwind *u, uint64_t sp)
{
	uint64_t lo = sp & ~7ull;
	size_t i, len = 0;

	u->cache_len = 0;
	for (i = 0; i < u->maps->nr; i++) {
		if (lo >= u->maps->v[i].start && lo < u->maps->v[i].end) {
			len = u->maps->v[i].end - lo;
			break;
		}
	}
	if (!len || len > STACK_SCAN_MAX)
		return false;
	if (len > u->cache_cap) {
		uint8_t *c = realloc(u->cache, len);

		if (!c)
			return false;
		u->cache = c;
		u->cache_cap = len;
	}
	if (kpl_proc__read(u->p, lo, u->cache, len))
		return false;
	u->cache_lo = lo;
	u->cache_len = len;
	return true;
}

static bool in_ranges(uint64_t v, const struct kpl_range *ranges, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (v >= ranges[i].lo && v <= ranges[i].hi)
			return true;
	return false;
}

/*
 * A frame inside a range needs a return address into it on the stack
 * (or the IP itself, for the innermost frame).  So when no word of the
 * live stack points into any range, no frame can be there: a sound and
 * cheap answer for most threads.  A word that does point there may be a
 * stale value, so only then is the stack unwound precisely.
 */
static bool stack_may_hit(struct kpl_unwind *u, const struct kpl_thread *th,
			  const struct kpl_range *ranges, size_t nr)
{
	size_t i;

	if (in_ranges(th->ip, ranges, nr))
		return true;
	for (i = 0; i + 8 <= u->cache_len; i += 8) {
		uint64_t v;

		memcpy(&v, u->cache + i, 8);
		if (in_ranges(v, ranges, nr))
			return true;
	}
	return false;
}

static int busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		size_t nr, const struct kpl_range **hit, int *tid)
{
	size_t i;

	for (i = 0; i < u->p->nr_threads; i++) {
		struct walk w = { .ranges = ranges, .nr = nr };
		int r;

		if (stack_read(u, u->p->threads[i].sp) &&
		    !stack_may_hit(u, &u->p->threads[i], ranges, nr))
			continue;
		r = dwfl_getthread_frames(u->dwfl, u->p->threads[i].tid,
					  frame_cb, &w);

		if (w.hit) {
			*hit = w.hit;
			*tid = u->p->threads[i].tid;
			return -KPL_E_BUSY;
		}
		if (r != 0) {
			/* What the unwinder could not see may hold a
			 * patched function: busy, and retried later. */
			pr_info("unwind: thread %d: stack unreadable after %u "
				"frames: %s\n", u->p->threads[i].tid,
				w.frames, dwfl_errmsg(-1));
			*hit = NULL;
			*tid = u->p->threads[i].tid;
			return -KPL_E_BUSY;
		}
	}
	return 0;
}

int kpl_unwind__busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		     size_t nr, const struct kpl_range **hit, int *tid)
{
	int err;

	/* A module libdwfl loads only now finds its patch image too. */
	kpl_patch_elfs__enter(&u->pe);
	err = busy(u, ranges, nr, hit, tid);
	kpl_patch_elfs__leave();
	return err;
}

int kpl_unwind__thread(struct kpl_unwind *u, const struct kpl_thread *th,
		       const struct kpl_range *ranges, size_t nr,
		       const struct kpl_range **hit)
{
	struct walk w = { .ranges = ranges, .nr = nr };
	int r;

	*hit = NULL;
	if (stack_read(u, th->sp) && !stack_may_hit(u, th, ranges, nr))
		return 0;
	u->one = th;
	kpl_patch_elfs__enter(&u->pe);
	r = dwfl_getthread_frames(u->dwfl, th->tid, frame_cb, &w);
	kpl_patch_elfs__leave();
	u->one = NULL;
	if (w.hit) {
		*hit = w.hit;
		return -KPL_E_BUSY;
	}
	if (r != 0) {
		pr_info("unwind: thread %d: stack unreadable after %u frames: "
			"%s\n", th->tid, w.frames, dwfl_errmsg(-1));
		return -KPL_E_BUSY;
	}
	return 0;
}
