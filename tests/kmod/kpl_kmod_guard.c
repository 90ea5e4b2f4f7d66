// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_guard: guards for processes not patched yet, inside the test
 * VM (root, module loaded, kpl on PATH, the SPIN-GUARD patch at
 * $KPL_GUARD_PATCH, its trusted key in $KPL_KEYS_DIR).
 *
 *   kpl_kmod_guard refuse   every refusal of GUARD_ADD/DEL and read()
 *   kpl_kmod_guard hold     a process started after the guard is held at
 *                           its first call, patched with kpl while held,
 *                           and never runs the old body; patched
 *                           processes take no trap per call
 *   kpl_kmod_guard allow    the old body runs, reported once
 *   kpl_kmod_guard kill     the process is killed at its first call
 *   kpl_kmod_guard timeout  hold_ms passes: then kill, or allow
 *   kpl_kmod_guard delete   deleting a guard lets held threads go
 *   kpl_kmod_guard add hold|allow|kill   add a guard on spin_guard and
 *                           print its id (for the unload test)
 *   kpl_kmod_guard del ID   delete it
 *
 * The vulnerable function is libspin's spin_guard(), which counts the
 * runs of its body; the targets are this program run again (exec), see
 * kmod_spin.h.  One "pass:"/"FAIL:" line per check; exit 1 if any
 * failed.
 */
#include <poll.h>
#include <stdlib.h>

#include "kmod_util.h"
#include "kmod_spin.h"
#include "kmod_guard.h"

static const char *patch_path;

static int apply(struct ks_target *t)
{
	char out[4096];
	int r = ks_kpl("apply", "kmod", t->pid, patch_path, out, sizeof(out));

	printf("# kpl apply: %s", out);
	return r;
}

/*
 * Traps a process takes over 300 ms of calls: its calls, and the hits
 * the guard counted meanwhile (all processes; the others are idle).
 */
static void no_traps(struct ks_target *t, uint32_t id, const char *who)
{
	unsigned long c0 = atomic_load(&t->sh->calls), c1;
	long h0 = guard_field(id, "hits"), h1;

	ku_sleep_ms(300);
	c1 = atomic_load(&t->sh->calls);
	h1 = guard_field(id, "hits");
	ku_check(h1 == h0 && c1 - c0 >= 100,
		 "%s: %lu calls, %ld traps (zero per call)", who, c1 - c0,
		 h1 - h0);
}

/* Stop @t through the device; its held threads are flagged, on @entry. */
static void check_guarded_regs(struct ks_target *t, uint64_t entry, int want)
{
	static struct kpl_thread_regs regs[64];
	struct kpl_stop st;
	int fd = ku_open(), i, guarded = 0, bad = 0;

	ku_errno(ku_attach(fd, t->pid, 0), 0, "attach the held process");
	ku_errno(ku_stop(fd, t->pid, 2000, 0, regs, 64, &st), 0,
		 "stop it while its threads are held");
	for (i = 0; i < (int)st.nr_threads; i++) {
		if (!(regs[i].flags & KPL_THREAD_GUARDED))
			continue;
		guarded++;
		if (regs[i].ip != entry || !(regs[i].flags & KPL_THREAD_OFFCPU))
			bad++;
	}
	ku_check(guarded == want && !bad,
		 "%d threads flagged KPL_THREAD_GUARDED, off-CPU, ip on the "
		 "entry (want %d; %d wrong)",
		 guarded, want, bad);
	ku_errno(ku_resume(fd), 0, "resume: still held");
	close(fd);
}

