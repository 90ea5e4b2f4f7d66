// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_batch: the ABI 2.2 requests against a real multi-threaded
 * process, inside the test VM (root, module loaded by the script).
 *
 *   kpl_kmod_batch write    KPL_IOC_WRITE_BATCH: every entry or none; a
 *                           mismatch in the last entry writes nothing
 *                           and names it; data and text entries
 *   kpl_kmod_batch map      KPL_IOC_MAP with parts: each part's
 *                           protection in /proc/PID/maps, running and
 *                           stopped; all or nothing on -EEXIST; an ABI
 *                           2.1 sized request still maps
 *   kpl_kmod_batch refuse   every refusal of the new fields and request
 * (ABI 2.3's head: kpl_kmod_head.c.)
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

static int ku_batch(int fd, const struct kpl_batch_entry *e, uint32_t nr,
		    uint32_t *failed)
{
	struct kpl_batch b = {
		.size = sizeof(b),
		.nr_entries = nr,
		.entry_size = sizeof(*e),
		.entries = (uintptr_t)e,
	};
	int r = ku_ioctl(fd, KPL_IOC_WRITE_BATCH, &b);

	if (failed)
		*failed = b.failed;
	return r;
}

static struct kpl_batch_entry ent(uint64_t addr, const void *buf,
				  const void *expect, uint32_t len)
{
	return (struct kpl_batch_entry){ .addr = addr,
					 .len = len,
					 .buf = (uintptr_t)buf,
					 .expect = (uintptr_t)expect };
}

/* The target's bytes at @addr are @want. */
static bool holds(int fd, uint64_t addr, const void *want, size_t len)
{
	uint8_t got[KPL_BATCH_BYTES];

	return !ku_read(fd, addr, got, len) && !memcmp(got, want, len);
}

/* Two threads spinning, one asleep each way. */
static pid_t start(struct kt_shared **sh, int *fd)
{
	static const struct kt_opts o = { .spinners = 2, .sleepers_each = 1 };

	return kt_start_attached(&o, sh, fd);
}

static int test_write(void)
{
	uint64_t marker = 0x1122334455667788ull, nv = 0xfeedfacecafebeefull;
	uint64_t text_at = (uintptr_t)kt_text, scr = KT_SCRATCH_ADDR + 64;
	uint8_t text[16], jump[16], wrong[16], zero[16] = { 0 }, s1[16];
	struct kpl_batch_entry e[3];
	struct kt_shared *sh;
	uint32_t failed;
	int fd;
	pid_t pid = start(&sh, &fd);

	if (pid < 0)
		return 1;
	memcpy(text, (void *)kt_text, sizeof(text));
	memset(jump, 0xcc, sizeof(jump));
	memset(wrong, 0x90, sizeof(wrong));
	memset(s1, 0x5a, sizeof(s1));
	e[0] = ent((uintptr_t)&kt_marker, &nv, &marker, 8);
	e[1] = ent(text_at, jump, text, sizeof(jump));
	e[2] = ent(scr, s1, wrong, sizeof(s1));

	ku_errno(ku_batch(fd, e, 3, NULL), EBADFD, "batch while running");
	ku_check(holds(fd, (uintptr_t)&kt_marker, &marker, 8),
		 "refused batch changed nothing");
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), 0, "stop");

	/* The last entry's expected bytes are wrong: nothing may land. */
	ku_errno(ku_batch(fd, e, 3, &failed), EILSEQ,
		 "batch whose last entry differs");
	ku_check(failed == 2, "failed names entry %u (want 2)", failed);
	ku_check(holds(fd, (uintptr_t)&kt_marker, &marker, 8) &&
			 holds(fd, text_at, text, sizeof(text)) &&
			 holds(fd, scr, zero, sizeof(zero)),
		 "nothing written: marker, text and scratch as they were");

	/* The first entry differs: same, and named. */
	e[2].expect = (uintptr_t)zero;
	e[0].expect = (uintptr_t)&nv;
	ku_errno(ku_batch(fd, e, 3, &failed), EILSEQ,
		 "batch whose first entry differs");
	ku_check(failed == 0, "failed names entry %u (want 0)", failed);
	ku_check(holds(fd, text_at, text, sizeof(text)) &&
			 holds(fd, scr, zero, sizeof(zero)),
		 "nothing written");

	/* An unreadable entry: -EFAULT, nothing written. */
	e[0].expect = (uintptr_t)&marker;
	e[1] = ent(0x1000, jump, NULL, 8);
	ku_errno(ku_batch(fd, e, 3, &failed), EFAULT,
		 "batch with an unmapped entry");
	ku_check(failed == 1 && holds(fd, (uintptr_t)&kt_marker, &marker, 8) &&
			 holds(fd, scr, zero, sizeof(zero)),
		 "failed names entry %u (want 1), nothing written", failed);

	/* All match: every entry lands, text through a private copy. */
	e[1] = ent(text_at, jump, text, sizeof(jump));
	ku_errno(ku_batch(fd, e, 3, &failed), 0, "batch whose entries match");
	ku_check(failed == 3, "failed is nr_entries (%u) on success", failed);
	ku_check(holds(fd, (uintptr_t)&kt_marker, &nv, 8) &&
			 holds(fd, text_at, jump, sizeof(jump)) &&
			 holds(fd, scr, s1, sizeof(s1)),
		 "every entry written");

	/* Put it all back, unchecked entries this time. */
	e[0] = ent((uintptr_t)&kt_marker, &marker, NULL, 8);
	e[1] = ent(text_at, text, NULL, sizeof(text));
	e[2] = ent(scr, zero, NULL, sizeof(zero));
	ku_errno(ku_batch(fd, e, 3, NULL), 0, "batch without expected bytes");
	ku_check(holds(fd, (uintptr_t)&kt_marker, &marker, 8) &&
			 holds(fd, text_at, text, sizeof(text)) &&
			 holds(fd, scr, zero, sizeof(zero)),
		 "everything as it was");
	ku_errno(ku_resume(fd), 0, "resume");
	ku_sleep_ms(20);
	ku_check(atomic_load(&sh->eintr) == 0, "no EINTR (%u)",
		 atomic_load(&sh->eintr));
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static int ku_map_parts(int fd, uint64_t addr, uint64_t len, const char *name,
			const struct kpl_map_part *parts, uint32_t nr)
{
	return ku_map_head(fd, addr, len, 0, name, parts, nr);
}

