// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What /proc says about a traced process's threads, for the ptrace
 * backend's stops (ptrace.c): which thread to borrow, whether one that
 * could not be seized has exited, whether the threads stopped are all
 * of them.  Every file read here is the kernel's; the process chooses
 * only its comm, which the stat fields follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"
#include "ptrace.h"
#include "share.h"

/*
 * The small procfs file @path into @buf (@len bytes, NUL-terminated):
 * the bytes read, or -errno.
 */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/*
 * Field @nr (3 or more, numbered as in proc(5)) of the stat line @buf:
 * the fields follow the last ')', the comm before it being the
 * process's own choice.  NULL if the line has not that many.
 */
static const char *stat_field(const char *buf, int nr)
{
	const char *s = strrchr(buf, ')');
	int i;

	if (!s || s[1] != ' ')
		return NULL;
	for (s += 2, i = 3; i < nr && s; i++) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	return s && *s ? s : NULL;
}

/*
 * The thread to borrow for injected syscalls, of the first @nr listed:
 * one asleep in a system call the kernel restarts by itself after the
 * stop (kpl_arch_sleep_restarts()), so that no thread that is running
 * loses the time, and none sees an EINTR it would not have seen; else
 * the first (the main thread).  Its stop is then one the program does
 * not notice, where a running thread would lose it.  @hint, the
 * sleeper the last all-thread stop saw (struct kpl_pt), if it is
 * listed; -1: the first, no looking; else one read of
 * /proc/PID/task/TID/syscall per thread looked at, none for a process
 * with one thread.  What the file says is the kernel's, and only a
 * hint: a thread woken meanwhile is borrowed all the same.
 *
 * *@crowded: no sleeper, and at least three times as many of the
 * threads looked at are running (or waiting for a CPU) as the process
 * has CPUs.  A thread borrowed then waits behind the others for a CPU at
 * each of its ten and more syscall stops of a map, and its stop is
 * longer than all of them stopped together (KPL_PT_CROWDED;
 * tools/bench/README.md, "Crowded processes"): the caller stops them all
 * instead, and borrows the first.
 */
pid_t kpl_pt_pick_borrow(pid_t pid, const pid_t *tids, size_t nr,
			  pid_t hint, bool *crowded)
{
	size_t i, running = 0;
	cpu_set_t cpus;

	*crowded = false;
	for (i = 0; hint > 0 && i < nr; i++)
		if (tids[i] == hint)
			return hint;
	for (i = 0; hint >= 0 && nr > 1 && i < nr; i++) {
		char path[64], buf[24];
		long sc;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid,
			 tids[i]);
		/* "running", or the number of the call it is blocked in
		 * ("-1": blocked, not in a system call), its arguments. */
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		if (!strncmp(buf, "running", 7))
			running++;
		if (buf[0] < '0' || buf[0] > '9')
			continue;
		sc = strtol(buf, NULL, 10);
		if (kpl_arch_sleep_restarts(sc)) {
			pr_debug("ptrace: pid %d: borrowing thread %d, asleep "
				 "in system call %ld\n", pid, tids[i], sc);
			return tids[i];
		}
	}
	if (running > 1 && !sched_getaffinity(pid, sizeof(cpus), &cpus) &&
	    running >= KPL_PT_CROWDED * (size_t)CPU_COUNT(&cpus)) {
		pr_debug("ptrace: pid %d: %zu threads running on %d CPUs: "
			 "stopping them all to borrow one\n", pid, running,
			 CPU_COUNT(&cpus));
		*crowded = true;
	}
	return nr ? tids[0] : 0;
}

/*
 * After PTRACE_SEIZE of thread @tid said EPERM: has it exited?  The
 * kernel refuses to attach to a thread past its exit (its exit_state),
 * which then runs no more code of the process, and soon leaves its
 * listing: gone, or a zombie ('Z', 'X') in /proc/PID/task/TID/stat.
 * The main thread is never asked: a zombie leader stays listed, and its
 * process cannot be stopped.
 */
bool kpl_pt_exited(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	const char *state;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT || n == -ESRCH;
	state = stat_field(buf, 3);
	return state && (*state == 'Z' || *state == 'X');
}

/*
 * Open /proc/PID/stat for kpl_pt_all_known(), before the stop; kept open with
 * @pp (its fd refers to this process, whatever reuses the PID later).
 */
void kpl_pt_open_stat(pid_t pid, struct kpl_pt *pp)
{
	char path[64];
	int fd;

	if (pp->stat_fd)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		pp->stat_fd = fd + 1;
}

/*
 * The numeric fields @f[0..@n) of @pp's /proc/PID/stat, read now in one
 * pread, into @v.  False if the file is not open or a field is not a
 * number.
 */
static bool stat_nums(const struct kpl_pt *pp, const int *f, long *v,
		      size_t n)
{
	char buf[1024], *end;
	ssize_t len;
	size_t i;

	if (!pp->stat_fd)
		return false;
	len = pread(pp->stat_fd - 1, buf, sizeof(buf) - 1, 0);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	for (i = 0; i < n; i++) {
		const char *s = stat_field(buf, f[i]);

		if (!s)
			return false;
		v[i] = strtol(s, &end, 10);
		if (end == s || (*end != ' ' && *end != '\0'))
			return false;
	}
	return true;
}