static int test_hold(void)
{
	bool got;
	struct ks_opts oa = { .callers = 1, .sleepers = 2 };
	struct ks_opts ob = { .callers = 4, .sleepers = 2 };
	struct ks_target a, b;
	struct kpl_event ev = { 0 };
	unsigned long runs;
	uint32_t id;
	int i;

	/* A runs the old body, then is patched: before any guard. */
	if (ks_start(&a, &oa))
		return 1;
	ku_check(WAIT_FOR(atomic_load(&a.sh->old_calls) > 0, 5000),
		 "process A runs the old spin_guard");
	ku_errno(-apply(&a), 0, "kpl apply --backend kmod SPIN-GUARD to A");
	ku_check(WAIT_FOR(atomic_load(&a.sh->new_calls) > 0, 5000),
		 "A calls the new spin_guard");
	runs = atomic_load(&a.sh->runs);

	ku_errno(g_add(KPL_GUARD_HOLD, 30000, KPL_GUARD_KILL, &id), 0,
		 "guard spin_guard's entry for SPIN-GUARD, policy hold");
	show_file(SYSFS "guards");
	ku_check(ev_wait(KPL_EVENT_PATCHED, a.pid, 5000, NULL),
		 "A's first call after that traps once, to the new function");
	no_traps(&a, id, "A, patched before the guard");

	/* B is started after the guard: held at its first call. */
	if (ks_start(&b, &ob))
		return 1;
	ku_check(ev_wait(KPL_EVENT_HOLD, b.pid, 5000, &ev),
		 "process B, started later, is held at its first call");
	for (i = 1; i < ob.callers; i++)
		ev_wait(KPL_EVENT_HOLD, b.pid, 5000, NULL);
	got = WAIT_FOR(guard_field(id, "held") == ob.callers, 5000);
	ku_check(got, "all %d of B's callers held (%ld)", ob.callers,
		 guard_field(id, "held"));
	ku_sleep_ms(100);
	ku_check(atomic_load(&b.sh->calls) == 0,
		 "no call of B returned while held");
	ku_check(proc_line(b.pid, "unpatched held 4"),
		 "processes: B unpatched, 4 threads held");
	check_guarded_regs(&b, ev.addr, ob.callers);

	/* Patching B lets its threads go, into the new function. */
	ku_errno(-apply(&b), 0,
		 "kpl apply --backend kmod to B while its threads are held");
	got = ev_wait(KPL_EVENT_RELEASE, b.pid, 5000, &ev);
	ku_check(got && ev.reason == KPL_RELEASE_PATCHED,
		 "B's threads released because B is patched (reason %u)",
		 ev.reason);
	ku_check(WAIT_FOR(atomic_load(&b.sh->calls) >= 1000, 10000),
		 "B calls spin_guard again");
	ku_check(atomic_load(&b.sh->old_calls) == 0 &&
			 atomic_load(&b.sh->runs) == 0,
		 "B never ran the vulnerable function: %lu calls, %lu answered "
		 "by the old one, its body ran %lu times",
		 atomic_load(&b.sh->calls), atomic_load(&b.sh->old_calls),
		 atomic_load(&b.sh->runs));
	no_traps(&b, id, "B, patched while held");
	ku_check(proc_line(b.pid, "guard") && proc_line(b.pid, " patched held 0") &&
			 proc_line(b.pid, "patch SPIN-GUARD applied"),
		 "processes: B patched, nothing held");
	ku_check(atomic_load(&a.sh->runs) == runs,
		 "A's old body did not run since A was patched");
	show_file(SYSFS "guards");
	show_file(SYSFS "processes");

	ku_errno(g_del(id), 0, "delete the guard");
	ks_stop(&a);
	ks_stop(&b);
	return 0;
}

static int test_allow(void)
{
	bool got;
	struct ks_opts o = { .callers = 2, .sleepers = 1 };
	struct ks_target c;
	uint32_t id;
	long h;

	ku_errno(g_add(KPL_GUARD_ALLOW, 0, 0, &id), 0, "guard, policy allow");
	if (ks_start(&c, &o))
		return 1;
	ku_check(ev_wait(KPL_EVENT_ALLOW, c.pid, 5000, NULL),
		 "an unpatched process under allow is reported");
	got = WAIT_FOR(atomic_load(&c.sh->old_calls) > 100, 5000);
	ku_check(got, "and runs the old function (%lu calls)",
		 atomic_load(&c.sh->old_calls));
	h = guard_field(id, "hits");
	ku_check(h >= 1 && h <= o.callers, "trapped once per caller (%ld)", h);
	no_traps(&c, id, "allowed process, reported once");
	ku_errno(-apply(&c), 0, "kpl apply to it afterwards");
	ku_check(WAIT_FOR(atomic_load(&c.sh->new_calls) > 0, 5000),
		 "it calls the new function");
	ku_errno(g_del(id), 0, "delete the guard");
	ks_stop(&c);
	return 0;
}

