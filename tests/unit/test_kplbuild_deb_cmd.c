// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for tools/kpl-build/deb_cmd.c: the build command kpl-build
 * deb hands to sh -c (Debian's whole build, or one narrowed by
 * --rules-target, --make-dir and --make), what it accepts from the
 * command line, and the cache directory each build is kept in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deb.h"
#include "kpl-build.h"
#include "kb_log_fake.h"

static void test_cmd__default_is_debians_whole_build(void **state)
{
	struct kb_deb_cmd c = { 0 };
	char *cmd, *orig;

	(void)state;
	assert_int_equal(kb_deb__cmd(&c, &cmd, &orig), 0);
	assert_string_equal(cmd, "dpkg-buildpackage -T build-arch -uc -us");
	/* the cache an older kpl-build made stays valid */
	assert_string_equal(orig, "orig");
	free(cmd);
	free(orig);
}

static void test_cmd__narrowed(void **state)
{
	struct kb_deb_cmd c = { 0 };
	char *cmd, *orig;

	(void)state;
	setenv("DEB_BUILD_OPTIONS", "nocheck parallel=3", 1);
	assert_int_equal(kb_deb__cmd_add(&c, "rules-target", "configure"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "make-dir", "builddir/main"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "make", "libsqlite3.la"), 0);
	assert_int_equal(
		kb_deb__cmd_add(&c, "make",
				"LIBTOOL=./libtool --tag=disable-static"),
		0);
	assert_int_equal(kb_deb__cmd(&c, &cmd, &orig), 0);
	assert_string_equal(
		cmd,
		"dpkg-buildpackage -T configure -uc -us && "
		"SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -STimestamp)} "
		"dpkg-architecture -c make -j3 '-C' 'builddir/main' "
		"'libsqlite3.la' 'LIBTOOL=./libtool --tag=disable-static'");
	assert_int_equal(strlen(orig), strlen("orig-") + 16);
	assert_memory_equal(orig, "orig-", 5);
	free(cmd);
	free(orig);
	unsetenv("DEB_BUILD_OPTIONS");
}

/*
 * libtiff's: dh's sequence runs dh_autoreconf before the override that
 * configures, which no debian/rules target runs alone.  The orig
 * directory is not the one of the same narrowing without it.
 */
static void test_cmd__dh_commands_run_first(void **state)
{
	struct kb_deb_cmd c = { 0 }, without = { 0 };
	char *cmd, *orig, *cmd2, *orig2;

	(void)state;
	setenv("DEB_BUILD_OPTIONS", "nocheck parallel=2", 1);
	assert_int_equal(kb_deb__cmd_add(&c, "dh", "dh_autoreconf"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "rules-target",
					 "override_dh_auto_configure"),
			 0);
	assert_int_equal(kb_deb__cmd_add(&c, "make-dir", "libtiff"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "make", "libtiff.la"), 0);
	assert_int_equal(kb_deb__cmd(&c, &cmd, &orig), 0);
	assert_string_equal(
		cmd,
		"dpkg-architecture -c 'dh_autoreconf' && "
		"dpkg-buildpackage -T override_dh_auto_configure -uc -us && "
		"SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -STimestamp)} "
		"dpkg-architecture -c make -j2 '-C' 'libtiff' 'libtiff.la'");
	without = c;
	without.nr_dh = 0;
	assert_int_equal(kb_deb__cmd(&without, &cmd2, &orig2), 0);
	assert_string_not_equal(orig, orig2);
	assert_memory_equal(orig, "orig-", 5);
	free(cmd);
	free(orig);
	free(cmd2);
	free(orig2);
	/* alone, it is still a build of its own, not Debian's whole one */
	without = (struct kb_deb_cmd){ 0 };
	assert_int_equal(kb_deb__cmd_add(&without, "dh", "dh_autoreconf"), 0);
	assert_int_equal(kb_deb__cmd(&without, &cmd, &orig), 0);
	assert_string_equal(cmd, "dpkg-architecture -c 'dh_autoreconf' && "
				 "dpkg-buildpackage -T build-arch -uc -us");
	assert_string_not_equal(orig, "orig");
	free(cmd);
	free(orig);
	unsetenv("DEB_BUILD_OPTIONS");
}

/* Another narrowing, another cache directory; the same, the same one. */
static void test_cmd__orig_dir_follows_the_command(void **state)
{
	struct kb_deb_cmd a = { 0 }, b = { 0 };
	char *cmd[3], *orig[3];
	int i;

	(void)state;
	kb_deb__cmd_add(&a, "rules-target", "configure");
	kb_deb__cmd_add(&a, "make", "libsqlite3.la");
	assert_int_equal(kb_deb__cmd(&a, &cmd[0], &orig[0]), 0);
	setenv("DEB_BUILD_OPTIONS", "parallel=7", 1);
	assert_int_equal(kb_deb__cmd(&a, &cmd[1], &orig[1]), 0);
	unsetenv("DEB_BUILD_OPTIONS");
	/* make's jobs change the wall time, not the build */
	assert_string_not_equal(cmd[0], cmd[1]);
	assert_string_equal(orig[0], orig[1]);
	kb_deb__cmd_add(&b, "rules-target", "configure");
	kb_deb__cmd_add(&b, "make", "all");
	assert_int_equal(kb_deb__cmd(&b, &cmd[2], &orig[2]), 0);
	assert_string_not_equal(orig[0], orig[2]);
	for (i = 0; i < 3; i++) {
		free(cmd[i]);
		free(orig[i]);
	}
}

