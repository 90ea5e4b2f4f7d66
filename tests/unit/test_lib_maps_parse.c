// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_maps__parse() (userland/lib/maps.c): lines as the
 * kernel prints them in /proc/PID/maps, lines it never prints (refused),
 * a path too long for struct kpl_map (cut), and every line of this
 * process's own maps read as sscanf() reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "maps.h"

#define VSYSCALL 0xffffffffff600000ull

/* kpl_maps__parse() on lines as the kernel prints them. */
static void test_maps_parse__kernel_lines(void **state)
{
	struct kpl_map v;

	(void)state;
	assert_int_equal(kpl_maps__parse("7f3a1c200000-7f3a1c228000 r-xp "
					  "00028000 fe:01 1835094            "
					  "        /usr/lib/libc.so.6\n", &v), 0);
	assert_int_equal(v.start, 0x7f3a1c200000ull);
	assert_int_equal(v.end, 0x7f3a1c228000ull);
	assert_int_equal(v.prot, PROT_READ | PROT_EXEC);
	assert_int_equal(v.offset, 0x28000);
	assert_int_equal(v.dev_major, 0xfe);
	assert_int_equal(v.dev_minor, 1);
	assert_int_equal(v.inode, 1835094);
	assert_string_equal(v.path, "/usr/lib/libc.so.6");
	assert_false(v.cut);
	/* Anonymous, with and without the padding; a name with spaces;
	 * a device of three hex digits; the top of the address space. */
	assert_int_equal(kpl_maps__parse("1000-2000 rw-p 00000000 00:00 0\n",
					  &v), 0);
	assert_string_equal(v.path, "");
	assert_int_equal(v.prot, PROT_READ | PROT_WRITE);
	assert_int_equal(kpl_maps__parse("1000-2000 ---p 00000000 00:00 0   "
					  "   \n", &v), 0);
	assert_string_equal(v.path, "");
	assert_int_equal(v.prot, 0);
	assert_int_equal(kpl_maps__parse("1000-2000 r--s 00000000 103:2 9 "
					  "/tmp/a b (deleted)\n", &v), 0);
	assert_string_equal(v.path, "/tmp/a b (deleted)");
	assert_int_equal(v.dev_major, 0x103);
	assert_int_equal(kpl_maps__parse("ffffffffff600000-ffffffffff601000 "
					  "--xp 00000000 00:00 0    [vsyscall]",
					  &v), 0);
	assert_int_equal(v.start, VSYSCALL);
	assert_string_equal(v.path, "[vsyscall]");
}

/* Anything else is refused, and a long name is cut. */
static void test_maps_parse__refused_and_cut(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"1000 2000 r--p 00000000 00:00 0\n",
		"1000-2000 r--p\n",
		"1000-2000 r-p 00000000 00:00 0\n",
		"1000-2000 r--pp 00000000 00:00 0\n",
		"11111111111111111-2000 r--p 00000000 00:00 0\n",
		"1000-2000 r--p 00000000 0000:x 0\n",
		"1000-2000 r--p 00000000 00:00 18446744073709551616\n",
		"1000-2000 r--p 00000000 00:00 12x /a\n",
		"1000-2000 r--p 0x000000 00:00 0\n",
	};
	char line[1024];
	struct kpl_map v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kpl_maps__parse(bad[i], &v), -EINVAL);
	i = (size_t)snprintf(line, sizeof(line), "1000-2000 r--p 00000000 "
			     "00:00 18446744073709551615 /");
	memset(line + i, 'x', 700);
	strcpy(line + i + 700, "\n");
	assert_int_equal(kpl_maps__parse(line, &v), 0);
	assert_int_equal(v.inode, UINT64_MAX);
	assert_true(v.cut);
	assert_int_equal(strlen(v.path), sizeof(v.path) - 1);
	assert_int_equal(v.path[0], '/');
}

/* Every line of our own maps parses as sscanf() reads it. */
static void test_maps_parse__as_sscanf_on_self(void **state)
{
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;
	FILE *f;

	(void)state;
	f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		uint64_t start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		struct kpl_map v;
		int at = 0;

		assert_int_equal(sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %"
					SCNx64 " %x:%x %" SCNu64 " %n", &start,
					&end, perms, &off, &maj, &min, &ino,
					&at), 7);
		assert_int_equal(kpl_maps__parse(line, &v), 0);
		assert_int_equal(v.start, start);
		assert_int_equal(v.end, end);
		assert_int_equal(v.offset, off);
		assert_int_equal(v.dev_major, maj);
		assert_int_equal(v.dev_minor, min);
		assert_int_equal(v.inode, ino);
		assert_int_equal(v.prot, (perms[0] == 'r' ? PROT_READ : 0) |
					 (perms[1] == 'w' ? PROT_WRITE : 0) |
					 (perms[2] == 'x' ? PROT_EXEC : 0));
		assert_int_equal(strncmp(v.path, line + at, strlen(v.path)),
				 0);
		assert_true(line[at + strlen(v.path)] == '\n' ||
			    !line[at + strlen(v.path)]);
		lines++;
	}
	free(line);
	fclose(f);
	assert_true(lines > 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_parse__kernel_lines),
		cmocka_unit_test(test_maps_parse__refused_and_cut),
		cmocka_unit_test(test_maps_parse__as_sscanf_on_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
