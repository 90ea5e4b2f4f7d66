// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/maps.c: kpl_maps__read() on this process's
 * own /proc/self/maps, and kpl_maps__gap() on made-up address spaces.
 * Every range kpl_maps__gap() returns is checked against the whole map:
 * page aligned, clear of every mapping by a guard page, inside the user
 * address space, and each of its bytes within rel32 reach of each byte
 * of the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "maps.h"

#define PAGE 0x1000ull
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define REACH (2 * GIB)
/* The end of the user address space (4-level page tables). */
#define TOP 0x7ffffffff000ull
#define VSYSCALL 0xffffffffff600000ull

/* Where the made-up libraries live. */
#define LIB 0x7f0000000000ull

struct range {
	uint64_t start, end;
};

static struct kpl_maps *maps_new(const struct range *r, size_t n)
{
	struct kpl_maps *m = calloc(1, sizeof(*m) + n * sizeof(m->v[0]));
	size_t i;

	assert_non_null(m);
	for (i = 0; i < n; i++) {
		m->v[i].start = r[i].start;
		m->v[i].end = r[i].end;
		m->v[i].prot = PROT_READ;
	}
	m->nr = n;
	return m;
}

/* |a - b| for addresses. */
static uint64_t dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* What every answer must be, whatever gap it picked. */
static void assert_gap_sane(const struct kpl_maps *m, uint64_t lo, uint64_t hi,
			    size_t len, uint64_t a)
{
	uint64_t end = a + ((len + PAGE - 1) & ~(PAGE - 1));
	size_t i;

	assert_int_equal(a % PAGE, 0);
	assert_true(a >= MIB);
	assert_true(end > a && end <= TOP);
	/* Outside the library's own span, holes included. */
	assert_true(end <= lo || a >= hi);
	for (i = 0; i < m->nr; i++)
		if (a < m->v[i].end + PAGE && m->v[i].start < end + PAGE)
			fail_msg("[0x%llx, 0x%llx) overlaps or abuts mapping "
				 "[0x%llx, 0x%llx)",
				 (unsigned long long)a, (unsigned long long)end,
				 (unsigned long long)m->v[i].start,
				 (unsigned long long)m->v[i].end);
	/* The farthest pairs of bytes are the ends. */
	assert_true(dist(a, lo) < REACH && dist(a, hi - 1) < REACH);
	assert_true(dist(end - 1, lo) < REACH && dist(end - 1, hi - 1) < REACH);
}

static uint64_t expect_gap(const struct range *r, size_t n, uint64_t lo,
			   uint64_t hi, size_t len)
{
	struct kpl_maps *m = maps_new(r, n);
	uint64_t a = 0;

	assert_int_equal(kpl_maps__gap(m, lo, hi, len, &a), 0);
	assert_gap_sane(m, lo, hi, len, a);
	free(m);
	return a;
}

static void expect_no_gap(const struct range *r, size_t n, uint64_t lo,
			  uint64_t hi, size_t len)
{
	struct kpl_maps *m = maps_new(r, n);
	uint64_t a = 0x1234;

	assert_int_equal(kpl_maps__gap(m, lo, hi, len, &a), -ENOMEM);
	assert_int_equal(a, 0x1234);
	free(m);
}

#define N(r) (sizeof(r) / sizeof((r)[0]))

