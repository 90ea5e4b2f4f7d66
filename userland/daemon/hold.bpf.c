// SPDX-License-Identifier: GPL-2.0
/*
 * The hold's BPF side (hold.c attaches it): attached to the DT_INIT of
 * every library an installed patch targets, it stops a process that has
 * just mapped and relocated the library, and is about to run its first
 * code, until kpld has patched it.  An object of its own, so that it
 * loads whether or not the kernel accepts the watchdog (watch.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pidns.bpf.h"
#include "watch.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

/* Set for KPLD_FAULT_BPF (bpf.c): the verifier must refuse the program. */
const volatile int kpld_fault;

SEC("uprobe")
int kpld_hold(struct pt_regs *ctx)
{
	struct kpld_crash *e;
	int pid, tid;

	if (kpld_fault)
		return *(volatile int *)(long)kpld_fault;
	/*
	 * Stop only a process kpld will hear about and can name, or it
	 * stays stopped: one outside kpld's pid namespace is let run.
	 */
	if (!kpld_current_pids(&pid, &tid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	bpf_send_signal(19);	/* SIGSTOP */
	e->kind = KPLD_EV_HOLD;
	e->pid = pid;
	e->tid = tid;
	e->sig = 19;
	e->code = 0;
	e->addr = 0;
	e->ip = PT_REGS_IP(ctx);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
