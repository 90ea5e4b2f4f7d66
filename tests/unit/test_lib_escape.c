// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/escape.c: bytes in, escaped text out.  The
 * inputs are what a hostile process puts in a memfd name or a record:
 * terminal escapes, C1 controls, bytes that are not UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kpl/escape.h"

static void expect(const void *in, size_t n, bool json, const char *want)
{
	char buf[KPL_ESCAPE_MAX(64)];

	assert_true(n <= 64);
	assert_string_equal(kpl_escape(buf, sizeof(buf), in, n, json), want);
}

static void test_escape__text_keeps_printable_ascii(void **state)
{
	(void)state;
	expect("libspin.so.1 v2 (x)", 19, false, "libspin.so.1 v2 (x)");
}

static void test_escape__text_shows_controls_as_hex(void **state)
{
	/* ESC ] 0 ; o BEL ESC [ 3 1 m: set the title, then red. */
	static const uint8_t in[] = { 'E', 0x1b, ']', '0', ';', 'o', 0x07,
				      0x1b, '[', '3', '1', 'm', 'V' };

	(void)state;
	expect(in, sizeof(in), false, "E\\x1b]0;o\\x07\\x1b[31mV");
}

static void test_escape__text_shows_del_c1_and_high_bytes(void **state)
{
	/* DEL, CSI as one C1 byte, "é" in UTF-8, a stray 0xff, NUL. */
	static const uint8_t in[] = { 0x7f, 0x9b, 0xc3, 0xa9, 0xff, 0x00 };

	(void)state;
	expect(in, sizeof(in), false, "\\x7f\\x9b\\xc3\\xa9\\xff\\x00");
}

static void test_escape__text_doubles_backslash(void **state)
{
	(void)state;
	/* Else a name "\x1b" would print like an escaped ESC. */
	expect("a\\x1b", 5, false, "a\\\\x1b");
}

static void test_escape__json_quotes_and_controls(void **state)
{
	static const uint8_t in[] = { '"', '\\', '\n', 0x1b, 0x7f, 'a' };

	(void)state;
	expect(in, sizeof(in), true, "\\\"\\\\\\u000a\\u001b\\u007fa");
}

static void test_escape__json_utf8_as_code_points(void **state)
{
	/* é (c3 a9), € (e2 82 ac), U+1F600 (f0 9f 98 80), CSI U+009B. */
	static const uint8_t in[] = { 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0,
				      0x9f, 0x98, 0x80, 0xc2, 0x9b };

	(void)state;
	expect(in, sizeof(in), true,
	       "\\u00e9\\u20ac\\ud83d\\ude00\\u009b");
}

static void test_escape__json_bad_utf8_is_replaced(void **state)
{
	static const uint8_t in[] = {
		0xff,			/* never in UTF-8 */
		0xc3,			/* lead byte, then ASCII */
		'x',
		0xc0, 0xaf,		/* overlong '/' */
		0xed, 0xa0, 0x80,	/* a surrogate, U+D800 */
		0xf4, 0x90, 0x80, 0x80,	/* above U+10FFFF */
		0xe2, 0x82,		/* cut short at the end */
	};

	(void)state;
	expect(in, sizeof(in), true,
	       "\\ufffd\\ufffdx\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	       "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
}

static void test_escape__worst_case_fits_the_bound(void **state)
{
	uint8_t in[64];
	char buf[KPL_ESCAPE_MAX(sizeof(in))];

	(void)state;
	memset(in, 0xff, sizeof(in));
	kpl_escape(buf, sizeof(buf), in, sizeof(in), true);
	assert_int_equal(strlen(buf), 6 * sizeof(in));
	kpl_escape(buf, sizeof(buf), in, sizeof(in), false);
	assert_int_equal(strlen(buf), 4 * sizeof(in));
}

static void test_escape__cut_at_a_whole_escape(void **state)
{
	static const uint8_t in[] = { 'a', 'b', 0x1b, 'c', 'd', 'e', 'f' };
	char buf[9];

	(void)state;
	/* "ab\x1b" is 6, "..." 3 more: 9 with the NUL does not fit. */
	kpl_escape(buf, sizeof(buf), in, sizeof(in), false);
	assert_string_equal(buf, "ab...");
	memset(buf, 'z', sizeof(buf));
	kpl_escape(buf, 3, in, sizeof(in), false);
	assert_string_equal(buf, "");
	/* Exactly enough for all of it: no "...". */
	kpl_escape(buf, 8, "abcdefg", 7, false);
	assert_string_equal(buf, "abcdefg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape__text_keeps_printable_ascii),
		cmocka_unit_test(test_escape__text_shows_controls_as_hex),
		cmocka_unit_test(test_escape__text_shows_del_c1_and_high_bytes),
		cmocka_unit_test(test_escape__text_doubles_backslash),
		cmocka_unit_test(test_escape__json_quotes_and_controls),
		cmocka_unit_test(test_escape__json_utf8_as_code_points),
		cmocka_unit_test(test_escape__json_bad_utf8_is_replaced),
		cmocka_unit_test(test_escape__worst_case_fits_the_bound),
		cmocka_unit_test(test_escape__cut_at_a_whole_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