static void test_maps_gap__above_library(void **state)
{
	/* A library of three mappings, free space right above it. */
	static const struct range r[] = {
		{ 0x555555554000, 0x555555556000 }, /* the executable */
		{ LIB, LIB + 0x5000 }, /* r--p */
		{ LIB + 0x5000, LIB + 0x20000 }, /* r-xp */
		{ LIB + 0x20000, LIB + 0x24000 }, /* rw-p */
		{ LIB + 4 * GIB, LIB + 4 * GIB + PAGE },
		{ 0x7ffffffde000, TOP }, /* [stack] */
	};

	(void)state;
	/* The first page above is a guard. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x24000, 0x3000),
			 LIB + 0x25000);
	/* Lengths are rounded up to pages. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x24000, 1),
			 LIB + 0x25000);
}

static void test_maps_gap__closest_gap_that_fits(void **state)
{
	/* Above the library: a 2-page hole, a 3-page hole, then room. */
	static const struct range r[] = {
		{ LIB, LIB + 0x10000 },
		{ LIB + 0x12000, LIB + 0x13000 },
		{ LIB + 0x16000, LIB + 0x17000 },
		{ LIB + 0x40000, LIB + 0x41000 },
	};

	(void)state;
	/* One page needs a guard on each side: the 3-page hole. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x10000, PAGE),
			 LIB + 0x14000);
	/* Two pages do not fit there: after the next mapping. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x10000, 2 * PAGE),
			 LIB + 0x18000);
}

static void test_maps_gap__hole_inside_library_not_used(void **state)
{
	/* A library with a 1 GiB hole between its mappings. */
	static const struct range r[] = {
		{ LIB, LIB + 0x10000 },
		{ LIB + GIB, LIB + GIB + 0x10000 },
		{ LIB + GIB + 0x20000, LIB + 8 * GIB },
	};

	(void)state;
	/* Not in the hole; above is full, so below. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + GIB + 0x10000, 0x10000),
			 LIB - PAGE - 0x10000);
}

static void test_maps_gap__below_when_above_full(void **state)
{
	static const struct range r[] = {
		{ LIB - 4 * GIB, LIB - 3 * GIB },
		{ LIB, LIB + 0x20000 },
		/* Everything up to 3 GiB above the library is taken. */
		{ LIB + 0x20000, LIB + 3 * GIB },
		{ LIB + 3 * GIB + 0x10000, LIB + 4 * GIB },
	};

	(void)state;
	/* The last page below is a guard: the range ends under it. */
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x20000, 0x8000),
			 LIB - PAGE - 0x8000);
}

static void test_maps_gap__below_when_above_out_of_reach(void **state)
{
	static const struct range r[] = {
		{ LIB - 2 * MIB, LIB - MIB },
		{ LIB, LIB + 0x20000 },
		/* The first hole above is 2 GiB away. */
		{ LIB + 0x20000, LIB + REACH },
	};

	(void)state;
	assert_int_equal(expect_gap(r, N(r), LIB, LIB + 0x20000, 0x8000),
			 LIB - PAGE - 0x8000);
}

static void test_maps_gap__nothing_in_reach(void **state)
{
	static const struct range full[] = {
		{ LIB - 3 * GIB, LIB },
		{ LIB, LIB + 0x20000 },
		{ LIB + 0x20000, LIB + 3 * GIB },
	};
	/* Free space, but only just beyond 2 GiB on either side. */
	static const struct range far[] = {
		{ LIB - 4 * GIB, LIB - 4 * GIB + PAGE },
		{ LIB - REACH + 0x20000, LIB },
		{ LIB, LIB + 0x20000 },
		{ LIB + 0x20000, LIB + REACH },
		{ LIB + 4 * GIB, LIB + 4 * GIB + PAGE },
	};
	/* Small holes near the library, too small for the patch. */
	static const struct range small[] = {
		{ LIB - 3 * GIB, LIB - 0x3000 },
		{ LIB, LIB + 0x20000 },
		{ LIB + 0x23000, LIB + 3 * GIB },
	};

	(void)state;
	expect_no_gap(full, N(full), LIB, LIB + 0x20000, PAGE);
	expect_no_gap(far, N(far), LIB, LIB + 0x20000, PAGE);
	expect_no_gap(small, N(small), LIB, LIB + 0x20000, 2 * PAGE);
	/* A page fits between the guards of the holes in small. */
	expect_gap(small, N(small), LIB, LIB + 0x20000, PAGE);
}

/*
 * Reach is from every byte of the library to every byte of the patch:
 * for a library spanning 1.5 GiB, a patch right above it must still be
 * within 2 GiB of its first byte.
 */