/* What sh makes of the command: make's arguments, each exactly as given. */
static void test_cmd__words_reach_make_as_given(void **state)
{
	static const char *const args[] = { "X=a b", "Y=it's $(HOME) `id`;",
					    "Z=\"q\"\\" };
	struct kb_deb_cmd c = { 0 };
	char *cmd, *orig, *make, *sh, out[512];
	size_t i, n;
	FILE *f;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(kb_deb__cmd_add(&c, "make", args[i]), 0);
	assert_int_equal(kb_deb__cmd(&c, &cmd, &orig), 0);
	make = strstr(cmd, " make -j");
	assert_non_null(make);
	make = strchr(make + 8, ' ');
	assert_true(asprintf(&sh, "printf '%%s|'%s", make) > 0);
	f = popen(sh, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_string_equal(out, "X=a b|Y=it's $(HOME) `id`;|Z=\"q\"\\|");
	free(sh);
	free(cmd);
	free(orig);
}

static void test_cmd_add__bad_words_are_usage_errors(void **state)
{
	static const struct {
		const char *opt, *arg, *says;
	} bad[] = {
		{ "rules-target", "", "is not a debian/rules target name" },
		{ "rules-target", "-f", "is not a debian/rules target name" },
		{ "rules-target", "build arch",
		  "is not a debian/rules target" },
		{ "rules-target", "a;b", "is not a debian/rules target name" },
		{ "rules-target", "/etc/x",
		  "is not a debian/rules target name" },
		{ "rules-target", "a/../../x", "is not a debian/rules target" },
		{ "make-dir", "/etc", "is not a directory inside the source" },
		{ "make-dir", "../x", "is not a directory inside the source" },
		{ "make-dir", "a/../../x", "is not a directory inside" },
		{ "make-dir", "a/..", "is not a directory inside the source" },
		{ "make-dir", "-C", "is not a directory inside the source" },
		{ "make-dir", "a b", "is not a directory inside the source" },
		{ "make", "", "is not a make target or VAR=VALUE" },
		{ "make", "-f/etc/passwd",
		  "is not a make target or VAR=VALUE" },
		{ "make", "--eval=x", "is not a make target or VAR=VALUE" },
		{ "make", "a\nb", "is not a make target or VAR=VALUE" },
		{ "dh", "", "is not a debhelper command name" },
		{ "dh", "autoreconf", "is not a debhelper command name" },
		{ "dh", "dh_", "is not a debhelper command name" },
		{ "dh", "dh_x;id", "is not a debhelper command name" },
		{ "dh", "dh_x y", "is not a debhelper command name" },
		{ "dh", "dh_X", "is not a debhelper command name" },
		{ "dh", "dh_../x", "is not a debhelper command name" },
	};
	struct kb_deb_cmd c = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		last_err[0] = '\0';
		assert_int_equal(kb_deb__cmd_add(&c, bad[i].opt, bad[i].arg),
				 2);
		assert_non_null(strstr(last_err, bad[i].says));
	}
	assert_null(c.rules_target);
	assert_null(c.make_dir);
	assert_int_equal(c.nr_make, 0);
	assert_int_equal(c.nr_dh, 0);
	/* what is fine: dots inside names, a directory named a..b */
	assert_int_equal(kb_deb__cmd_add(&c, "make-dir", "a..b/c.d"), 0);
	assert_int_equal(
		kb_deb__cmd_add(&c, "rules-target", "build/config.status"), 0);
	assert_int_equal(
		kb_deb__cmd_add(&c, "rules-target", "doconfigure-main"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "rules-target",
					 "override_dh_auto_configure"),
			 0);
	assert_int_equal(kb_deb__cmd_add(&c, "dh", "dh_autoreconf"), 0);
}

static void test_cmd_add__at_most_sixteen_make(void **state)
{
	struct kb_deb_cmd c = { 0 };
	int i;

	(void)state;
	for (i = 0; i < KB_DEB_MAKE_MAX; i++)
		assert_int_equal(kb_deb__cmd_add(&c, "make", "x"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "make", "x"), 2);
	assert_non_null(strstr(last_err, "at most 16 --make"));
	for (i = 0; i < KB_DEB_DH_MAX; i++)
		assert_int_equal(kb_deb__cmd_add(&c, "dh", "dh_x"), 0);
	assert_int_equal(kb_deb__cmd_add(&c, "dh", "dh_x"), 2);
	assert_non_null(strstr(last_err, "at most 4 --dh"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd__default_is_debians_whole_build),
		cmocka_unit_test(test_cmd__narrowed),
		cmocka_unit_test(test_cmd__dh_commands_run_first),
		cmocka_unit_test(test_cmd__orig_dir_follows_the_command),
		cmocka_unit_test(test_cmd__words_reach_make_as_given),
		cmocka_unit_test(test_cmd_add__bad_words_are_usage_errors),
		cmocka_unit_test(test_cmd_add__at_most_sixteen_make),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