/* libkpl's layout: a read-only record, text, read-only data, data. */
static void map_layout(int fd, pid_t pid, const char *when)
{
	const struct kpl_map_part parts[] = {
		{ 0, PG, PROT_READ, 0 },
		{ PG, 2 * PG, PROT_READ | PROT_EXEC, 0 },
		{ 3 * PG, PG, PROT_READ, 0 },
		{ 4 * PG, PG, PROT_READ | PROT_WRITE, 0 },
	};
	uint8_t code[16], back[16];

	ku_errno(ku_map_parts(fd, MAP_ADDR, 5 * PG, "kpl:parts", parts, 4), 0,
		 when);
	ku_check(ku_maps_is(pid, MAP_ADDR, "r--p", "kpl:parts") &&
			 ku_maps_is(pid, MAP_ADDR + PG, "r-xp", "kpl:parts") &&
			 ku_maps_is(pid, MAP_ADDR + 2 * PG, "r-xp", "kpl:parts") &&
			 ku_maps_is(pid, MAP_ADDR + 3 * PG, "r--p", "kpl:parts") &&
			 ku_maps_is(pid, MAP_ADDR + 4 * PG, "rw-p", "kpl:parts"),
		 "maps shows r--, r-x, r-x, r--, rw- for the five pages");
	memset(code, 0xc3, sizeof(code));
	ku_errno(ku_write(fd, MAP_ADDR + PG, code, NULL, sizeof(code)), 0,
		 "fill the r-x part (forced)");
	ku_check(!ku_read(fd, MAP_ADDR + PG, back, sizeof(back)) &&
			 !memcmp(back, code, sizeof(code)),
		 "r-x part holds it");
	ku_errno(ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR, 5 * PG, 0), 0, "unmap");
}

