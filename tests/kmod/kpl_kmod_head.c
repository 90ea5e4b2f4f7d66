// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_head: ABI 2.3's head of KPL_IOC_MAP against a real
 * multi-threaded process, inside the test VM (root, module loaded by the
 * script).
 *
 *   kpl_kmod_head head      KPL_IOC_MAP with a head: read-only, just
 *                           below the region, from the file past it,
 *                           running and stopped; all or nothing when the
 *                           head's place or the region's is taken; the
 *                           refusals of bad heads; a 2.2 sized request
 *   kpl_kmod_head forge PID ADDR NAME
 *                           not a test: replace the page at ADDR in PID
 *                           by a read-only page of a new shmem file named
 *                           NAME (what a process could map below its
 *                           patch's record with mmap(MAP_FIXED);
 *                           tests/integration/test_eustack.sh in the VM)
 *
 * One "pass:"/"FAIL:" line per check; exit 1 if any failed.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "kmod_target.h"
#include "kmod_util.h"

#define MAX_THREADS 64
/* Far from the binary, the heap, the stacks and the libraries. */
#define MAP_ADDR 0x210000000000ull
#define PG 4096ull

static struct kpl_thread_regs regs[MAX_THREADS];

/* The file offset of @addr in /proc/PID/maps, or ~0. */
static uint64_t maps_offset(pid_t pid, uint64_t addr)
{
	char perms[8], path[256];
	uint64_t off;

	return ku_maps_line(pid, addr, perms, path, &off) ? off : ~0ull;
}

/* Nothing mapped from @lo to @hi. */
static bool maps_empty(pid_t pid, uint64_t lo, uint64_t hi)
{
	char perms[8], path[256];
	uint64_t a;

	for (a = lo; a < hi; a += PG)
		if (ku_maps_at(pid, a, perms, path)) {
			printf("# 0x%llx: '%s %s' is mapped\n",
			       (unsigned long long)a, perms, path);
			return false;
		}
	return true;
}

/* libkpl's layout with a head of @head bytes below it. */
static void map_head_layout(int fd, pid_t pid, uint64_t head, const char *when)
{
	const struct kpl_map_part parts[] = {
		{ 0, PG, PROT_READ, 0 },
		{ PG, PG, PROT_READ | PROT_EXEC, 0 },
		{ 2 * PG, PG, PROT_READ | PROT_WRITE, 0 },
	};
	uint8_t zero[64] = { 0 }, img[64], back[64];
	uint64_t a;
	bool ok = true;

	ku_errno(ku_map_head(fd, MAP_ADDR, 3 * PG, head, "kpl:head", parts, 3),
		 0, when);
	for (a = MAP_ADDR - head; a < MAP_ADDR; a += PG)
		ok = ok && ku_maps_is(pid, a, "r--p", "kpl:head") &&
		     maps_offset(pid, a) == 3 * PG + (a - (MAP_ADDR - head));
	ku_check(ok, "the head's %llu pages are r--, from file offset 3 pages on",
		 (unsigned long long)(head / PG));
	ku_check(ku_maps_is(pid, MAP_ADDR, "r--p", "kpl:head") &&
			 maps_offset(pid, MAP_ADDR) == 0 &&
			 ku_maps_is(pid, MAP_ADDR + PG, "r-xp", "kpl:head") &&
			 ku_maps_is(pid, MAP_ADDR + 2 * PG, "rw-p", "kpl:head"),
		 "the region follows: record r-- at file offset 0, r-x, rw-");
	ku_check(!ku_read(fd, MAP_ADDR - head, back, sizeof(back)) &&
			 !memcmp(back, zero, sizeof(zero)) &&
			 !ku_read(fd, MAP_ADDR - PG, back, sizeof(back)) &&
			 !memcmp(back, zero, sizeof(zero)),
		 "the head reads as zeros (the file is sized for it)");
	memset(img, 0x7f, sizeof(img));
	ku_errno(ku_write(fd, MAP_ADDR - head, img, NULL, sizeof(img)), 0,
		 "fill the read-only head (forced)");
	ku_check(!ku_read(fd, MAP_ADDR - head, back, sizeof(back)) &&
			 !memcmp(back, img, sizeof(img)) &&
			 !ku_read(fd, MAP_ADDR, back, sizeof(back)) &&
			 !memcmp(back, zero, sizeof(zero)),
		 "the head holds it, the record does not");
	ku_errno(ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR - head, head + 3 * PG, 0),
		 0, "unmap head and region in one request");
	ku_check(maps_empty(pid, MAP_ADDR - head, MAP_ADDR + 3 * PG),
		 "nothing left of either");
}

/* A head that cannot be mapped, or a region that cannot: nothing stays. */
static void head_blocked(int fd, pid_t pid)
{
	const struct kpl_map_part parts[] = {
		{ 0, PG, PROT_READ, 0 },
		{ PG, PG, PROT_READ | PROT_EXEC, 0 },
	};

	ku_errno(ku_map(fd, MAP_ADDR - 2 * PG, PG, PROT_READ, "kpl:block"), 0,
		 "map a blocker where a 2-page head's first page goes");
	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, 2 * PG, "kpl:head", parts,
			     2),
		 EEXIST, "map with a head over the blocker");
	ku_check(maps_empty(pid, MAP_ADDR - PG, MAP_ADDR + 2 * PG),
		 "no part of the region and no head page stayed");
	ku_check(ku_maps_is(pid, MAP_ADDR - 2 * PG, "r--p", "kpl:block"),
		 "the blocker is untouched");
	ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR - 2 * PG, PG, 0);

	ku_errno(ku_map(fd, MAP_ADDR + PG, PG, PROT_READ, "kpl:block"), 0,
		 "map a blocker at the region's second page");
	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, PG, "kpl:head", parts, 2),
		 EEXIST, "map with a head, the region blocked");
	ku_check(maps_empty(pid, MAP_ADDR - PG, MAP_ADDR + PG),
		 "neither the head nor the first part stayed");
	ku_check(ku_maps_is(pid, MAP_ADDR + PG, "r--p", "kpl:block"),
		 "the blocker is untouched");
	ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR + PG, PG, 0);
}

