// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_test: the module's stop, memory and mapping requests against
 * real multi-threaded processes, inside the test VM (root, module
 * loaded by the script).
 *
 *   kpl_kmod_test stop       spinners and sleepers: stop, registers,
 *                            freeze, read/write/expect, text write, map
 *                            (in a parked thread), protect, unmap, resume,
 *                            map while running, close while stopped; the
 *                            sleepers never return and see no EINTR
 *   kpl_kmod_test sleepers   only sleepers (none parks): stop, map while
 *                            stopped through the kworker
 *   kpl_kmod_test clone      a thread creating threads in a loop
 *   kpl_kmod_test sigstop    a SIGSTOP'ed process stops at once
 *   kpl_kmod_test hold       hold_ms expiry resumes the process
 *   kpl_kmod_test kill       the target killed while stopped
 *   kpl_kmod_test linger     leave work items queued on sleepers for 1 s
 *   kpl_kmod_test bench      what a stop and a read cost (no verdict)
 *
 * The requests it must refuse are kpl_kmod_refuse's.  One "pass:"/"FAIL:"
 * line per check; exit 1 if any failed.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/user.h>

#include "kmod_target.h"
#include "kmod_util.h"

#define MAX_THREADS 64
/* Far from the binary, the heap, the stacks and the libraries. */
#define MAP_ADDR 0x200000000000ull

static struct kpl_thread_regs regs[MAX_THREADS];

/* Registers: IP in an executable mapping, SP in a writable one. */
static void check_regs(pid_t pid, unsigned int nr, int parked_min,
		       int offcpu_min)
{
	int parked = 0, offcpu = 0, bad = 0, in_read = 0;
	char perms[8], path[256];
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct kpl_thread_regs *r = &regs[i];

		if (r->flags & KPL_THREAD_PARKED)
			parked++;
		if (r->flags & KPL_THREAD_OFFCPU)
			offcpu++;
		if (r->regs[KPL_REG_ORIG_RAX] == SYS_read)
			in_read++;
		if (r->ip != r->regs[KPL_REG_RIP] ||
		    r->sp != r->regs[KPL_REG_RSP] ||
		    r->bp != r->regs[KPL_REG_RBP] || !r->tid ||
		    !ku_maps_at(pid, r->ip, perms, path) || perms[2] != 'x' ||
		    !ku_maps_at(pid, r->sp, perms, path) || perms[1] != 'w' ||
		    r->regs[KPL_REG_CS] != 0x33) {
			printf("# tid %u: bad regs ip 0x%llx sp 0x%llx cs 0x%llx\n",
			       r->tid, (unsigned long long)r->ip,
			       (unsigned long long)r->sp,
			       (unsigned long long)r->regs[KPL_REG_CS]);
			bad++;
		}
	}
	ku_check(!bad,
		 "%u threads: ip executable, sp writable, cs user (%d bad)", nr,
		 bad);
	/* A spinner the scheduler had preempted is held off-CPU. */
	ku_check(parked >= parked_min && parked + offcpu == (int)nr,
		 "%d threads parked in the work (want >= %d), the rest "
		 "off-CPU",
		 parked, parked_min);
	ku_check(offcpu >= offcpu_min,
		 "%d threads held off-CPU in syscalls (want >= %d), %d in read",
		 offcpu, offcpu_min, in_read);
}

static void check_memory(int fd)
{
	uint64_t want = 0x1122334455667788ull, v = 0, bad = 1, nv;
	uint8_t text[8], patched[8], wrong[8];

	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, &v, 8), 0, "read marker");
	ku_check(v == want, "marker reads 0x%llx", (unsigned long long)v);
	nv = 0xfeedfacecafebeefull;
	ku_errno(ku_write(fd, (uintptr_t)&kt_marker, &nv, &bad, 8), EILSEQ,
		 "write with the wrong expected bytes");
	ku_read(fd, (uintptr_t)&kt_marker, &v, 8);
	ku_check(v == want, "refused write changed nothing");
	ku_errno(ku_write(fd, (uintptr_t)&kt_marker, &nv, &want, 8), 0,
		 "write with the right expected bytes");
	ku_read(fd, (uintptr_t)&kt_marker, &v, 8);
	ku_check(v == nv, "marker now 0x%llx", (unsigned long long)v);
	ku_errno(ku_write(fd, (uintptr_t)&kt_marker, &want, NULL, 8), 0,
		 "write without expected bytes");

	/* Text is read-only: written through a private copy (FOLL_FORCE). */
	ku_errno(ku_read(fd, (uintptr_t)kt_text, text, 8), 0, "read text");
	ku_check(!memcmp(text, (void *)kt_text, 8), "text matches ours");
	memset(patched, 0xcc, sizeof(patched));
	memset(wrong, 0x90, sizeof(wrong));
	ku_errno(ku_write(fd, (uintptr_t)kt_text, patched, wrong, 8), EILSEQ,
		 "text write with wrong expected bytes");
	ku_errno(ku_write(fd, (uintptr_t)kt_text, patched, text, 8), 0,
		 "text write (read-only page, forced)");
	ku_read(fd, (uintptr_t)kt_text, wrong, 8);
	ku_check(!memcmp(wrong, patched, 8), "text holds the new bytes");
	ku_errno(ku_write(fd, (uintptr_t)kt_text, text, patched, 8), 0,
		 "text restored");
	ku_errno(ku_read(fd, 0x1000, &v, 8), EFAULT, "read unmapped page");
	ku_errno(ku_write(fd, 0x1000, &v, NULL, 8), EFAULT,
		 "write unmapped page");
}