static int test_map(void)
{
	const struct kpl_map_part two[] = {
		{ 0, PG, PROT_READ, 0 },
		{ PG, PG, PROT_READ | PROT_EXEC, 0 },
	};
	char perms[8], path[256];
	struct kt_shared *sh;
	struct kpl_map v1;
	int fd;
	pid_t pid = start(&sh, &fd);

	if (pid < 0)
		return 1;
	map_layout(fd, pid, "map 4 parts while running (a kworker maps)");
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), 0, "stop");
	map_layout(fd, pid, "map 4 parts while stopped (a parked thread)");
	ku_errno(ku_resume(fd), 0, "resume");

	/* A page in the middle of the second part is taken: no part stays. */
	ku_errno(ku_map(fd, MAP_ADDR + PG, PG, PROT_READ, "kpl:block"), 0,
		 "map a blocker at the second part");
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:parts", two, 2),
		 EEXIST, "map parts over the blocker");
	ku_check(!ku_maps_at(pid, MAP_ADDR, perms, path),
		 "the first part was taken back");
	ku_check(ku_maps_is(pid, MAP_ADDR + PG, "r--p", "kpl:block"),
		 "the blocker is untouched");
	ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR + PG, PG, 0);

	/* An ABI 2.1 caller: 96 bytes, no parts, one protection. */
	memset(&v1, 0, sizeof(v1));
	v1.size = KPL_MAP_SIZE_V1;
	v1.addr = MAP_ADDR;
	v1.len = 2 * PG;
	v1.prot = PROT_READ | PROT_WRITE;
	strcpy(v1.name, "kpl:v1");
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &v1), 0,
		 "map with the ABI 2.1 size (96 bytes)");
	ku_check(ku_maps_is(pid, MAP_ADDR, "rw-p", "kpl:v1") &&
			 ku_maps_is(pid, MAP_ADDR + PG, "rw-p", "kpl:v1"),
		 "the 2.1 map is rw- throughout");
	ku_errno(ku_range(fd, KPL_IOC_PROTECT, MAP_ADDR + PG, PG,
			  PROT_READ | PROT_EXEC),
		 0, "KPL_IOC_PROTECT still works");
	ku_check(ku_maps_is(pid, MAP_ADDR + PG, "r-xp", "kpl:v1"),
		 "protected page r-x");
	ku_range(fd, KPL_IOC_UNMAP, MAP_ADDR, 2 * PG, 0);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}

static void refuse_map(int fd, pid_t pid)
{
	struct kpl_map_part p[KPL_MAP_PARTS_MAX + 1];
	struct kpl_map m;
	char perms[8], path[256];
	unsigned int i;

	for (i = 0; i <= KPL_MAP_PARTS_MAX; i++)
		p[i] = (struct kpl_map_part){ i * PG, PG, PROT_READ, 0 };
	ku_errno(ku_map_parts(fd, MAP_ADDR, (KPL_MAP_PARTS_MAX + 1) * PG,
			      "kpl:x", p, KPL_MAP_PARTS_MAX + 1),
		 EINVAL, "map with KPL_MAP_PARTS_MAX + 1 parts");
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:x", p, 1), EINVAL,
		 "parts short of the region");
	ku_errno(ku_map_parts(fd, MAP_ADDR, PG, "kpl:x", p, 2), EINVAL,
		 "parts past the region");
	p[1].off = 2 * PG;
	ku_errno(ku_map_parts(fd, MAP_ADDR, 3 * PG, "kpl:x", p, 2), EINVAL,
		 "a hole between parts");
	p[1].off = PG;
	p[1].len = PG / 2;
	ku_errno(ku_map_parts(fd, MAP_ADDR, PG + PG / 2, "kpl:x", p, 2), EINVAL,
		 "a part not a page multiple");
	p[1].len = PG;
	p[1].prot = PROT_WRITE | PROT_EXEC;
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:x", p, 2), EINVAL,
		 "a part writable and executable");
	p[1].prot = PROT_READ;
	p[1].reserved = 1;
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:x", p, 2), EINVAL,
		 "a part with reserved != 0");
	p[1].reserved = 0;
	p[1].len = ~0ull - PG + 1;
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:x", p, 2), EINVAL,
		 "a part whose end wraps");
	p[1].len = PG;
	ku_errno(ku_map_parts(fd, MAP_ADDR, 2 * PG, "kpl:x", (void *)8, 2),
		 EFAULT, "parts at a bad pointer");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.addr = MAP_ADDR;
	m.len = 2 * PG;
	m.prot = PROT_READ;
	m.nr_parts = 2;
	m.part_size = sizeof(p[0]);
	m.parts = (uintptr_t)p;
	strcpy(m.name, "kpl:x");
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &m), EINVAL, "prot with parts");
	m.prot = 0;
	m.part_size = sizeof(p[0]) + 8;
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &m), EINVAL, "part_size wrong");
	m.nr_parts = 0;
	m.part_size = 0;
	m.prot = PROT_READ;
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &m), EINVAL,
		 "a parts pointer without parts");
	m.parts = 0;
	m.size = KPL_MAP_SIZE_V1 - 8;
	ku_errno(ku_ioctl(fd, KPL_IOC_MAP, &m), EINVAL,
		 "map smaller than the 2.1 size");
	ku_check(!ku_maps_at(pid, MAP_ADDR, perms, path),
		 "no refused map left anything");
}

