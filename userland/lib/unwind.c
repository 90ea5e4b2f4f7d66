// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The activeness check's unwinder: libdwfl over the backend's memory
 * reads, costing only what it uses.
 *
 * - Most stacks are answered without it: a frame inside a range needs a
 *   word of the live stack pointing there (stack_may_hit()).
 * - The Dwfl is made on the first stack that needs it.
 * - Modules are reported lazily, one as a frame's pc first falls in it,
 *   never the whole process (dwfl_linux_proc_report() opened and mapped
 *   every file the process maps, and dwfl_end() unmapped them all).  The
 *   modules are the ones dwfl_linux_proc_report() would have reported
 *   (same grouping of maps lines, same names and ranges), and every
 *   module a frame's unwinding looks up (at its pc, or pc - 1 for a
 *   return address) is reported before libdwfl steps that frame, so each
 *   step sees exactly what it saw with all of them: the check is as
 *   strict as before.  A walk that meets a new module stops, reports it
 *   and starts the thread again.
 * - A file's ELF comes from the command's cache (share.c): opened once
 *   per command through map_files and read with pread, its CFI sections
 *   read once, whatever the number of processes and worker threads.
 */
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "backend/backend.h"
#include "internal.h"
#include "maps.h"
#include "patch_image.h"
#include "share.h"
#include "stacks.h"
#include "state.h"
#include "unwind.h"
#include "unwind_patch.h"

/* Stacks deeper than this are not scanned, only unwound. */
#define STACK_SCAN_MAX (1u << 20)
/*
 * The stop's stacks are read into a buffer of this size, faulted in
 * before the stop, in batches of the threads that fit (stacks.c).
 */
#define STACKS_BUF (64u << 10)

/* A module as dwfl_linux_proc_report() would report it. */
struct module {
	uint64_t lo, hi;
	size_t map;		/* its first maps line */
	bool reported;
};

struct kpl_unwind {
	struct kpl_proc *p;
	Dwfl *dwfl;		/* made on first need */
	Elf *arch_elf;		/* the header dwfl_attach_state() needs */
	Elf64_Ehdr ehdr;
	struct kpl_maps *maps;	/* to find each stack's top, and modules */
	struct module *mods;
	size_t nr_mods;
	struct kpl_patch_elfs pe;	/* patch code's unwind tables */
	/* The live part of the stack being checked, [sp, top of its
	 * mapping): scanned, and the unwinder's loads served from it; in
	 * @stacks, read with the stop's others or alone. */
	const uint8_t *stack;
	uint64_t stack_lo;
	size_t stack_len;
	struct kpl_stacks stacks;
	const struct kpl_thread *one;	/* kpl_unwind__thread()'s */
};

/* The unwinder whose modules the calling thread is loading. */
static __thread struct kpl_unwind *cur;

struct walk {
	struct kpl_unwind *u;
	const struct kpl_range *ranges;
	size_t nr;
	const struct kpl_range *hit;
	unsigned int frames;
	struct module *want;	/* not reported yet: report, walk again */
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

static struct module *module_at(struct kpl_unwind *u, uint64_t addr)
{
	size_t i;

	for (i = 0; i < u->nr_mods; i++)
		if (addr >= u->mods[i].lo && addr < u->mods[i].hi)
			return &u->mods[i];
	return NULL;
}

/*
 * A file's ELF from the command's cache; patch mappings get their image
 * (unwind_patch.c); anything else (the vDSO, a file the cache cannot
 * take) is libdwfl's own way, as before.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct kpl_unwind *u = cur;
	struct module *m;

	if (!strncmp(name, KPL_STATE_PREFIX, strlen(KPL_STATE_PREFIX)))
		return kpl_patch_elfs__find_elf(mod, userdata, name, base,
						file_name, elfp);
	m = u ? module_at(u, base) : NULL;
	if (m && m->lo == base && u->maps->v[m->map].path[0] == '/' &&
	    !u->maps->v[m->map].cut) {
		const struct kpl_map *v = &u->maps->v[m->map];
		struct kpl_share_file f = { u->p->pid, v->start, v->end,
					    v->dev_major, v->dev_minor,
					    v->inode, v->path };

		*elfp = kpl_share__elf(&f);
		if (*elfp)
			return -1;
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name,
					elfp);
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_elf,
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
	if (addr >= u->stack_lo && addr - u->stack_lo + sizeof(v) <= u->stack_len) {
		memcpy(&v, u->stack + (addr - u->stack_lo), sizeof(v));
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

/*
 * The modules dwfl_linux_proc_report() reports: each run of maps lines
 * of one file (same device, inode and name; anonymous lines between them
 * do not end it), from its first line to its last, and the vDSO; but a
 * patch's module starts at its record, not at its image page.
 */
static int list_modules(struct kpl_unwind *u)
{
	const struct kpl_maps *m = u->maps;
	struct module *cur_mod = NULL;
	size_t i;

	u->mods = calloc(m->nr ? m->nr : 1, sizeof(*u->mods));
	if (!u->mods)
		return -ENOMEM;
	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i];
		const struct kpl_map *first;

