// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for tools/kpl-build/cc_log.c: the compiler log that the
 * library's own build can write anything into (read back strictly, or
 * refused whole), and how a recorded compiler command line is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cc_log.h"
#include "kpl-build.h"
#include "kb_log_fake.h"

static char path[] = "/tmp/kpl-cc-log-XXXXXX";

static void write_log(const void *bytes, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	last_err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return 0;
}

#define LOG(s) write_log(s, sizeof(s) - 1)

static void test_cc_log__reads_two_records(void **state)
{
	struct kb_cc_rec *r = NULL;
	size_t nr = 0;

	(void)state;
	LOG("kpl-cc 3\n4 /src\n7 /bin/cc\n2 -c\n3 a.c\n"
	    "kpl-cc 2\n6 /src/b\n7 /bin/cc\n7 a b\nc d\n");
	assert_int_equal(kb_cc_log__read(path, &r, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(r[0].cwd, "/src");
	assert_int_equal(r[0].argc, 3);
	assert_string_equal(r[0].argv[2], "a.c");
	assert_null(r[0].argv[3]);
	/* Blanks and newlines inside an argument are its own bytes. */
	assert_string_equal(r[1].argv[1], "a b\nc d");
	kb_cc_log__free(r, nr);
}

static void test_cc_log__missing_log_is_empty(void **state)
{
	struct kb_cc_rec *r = (void *)1;
	size_t nr = 5;

	(void)state;
	unlink(path);
	assert_int_equal(kb_cc_log__read(path, &r, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(r);
}

static void refused(const char *bytes, size_t n, const char *at)
{
	struct kb_cc_rec *r = NULL;
	size_t nr = 0;

	write_log(bytes, n);
	last_err[0] = '\0';
	assert_int_equal(kb_cc_log__read(path, &r, &nr), 1);
	assert_null(r);
	assert_non_null(strstr(last_err, "is malformed at byte "));
	assert_non_null(strstr(last_err, at));
}

#define REFUSED(s, at) refused(s, sizeof(s) - 1, at)

static void test_cc_log__refuses_malformed(void **state)
{
	static const char nul[] = "kpl-cc 1\n4 /src\n3 a\0b\n";

	(void)state;
	REFUSED("garbage\n", "byte 0:");
	REFUSED("kpl-cc 0\n", "byte 0:");
	/* More arguments than the bound, a 9-digit number, a sign. */
	REFUSED("kpl-cc 65537\n", "byte 0:");
	REFUSED("kpl-cc 000000001\n4 /src\n2 cc\n", "byte 0:");
	REFUSED("kpl-cc -1\n", "byte 0:");
	/* A string longer than the file, or not ended by a newline. */
	REFUSED("kpl-cc 1\n4 /src\n99 cc\n", "byte 0:");
	REFUSED("kpl-cc 1\n4 /src\n2 ccX", "byte 0:");
	/* A relative directory; fewer strings than announced. */
	REFUSED("kpl-cc 1\n3 src\n2 cc\n", "byte 0:");
	REFUSED("kpl-cc 2\n4 /src\n2 cc\n", "byte 0:");
	/* A NUL inside a string. */
	refused(nul, sizeof(nul) - 1, "byte 0:");
	/* A good record, then a cut one: the offset of the bad one. */
	REFUSED("kpl-cc 1\n4 /src\n2 cc\nkpl-cc 1\n4 /sr", "byte 21:");
}

static void test_cc_log__refuses_over_64_mib(void **state)
{
	struct kb_cc_rec *r = NULL;
	size_t nr = 0;

	(void)state;
	assert_int_equal(truncate(path, (off_t)KB_LOG_MAX + 1), 0);
	assert_int_equal(kb_cc_log__read(path, &r, &nr), 1);
	assert_non_null(strstr(last_err, "over 64 MiB"));
}

static void parse(const char *const *argv, struct kb_cc_args *a)
{
	size_t n = 0;

	while (argv[n])
		n++;
	kb_cc_args__parse((char *const *)argv, n, a);
}

static void test_cc_args__libtool_pic_compile(void **state)
{
	static const char *const argv[] = {
		"gcc",	 "-DPACKAGE=\"kbat\"",
		"-I.",	 "-O1",
		"-MT",	 "scale.lo",
		"-MD",	 "-MP",
		"-MF",	 ".deps/scale.Tpo",
		"-c",	 "scale.c",
		"-fPIC", "-DPIC",
		"-o",	 ".libs/scale.o",
		NULL,
	};
	struct kb_cc_args a;

	(void)state;
	parse(argv, &a);
	assert_true(a.compile);
	assert_false(a.shared);
	assert_int_equal(a.src, 11);
	assert_string_equal(a.out, ".libs/scale.o");
}

static void test_cc_args__option_values_are_not_sources(void **state)
{
	/* -MF's and -include's values end in .c: they name no source. */
	static const char *const argv[] = { "cc",	 "-MF", "x.c",
					    "-include",	 "y.c", "-c",
					    "/abs/z.cc", NULL };
	struct kb_cc_args a;

	(void)state;
	parse(argv, &a);
	assert_true(a.compile);
	assert_int_equal(a.nr_srcs, 1);
	assert_int_equal(a.src, 6);
	assert_null(a.out);
}

static void test_cc_args__not_compiles(void **state)
{
	static const char *const pre[] = { "cc", "-E", "-c", "a.c", NULL };
	static const char *const two[] = { "cc", "-c", "a.c", "b.c", NULL };
	static const char *const asm_[] = { "cc", "-c", "a.S", NULL };
	static const char *const link[] = { "cc",  "-shared",	    "-oLIB.so",
					    "a.o", "-Wl,-soname,x", NULL };
	struct kb_cc_args a;

	(void)state;
	parse(pre, &a);
	assert_false(a.compile);
	parse(two, &a);
	assert_false(a.compile);
	assert_int_equal(a.src, 0);
	parse(asm_, &a);
	assert_false(a.compile);
	parse(link, &a);
	assert_false(a.compile);
	assert_true(a.shared);
	assert_string_equal(a.out, "LIB.so");
}

static void test_cc_args__lto_last_word_wins(void **state)
{
	static const char *const on[] = { "cc", "-flto=auto", "-c", "a.c",
					  NULL };
	static const char *const off[] = { "cc", "-flto", "-fno-lto",
					   "-c", "a.c",	  NULL };
	struct kb_cc_args a;

	(void)state;
	parse(on, &a);
	assert_true(a.lto);
	parse(off, &a);
	assert_false(a.lto);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cc_log__reads_two_records,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cc_log__missing_log_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cc_log__refuses_malformed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cc_log__refuses_over_64_mib, setup, teardown),
		cmocka_unit_test(test_cc_args__libtool_pic_compile),
		cmocka_unit_test(test_cc_args__option_values_are_not_sources),
		cmocka_unit_test(test_cc_args__not_compiles),
		cmocka_unit_test(test_cc_args__lto_last_word_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
