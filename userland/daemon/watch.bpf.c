// SPDX-License-Identifier: GPL-2.0
/*
 * The crash watchdog's BPF side: report every delivery of a fatal signal
 * whose action is the default (the process is about to die), with the
 * faulting address and the user IP, from the dying thread's own context.
 * An object of its own (the hold is in hold.bpf.c), so that a kernel
 * refusing one leaves kpld the other.
 *
 * The tracepoint's arguments are read with bpf_probe_read_kernel (CO-RE),
 * never dereferenced: newer verifiers (6.18 here) type @info as a scalar (it
 * may be SEND_SIG_NOINFO or SEND_SIG_PRIV, not a pointer), and 6.1's
 * refuses the 8-byte read of si_addr through the _sifields union ("access
 * beyond the end of member _pid").
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
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

static __always_inline bool fatal(int sig)
{
	return sig == 4 || sig == 5 || sig == 6 || sig == 7 || sig == 8 ||
	       sig == 11 || sig == 31;	/* ILL TRAP ABRT BUS FPE SEGV SYS */
}

/* NULL, SEND_SIG_PRIV (1) or an ERR_PTR: nothing to read there. */
static __always_inline bool bad_ptr(const void *p)
{
	unsigned long v = (unsigned long)p;

	return v < 4096 || v >= (unsigned long)-4095;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(kpld_signal_deliver, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	struct pt_regs *regs;
	struct kpld_crash *e;
	int pid, tid;

	if (kpld_fault)
		return *(volatile int *)(long)kpld_fault;
	if (!fatal(sig) || bad_ptr(ka) ||
	    BPF_CORE_READ(ka, sa.sa_handler) != (void *)0)
		return 0;
	/* A process outside kpld's pid namespace is not kpld's. */
	if (!kpld_current_pids(&pid, &tid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = KPLD_EV_CRASH;
	e->pid = pid;
	e->tid = tid;
	e->sig = sig;
	e->code = 0;
	e->addr = 0;
	if (!bad_ptr(info)) {
		e->code = BPF_CORE_READ(info, si_code);
		/* si_addr only for a fault: a kill(2) has the sender there. */
		if (e->code > 0)
			e->addr = (__u64)BPF_CORE_READ(info,
						       _sifields._sigfault._addr);
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	e->ip = bad_ptr(regs) ? 0 : PT_REGS_IP_CORE(regs);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