static int test_kill(void)
{
	bool got;
	struct ks_opts o = { .callers = 1, .sleepers = 2 };
	struct ks_target d;
	uint32_t id;
	pid_t pid;

	ku_errno(g_add(KPL_GUARD_KILL, 0, 0, &id), 0, "guard, policy kill");
	ks_start(&d, &o);
	pid = d.orig;
	got = ks_wait_exit(&d, 5000);
	ku_check(got && WIFSIGNALED(d.status) && WTERMSIG(d.status) == SIGKILL,
		 "an unpatched process is killed at its first call (status "
		 "0x%x)",
		 d.status);
	ku_check(d.sh && atomic_load(&d.sh->calls) == 0,
		 "it never returned from the old function");
	ku_check(ev_wait(KPL_EVENT_KILL, pid, 2000, NULL),
		 "kill reported");
	ku_check(guard_field(id, "kills") >= 1, "guards counts the kill");
	ku_errno(g_del(id), 0, "delete the guard");
	ks_stop(&d);
	return 0;
}

static int test_timeout(void)
{
	bool got;
	struct ks_opts o = { .callers = 1, .sleepers = 1 };
	struct kpl_event ev = { 0 };
	struct ks_target e;
	uint64_t t0, dt;
	uint32_t id;
	pid_t pid;

	ku_errno(g_add(KPL_GUARD_HOLD, 400, KPL_GUARD_KILL, &id), 0,
		 "guard, hold 400 ms then kill");
	t0 = ku_now_ns();
	ks_start(&e, &o);
	pid = e.orig;
	ku_check(ks_wait_exit(&e, 5000) && WIFSIGNALED(e.status) &&
			 WTERMSIG(e.status) == SIGKILL,
		 "held, then killed");
	dt = (ku_now_ns() - t0) / 1000000;
	ku_check(dt >= 400, "after %llu ms", (unsigned long long)dt);
	got = ev_wait(KPL_EVENT_RELEASE, pid, 2000, &ev);
	ku_check(got && ev.reason == KPL_RELEASE_KILLED,
		 "release reported, reason killed (%u)", ev.reason);
	ku_check(atomic_load(&e.sh->calls) == 0, "no call returned");
	ks_stop(&e);
	ku_errno(g_del(id), 0, "delete the guard");

	ku_errno(g_add(KPL_GUARD_HOLD, 400, KPL_GUARD_ALLOW, &id), 0,
		 "guard, hold 400 ms then allow");
	t0 = ku_now_ns();
	if (ks_start(&e, &o))
		return 1;
	ku_check(ev_wait(KPL_EVENT_HOLD, e.pid, 5000, NULL), "held");
	got = ev_wait(KPL_EVENT_RELEASE, e.pid, 5000, &ev);
	ku_check(got && ev.reason == KPL_RELEASE_ALLOWED,
		 "released after hold_ms, reason allowed (%u)", ev.reason);
	ku_check(WAIT_FOR(atomic_load(&e.sh->old_calls) > 0, 5000),
		 "then runs the old function");
	dt = (ku_now_ns() - t0) / 1000000;
	ku_check(dt >= 400, "after %llu ms", (unsigned long long)dt);
	no_traps(&e, id, "given up on after hold_ms");
	ku_errno(g_del(id), 0, "delete the guard");
	ks_stop(&e);
	return 0;
}

static int test_delete(void)
{
	bool got;
	struct ks_opts o = { .callers = 2, .sleepers = 1 };
	struct kpl_event ev = { 0 };
	struct ks_target g, h;
	uint64_t t0;
	uint32_t id;

	ku_errno(g_add(KPL_GUARD_HOLD, 60000, KPL_GUARD_KILL, &id), 0,
		 "guard, hold 60 s");
	if (ks_start(&g, &o))
		return 1;
	ku_check(ev_wait(KPL_EVENT_HOLD, g.pid, 5000, NULL), "held");
	t0 = ku_now_ns();
	ku_errno(g_del(id), 0, "delete the guard while it holds threads");
	ku_check(ku_now_ns() - t0 < 2000000000ull, "in %llu ms",
		 (unsigned long long)(ku_now_ns() - t0) / 1000000);
	got = ev_wait(KPL_EVENT_RELEASE, g.pid, 2000, &ev);
	ku_check(got && ev.reason == KPL_RELEASE_DELETED,
		 "held threads released, reason deleted (%u)", ev.reason);
	ku_check(WAIT_FOR(atomic_load(&g.sh->old_calls) > 100, 5000),
		 "and run on as without a guard");
	ku_check(guard_field(id, "hits") == -1, "guards no longer lists it");
	if (ks_start(&h, &o))
		return 1;
	ku_check(WAIT_FOR(atomic_load(&h.sh->old_calls) > 100, 5000),
		 "a process started after the deletion runs freely");
	ku_errno(g_del(id), ENOENT, "delete it again");
	ks_stop(&g);
	ks_stop(&h);
	return 0;
}