static void test_maps_gap__reach_from_both_ends(void **state)
{
	const uint64_t hi = LIB + 3 * GIB / 2;
	const struct range r[] = {
		{ LIB - 8 * GIB, LIB - 7 * GIB },
		{ LIB, hi },
		{ LIB + 8 * GIB, LIB + 9 * GIB },
	};
	const size_t room = REACH - (hi + PAGE - LIB);

	(void)state;
	/* Fits above with its last byte at 2 GiB - 1 from LIB. */
	assert_int_equal(expect_gap(r, N(r), LIB, hi, room - PAGE), hi + PAGE);
	/* One page more reaches neither above nor below. */
	expect_no_gap(r, N(r), LIB, hi, room);
	expect_no_gap(r, N(r), LIB, hi, GIB);
}

/* Never at the bottom of the address space. */
static void test_maps_gap__not_below_1mib(void **state)
{
	/* A non-PIE executable at 0x400000, all above it taken. */
	static const struct range r[] = {
		{ 0x400000, 0x401000 },
		{ 0x401000, 0x400000 + 3 * GIB },
	};

	(void)state;
	assert_int_equal(expect_gap(r, N(r), 0x400000, 0x401000, PAGE),
			 0x400000 - 2 * PAGE);
	/* 3 MiB would have to start at 0xff000. */
	expect_no_gap(r, N(r), 0x400000, 0x401000, 3 * MIB);
}

/*
 * [vsyscall] is listed last, at 0xffffffffff600000: the space between
 * the stack and it is not user space, however free it looks.
 */
static void test_maps_gap__not_above_user_space(void **state)
{
	static const struct range r[] = {
		{ 0x7fff00000000, 0x7fff10000000 },
		{ 0x7fffe0000000, 0x7ffff0000000 }, /* the library */
		{ 0x7ffff0000000, 0x7ffffffde000 },
		{ 0x7ffffffde000, TOP }, /* [stack] */
		{ VSYSCALL, VSYSCALL + PAGE }, /* [vsyscall] */
	};

	(void)state;
	assert_int_equal(expect_gap(r, N(r), 0x7fffe0000000, 0x7ffff0000000,
				    0x10000),
			 0x7fffe0000000 - PAGE - 0x10000);
	/* Nor when the library ends at the top itself. */
	expect_gap(r, N(r), 0x7ffffffde000, TOP, 0x10000);
}

static void test_maps_read__self(void **state)
{
	static int data_in_bss;
	char exe[PATH_MAX];
	struct kpl_maps *m = NULL;
	uint64_t code = (uint64_t)(uintptr_t)&test_maps_read__self;
	uint64_t bss = (uint64_t)(uintptr_t)&data_in_bss;
	uint64_t stack = (uint64_t)(uintptr_t)&m;
	bool found_code = false, found_bss = false, found_stack = false;
	struct stat st;
	ssize_t n;
	size_t i;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(stat(exe, &st), 0);

	assert_int_equal(kpl_maps__read(getpid(), &m), 0);
	assert_true(m->nr > 4);
	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i];

		assert_true(v->start < v->end);
		assert_int_equal(v->start % PAGE, 0);
		assert_int_equal(v->end % PAGE, 0);
		/* Sorted, never overlapping. */
		if (i)
			assert_true(m->v[i - 1].end <= v->start);
		assert_null(strchr(v->path, '\n'));
		if (code >= v->start && code < v->end) {
			assert_string_equal(v->path, exe);
			assert_int_equal(v->inode, st.st_ino);
			assert_int_equal(v->prot, PROT_READ | PROT_EXEC);
			found_code = true;
		}
		if (bss >= v->start && bss < v->end) {
			assert_true(v->prot & PROT_WRITE);
			assert_false(v->prot & PROT_EXEC);
			found_bss = true;
		}
		if (stack >= v->start && stack < v->end) {
			assert_int_equal(v->prot, PROT_READ | PROT_WRITE);
			found_stack = true;
		}
	}
	assert_true(found_code);
	assert_true(found_bss);
	/* ASan may move locals to a fake stack; only check when found. */
	(void)found_stack;
	kpl_maps__free(m);
}

