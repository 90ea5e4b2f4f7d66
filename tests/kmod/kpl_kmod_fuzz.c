// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_kmod_fuzz: random requests to /dev/kpatch_lite, inside the test VM.
 *
 *   kpl_kmod_fuzz [ITERATIONS [SEED]]     default 20000, seed from time
 *
 * Each request is a random command (mostly real ones) whose structure is
 * random bytes, then some fields are drawn from pools of interesting
 * values: the right size, the sacrificial target's pid, addresses in it
 * (data, text, a mapping area, unmapped, kernel), user buffers (a
 * scratch area guarded by PROT_NONE pages, NULL, kernel addresses).
 * The target is this program's child, with spinning and sleeping
 * threads; requests may kill it (an unmap of its text, say), and it is
 * then started again.  PID 1 is never a candidate: a random write there
 * would panic the guest.  Writes only go where the target never looks
 * (fresh mappings, a scratch area it maps): random bytes in its code or
 * in a pointer it follows would have it execute garbage, and under
 * QEMU's TCG some garbage ("lret" to a 32-bit segment) makes the CPU
 * model fault in a way the guest kernel reports as an oops.  That would
 * test QEMU, not the module.  The point is the kernel's reaction, which the
 * VM runner judges from dmesg; the program itself only fails when the
 * module stops answering or its answers break the ABI's promises (a
 * reply other than 0 or -errno, a stop that outlives a close).
 *
 * Batched writes (ABI 2.2) carry arrays of entries, each aimed where a
 * write may land; maps carry arrays of parts, split along the region or
 * random, and a head below the region (ABI 2.3) of none, whole pages, or
 * random bytes.
 *
 * Guard requests name a scratch file nobody maps (with endbr64 at every
 * 64th byte, so some land), or descriptors that are not files; the
 * guards that were made are deleted at the end.  Reads of events are
 * non-blocking, with random lengths.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kmod_target.h"
#include "kmod_util.h"

#define SCRATCH_LEN (32u << 20)

static uint8_t *scratch; /* SCRATCH_LEN, PROT_NONE page after it */
static int lib_fd = -1; /* the guards' scratch "library" */
static uint64_t lib_offs[80]; /* offsets into it, good and bad */
static uint32_t guard_ids[1024];
/* Arrays the ABI 2.2 requests point at, mended or random. */
static struct kpl_batch_entry batch_ents[KPL_BATCH_MAX + 4];
static struct kpl_map_part map_parts[KPL_MAP_PARTS_MAX + 2];
static unsigned int nr_guard_ids;

#define LIB_PATH "/tmp/kpl-fuzz-lib"
#define LIB_LEN 65536
static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed printed at start. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

static pid_t target;
static struct kt_shared *target_sh;

static void target_restart(void)
{
	static const struct kt_opts o = { .spinners = 2, .sleepers_each = 1 };

	kt_stop(target, target_sh);
	target = kt_start(&o, &target_sh);
}

static uint64_t rnd_pid(void)
{
	const uint64_t pids[] = { (uint64_t)target,
				  (uint64_t)target,
				  (uint64_t)target,
				  0,
				  (uint64_t)-1,
				  2,
				  (uint64_t)getpid(),
				  4000000,
				  rnd() };
	uint64_t p = pick(pids, sizeof(pids) / sizeof(pids[0]));

	return (int32_t)p == 1 ? (uint64_t)target : p;
}

static uint64_t rnd_addr(void)
{
	const uint64_t base = 0x200000000000ull + (rnd() % 64) * 4096;
	const uint64_t addrs[] = {
		(uintptr_t)&kt_marker,
		(uintptr_t)kt_text,
		(uintptr_t)kt_text & ~4095ull,
		base,
		base,
		base + rnd() % 4096,
		0,
		4096,
		0x7ffffffff000ull,
		0xffff800000000000ull,
		0xffffffff81000000ull,
		(uint64_t)-4096,
		rnd(),
		(uintptr_t)&rng_state & ~4095ull,
	};

	return pick(addrs, sizeof(addrs) / sizeof(addrs[0]));
}

