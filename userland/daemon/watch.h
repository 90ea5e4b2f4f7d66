/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kpld's BPF programs report through their ring buffers: a fatal
 * signal (watch.bpf.c) or a process stopped at a DT_INIT (hold.bpf.c).
 */
#ifndef KPLD_WATCH_H
#define KPLD_WATCH_H

enum { KPLD_EV_CRASH, KPLD_EV_HOLD };

struct kpld_crash {
	int kind;		/* KPLD_EV_* */
	int pid, tid, sig, code;
	unsigned long long addr, ip;
	char comm[16];
};

#endif
