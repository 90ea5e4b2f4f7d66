// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for tools/kpl-build/deb_pkg.c: what kpl-build deb accepts
 * as a source package name and version before either reaches apt-get
 * or a cache path, and the cache directory's name.
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

static void test_split__name_and_version(void **state)
{
	const char *name;
	char *version;

	(void)state;
	assert_int_equal(kb_deb__split("zlib=1:1.2.13.dfsg-1", &name, &version),
			 0);
	assert_string_equal(name, "zlib");
	assert_string_equal(version, "1:1.2.13.dfsg-1");
	free(version);
	assert_int_equal(kb_deb__split("libxml2", &name, &version), 0);
	assert_string_equal(name, "libxml2");
	assert_null(version);
	assert_int_equal(kb_deb__split("g++-12=12.2.0-14+deb12u1~1", &name,
				       &version),
			 0);
	assert_string_equal(name, "g++-12");
	free(version);
}

static void test_split__bad_names_are_usage_errors(void **state)
{
	static const char *const bad[] = {
		"",	 "z",	   "Zlib",  "../zlib",
		"-zlib", "zlib/x", "zl ib", "--target=/etc/passwd",
		".zlib",
	};
	const char *name;
	char *version;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		last_err[0] = '\0';
		assert_int_equal(kb_deb__split(bad[i], &name, &version), 2);
		assert_non_null(strstr(last_err,
				       "is not a Debian source package name"));
		assert_null(version);
	}
}

static void test_split__bad_versions_are_usage_errors(void **state)
{
	static const char *const bad[] = {
		"zlib=",       "zlib=x1.0", "zlib=1.0 2",
		"zlib=1/../x", "zlib=-1",   "zlib=1.0\n",
	};
	const char *name;
	char *version;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		last_err[0] = '\0';
		assert_int_equal(kb_deb__split(bad[i], &name, &version), 2);
		assert_non_null(strstr(last_err, "is not a Debian version"));
		assert_null(version);
	}
}

/* No ':' (PATH, make), and nothing dpkg-buildflags would not map. */
static void test_dir_name__epoch_colon_is_escaped(void **state)
{
	char *d = kb_deb__dir_name("zlib", "1:1.2.13.dfsg-1");

	(void)state;
	assert_string_equal(d, "zlib_1_1.2.13.dfsg-1");
	assert_true(kb_deb__mapped_path(d));
	free(d);
	d = kb_deb__dir_name("expat", "2.5.0-1");
	assert_string_equal(d, "expat_2.5.0-1");
	free(d);
	d = kb_deb__dir_name("libxml2", "2.9.14+dfsg-1.3~deb12u6");
	assert_string_equal(d, "libxml2_2.9.14+dfsg-1.3~deb12u6");
	assert_true(kb_deb__mapped_path(d));
	free(d);
}

/* Dpkg::Vendor::Debian's set: [-+:.0-9a-zA-Z~/_]. */
static void test_mapped_path__dpkg_buildflags_set(void **state)
{
	(void)state;
	assert_true(kb_deb__mapped_path("/var/cache/kpl-build/a_1:2+b~c.d"));
	assert_false(kb_deb__mapped_path("/cache/zlib_1%3a1.2.13.dfsg-1"));
	assert_false(kb_deb__mapped_path("/my cache/zlib"));
	assert_false(kb_deb__mapped_path("/cache/a=b"));
	assert_false(kb_deb__mapped_path("/cache/caf\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split__name_and_version),
		cmocka_unit_test(test_split__bad_names_are_usage_errors),
		cmocka_unit_test(test_split__bad_versions_are_usage_errors),
		cmocka_unit_test(test_dir_name__epoch_colon_is_escaped),
		cmocka_unit_test(test_mapped_path__dpkg_buildflags_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