		if (!strcmp(v->path, "[vdso]")) {
			u->mods[u->nr_mods++] = (struct module){ v->start,
								 v->end, i };
			cur_mod = NULL;
			continue;
		}
		if (v->path[0] != '/' && (!v->inode || v->dev_major ||
					  v->dev_minor))
			continue;	/* not a file mapping */
		first = cur_mod ? &m->v[cur_mod->map] : NULL;
		if (first && first->inode == v->inode &&
		    first->dev_major == v->dev_major &&
		    first->dev_minor == v->dev_minor) {
			if (strcmp(first->path, v->path)) {
				/* dwfl_linux_proc_report() fails here */
				pr_warn("unwind: failed to list modules of "
					"pid %d\n", u->p->pid);
				return -ESRCH;
			}
			cur_mod->hi = v->end;
			continue;
		}
		/* A patch's image page (patch_image.h), below its record:
		 * libdwfl would start the module there, kpl at the record,
		 * whose image it makes itself (unwind_patch.c). */
		if (v->offset && !strncmp(v->path, KPL_STATE_PREFIX,
					  strlen(KPL_STATE_PREFIX))) {
			cur_mod = NULL;
			continue;
		}
		cur_mod = &u->mods[u->nr_mods++];
		*cur_mod = (struct module){ v->start, v->end, i };
	}
	return 0;
}

/* Report @m to libdwfl, named as dwfl_linux_proc_report() names it. */
static int report(struct kpl_unwind *u, struct module *m)
{
	const char *path = u->maps->v[m->map].path;
	char vdso[32];
	Dwfl_Module *mod;

	if (!strcmp(path, "[vdso]")) {
		snprintf(vdso, sizeof(vdso), "[vdso: %d]", (int)u->p->pid);
		path = vdso;
	}
	m->reported = true;
	dwfl_report_begin_add(u->dwfl);
	mod = dwfl_report_module(u->dwfl, path, m->lo, m->hi);
	if (dwfl_report_end(u->dwfl, NULL, NULL) || !mod) {
		pr_warn("unwind: cannot report a module of pid %d: %s\n",
			u->p->pid, dwfl_errmsg(-1));
		return -KPL_E_BACKEND;
	}
	return 0;
}

/* The Dwfl, made on the first stack that needs it.  dw lock held. */
static int attach(struct kpl_unwind *u)
{
	if (u->dwfl)
		return 0;
	u->dwfl = dwfl_begin(&proc_callbacks);
	if (!u->dwfl)
		return -ENOMEM;
	/* No module yet to take the machine from: an ELF header says it. */
	kpl_patch_image__ehdr(&u->ehdr);
	elf_version(EV_CURRENT);
	u->arch_elf = elf_memory((char *)&u->ehdr, sizeof(u->ehdr));
	if (!u->arch_elf ||
	    !dwfl_attach_state(u->dwfl, u->arch_elf, u->p->pid,
			       &thread_callbacks, u)) {
		pr_warn("unwind: cannot attach to pid %d: %s\n", u->p->pid,
			dwfl_errmsg(-1));
		return -KPL_E_BACKEND;
	}
	return 0;
}

/*
 * Patch mappings are read and checked now, while the process runs, as
 * before the unwinder became lazy: their records and tables come from
 * the process (a forgery is refused and said so before any stop), and
 * only a process that already carries patches has any.
 */
static int load_patches(struct kpl_unwind *u)
{
	size_t plen = strlen(KPL_STATE_PREFIX), i;
	Dwarf_Addr bias;
	int err = 0;

	for (i = 0; i < u->nr_mods && !err; i++) {
		struct module *m = &u->mods[i];

		if (strncmp(u->maps->v[m->map].path, KPL_STATE_PREFIX, plen))
			continue;
		kpl_share__lock();
		cur = u;
		kpl_patch_elfs__enter(&u->pe);
		err = attach(u);
		if (!err)
			err = report(u, m);
		if (!err)
			dwfl_module_eh_cfi(dwfl_addrmodule(u->dwfl, m->lo),
					   &bias);
		kpl_patch_elfs__leave();
		cur = NULL;
		kpl_share__unlock();
	}
	return err;
}