/* Where a write may land: nothing the target executes or follows. */
static uint64_t rnd_write_addr(void)
{
	const uint64_t base = 0x200000000000ull + (rnd() % 64) * 4096;
	const uint64_t addrs[] = {
		KT_SCRATCH_ADDR,
		KT_SCRATCH_ADDR + rnd() % KT_SCRATCH_LEN,
		KT_SCRATCH_ADDR + KT_SCRATCH_LEN - 8,
		base,
		base + rnd() % 4096,
		0,
		4096,
		0xffff800000000000ull,
		0xffffffff81000000ull,
		(uint64_t)-4096,
	};

	return pick(addrs, sizeof(addrs) / sizeof(addrs[0]));
}

static uint64_t rnd_len(void)
{
	const uint64_t lens[] = { 0,
				  1,
				  8,
				  16,
				  4095,
				  4096,
				  8192,
				  3 * 4096,
				  KPL_MEM_MAX,
				  KPL_MEM_MAX + 1,
				  KPL_MAP_MAX,
				  KPL_MAP_MAX + 1,
				  (uint64_t)-1,
				  rnd() % 65536,
				  rnd() };

	return pick(lens, sizeof(lens) / sizeof(lens[0]));
}

static uint64_t rnd_buf(void)
{
	const uint64_t bufs[] = {
		(uintptr_t)scratch,
		(uintptr_t)scratch + rnd() % 4096,
		(uintptr_t)scratch + SCRATCH_LEN - 16,
		0,
		8,
		0xffffffff81000000ull,
		(uint64_t)-1,
	};

	return pick(bufs, sizeof(bufs) / sizeof(bufs[0]));
}

static uint32_t rnd_small(uint32_t max)
{
	return rnd() % 4 ? (uint32_t)(rnd() % (max + 1)) : (uint32_t)rnd();
}

