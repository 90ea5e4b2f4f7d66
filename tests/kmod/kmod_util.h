/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the module tests: the requests as one-line calls that
 * return 0 or -errno, /proc/PID/maps lookups, and checks that count
 * failures.
 */
#ifndef KPL_TESTS_KMOD_UTIL_H
#define KPL_TESTS_KMOD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <uapi/linux/kpatch_lite.h>

static int ku_fails;

__attribute__((format(printf, 2, 3))) static inline void
ku_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		ku_fails++;
	printf("%s: ", ok ? "pass" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Check that @ret (0 or -errno) is -@want. */
#define ku_errno(ret, want, what)                                 \
	do {                                                      \
		int r_ = (ret);                                   \
		ku_check(r_ == -(want), "%s: %s (want %s)", what, \
			 r_ ? strerror(-r_) : "success",          \
			 (want) ? strerror(want) : "success");    \
	} while (0)

static inline uint64_t ku_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int ku_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ku_open(void)
{
	int fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("FAIL: open %s: %s\n", KPL_DEVICE_PATH, strerror(errno));
		ku_fails++;
	}
	return fd;
}

static inline int ku_attach(int fd, pid_t pid, uint32_t flags)
{
	struct kpl_attach a = { .size = sizeof(a), .flags = flags, .pid = pid };

	return ku_ioctl(fd, KPL_IOC_ATTACH, &a);
}

static inline int ku_stop(int fd, pid_t pid, uint32_t timeout_ms,
			  uint32_t hold_ms, struct kpl_thread_regs *regs,
			  uint32_t max, struct kpl_stop *out)
{
	struct kpl_stop s = {
		.size = sizeof(s),
		.pid = pid,
		.timeout_ms = timeout_ms,
		.hold_ms = hold_ms,
		.nr_threads_max = max,
		.threads = (uintptr_t)regs,
		.thread_size = sizeof(*regs),
	};
	int r = ku_ioctl(fd, KPL_IOC_STOP, &s);

	if (out)
		*out = s;
	return r;
}

static inline int ku_resume(int fd)
{
	struct kpl_resume r = { .size = sizeof(r) };

	return ku_ioctl(fd, KPL_IOC_RESUME, &r);
}

static inline int ku_read(int fd, uint64_t addr, void *buf, size_t len)
{
	struct kpl_mem m = { .size = sizeof(m),
			     .addr = addr,
			     .len = len,
			     .buf = (uintptr_t)buf };

	return ku_ioctl(fd, KPL_IOC_READ, &m);
}

static inline int ku_write(int fd, uint64_t addr, const void *buf,
			   const void *expect, size_t len)
{
	struct kpl_mem m = { .size = sizeof(m),
			     .addr = addr,
			     .len = len,
			     .buf = (uintptr_t)buf,
			     .expect = (uintptr_t)expect };

	return ku_ioctl(fd, KPL_IOC_WRITE, &m);
}

static inline int ku_map(int fd, uint64_t addr, size_t len, uint32_t prot,
			 const char *name)
{
	struct kpl_map m = {
		.size = sizeof(m), .addr = addr, .len = len, .prot = prot
	};

	/* A name of 64 characters or more arrives unterminated. */
	memcpy(m.name, name, strnlen(name, sizeof(m.name)));
	return ku_ioctl(fd, KPL_IOC_MAP, &m);
}

/* KPL_IOC_MAP with @nr parts and a head of @head bytes (ABI 2.3). */
static inline int ku_map_head(int fd, uint64_t addr, uint64_t len,
			      uint64_t head, const char *name,
			      const struct kpl_map_part *parts, uint32_t nr)
{
	struct kpl_map m = {
		.size = sizeof(m),
		.addr = addr,
		.len = len,
		.nr_parts = nr,
		.part_size = sizeof(*parts),
		.parts = (uintptr_t)parts,
		.head = head,
	};

	snprintf(m.name, sizeof(m.name), "%s", name);
	return ku_ioctl(fd, KPL_IOC_MAP, &m);
}

static inline int ku_range(int fd, unsigned long cmd, uint64_t addr, size_t len,
			   uint32_t prot)
{
	struct kpl_range r = {
		.size = sizeof(r), .addr = addr, .len = len, .prot = prot
	};

	return ku_ioctl(fd, cmd, &r);
}

/*
 * The line of /proc/PID/maps holding @addr: its permissions ("r-xp")
 * and path into @perms/@path, and if @off is not NULL the file offset
 * of @addr into *@off.  Return false when nothing maps @addr.
 */
static inline bool ku_maps_line(pid_t pid, uint64_t addr, char perms[8],
				char path[256], uint64_t *off)
{
	char fn[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/maps", pid);
	f = fopen(fn, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, o;
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms,
			   &o, &n) < 4)
			continue;
		if (addr < lo || addr >= hi)
			continue;
		snprintf(path, 256, "%s", n ? line + n : "");
		path[strcspn(path, "\n")] = '\0';
		if (off)
			*off = o + (addr - lo);
		found = true;
	}
	fclose(f);
	return found;
}

static inline bool ku_maps_at(pid_t pid, uint64_t addr, char perms[8],
			      char path[256])
{
	return ku_maps_line(pid, addr, perms, path, NULL);
}

/* @addr's line in /proc/PID/maps has @perms and is kpl's memfd @name. */
static inline bool ku_maps_is(pid_t pid, uint64_t addr, const char *perms,
			      const char *name)
{
	char p[8] = "", path[256] = "", want[128];

	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	if (!ku_maps_at(pid, addr, p, path) || strcmp(p, perms) ||
	    strcmp(path, want)) {
		printf("# 0x%llx: '%s %s', want '%s %s'\n",
		       (unsigned long long)addr, p, path, perms, want);
		return false;
	}
	return true;
}

static inline void ku_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Drop CAP_SYS_ADMIN from the effective set (in a forked child: the
 * module's requests must then say EPERM).  Return 0 or -errno.
 */
static inline int ku_drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
		~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Until @cond holds, for @ms at most (polled every 5 ms); then @cond. */
#define WAIT_FOR(cond, ms)                                   \
	({                                                   \
		int w_;                                      \
		for (w_ = 0; !(cond) && w_ < (ms) / 5; w_++) \
			usleep(5000);                        \
		(bool)(cond);                                \
	})

/* One test of a helper, run by name: "HELPER NAME". */
struct ku_test {
	const char *name;
	int (*fn)(void);
};

/*
 * Run the one of @tests that argv[1] names, with stdout line-buffered.
 * Return the exit status: 1 if it or any check failed, else 0; 2, with
 * a usage line listing the names, when argv names none.
 */
static inline int ku_run(int argc, char **argv, const struct ku_test *tests,
			 size_t n)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc == 2 && i < n; i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		if (tests[i].fn())
			ku_fails++;
		return ku_fails ? 1 : 0;
	}
	fprintf(stderr, "usage: %s ", argv[0]);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? "|" : "", tests[i].name);
	fprintf(stderr, "\n");
	return 2;
}

#endif