static int test_refuse(void)
{
	uint64_t off[KPL_GUARD_FUNCS_MAX + 1], inner = entry_off + 4;
	struct kpl_guard_del del = { .size = sizeof(del), .id = 1 };
	struct kpl_version ver;
	struct kpl_event ev = { 0 };
	int lfd = open(lib_path, O_RDONLY | O_CLOEXEC);
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	int pfd = open(lib_path, O_PATH);
	uint32_t id, id2;
	pid_t child;
	int status, i;
	char big[80];

	ku_errno(ku_ioctl(dev, KPL_IOC_VERSION, &ver), 0, "version");
	ku_check(ver.flags & KPL_VERSION_F_GUARD,
		 "the module says it has guards (flags 0x%x, abi %u.%u)",
		 ver.flags, ver.abi_version >> 16, ver.abi_version & 0xffff);
#define ADD(fd, o, n, pol, ms, tp, pid) g_add_at(fd, o, n, pol, ms, tp, pid, NULL)
	ku_errno(ADD(-1, &entry_off, 1, 1, 0, 2, PATCH_ID), EBADF, "bad fd");
	ku_errno(ADD(dfd, &entry_off, 1, 1, 0, 2, PATCH_ID), EINVAL,
		 "a directory");
	ku_errno(ADD(pfd, &entry_off, 1, 1, 0, 2, PATCH_ID), EBADF,
		 "an O_PATH descriptor (cannot be read)");
	ku_errno(ADD(lfd, &inner, 1, 1, 0, 2, PATCH_ID), EOPNOTSUPP,
		 "an entry that is not endbr64 (it would overlap the jump)");
	off[0] = 1ull << 40;
	ku_errno(ADD(lfd, off, 1, 1, 0, 2, PATCH_ID), EINVAL,
		 "an offset past the end of the file");
	off[0] = off[1] = entry_off;
	ku_errno(ADD(lfd, off, 2, 1, 0, 2, PATCH_ID), EINVAL,
		 "the same offset twice");
	ku_errno(ADD(lfd, off, 0, 1, 0, 2, PATCH_ID), EINVAL, "no function");
	for (i = 0; i <= KPL_GUARD_FUNCS_MAX; i++)
		off[i] = entry_off;
	ku_errno(ADD(lfd, off, KPL_GUARD_FUNCS_MAX + 1, 1, 0, 2, PATCH_ID),
		 EINVAL, "more than KPL_GUARD_FUNCS_MAX functions");
	ku_errno(ADD(lfd, (uint64_t *)8, 1, 1, 0, 2, PATCH_ID), EFAULT,
		 "a bad offsets pointer");
	ku_errno(ADD(lfd, &entry_off, 1, 0, 0, 0, PATCH_ID), EINVAL,
		 "policy 0");
	ku_errno(ADD(lfd, &entry_off, 1, 9, 0, 0, PATCH_ID), EINVAL,
		 "policy 9");
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_HOLD,
		     KPL_GUARD_HOLD_MAX_MS + 1, KPL_GUARD_KILL, PATCH_ID),
		 EINVAL, "hold_ms too long");
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_HOLD, 100, KPL_GUARD_HOLD,
		     PATCH_ID),
		 EINVAL, "hold, then hold again");
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_KILL, 100, 0, PATCH_ID),
		 EINVAL, "hold_ms without hold");
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_KILL, 0, 0, "a/b"), EINVAL,
		 "patch id with '/'");
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_KILL, 0, 0, ""), EINVAL,
		 "empty patch id");
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	ku_errno(ADD(lfd, &entry_off, 1, KPL_GUARD_KILL, 0, 0, big), EINVAL,
		 "patch id of 79 characters");
	{
		struct kpl_guard_add a = { .size = sizeof(a),
					   .flags = 1,
					   .lib_fd = lfd,
					   .policy = KPL_GUARD_KILL,
					   .nr_funcs = 1,
					   .offsets = (uintptr_t)&entry_off };

		strcpy(a.patch_id, PATCH_ID);
		ku_errno(ku_ioctl(dev, KPL_IOC_GUARD_ADD, &a), EINVAL,
			 "unknown flag");
	}
	/* Nothing here calls spin_guard: the guard costs nothing. */
	ku_errno(g_add(KPL_GUARD_ALLOW, 0, 0, &id), 0, "a valid guard");
	ku_errno(g_add(KPL_GUARD_KILL, 0, 0, &id2), EEXIST,
		 "a second guard on the same entry");
	del.reserved = 1;
	ku_errno(ku_ioctl(dev, KPL_IOC_GUARD_DEL, &del), EINVAL,
		 "delete with reserved != 0");
	del.reserved = 0;
	del.id = 0;
	ku_errno(ku_ioctl(dev, KPL_IOC_GUARD_DEL, &del), EINVAL, "delete id 0");
	del.id = id + 1000;
	ku_errno(ku_ioctl(dev, KPL_IOC_GUARD_DEL, &del), ENOENT,
		 "delete an unknown id");

	/* Events: whole records only, non-blocking when asked. */
	{
		int nb = open(KPL_DEVICE_PATH, O_RDONLY | O_NONBLOCK);
		struct pollfd p = { .fd = nb, .events = POLLIN };
		char small[8];

		ku_errno(read(nb, small, sizeof(small)) < 0 ? -errno : 0,
			 EINVAL, "read smaller than an event");
		ku_errno(read(nb, &ev, sizeof(ev)) < 0 ? -errno : 0, EAGAIN,
			 "read with nothing to read, O_NONBLOCK");
		ku_check(poll(&p, 1, 0) == 0, "poll: nothing to read");
		close(nb);
	}

	child = fork();
	if (child == 0) {
		struct kpl_guard_del d = { .size = sizeof(d), .id = id };

		if (ku_drop_cap_sys_admin())
			_exit(2);
		_exit(g_add(KPL_GUARD_KILL, 0, 0, NULL) == -EPERM &&
				      ku_ioctl(dev, KPL_IOC_GUARD_DEL, &d) ==
					      -EPERM &&
				      read(dev, &ev, sizeof(ev)) < 0 &&
				      errno == EPERM ?
			      0 :
			      1);
	}
	waitpid(child, &status, 0);
	ku_check(WIFEXITED(status) && !WEXITSTATUS(status),
		 "without CAP_SYS_ADMIN: guard add, delete and read say EPERM");
	ku_errno(g_del(id), 0, "the guard is still there: delete it");
	close(lfd);
	close(dfd);
	close(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} tests[] = {
		{ "refuse", test_refuse },   { "hold", test_hold },
		{ "allow", test_allow },     { "kill", test_kill },
		{ "timeout", test_timeout }, { "delete", test_delete },
	};
	size_t i;

	if (argc >= 2 && !strcmp(argv[1], "target"))
		return ks_target_main(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	patch_path = getenv("KPL_GUARD_PATCH");
	if (!patch_path)
		patch_path = "/root/spin_guard.kpl";
	dev = ku_open();
	if (dev < 0 || find_entry())
		return 1;
	if (argc == 3 && !strcmp(argv[1], "add")) {
		uint32_t pol = !strcmp(argv[2], "hold")	 ? KPL_GUARD_HOLD :
			       !strcmp(argv[2], "allow") ? KPL_GUARD_ALLOW :
							   KPL_GUARD_KILL;
		uint32_t id = 0;
		int r = g_add(pol, pol == KPL_GUARD_HOLD ? 1000 : 0,
			      pol == KPL_GUARD_HOLD ? KPL_GUARD_ALLOW : 0, &id);

		if (r)
			fprintf(stderr, "guard add: %s\n", strerror(-r));
		else
			printf("%u\n", id);
		return r ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "del")) {
		int r = g_del((uint32_t)strtoul(argv[2], NULL, 0));

		if (r)
			fprintf(stderr, "guard del: %s\n", strerror(-r));
		return r ? 1 : 0;
	}
	for (i = 0; argc == 2 && i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		printf("# library %s, spin_guard at file offset 0x%llx\n",
		       lib_path, (unsigned long long)entry_off);
		if (tests[i].fn())
			ku_fails++;
		return ku_fails ? 1 : 0;
	}
	fprintf(stderr,
		"usage: %s refuse|hold|allow|kill|timeout|delete|add POLICY|"
		"del ID\n",
		argv[0]);
	return 2;
}
