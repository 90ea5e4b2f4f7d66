/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pids of the current task as kpld's own pid namespace numbers them.
 *
 * bpf_get_current_pid_tgid() gives the pids of the initial namespace.  A
 * kpld run in a pid namespace of its own (a container, or one host of
 * several on a machine) reads /proc, signals and ptraces by the numbers
 * of its namespace: given the initial one, the watchdog could not find
 * the process that crashed, and the hold stopped a process kpld then
 * could not name, so nobody let it go.
 *
 * A task has one number per namespace from the initial one down to its
 * own (struct pid's numbers[0..level]); kpld's is the one whose namespace
 * has kpld's inode (kpld_pidns_ino, set by kpld from /proc/self/ns/pid).
 * A task with no number there (in another host's namespace, a sibling
 * of kpld's) is none of kpld's business: the programs leave it alone.
 * For a kpld in the initial namespace that is numbers[0]: every task.
 */
#ifndef KPLD_PIDNS_BPF_H
#define KPLD_PIDNS_BPF_H

#include <bpf/bpf_core_read.h>

#define KPLD_PIDNS_LEVELS 32 /* the kernel's MAX_PID_NS_LEVEL */

const volatile __u32 kpld_pidns_ino;

/* The number of @pid in kpld's namespace, as level @i; 0 when none. */
static __always_inline int kpld_nr_at(struct pid *pid, unsigned int i)
{
	struct upid up = {};
	const char *at = (const char *)pid +
			 bpf_core_field_offset(struct pid, numbers) +
			 i * bpf_core_type_size(struct upid);

	if (bpf_probe_read_kernel(&up, sizeof(up), at) || !up.ns ||
	    BPF_CORE_READ(up.ns, ns.inum) != kpld_pidns_ino)
		return 0;
	return up.nr;
}

/*
 * kpld_current_pids() - current's process and thread ids in kpld's pid
 * namespace.  Return: true and @tgid, @tid set; false when kpld's
 * namespace does not see current.
 */
static __always_inline bool kpld_current_pids(int *tgid, int *tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	struct pid *lp = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level), i;

	for (i = 0; i < KPLD_PIDNS_LEVELS && i <= level; i++) {
		int nr = kpld_nr_at(tp, i);

		if (!nr)
			continue;
		*tid = nr;
		*tgid = kpld_nr_at(lp, i);
		return *tgid != 0;
	}
	return false;
}

#endif