/* Map, protect, write, unmap: as libkpl's plan_map does. */
static void check_mapping(int fd, pid_t pid, const char *when)
{
	char perms[8] = "", path[256] = "";
	uint8_t code[16], back[16];
	bool mapped;

	ku_errno(ku_map(fd, MAP_ADDR, 3 * 4096, PROT_READ | PROT_WRITE,
			"kpl:test"),
		 0, when);
	mapped = ku_maps_at(pid, MAP_ADDR, perms, path);
	ku_check(mapped && !strcmp(path, "/memfd:kpl:test (deleted)") &&
			 !strcmp(perms, "rw-p"),
		 "maps shows '%s %s'", perms, path);
	ku_errno(ku_map(fd, MAP_ADDR + 4096, 4096, PROT_READ, "kpl:again"),
		 EEXIST, "map over it again");
	ku_errno(ku_range(fd, KPL_IOC_PROTECT, MAP_ADDR + 4096, 4096,
			  PROT_READ | PROT_EXEC),
		 0, "protect middle page r-x");
	ku_maps_at(pid, MAP_ADDR + 4096, perms, path);
	ku_check(!strcmp(perms, "r-xp") &&
			 !strcmp(path, "/memfd:kpl:test (deleted)"),
		 "middle page '%s %s'", perms, path);
	ku_maps_at(pid, MAP_ADDR + 8192, perms, path);
	ku_check(!strcmp(perms, "rw-p"), "last page still '%s'", perms);
	memset(code, 0xc3, sizeof(code));
	ku_errno(ku_write(fd, MAP_ADDR + 4096, code, NULL, sizeof(code)), 0,
		 "write into the r-x page");
	ku_read(fd, MAP_ADDR + 4096, back, sizeof(back));
	ku_check(!memcmp(code, back, sizeof(code)), "r-x page holds it");
	ku_errno(ku_range(fd, KPL_IOC_PROTECT, MAP_ADDR - 4096, 8192,
			  PROT_READ),
		 EINVAL, "protect across the mapping's edge");
	ku_errno(ku_range(fd, KPL_IOC_PROTECT, (uintptr_t)kt_text & ~4095ull,
			  4096, PROT_READ),
		 EINVAL, "protect library text");
	ku_errno(ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR, 3 * 4096, 0), 0,
		 "unmap");
	ku_check(!ku_maps_at(pid, MAP_ADDR, perms, path) &&
			 !ku_maps_at(pid, MAP_ADDR + 8192, perms, path),
		 "mapping gone");
}