/* A mapped file named with spaces keeps its whole name. */
static void test_maps_read__path_with_spaces(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct kpl_maps *m = NULL;
	char path[PATH_MAX];
	bool found = false;
	void *p;
	size_t i;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/kpl maps test XXXXXX",
		 tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, PAGE), 0);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);

	assert_int_equal(kpl_maps__read(getpid(), &m), 0);
	for (i = 0; i < m->nr; i++) {
		if (m->v[i].start != (uint64_t)(uintptr_t)p)
			continue;
		assert_string_equal(m->v[i].path, path);
		assert_int_equal(m->v[i].prot, PROT_READ);
		assert_int_equal(m->v[i].offset, 0);
		found = true;
	}
	assert_true(found);
	kpl_maps__free(m);
	munmap(p, PAGE);
	close(fd);
	unlink(path);
}

/*
 * Lay out memfd @name as a patch with --perf-map is: page 0 from offset
 * 0, page 1 anonymous, page 2 from offset @off2; return the middle
 * page's line as kpl_maps__read() gives it.
 */
static struct kpl_map middle_of(const char *name, off_t off2)
{
	struct kpl_maps *m = NULL;
	struct kpl_map got = { 0 };
	uint8_t *p;
	size_t i;
	int fd = memfd_create(name, MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * PAGE), 0);
	p = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_true(mmap(p + PAGE, PAGE, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) == p + PAGE);
	assert_true(mmap(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, fd, off2) == p + 2 * PAGE);
	close(fd);
	assert_int_equal(kpl_maps__read(getpid(), &m), 0);
	for (i = 0; i < m->nr; i++)
		if (m->v[i].start == (uint64_t)(uintptr_t)(p + PAGE))
			got = m->v[i];
	kpl_maps__free(m);
	munmap(p, 3 * PAGE);
	assert_int_equal(got.start, (uint64_t)(uintptr_t)(p + PAGE));
	return got;
}

/* A patch's anonymous text reads as its memfd's, at the offset between. */
static void test_maps_read__anonymous_text_of_a_patch(void **state)
{
	struct kpl_map v;

	(void)state;
	v = middle_of("kpl:UNIT-1", 2 * PAGE);
	assert_string_equal(v.path, "/memfd:kpl:UNIT-1 (deleted)");
	assert_true(v.inode != 0);
	assert_int_equal(v.offset, PAGE);
	assert_int_equal(v.prot, PROT_READ | PROT_EXEC);
}

/* Not another memfd's, nor one whose offsets do not follow on. */
static void test_maps_read__other_anonymous_memory_stays(void **state)
{
	struct kpl_map v;

	(void)state;
	v = middle_of("jit:UNIT-1", 2 * PAGE);
	assert_string_equal(v.path, "");
	assert_int_equal(v.inode, 0);
	v = middle_of("kpl:UNIT-1", 3 * PAGE);
	assert_string_equal(v.path, "");
	assert_int_equal(v.inode, 0);
}

static void test_maps_read__no_such_process(void **state)
{
	struct kpl_maps *m = (struct kpl_maps *)&m;
	long pid_max = 0;
	FILE *f;

	(void)state;
	/* pid_max itself is never a pid. */
	f = fopen("/proc/sys/kernel/pid_max", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	assert_int_equal(kpl_maps__read((pid_t)pid_max, &m), -ESRCH);
	assert_ptr_equal(m, (struct kpl_maps *)&m);
}

static void test_maps_free__null(void **state)
{
	(void)state;
	kpl_maps__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_gap__above_library),
		cmocka_unit_test(test_maps_gap__closest_gap_that_fits),
		cmocka_unit_test(test_maps_gap__hole_inside_library_not_used),
		cmocka_unit_test(test_maps_gap__below_when_above_full),
		cmocka_unit_test(test_maps_gap__below_when_above_out_of_reach),
		cmocka_unit_test(test_maps_gap__nothing_in_reach),
		cmocka_unit_test(test_maps_gap__reach_from_both_ends),
		cmocka_unit_test(test_maps_gap__not_below_1mib),
		cmocka_unit_test(test_maps_gap__not_above_user_space),
		cmocka_unit_test(test_maps_read__self),
		cmocka_unit_test(test_maps_read__path_with_spaces),
		cmocka_unit_test(test_maps_read__anonymous_text_of_a_patch),
		cmocka_unit_test(test_maps_read__other_anonymous_memory_stays),
		cmocka_unit_test(test_maps_read__no_such_process),
		cmocka_unit_test(test_maps_free__null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
