/* SPDX-License-Identifier: GPL-2.0 */
/* What watch.bpf.c reports for each fatal signal. */
#ifndef KPLD_WATCH_H
#define KPLD_WATCH_H

struct kpld_crash {
	int pid, tid, sig, code;
	unsigned long long addr, ip;
	char comm[16];
};

#endif