static int test_stop(void)
{
	struct kt_opts o = { .spinners = 2, .sleepers_each = 2 };
	struct kt_shared *sh;
	struct kpl_stop st;
	unsigned int want = kt_threads(&o);
	pid_t pid = kt_start(&o, &sh);
	int fd, fd2;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_errno(ku_attach(fd, pid, 0), 0, "attach");
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, &st), 0, "stop");
	ku_check(st.nr_threads == want, "%u threads stopped (want %u)",
		 st.nr_threads, want);
	ku_check(st.stop_ns && st.stop_ns <= ku_now_ns(),
		 "stop_ns is CLOCK_MONOTONIC; quiesced in %llu us",
		 (unsigned long long)st.quiesce_ns / 1000);
	check_regs(pid, st.nr_threads, 1, 4 * o.sleepers_each);
	kt_check_frozen(sh, true);
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), EALREADY,
		 "stop again");
	fd2 = ku_open();
	ku_attach(fd2, pid, 0);
	ku_errno(ku_stop(fd2, pid, 100, 0, regs, MAX_THREADS, NULL), EBUSY,
		 "second session cannot stop it too");
	close(fd2);
	check_memory(fd);
	check_mapping(fd, pid, "map while stopped (a parked thread maps)");
	kt_check_frozen(sh, true);
	ku_errno(ku_resume(fd), 0, "resume");
	kt_check_frozen(sh, false);
	ku_errno(ku_resume(fd), EBADFD, "resume when not stopped");

	check_mapping(fd, pid, "map while running (a kworker maps)");
	check_memory(fd);

	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), 0,
		 "stop again");
	kt_check_frozen(sh, true);
	close(fd);
	kt_check_frozen(sh, false);

	/* Many short stops: work items of old stops run late, harmlessly. */
	fd = ku_open();
	ku_attach(fd, pid, 0);
	{
		int i, err = 0;

		for (i = 0; i < 200 && !err; i++) {
			err = ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS,
				      NULL);
			if (!err)
				err = ku_resume(fd);
		}
		ku_errno(err, 0, "200 stop/resume cycles");
	}
	close(fd);

	ku_sleep_ms(100);
	ku_check(atomic_load(&sh->returns) == 0,
		 "sleepers never woke (%u returns)", atomic_load(&sh->returns));
	ku_check(atomic_load(&sh->eintr) == 0, "no EINTR (%u)",
		 atomic_load(&sh->eintr));
	kt_stop(pid, sh);
	return 0;
}

static int test_sleepers(void)
{
	struct kt_opts o = { .sleepers_each = 2 };
	struct kt_shared *sh;
	struct kpl_stop st;
	pid_t pid = kt_start(&o, &sh);
	int fd;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, &st), 0,
		 "stop a process whose threads all sleep");
	ku_check(st.nr_threads == (unsigned int)kt_threads(&o), "%u threads",
		 st.nr_threads);
	check_regs(pid, st.nr_threads, 0, kt_threads(&o));
	check_mapping(fd, pid, "map while stopped, nobody parked (kworker)");
	check_memory(fd);
	ku_errno(ku_resume(fd), 0, "resume");
	close(fd);
	ku_sleep_ms(50);
	ku_check(atomic_load(&sh->returns) == 0 && atomic_load(&sh->eintr) == 0,
		 "no sleeper woke (%u), no EINTR (%u)",
		 atomic_load(&sh->returns), atomic_load(&sh->eintr));
	kt_stop(pid, sh);
	return 0;
}

static int count_tasks(pid_t pid)
{
	char path[64];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

static int test_clone(void)
{
	struct kt_opts o = { .spinners = 1, .sleepers_each = 1, .creator = 1 };
	struct kt_shared *sh;
	struct kpl_stop st;
	pid_t pid = kt_start(&o, &sh);
	unsigned long c0, c1;
	int fd, i, ok = 0, n0, n1;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	for (i = 0; i < 50; i++) {
		if (ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, &st))
			break;
		c0 = atomic_load(&sh->creates);
		n0 = count_tasks(pid);
		ku_sleep_ms(5);
		c1 = atomic_load(&sh->creates);
		n1 = count_tasks(pid);
		/* Threads may finish exiting while held, none may start. */
		if (c0 == c1 && n1 <= n0 && (int)st.nr_threads <= n0)
			ok++;
		else
			printf("# round %d: creates %lu -> %lu, tasks %d -> %d, "
			       "reported %u\n",
			       i, c0, c1, n0, n1, st.nr_threads);
		ku_resume(fd);
	}
	ku_check(ok == 50, "%d/50 stops held a thread-creating process still",
		 ok);
	kt_check_frozen(sh, false);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static int test_sigstop(void)
{
	struct kt_opts o = { .spinners = 2, .sleepers_each = 1 };
	struct kt_shared *sh;
	struct kpl_stop st;
	pid_t pid = kt_start(&o, &sh);
	int fd;

	if (pid < 0)
		return 1;
	kill(pid, SIGSTOP);
	ku_sleep_ms(50);
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, &st), 0,
		 "stop a SIGSTOP'ed process");
	check_regs(pid, st.nr_threads, 0, kt_threads(&o));
	ku_errno(ku_resume(fd), 0, "resume it (still SIGSTOP'ed)");
	kt_check_frozen(sh, true);
	kill(pid, SIGCONT);
	kt_check_frozen(sh, false);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static int test_hold(void)
{
	struct kt_opts o = { .spinners = 1, .sleepers_each = 1 };
	struct kt_shared *sh;
	pid_t pid = kt_start(&o, &sh);
	uint64_t v;
	int fd;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_errno(ku_stop(fd, pid, 1000, 100, regs, MAX_THREADS, NULL), 0,
		 "stop with hold_ms 100");
	kt_check_frozen(sh, true);
	ku_sleep_ms(300);
	kt_check_frozen(sh, false);
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, &v, 8), ETIMEDOUT,
		 "requests after the hold expired");
	ku_errno(ku_resume(fd), ETIMEDOUT, "resume says the hold expired");
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, &v, 8), 0,
		 "requests work again after that resume");
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, NULL), 0,
		 "stop again");
	ku_errno(ku_resume(fd), 0, "resume");
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static int test_kill(void)
{
	struct kt_opts o = { .spinners = 2, .sleepers_each = 2 };
	struct kt_shared *sh;
	pid_t pid = kt_start(&o, &sh);
	uint64_t v;
	int fd, status;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, NULL), 0, "stop");
	kill(pid, SIGKILL);
	ku_check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
		 "SIGKILL ends a stopped process");
	ku_errno(ku_read(fd, (uintptr_t)&kt_marker, &v, 8), ESRCH,
		 "read from the dead process");
	ku_errno(ku_map(fd, MAP_ADDR, 4096, PROT_READ, "kpl:x"), ESRCH,
		 "map in the dead process");
	ku_errno(ku_resume(fd), 0, "resume the dead process");
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, NULL), ESRCH,
		 "stop the dead process");
	close(fd);

	/* Closing while stopped after the process died, and exit racing. */
	pid = kt_start(&o, &sh);
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, NULL);
	kill(pid, SIGKILL);
	close(fd);
	ku_check(waitpid(pid, &status, 0) == pid, "reaped");
	kt_stop(0, sh);
	return 0;
}

