// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/perfmap.c: the lines kpl writes to
 * perf-PID.map and takes back out, in a directory of the test's own, and
 * the files it must never write: a symbolic link, a hard link, a FIFO,
 * a file of another user.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "perfmap.h"

struct fx {
	char dir[64], path[PATH_MAX];
	struct kpl_perfmap_where w;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/kpl-perfmap-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->w = (struct kpl_perfmap_where){ f->dir, 4242, getuid(), getgid() };
	snprintf(f->path, sizeof(f->path), "%s/perf-4242.map", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const struct kpl_perfmap_sym syms[] = {
	{ 0x7f0000001000, 0x20, "f" },
	{ 0x7f0000001020, 0, "_ZN1a1bEv" },
};

static void test_perfmap_add__makes_the_file_with_one_line_each(void **state)
{
	struct fx *f = *state;
	struct stat sb;

	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 2), 0);
	assert_string_equal(slurp(f->path),
			    "7f0000001000 20 kpl:P-1:f\n"
			    "7f0000001020 1 kpl:P-1:_ZN1a1bEv\n");
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(sb.st_uid, getuid());
}

static void test_perfmap_add__appends_to_a_jit_s_file(void **state)
{
	struct fx *f = *state;

	put(f->path, "1000 10 jit_fn\n");
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), 0);
	assert_string_equal(slurp(f->path),
			    "1000 10 jit_fn\n7f0000001000 20 kpl:P-1:f\n");
}

static void test_perfmap_add__names_keep_to_one_line(void **state)
{
	static const struct kpl_perfmap_sym evil = { 0x1000, 8,
						     "a b\nc\x1b[31m\xff" };
	struct fx *f = *state;

	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", &evil, 1), 0);
	assert_string_equal(slurp(f->path), "1000 8 kpl:P-1:a?b?c?[31m?\n");
}

static void test_perfmap_add__never_follows_a_symlink(void **state)
{
	struct fx *f = *state;
	char victim[PATH_MAX];

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	put(victim, "precious\n");
	assert_int_equal(symlink(victim, f->path), 0);
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), -ELOOP);
	assert_int_equal(kpl_perfmap__remove(&f->w, "P-1"), -ELOOP);
	assert_string_equal(slurp(victim), "precious\n");
	/* A dangling one is not made through either. */
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), -ELOOP);
	assert_int_equal(access(victim, F_OK), -1);
}

static void test_perfmap_add__refuses_a_hard_link(void **state)
{
	struct fx *f = *state;
	char other[PATH_MAX];

	snprintf(other, sizeof(other), "%s/other", f->dir);
	put(other, "precious\n");
	assert_int_equal(link(other, f->path), 0);
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), -EPERM);
	assert_string_equal(slurp(other), "precious\n");
}

static void test_perfmap_add__refuses_a_fifo(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), -EPERM);
}

static void test_perfmap_add__refuses_another_user_s_file(void **state)
{
	struct fx *f = *state;

	put(f->path, "precious\n");
	/* Root owns it here, so as root make it a third user's. */
	if (!geteuid())
		assert_int_equal(chown(f->path, 12345, 12345), 0);
	f->w.uid = geteuid() ? geteuid() + 1 : 54321;
	assert_int_equal(kpl_perfmap__add(&f->w, "P-1", syms, 1), -EPERM);
	assert_int_equal(kpl_perfmap__remove(&f->w, "P-1"), -EPERM);
	assert_string_equal(slurp(f->path), "precious\n");
}

static void test_perfmap_remove__only_that_patch_s_lines(void **state)
{
	struct fx *f = *state;

	put(f->path, "1000 10 jit_fn\n"
		     "2000 10 kpl:P-1:f\n"
		     "3000 10 kpl:P-10:f\n"
		     "4000 10 kpl:P-1:g\n"
		     "5000 10 jit kpl:P-1:h\n"
		     "no newline kpl:P-1:");
	assert_int_equal(kpl_perfmap__remove(&f->w, "P-1"), 0);
	assert_string_equal(slurp(f->path), "1000 10 jit_fn\n"
					    "3000 10 kpl:P-10:f\n"
					    "5000 10 jit kpl:P-1:h\n");
}

static void test_perfmap_remove__no_file_is_nothing_to_do(void **state)
{
	struct fx *f = *state;

	assert_int_equal(kpl_perfmap__remove(&f->w, "P-1"), 0);
	assert_int_equal(access(f->path, F_OK), -1);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_perfmap_add__makes_the_file_with_one_line_each),
		T(test_perfmap_add__appends_to_a_jit_s_file),
		T(test_perfmap_add__names_keep_to_one_line),
		T(test_perfmap_add__never_follows_a_symlink),
		T(test_perfmap_add__refuses_a_hard_link),
		T(test_perfmap_add__refuses_a_fifo),
		T(test_perfmap_add__refuses_another_user_s_file),
		T(test_perfmap_remove__only_that_patch_s_lines),
		T(test_perfmap_remove__no_file_is_nothing_to_do),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