static void refuse_batch(int fd, pid_t pid)
{
	static struct kpl_batch_entry e[KPL_BATCH_MAX + 1];
	uint64_t marker = 0x1122334455667788ull, v = 1;
	uint8_t big[KPL_BATCH_BYTES + 1] = { 0 };
	struct kpl_batch b;
	unsigned int i;

	for (i = 0; i <= KPL_BATCH_MAX; i++)
		e[i] = ent(KT_SCRATCH_ADDR + 8 * i, &v, NULL, 8);
	ku_errno(ku_stop(fd, pid, 2000, 0, regs, MAX_THREADS, NULL), 0, "stop");
	ku_errno(ku_batch(fd, e, 0, NULL), EINVAL, "batch of 0 entries");
	ku_errno(ku_batch(fd, e, KPL_BATCH_MAX + 1, NULL), EINVAL,
		 "batch of KPL_BATCH_MAX + 1 entries");
	ku_errno(ku_batch(fd, (void *)8, 2, NULL), EFAULT,
		 "entries at a bad pointer");
	e[1] = ent(KT_SCRATCH_ADDR + 4, &v, NULL, 8);
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "overlapping entries");
	e[1] = ent(KT_SCRATCH_ADDR + 8, big, NULL, KPL_BATCH_BYTES + 1);
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL,
		 "an entry longer than KPL_BATCH_BYTES");
	e[1].len = 0;
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "an entry of 0 bytes");
	e[1] = ent(~0ull - 3, &v, NULL, 8);
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "an entry that wraps");
	e[1] = ent(0xffff800000000000ull, &v, NULL, 8);
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "an entry in the kernel");
	e[1] = ent(KT_SCRATCH_ADDR + 8, &v, NULL, 8);
	e[1].flags = 1;
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "an entry with flags");
	e[1].flags = 0;
	e[1].buf = 0;
	ku_errno(ku_batch(fd, e, 2, NULL), EINVAL, "an entry without bytes");
	e[1].buf = 8;
	ku_errno(ku_batch(fd, e, 2, NULL), EFAULT,
		 "an entry's bytes unreadable");
	e[1].buf = (uintptr_t)&v;
	e[1].expect = 8;
	ku_errno(ku_batch(fd, e, 2, NULL), EFAULT,
		 "an entry's expected bytes unreadable");
	e[1].expect = 0;
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.nr_entries = 2;
	b.entry_size = sizeof(e[0]) - 8;
	b.entries = (uintptr_t)e;
	ku_errno(ku_ioctl(fd, KPL_IOC_WRITE_BATCH, &b), EINVAL,
		 "entry_size wrong");
	b.entry_size = sizeof(e[0]);
	b.flags = 1;
	ku_errno(ku_ioctl(fd, KPL_IOC_WRITE_BATCH, &b), EINVAL, "batch flags");
	b.flags = 0;
	b.reserved = 1;
	ku_errno(ku_ioctl(fd, KPL_IOC_WRITE_BATCH, &b), EINVAL,
		 "batch reserved != 0");
	b.reserved = 0;
	b.size = 16;
	ku_errno(ku_ioctl(fd, KPL_IOC_WRITE_BATCH, &b), EINVAL,
		 "batch size 16");
	ku_check(holds(fd, (uintptr_t)&kt_marker, &marker, 8) &&
			 !holds(fd, KT_SCRATCH_ADDR, &v, 8),
		 "no refused batch wrote anything");
	ku_errno(ku_batch(fd, e, KPL_BATCH_MAX, NULL), 0,
		 "batch of KPL_BATCH_MAX entries");
	ku_check(holds(fd, KT_SCRATCH_ADDR + 8 * (KPL_BATCH_MAX - 1), &v, 8),
		 "its last entry landed");
	ku_errno(ku_resume(fd), 0, "resume");
}

static int test_refuse(void)
{
	struct kpl_batch_entry e = ent(KT_SCRATCH_ADDR, &e, NULL, 8);
	struct kt_shared *sh;
	int fd, fd2;
	pid_t pid = start(&sh, &fd);

	if (pid < 0)
		return 1;
	fd2 = ku_open();
	ku_errno(ku_batch(fd2, &e, 1, NULL), EBADFD, "batch before attach");
	close(fd2);
	refuse_map(fd, pid);
	refuse_batch(fd, pid);
	close(fd);
	kt_stop(pid, sh);
	return 0;
}


int main(int argc, char **argv)
{
	static const struct ku_test tests[] = {
		{ "write", test_write },
		{ "map", test_map },
		{ "refuse", test_refuse },
	};

	return ku_run(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