static void head_refuse(int fd, pid_t pid)
{
	const struct kpl_map_part parts[] = {
		{ 0, PG, PROT_READ, 0 },
		{ PG, PG, PROT_READ | PROT_EXEC, 0 },
	};
	struct kpl_map m;
	char perms[8], path[256];

	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, PG / 2, "kpl:x", parts, 2),
		 EINVAL, "a head not a page multiple");
	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, PG + 1, "kpl:x", parts, 2),
		 EINVAL, "a head of a page and a byte");
	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, KPL_MAP_HEAD_MAX + PG,
			     "kpl:x", parts, 2),
		 EINVAL, "a head past KPL_MAP_HEAD_MAX");
	ku_errno(ku_map_head(fd, MAP_ADDR, 2 * PG, ~0ull - PG + 1, "kpl:x",
			     parts, 2),
		 EINVAL, "a head of almost 2^64 bytes");
	ku_errno(ku_map_head(fd, PG, 2 * PG, 2 * PG, "kpl:x", parts, 2),
		 EINVAL, "a head below address 0 (wraps)");
	ku_errno(ku_map_head(fd, PG, 2 * PG, PG, "kpl:x", parts, 2), EINVAL,
		 "a head at address 0");
	ku_errno(ku_map_head(fd, 0x10000, 2 * PG, PG, "kpl:x", parts, 2),
		 EINVAL, "a head below the default mmap_min_addr (64 KiB)");
	ku_check(maps_empty(pid, MAP_ADDR - KPL_MAP_HEAD_MAX - PG,
			    MAP_ADDR + 2 * PG) &&
			 maps_empty(pid, 0, 0x10000 + 2 * PG),
		 "no refused head left anything");

	/* An ABI 2.2 caller: 112 bytes; a head it cannot send. */
	memset(&m, 0, sizeof(m));
	m.size = KPL_MAP_SIZE_V2;
	m.addr = MAP_ADDR;
	m.len = 2 * PG;
	m.nr_parts = 2;
	m.part_size = sizeof(parts[0]);
	m.parts = (uintptr_t)parts;
	m.head = PG;
	strcpy(m.name, "kpl:v2");
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &m), 0,
		 "map with the ABI 2.2 size (112 bytes)");
	ku_check(!ku_maps_at(pid, MAP_ADDR - PG, perms, path) &&
			 ku_maps_is(pid, MAP_ADDR, "r--p", "kpl:v2") &&
			 ku_maps_is(pid, MAP_ADDR + PG, "r-xp", "kpl:v2"),
		 "the 2.2 map has its parts and no head (the field is past it)");
	ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR, 2 * PG, 0);
}

static int test_head(void)
{
	static const struct kt_opts o = { .spinners = 2, .sleepers_each = 1 };
	struct kpl_version ver = { 0 };
	struct kt_shared *sh;
	int fd;
	pid_t pid = kt_start_attached(&o, &sh, &fd);

	if (pid < 0)
		return 1;
	ku_errno(ku_ioctl(fd, KPL_IOC_VERSION, &ver), 0, "version");
	ku_check(ver.abi_version == KPL_ABI_VERSION &&
			 (ver.flags & KPL_VERSION_F_MAP_HEAD),
		 "the module says abi %u.%u with heads (flags 0x%x)",
		 ver.abi_version >> 16, ver.abi_version & 0xffff, ver.flags);
	map_head_layout(fd, pid, PG, "map with a 1-page head while running");
	map_head_layout(fd, pid, KPL_MAP_HEAD_MAX,
			"map with a KPL_MAP_HEAD_MAX head while running");
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), 0, "stop");
	map_head_layout(fd, pid, 2 * PG,
			"map with a 2-page head while stopped (a parked thread)");
	head_blocked(fd, pid);
	ku_errno(ku_resume(fd), 0, "resume");
	head_blocked(fd, pid);
	head_refuse(fd, pid);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

/* forge PID ADDR NAME: see the top of the file. */
static int forge(const char *pid_s, const char *addr_s, const char *name)
{
	char *end;
	long pid = strtol(pid_s, &end, 10);
	uint64_t addr;
	int fd, err;

	if (*end || pid <= 0)
		return 2;
	addr = strtoull(addr_s, &end, 0);
	if (*end)
		return 2;
	fd = ku_open();
	err = ku_attach(fd, (pid_t)pid, 0);
	if (!err)
		err = ku_range(fd, KPL_IOC_UNMAP, addr, PG, 0);
	if (!err)
		err = ku_map(fd, addr, PG, PROT_READ, name);
	if (err)
		printf("FAIL: forge a page at 0x%llx in pid %ld: %s\n",
		       (unsigned long long)addr, pid, strerror(-err));
	close(fd);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct ku_test tests[] = {
		{ "head", test_head },
	};

	if (argc == 5 && !strcmp(argv[1], "forge"))
		return forge(argv[2], argv[3], argv[4]);
	return ku_run(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
