// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for tools/kpl-build/ar.c: the member names of a static
 * archive, which kpl-build follows when a shared library's link takes
 * the build's own objects from one (expat's libexpatinternal.a).  The
 * archives are written here byte by byte: GNU short names, the "//"
 * long-name table, the symbol table, odd sizes padded; and broken ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "build.h"
#include "kb_log_fake.h"

/* One member: a 60-byte header, the data, a pad byte to an even size. */
static void member(FILE *f, const char *name, const char *data, size_t len)
{
	fprintf(f, "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", name, "0", "0", "0",
		"644", len);
	fwrite(data, 1, len, f);
	if (len & 1)
		fputc('\n', f);
}

static char *write_ar(const char *magic, void (*body)(FILE *f))
{
	static char path[] = "/tmp/kpl-test-ar.XXXXXX";
	int fd;
	FILE *f;

	strcpy(path + sizeof(path) - 7, "XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	fputs(magic, f);
	body(f);
	fclose(f);
	return path;
}

static void gnu_body(FILE *f)
{
	static const char names[] = "a_rather_long_object_name.o/\n";

	member(f, "/", "\0\0\0\0", 4); /* the symbol table: no member */
	member(f, "//", names, sizeof(names) - 1);
	member(f, "xmlparse.o/", "ELF", 3); /* odd: padded */
	member(f, "/0", "ELF!", 4);
	member(f, "xmltok.o/", "", 0);
}

static void test_members__gnu_names_and_long_names(void **state)
{
	char *path = write_ar("!<arch>\n", gnu_body), **names;
	size_t nr, i;

	(void)state;
	assert_int_equal(kb_ar__members(path, &names, &nr), 0);
	assert_int_equal(nr, 3);
	assert_string_equal(names[0], "xmlparse.o");
	assert_string_equal(names[1], "a_rather_long_object_name.o");
	assert_string_equal(names[2], "xmltok.o");
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	unlink(path);
}

static void thin_body(FILE *f)
{
	static const char names[] = "sub/one.o/\n";

	member(f, "//", names, sizeof(names) - 1);
	/* a thin archive's members are not stored: no data follows */
	fprintf(f, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", "/0", "0", "0", "0", "644",
		1234);
	fprintf(f, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", "two.o/", "0", "0", "0",
		"644", 77);
}

static void test_members__thin_archive(void **state)
{
	char *path = write_ar("!<thin>\n", thin_body), **names;
	size_t nr;

	(void)state;
	assert_int_equal(kb_ar__members(path, &names, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(names[0], "sub/one.o");
	assert_string_equal(names[1], "two.o");
	free(names[0]);
	free(names[1]);
	free(names);
	unlink(path);
}

static void bad_index_body(FILE *f)
{
	member(f, "//", "x.o/\n", 5);
	member(f, "/999", "ELF", 3); /* past the name table */
}

static void bad_header_body(FILE *f)
{
	fputs("x.o/            0           0     0     644     12345678901XX",
	      f);
}

static void test_members__refuses_broken_archives(void **state)
{
	char *path, **names = (char **)1;
	size_t nr = 7;

	(void)state;
	path = write_ar("!<arch>\n", bad_index_body);
	assert_int_equal(kb_ar__members(path, &names, &nr), 1);
	assert_null(names);
	assert_int_equal(nr, 0);
	assert_non_null(strstr(last_err, "outside the name table"));
	unlink(path);

	path = write_ar("!<arch>\n", bad_header_body);
	assert_int_equal(kb_ar__members(path, &names, &nr), 1);
	assert_non_null(strstr(last_err, "malformed member header"));
	unlink(path);

	path = write_ar("ELF\n\n\n\n\n", bad_index_body);
	assert_int_equal(kb_ar__members(path, &names, &nr), 1);
	assert_non_null(strstr(last_err, "is not an ar archive"));
	unlink(path);

	assert_int_equal(kb_ar__members("/nonexistent/x.a", &names, &nr), 1);
	assert_non_null(strstr(last_err, "cannot read the archive"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members__gnu_names_and_long_names),
		cmocka_unit_test(test_members__thin_archive),
		cmocka_unit_test(test_members__refuses_broken_archives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
