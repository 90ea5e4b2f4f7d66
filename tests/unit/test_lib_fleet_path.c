// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kpl_fleet__library_path() (userland/lib/fleet.c) on a
 * real process: a child that dlopen()s a copy of libspin.so.1, the
 * library build/it/spin_local.kpl (KPL_TEST_SPIN_LOCAL) patches, at a
 * path of our choosing, then has the file deleted under it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_files.h"
#include "kpl/fleet.h"
#include "kpl/patch.h"

static void copy(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY | O_CLOEXEC);
	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* A child that maps @lib (dlopen), stopped in pause() until killed. */
static pid_t child_mapping(const char *lib)
{
	int fds[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		if (!dlopen(lib, RTLD_NOW))
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* The child, ended after each test even when a check failed in it. */
static pid_t child;

static int end(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	child = 0;
	return 0;
}

/*
 * A library replaced on disk has no path to hand out: -ENOENT, whether
 * its path is short or so long that /proc/PID/maps' parsed path
 * (struct kpl_map's 512 bytes) is cut before its " (deleted)".
 */
static void check_deleted(size_t depth)
{
	char dir[PATH_MAX], lib[PATH_MAX], got[512], comp[201];
	struct kpl_patch *p = NULL;
	size_t i;
	pid_t pid;

	assert_int_equal(kpl_patch__open(spin_local_path(), &p), 0);
	snprintf(dir, sizeof(dir), "/tmp/kpl-ut-fleet-XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	snprintf(lib, sizeof(lib), "%s", dir);
	for (i = 0; i < depth; i++) {
		size_t n = strlen(lib);

		snprintf(lib + n, sizeof(lib) - n, "/%s", comp);
		assert_int_equal(mkdir(lib, 0755), 0);
	}
	strncat(lib, "/libspin.so.1", sizeof(lib) - strlen(lib) - 1);
	copy(libspin_path(), lib);
	pid = child = child_mapping(lib);

	/* Mapped and on disk: found. */
	assert_int_equal(kpl_fleet__library_path(p, pid, got, sizeof(got)),
			 0);
	assert_int_equal(strncmp(got, lib, sizeof(got) - 1), 0);
	/* Deleted: no path. */
	assert_int_equal(unlink(lib), 0);
	assert_int_equal(kpl_fleet__library_path(p, pid, got, sizeof(got)),
			 -ENOENT);

	end(NULL);
	for (i = depth; i > 0; i--) {
		*strrchr(lib, '/') = '\0';
		assert_int_equal(rmdir(lib), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	kpl_patch__free(p);
}

static void test_library_path__deleted_short(void **state)
{
	(void)state;
	check_deleted(0);
}

static void test_library_path__deleted_long(void **state)
{
	(void)state;
	check_deleted(3);	/* a path of about 640 bytes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_library_path__deleted_short, end),
		cmocka_unit_test_teardown(test_library_path__deleted_long, end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