/*
 * Are the threads of @pp, all stopped, every thread of the process?  Its
 * thread count (num_threads, the 20th field of /proc/PID/stat, after the
 * comm in parentheses, which the process names itself) equals ours: a
 * stopped thread cannot exit, so equal counts are equal sets.  One pread
 * in the stop, where listing /proc/PID/task again took five system calls.
 * A thread created between the listing and its creator's stop (the
 * kernel completes or restarts a clone the interrupt meets, so it is
 * counted by now), or anything unreadable, says no: the caller lists.
 */
bool kpl_pt_all_known(struct kpl_pt *pp)
{
	static const int f[] = { 20 };
	long nr;

	return stat_nums(pp, f, &nr, 1) && nr > 0 && (size_t)nr == pp->nr;
}

/*
 * Before a stop of @pp's process: has it one thread (num_threads, the
 * 20th field of /proc/PID/stat), which last ran on another CPU than
 * ours (processor, the 39th)?  Its waits may then poll (kpl_pt_wait()).
 * A thread the stop wakes is queued where it last ran if that CPU is
 * idle, so not on ours; with more threads, some could be.  Never while
 * other workers of ours run (a fleet's): that CPU may be one's.
 * Anything unreadable says no.
 */
bool kpl_pt_spin_wanted(const struct kpl_pt *pp)
{
	static const int f[] = { 20, 39 };
	long v[2];

	return kpl_share__workers() == 1 && stat_nums(pp, f, v, 2) &&
	       v[0] == 1 && v[1] >= 0 && v[1] != sched_getcpu();
}

/* The hex value of "@key:\t..." in the /proc status text @buf, or -1. */
static int status_hex(const char *buf, const char *key,
		      unsigned long long *v)
{
	size_t kl = strlen(key);
	const char *s = buf;
	char *end;

	while (s && strncmp(s, key, kl)) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s || s[kl] != ':')
		return -1;
	errno = 0;
	*v = strtoull(s + kl + 1, &end, 16);
	return errno || end == s + kl + 1 || (*end != '\n' && *end) ? -1 : 0;
}

/* The last number on the line of /proc status text @buf that starts
 * with @key: the innermost pid namespace's.  0 if none. */
static pid_t ns_last(const char *buf, const char *key)
{
	const char *s = strstr(buf, key);
	long v = 0;

	if (!s)
		return 0;
	s += strlen(key);
	while (*s && *s != '\n') {
		char *end;
		long n;

		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || end == s || n <= 0 || n > INT32_MAX)
			return 0;
		v = n;
		s = end;
	}
	return (pid_t)v;
}

/*
 * The signals process @pid catches (SigCgt in /proc/PID/status); all of
 * them, so that no chain is run, when it cannot be read, or when the
 * process has a seccomp filter (Seccomp not 0): one might refuse or
 * punish the chain's tgkill(), which the syscalls injected one by one
 * never make.  *@same_ns: the process is in kpl's pid namespace (the
 * last of its NStgid is @pid), read from the same file: only one in
 * another needs kpl_pt_ns_ids() inside the stop.
 */
uint64_t kpl_pt_sigcatch(pid_t pid, bool *same_ns)
{
	char path[64], buf[4096];
	unsigned long long caught, mode;

	*same_ns = false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 ||
	    status_hex(buf, "SigCgt", &caught) ||
	    status_hex(buf, "Seccomp", &mode) || mode)
		return ~0ull;
	*same_ns = ns_last(buf, "\nNStgid:") == pid;
	return caught;
}

/*
 * The signal a chain of injected syscalls ends with (kpl_pt_inj_chain()):
 * SIGURG or SIGWINCH, whose default action is to ignore them, if the
 * process does not catch it (@caught, kpl_pt_sigcatch()) and the
 * borrowed thread does not block it (@blocked, its own mask).  kpl drops
 * it at its delivery stop; should kpl die first, it is delivered, and
 * ignored.  0: none will do, inject one by one.
 */
int kpl_pt_chain_signal(uint64_t caught, uint64_t blocked)
{
	static const int sigs[] = { SIGURG, SIGWINCH };
	size_t i;

	for (i = 0; i < KPL_ARRAY_SIZE(sigs); i++) {
		uint64_t bit = 1ull << (sigs[i] - 1);

		if (!(caught & bit) && !(blocked & bit))
			return sigs[i];
	}
	return 0;
}


/*
 * Thread @tid of process @pid as its own pid namespace numbers them (the
 * last of NStgid and NSpid in /proc/PID/task/TID/status): what a
 * syscall it runs, tgkill() of itself, must name.
 */
int kpl_pt_ns_ids(pid_t pid, pid_t tid, pid_t *ns_pid, pid_t *ns_tid)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	*ns_pid = ns_last(buf, "\nNStgid:");
	*ns_tid = ns_last(buf, "\nNSpid:");
	return *ns_pid && *ns_tid ? 0 : -ENOENT;
}