int kpl_unwind__new(struct kpl_proc *p, struct kpl_unwind **out)
{
	struct kpl_unwind *u;
	int err = 0;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	kpl_share__get();
	u->p = p;
	/* The target's maps, when kpl mapped nothing since they were read
	 * (a copy: the target may read them again meanwhile), else the
	 * backend's read after its map (taken), else read now. */
	if (p->maps && p->maps_at == p->remaps)
		err = kpl_maps__dup(p->maps, &u->maps);
	else
		u->maps = kpl_proc__take_maps(p);
	if (!err && !u->maps)
		err = kpl_maps__read(p->pid, &u->maps);
	if (!err)
		err = list_modules(u);
	u->pe.p = p;
	u->pe.maps = u->maps;
	if (!err)
		err = load_patches(u);
	if (!err)
		err = kpl_stacks__init(&u->stacks, p, u->maps, STACK_SCAN_MAX,
				       STACKS_BUF);
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
	/* dwfl_end() elf_end()s the command's shared Elfs. */
	kpl_share__lock();
	if (u->dwfl)
		dwfl_end(u->dwfl);
	if (u->arch_elf)
		elf_end(u->arch_elf);
	kpl_share__unlock();
	kpl_patch_elfs__free(&u->pe);
	kpl_maps__free(u->maps);
	free(u->mods);
	kpl_stacks__free(&u->stacks);
	free(u);
	kpl_share__put();
}

/* Is the module of @pc not reported yet?  Then it is the walk's want. */
static bool wants(struct walk *w, uint64_t pc)
{
	struct module *m = module_at(w->u, pc);

	if (m && !m->reported) {
		w->want = m;
		return true;
	}
	return false;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;
	size_t i;

	/* libdwfl steps this frame from the module at pc, or at pc - 1
	 * for a return address (asking for activation makes it step): both
	 * must be reported first, as if every module had been. */
	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	if (wants(w, pc) || (pc && wants(w, pc - 1)))
		return DWARF_CB_ABORT;
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

/* @sp's live stack, read alone, as u->stack. */
static bool stack_read(struct kpl_unwind *u, uint64_t sp)
{
	u->stack = kpl_stacks__one(&u->stacks, sp, &u->stack_lo,
				   &u->stack_len);
	return u->stack;
}

/* Stop thread @i's live stack as u->stack: read in a batch with the
 * threads after it (stacks.c), alone if the batch could not take it. */
static bool stack_of(struct kpl_unwind *u, size_t i)
{
	bool tried;

	u->stack = kpl_stacks__get(&u->stacks, i, &u->stack_lo,
				   &u->stack_len, &tried);
	return u->stack || (!tried && stack_read(u, u->p->threads[i].sp));
}

static bool stack_may_hit(struct kpl_unwind *u, const struct kpl_thread *th,
			  const struct kpl_range *ranges, size_t nr)
{
	return kpl_stacks__may_hit(u->stack, u->stack_len, th->ip, ranges, nr);
}

/*
 * Unwind @th's stack, reporting modules as its frames reach them.
 * Return: 0 and *@r dwfl_getthread_frames()'s, with w->hit set on a
 * hit; or a negative error when the unwinder itself cannot run.
 */
static int walk(struct kpl_unwind *u, const struct kpl_thread *th,
		struct walk *w, int *r)
{
	int err;

	kpl_share__lock();
	cur = u;
	/* A patch mapping's module finds its image too. */
	kpl_patch_elfs__enter(&u->pe);
	err = attach(u);
	for (;;) {
		if (err)
			break;
		w->hit = NULL;
		w->want = NULL;
		w->frames = 0;
		*r = dwfl_getthread_frames(u->dwfl, th->tid, frame_cb, w);
		/* Each round reports one more module: at most nr_mods. */
		if (!w->want || w->hit)
			break;
		err = report(u, w->want);
	}
	kpl_patch_elfs__leave();
	cur = NULL;
	kpl_share__unlock();
	return err;
}

static int busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		size_t nr, const struct kpl_range **hit, int *tid)
{
	size_t i;

	for (i = 0; i < u->p->nr_threads; i++) {
		const struct kpl_thread *th = &u->p->threads[i];
		struct walk w = { .u = u, .ranges = ranges, .nr = nr };
		int r = 0, err;

		if (stack_of(u, i) && !stack_may_hit(u, th, ranges, nr))
			continue;
		err = walk(u, th, &w, &r);
		if (err)
			return err;
		if (w.hit) {
			*hit = w.hit;
			*tid = th->tid;
			return -KPL_E_BUSY;
		}
		if (r != 0) {
			/* What the unwinder could not see may hold a
			 * patched function: busy, and retried later. */
			pr_info("unwind: thread %d: stack unreadable after %u "
				"frames: %s\n", th->tid, w.frames,
				dwfl_errmsg(-1));
			*hit = NULL;
			*tid = th->tid;
			return -KPL_E_BUSY;
		}
	}
	return 0;
}

int kpl_unwind__busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		     size_t nr, const struct kpl_range **hit, int *tid)
{
	return busy(u, ranges, nr, hit, tid);
}

int kpl_unwind__thread(struct kpl_unwind *u, const struct kpl_thread *th,
		       const struct kpl_range *ranges, size_t nr,
		       const struct kpl_range **hit)
{
	struct walk w = { .u = u, .ranges = ranges, .nr = nr };
	int r = 0, err;

	*hit = NULL;
	if (stack_read(u, th->sp) && !stack_may_hit(u, th, ranges, nr))
		return 0;
	u->one = th;
	err = walk(u, th, &w, &r);
	u->one = NULL;
	if (err)
		return err;
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
