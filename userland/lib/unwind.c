// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "backend.h"
#include "internal.h"
#include "unwind.h"

struct kpl_unwind {
	struct kpl_proc *p;
	Dwfl *dwfl;
	bool attached;
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
	.find_elf = dwfl_linux_proc_find_elf,
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
	if (kpl_proc__read(u->p, addr, &v, sizeof(v)))
		return false;
	*result = v;
	return true;
}

/* DWARF numbers x86-64 registers rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * r8..r15, then the return address column (rip) as 16. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct kpl_thread *th = thread_arg;
	struct user_regs_struct r;
	Dwarf_Word dw[17];

	memcpy(&r, th->regs, sizeof(r));
	dw[0] = r.rax;
	dw[1] = r.rdx;
	dw[2] = r.rcx;
	dw[3] = r.rbx;
	dw[4] = r.rsi;
	dw[5] = r.rdi;
	dw[6] = r.rbp;
	dw[7] = r.rsp;
	dw[8] = r.r8;
	dw[9] = r.r9;
	dw[10] = r.r10;
	dw[11] = r.r11;
	dw[12] = r.r12;
	dw[13] = r.r13;
	dw[14] = r.r14;
	dw[15] = r.r15;
	dw[16] = r.rip;
	return dwfl_thread_state_registers(thread, 0, 17, dw);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

int kpl_unwind__new(struct kpl_proc *p, struct kpl_unwind **out)
{
	struct kpl_unwind *u;
	int err = 0;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->p = p;
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

int kpl_unwind__busy(struct kpl_unwind *u, const struct kpl_range *ranges,
		     size_t nr, const struct kpl_range **hit, int *tid)
{
	size_t i;

	for (i = 0; i < u->p->nr_threads; i++) {
		struct walk w = { .ranges = ranges, .nr = nr };
		int r = dwfl_getthread_frames(u->dwfl, u->p->threads[i].tid,
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