/*
 * Leave work items queued on sleeping threads, for the script to see
 * that they pin the module: stop and resume a process whose threads all
 * sleep, say "ready", keep it 1 s, then kill it.
 */
static int test_linger(void)
{
	struct kt_opts o = { .sleepers_each = 1 };
	struct kt_shared *sh;
	pid_t pid = kt_start(&o, &sh);
	int fd;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	ku_errno(ku_stop(fd, pid, 1000, 0, regs, MAX_THREADS, NULL), 0, "stop");
	ku_errno(ku_resume(fd), 0, "resume");
	close(fd);
	printf("ready\n");
	ku_sleep_ms(1000);
	kt_stop(pid, sh);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Costs, for the record (no pass/fail): a stop and resume of a target
 * with one spinner and eight sleepers, and one 8-byte read through the
 * module and through /proc/PID/mem.  Medians of 51.
 */
static int test_bench(void)
{
	struct kt_opts o = { .spinners = 1, .sleepers_each = 2 };
	uint64_t quiesce[51], held[51], rd[51], pm[51], v, t0;
	struct kt_shared *sh;
	struct kpl_stop st;
	pid_t pid = kt_start(&o, &sh);
	char path[64];
	int fd, mem, i;

	if (pid < 0)
		return 1;
	fd = ku_open();
	ku_attach(fd, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY);
	for (i = 0; i < 51; i++) {
		if (ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, &st))
			return 1;
		t0 = ku_now_ns();
		ku_read(fd, (uintptr_t)&kt_marker, &v, 8);
		rd[i] = ku_now_ns() - t0;
		t0 = ku_now_ns();
		if (pread(mem, &v, 8, (off_t)(uintptr_t)&kt_marker) != 8)
			return 1;
		pm[i] = ku_now_ns() - t0;
		ku_resume(fd);
		held[i] = ku_now_ns() - st.stop_ns;
		quiesce[i] = st.quiesce_ns;
		ku_sleep_ms(2);
	}
	qsort(quiesce, 51, 8, cmp_u64);
	qsort(held, 51, 8, cmp_u64);
	qsort(rd, 51, 8, cmp_u64);
	qsort(pm, 51, 8, cmp_u64);
	printf("%d threads: quiesce %llu us, stop+2 reads+resume %llu us; "
	       "8-byte read: module %llu us, /proc/PID/mem %llu us "
	       "(medians of 51)\n",
	       kt_threads(&o), (unsigned long long)quiesce[25] / 1000,
	       (unsigned long long)held[25] / 1000,
	       (unsigned long long)rd[25] / 1000,
	       (unsigned long long)pm[25] / 1000);
	close(mem);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct ku_test tests[] = {
		{ "stop", test_stop },	   { "sleepers", test_sleepers },
		{ "clone", test_clone },   { "sigstop", test_sigstop },
		{ "hold", test_hold },	   { "kill", test_kill },
		{ "linger", test_linger }, { "bench", test_bench },
	};

	return ku_run(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