static void rnd_bytes(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* Random bytes, then each field is mended with probability 3/4. */
#define MEND(field, value)                 \
	do {                               \
		if (rnd() % 4)             \
			(field) = (value); \
	} while (0)

static unsigned long rnd_cmd(void)
{
	static const unsigned long cmds[] = {
		KPL_IOC_VERSION,   KPL_IOC_ATTACH,	KPL_IOC_STOP,
		KPL_IOC_STOP,	   KPL_IOC_RESUME,	KPL_IOC_RESUME,
		KPL_IOC_READ,	   KPL_IOC_WRITE,	KPL_IOC_MAP,
		KPL_IOC_PROTECT,   KPL_IOC_UNMAP,	KPL_IOC_GUARD_ADD,
		KPL_IOC_GUARD_DEL, KPL_IOC_WRITE_BATCH, KPL_IOC_WRITE_BATCH,
	};

	if (rnd() % 16 == 0)
		return _IOC(rnd() % 4, KPL_IOC_MAGIC, rnd() % 16, rnd() % 512);
	return cmds[rnd() % (sizeof(cmds) / sizeof(cmds[0]))];
}

/*
 * MAP's parts (ABI 2.2): none, the 2.1 size, or an array split along
 * the region, each field then mended or not.
 */
static void rnd_parts(struct kpl_map *m)
{
	uint64_t off = 0, len = (m->len + 4095) & ~4095ull;
	uint32_t i, n;

	if (rnd() % 3 == 0) {
		MEND(m->size, KPL_MAP_SIZE_V1);
		MEND(m->nr_parts, 0);
		MEND(m->part_size, 0);
		MEND(m->parts, 0);
		return;
	}
	n = rnd_small(KPL_MAP_PARTS_MAX + 1);
	rnd_bytes(map_parts, sizeof(map_parts));
	for (i = 0; i < n && i < KPL_MAP_PARTS_MAX + 2; i++) {
		uint64_t l = i + 1 == n ? len - off : 4096 * (1 + rnd() % 4);

		MEND(map_parts[i].off, off);
		MEND(map_parts[i].len, l);
		MEND(map_parts[i].prot, rnd() % 8);
		MEND(map_parts[i].reserved, 0);
		off += l;
	}
	MEND(m->nr_parts, n);
	MEND(m->part_size, sizeof(struct kpl_map_part));
	MEND(m->parts, rnd() % 8 ? (uintptr_t)map_parts : rnd_buf());
	MEND(m->prot, 0);
}

/* WRITE_BATCH: entries that write only where harmless, mostly. */
static void rnd_batch(struct kpl_batch *b)
{
	uint32_t i,
		n = rnd() % 2 ? 1 + rnd() % 8 : rnd_small(KPL_BATCH_MAX + 2);

	MEND(b->size, sizeof(*b));
	MEND(b->flags, 0);
	MEND(b->reserved, 0);
	MEND(b->nr_entries, n);
	MEND(b->entry_size, sizeof(struct kpl_batch_entry));
	MEND(b->entries, rnd() % 8 ? (uintptr_t)batch_ents : rnd_buf());
	rnd_bytes(batch_ents, sizeof(batch_ents));
	for (i = 0; i < KPL_BATCH_MAX + 4; i++) {
		struct kpl_batch_entry *e = &batch_ents[i];

		/* Never a random address: writes land only where harmless. */
		e->addr = rnd_write_addr();
		MEND(e->len, rnd_small(KPL_BATCH_BYTES + 1));
		MEND(e->flags, 0);
		MEND(e->buf, rnd_buf());
		MEND(e->expect, rnd() % 2 ? 0 : rnd_buf());
	}
}

/* Fill the request for @cmd in @arg (at least 512 bytes). */
static void rnd_request(unsigned long cmd, void *arg)
{
	rnd_bytes(arg, 512);
	switch (_IOC_NR(cmd)) {
	case 0x01: {
		struct kpl_attach *a = arg;

		MEND(a->size, sizeof(*a));
		MEND(a->flags, 0);
		MEND(a->reserved, 0);
		MEND(a->pid, (int32_t)rnd_pid());
		/* Never PID 1 with the flag that allows it. */
		if (a->pid == 1)
			a->flags &= ~KPL_ATTACH_F_INIT;
		break;
	}
	case 0x02: {
		struct kpl_stop *s = arg;

		MEND(s->size, sizeof(*s));
		MEND(s->flags, 0);
		MEND(s->pid, target);
		MEND(s->timeout_ms, 1 + rnd() % 20);
		MEND(s->hold_ms, rnd() % 3 ? 0 : rnd() % 50);
		MEND(s->nr_threads_max, rnd_small(64));
		MEND(s->threads, rnd_buf());
		MEND(s->thread_size, rnd() % 2 ?
					     sizeof(struct kpl_thread_regs) :
					     rnd_small(4096));
		if (s->pid == 1)
			s->pid = target;
		break;
	}
	case 0x03: {
		struct kpl_resume *r = arg;

		MEND(r->size, sizeof(*r));
		MEND(r->flags, 0);
		break;
	}
	case 0x04:
	case 0x05: {
		struct kpl_mem *m = arg;

		MEND(m->size, sizeof(*m));
		MEND(m->flags, 0);
		MEND(m->len, rnd_len());
		MEND(m->buf, rnd_buf());
		MEND(m->expect, rnd() % 2 ? 0 : rnd_buf());
		/* Reads may look anywhere, writes only where harmless. */
		if (_IOC_NR(cmd) == 0x05 || rnd() % 4 == 0)
			m->addr = rnd_write_addr();
		else
			m->addr = rnd_addr();
		break;
	}
	case 0x06: {
		struct kpl_map *m = arg;
		uint64_t head;

		MEND(m->size, sizeof(*m));
		MEND(m->flags, 0);
		MEND(m->addr, rnd_addr());
		MEND(m->len, rnd_len());
		MEND(m->prot, rnd() % 8);
		MEND(m->reserved, 0);
		if (rnd() % 4)
			snprintf(m->name, sizeof(m->name), "kpl:fuzz%u",
				 (unsigned int)(rnd() % 4));
		rnd_parts(m);
		/* ABI 2.3's head: none, or pages up to past the limit. */
		head = 4096ull * rnd_small(KPL_MAP_HEAD_MAX / 4096 + 2);
		MEND(m->head, rnd() % 2 ? 0 : head);
		break;
	}
	case 0x07:
	case 0x08: {
		struct kpl_range *r = arg;

		MEND(r->size, sizeof(*r));
		MEND(r->flags, 0);
		MEND(r->addr, rnd_addr());
		MEND(r->len, rnd_len());
		MEND(r->prot, _IOC_NR(cmd) == 0x08 ? 0 : rnd() % 8);
		MEND(r->reserved, 0);
		break;
	}
	case 0x09: {
		struct kpl_guard_add *g = arg;
		const int64_t fds[] = { lib_fd, lib_fd, lib_fd, -1, 0, 1, 1000 };
		unsigned int n = (unsigned int)(rnd() % 80);

		MEND(g->size, sizeof(*g));
		MEND(g->flags, 0);
		MEND(g->lib_fd, (int32_t)fds[rnd() % 7]);
		MEND(g->policy, 1 + rnd() % 3);
		MEND(g->hold_ms, rnd() % 3 ? 0 : rnd() % 1000);
		MEND(g->timeout_policy,
		     g->policy == KPL_GUARD_HOLD ? 2 + rnd() % 2 : 0);
		MEND(g->nr_funcs, rnd() % 2 ? 1 : rnd_small(70));
		/* A window of the offsets, a buffer, or random bytes. */
		if (rnd() % 4) {
			g->offsets = (uintptr_t)&lib_offs[n];
			if (g->nr_funcs > 80 - n)
				g->nr_funcs = 80 - n;
		} else if (rnd() % 2) {
			g->offsets = rnd_buf();
		}
		if (rnd() % 4)
			snprintf(g->patch_id, sizeof(g->patch_id),
				 "FUZZ-%u", (unsigned int)(rnd() % 8));
		break;
	}
	case 0x0b:
		rnd_batch(arg);
		break;
	case 0x0a: {
		struct kpl_guard_del *d = arg;

		MEND(d->size, sizeof(*d));
		MEND(d->flags, 0);
		MEND(d->reserved, 0);
		MEND(d->id, nr_guard_ids && rnd() % 2 ?
				    guard_ids[rnd() % nr_guard_ids] :
				    (uint32_t)(rnd() % 200));
		break;
	}
	}
}

/* A file nobody maps, endbr64 every 64 bytes, for the guards. */
static int make_lib(void)
{
	static uint8_t buf[LIB_LEN];
	size_t i;
	int fd;

	rnd_bytes(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i += 64)
		memcpy(buf + i, "\xf3\x0f\x1e\xfa", 4);
	fd = open(LIB_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return -1;
	for (i = 0; i < 80; i++) {
		/* Mostly good ones, so that some guards get made. */
		const uint64_t offs[] = { (rnd() % (LIB_LEN / 64)) * 64,
					  (rnd() % (LIB_LEN / 64)) * 64,
					  (rnd() % (LIB_LEN / 64)) * 64,
					  (rnd() % (LIB_LEN / 64)) * 64,
					  (rnd() % (LIB_LEN / 64)) * 64,
					  rnd() % LIB_LEN,
					  LIB_LEN - 2,
					  rnd() };

		lib_offs[i] = offs[rnd() % 8];
	}
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long i, ok = 0, stops = 0, bad = 0, restarts = 0, guards;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
				   ku_now_ns() ^ (uint64_t)getpid();
	static uint8_t arg[4096];
	uint64_t t0 = ku_now_ns();
	int fd = -1, nb;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_state = seed ? seed : 1;
	printf("fuzz: %lu iterations, seed 0x%llx\n", iters,
	       (unsigned long long)seed);
	scratch = mmap(NULL, SCRATCH_LEN + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED ||
	    mprotect(scratch + SCRATCH_LEN, 4096, PROT_NONE))
		return 1;
	target_restart();
	lib_fd = make_lib();
	nb = open(KPL_DEVICE_PATH, O_RDONLY | O_NONBLOCK);
	if (lib_fd < 0 || nb < 0)
		return 1;

	for (i = 0; i < iters; i++) {
		unsigned long cmd = rnd_cmd();
		int r;

		if (waitpid(target, NULL, WNOHANG) == target) {
			target = 0;
			target_restart();
			restarts++;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		if (target <= 0) {
			fprintf(stderr, "fuzz: cannot start the target\n");
			return 1;
		}
		if (fd < 0 || rnd() % 64 == 0) {
			if (fd >= 0)
				close(fd);
			fd = ku_open();
			if (fd < 0)
				return 1;
			/* Mostly attached to the target, to get further. */
			if (rnd() % 8)
				ku_attach(fd, target, 0);
		}
		if (rnd() % 32 == 0) {
			/* Events: whatever length, never blocking. */
			ssize_t n = read(nb, scratch, rnd_small(4096));

			if (n < 0 && errno != EAGAIN && errno != EINVAL)
				bad++;
			continue;
		}
		rnd_request(cmd, arg);
		r = ku_ioctl(fd, cmd, arg);
		if (r == 0 && _IOC_NR(cmd) == 0x09 &&
		    nr_guard_ids < sizeof(guard_ids) / sizeof(guard_ids[0]))
			guard_ids[nr_guard_ids++] =
				((struct kpl_guard_add *)arg)->id;
		if (r == 0)
			ok++;
		if (r == 0 && _IOC_NR(cmd) == 0x02)
			stops++;
		if (r > 0 || r < -4095)
			bad++;
	}
	if (fd >= 0)
		close(fd);
	/* Nothing the fuzzer made may outlive it. */
	fd = ku_open();
	for (i = 0; i < nr_guard_ids; i++) {
		struct kpl_guard_del d = { .size = sizeof(d),
					   .id = guard_ids[i] };

		ku_ioctl(fd, KPL_IOC_GUARD_DEL, &d);
	}
	close(fd);
	close(nb);
	close(lib_fd);
	unlink(LIB_PATH);
	guards = nr_guard_ids;

	/*
	 * Whatever happened, nothing may stay stopped after the close: the
	 * target runs, or dies of damage done while it was held (an unmap
	 * of its stack, say) as soon as it is let go.
	 */
	if (target > 0 && waitpid(target, NULL, WNOHANG) == 0) {
		unsigned long a = atomic_load(&target_sh->spins[0]);
		bool ran;

		ku_sleep_ms(50);
		ran = atomic_load(&target_sh->spins[0]) != a;
		if (!ran && waitpid(target, NULL, WNOHANG) == target) {
			printf("fuzz: the target died once released\n");
			target = 0;
			ran = true;
		}
		ku_check(ran, "target runs after the last close");
	}
	ku_check(!bad, "every reply 0 or -errno (%lu odd)", bad);
	printf("fuzz: %lu requests, %lu succeeded (%lu stops, %lu guards), "
	       "target restarted %lu times, %.1f s\n",
	       iters, ok, stops, guards, restarts, (ku_now_ns() - t0) / 1e9);
	kt_stop(target, target_sh);
	return ku_fails ? 1 : 0;
}
