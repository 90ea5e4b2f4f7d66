// SPDX-License-Identifier: GPL-2.0
/*
 * .kpl.vuln (patch_vuln.c): the CVE ids and advisory a patch carries.
 * Each case builds a patch whose .kpl.vuln is wrong in one way and
 * expects the whole patch refused with a message naming what is wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures/kpl_image.h"

static void test_vuln__valid_fields(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_patch__nr_cves(p), 2);
	assert_string_equal(kpl_patch__cve(p, 0), "CVE-2022-37434");
	assert_string_equal(kpl_patch__cve(p, 1), "CVE-2018-25032");
	assert_null(kpl_patch__cve(p, 2));
	assert_string_equal(kpl_patch__advisory(p), "DSA-5218-1");
	assert_string_equal(kpl_patch__advisory_url(p),
			    "https://www.debian.org/security/2022/dsa-5218");
	assert_string_equal(kpl_patch__advisory_text(p),
			    "zlib: heap overflow in inflateGetHeader");
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_vuln__absent_is_empty(void **state)
{
	struct kpl_patch *p = NULL;
	struct ti_spec s;
	struct ti_image im;

	(void)state;
	ti_spec_default(&s);
	s.vuln = false;
	ti_build(&s, &im);
	assert_int_equal(ti_parse(&im, &p), 0);
	assert_int_equal(kpl_patch__nr_cves(p), 0);
	assert_null(kpl_patch__cve(p, 0));
	assert_string_equal(kpl_patch__advisory(p), "");
	assert_string_equal(kpl_patch__advisory_url(p), "");
	assert_string_equal(kpl_patch__advisory_text(p), "");
	kpl_patch__free(p);
	ti_free(&im);
}

static void test_vuln__advisory_or_cves_alone_ok(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.nr_cves = 0;
	ti_expect_spec(&s, 0, NULL);
	ti_spec_default(&s);
	s.advisory = s.url = s.text = "";
	ti_expect_spec(&s, 0, NULL);
}

static void test_cve_valid__syntax(void **state)
{
	(void)state;
	assert_true(kpl_cve_valid("CVE-2022-37434"));
	assert_true(kpl_cve_valid("CVE-1999-0001"));
	assert_true(kpl_cve_valid("CVE-2024-1234567890123456789"));
	assert_false(kpl_cve_valid(NULL));
	assert_false(kpl_cve_valid(""));
	assert_false(kpl_cve_valid("cve-2022-37434"));
	assert_false(kpl_cve_valid("CVE-22-37434"));
	assert_false(kpl_cve_valid("CVE-2022-374"));
	assert_false(kpl_cve_valid("CVE-2022-37a34"));
	assert_false(kpl_cve_valid("CVE-2022-37434 "));
	assert_false(kpl_cve_valid("CVE-2022_37434"));
	assert_false(kpl_cve_valid("CVE-1998-0001"));
	assert_false(kpl_cve_valid("CVE-2022-"));
	assert_false(kpl_cve_valid("CVE-"));
	/* 20 digits: one more than any CVE id will need. */
	assert_false(kpl_cve_valid("CVE-2024-12345678901234567890"));
}

static void test_vuln__bad_cve_ids(void **state)
{
	static const char *const bad[] = {
		"cve-2022-37434",
		"CVE-2022-374",
		"CVE-2022-37434\x1b[2J",
		"CVE-2024-12345678901234567890",
		"",
		"CVE-2022-37434 ",
	};
	struct ti_spec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ti_spec_default(&s);
		s.cves[1] = bad[i];
		ti_expect_spec(&s, -KPL_E_FORMAT, "is not CVE-YYYY-NNNN");
	}
	/* The escape sequence reaches the log escaped, not raw. */
	ti_spec_default(&s);
	s.cves[0] = "CVE-2022-37434\x1b[2J";
	ti_expect_spec(&s, -KPL_E_FORMAT, "CVE-2022-37434\\x1b[2J");
}

static void test_vuln__duplicate_cve(void **state)
{
	struct ti_spec s;

	(void)state;
	ti_spec_default(&s);
	s.cves[1] = s.cves[0];
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "cve id \"CVE-2022-37434\" is listed twice");
}

static void test_vuln__overlong_advisory(void **state)
{
	char id[KPL_ADVISORY_ID_MAX + 2], url[KPL_ADVISORY_URL_MAX + 2];
	char text[KPL_ADVISORY_TEXT_MAX + 2];
	struct ti_spec s;

	(void)state;
	memset(id, 'A', sizeof(id) - 2);
	id[sizeof(id) - 2] = '\0';
	ti_spec_default(&s);
	s.advisory = id; /* exactly 64: the limit */
	ti_expect_spec(&s, 0, NULL);
	id[sizeof(id) - 2] = 'A';
	id[sizeof(id) - 1] = '\0';
	s.advisory = id; /* 65 */
	ti_expect_spec(&s, -KPL_E_FORMAT, "advisory id");

	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "https://", 8);
	url[sizeof(url) - 1] = '\0'; /* 513 */
	ti_spec_default(&s);
	s.url = url;
	ti_expect_spec(&s, -KPL_E_FORMAT, "is not an http(s) URL");
	url[sizeof(url) - 2] = '\0'; /* 512 */
	ti_expect_spec(&s, 0, NULL);

	memset(text, 't', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0'; /* 513 */
	ti_spec_default(&s);
	s.text = text;
	ti_expect_spec(&s, -KPL_E_FORMAT, "advisory text");
}

static void test_vuln__bad_advisory_strings(void **state)
{
	static const char *const urls[] = {
		"javascript:alert(1)", "ftp://x/",	    "https://a b/",
		"https://x/\"onload",  "https://x/\x1b[2J", "https://x/<p>",
	};
	struct ti_spec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		ti_spec_default(&s);
		s.url = urls[i];
		ti_expect_spec(&s, -KPL_E_FORMAT, "advisory url");
	}
	ti_spec_default(&s);
	s.advisory = "DSA 5218";
	ti_expect_spec(&s, -KPL_E_FORMAT, "advisory id");
	ti_spec_default(&s);
	s.text = "two\nlines";
	ti_expect_spec(&s, -KPL_E_FORMAT, "advisory text \"two\\x0alines\"");
}

/* The CVE id is the last string: its NUL is the strtab's last byte. */
static void test_vuln__missing_terminator(void **state)
{
	struct ti_image im;
	struct ti_spec s;
	char *tab;

	(void)state;
	ti_spec_default(&s);
	ti_build(&s, &im);
	tab = ti_data(&im, TI_KSTRTAB);
	assert_string_equal(tab + im.sh[TI_KSTRTAB].sh_size - 15,
			    "CVE-2018-25032");
	tab[im.sh[TI_KSTRTAB].sh_size - 1] = '7';
	ti_expect(&im, -KPL_E_FORMAT, "must start and end with a NUL byte");
	ti_free(&im);
}

static void test_vuln__offset_out_of_bounds(void **state)
{
	struct ti_image im;
	uint32_t *offs;

	(void)state;
	ti_build_default(&im);
	offs = (uint32_t *)((uint8_t *)ti_data(&im, TI_VULN) +
			    sizeof(struct kpl_vuln_disk));
	offs[1] = (uint32_t)im.sh[TI_KSTRTAB].sh_size;
	ti_expect(&im, -KPL_E_FORMAT, "cve id: string offset");
	offs[1] = UINT32_MAX;
	ti_expect(&im, -KPL_E_FORMAT, "cve id: string offset");
	ti_free(&im);

	ti_build_default(&im);
	((struct kpl_vuln_disk *)ti_data(&im, TI_VULN))->url =
		(uint32_t)im.sh[TI_KSTRTAB].sh_size;
	ti_expect(&im, -KPL_E_FORMAT, "advisory url: string offset");
	ti_free(&im);
}

static void test_vuln__size_and_count(void **state)
{
	struct kpl_vuln_disk *v;
	struct ti_image im;
	struct ti_spec s;

	(void)state;
	ti_build_default(&im);
	v = ti_data(&im, TI_VULN);
	v->nr_cves = 3; /* 2 offsets present */
	ti_expect(&im, -KPL_E_FORMAT, "does not match 3 cve ids");
	v->nr_cves = 1; /* one offset too many */
	ti_expect(&im, -KPL_E_FORMAT, "does not match 1 cve ids");
	v->nr_cves = KPL_CVE_MAX + 1;
	ti_expect(&im, -KPL_E_FORMAT, "65 cve ids, at most 64");
	v->nr_cves = UINT32_MAX; /* 4 * n must not wrap */
	ti_expect(&im, -KPL_E_FORMAT, "at most 64");
	v->nr_cves = 2;
	im.sh[TI_VULN].sh_size = sizeof(*v) - 1;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.vuln too short (19 bytes");
	ti_free(&im);

	ti_spec_default(&s);
	s.vuln_flags = 1;
	ti_expect_spec(&s, -KPL_E_FORMAT, "reserved flags 0x1 must be 0");

	ti_spec_default(&s);
	s.nr_cves = 0;
	s.advisory = "";
	ti_expect_spec(&s, -KPL_E_FORMAT,
		       "names neither a cve id nor an advisory");
}

static void test_vuln__section_type(void **state)
{
	struct ti_image im;

	(void)state;
	ti_build_default(&im);
	im.sh[TI_VULN].sh_flags = SHF_ALLOC;
	ti_expect(&im, -KPL_E_FORMAT, ".kpl.vuln must be SHT_PROGBITS");
	ti_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vuln__valid_fields),
		cmocka_unit_test(test_vuln__absent_is_empty),
		cmocka_unit_test(test_vuln__advisory_or_cves_alone_ok),
		cmocka_unit_test(test_cve_valid__syntax),
		cmocka_unit_test(test_vuln__bad_cve_ids),
		cmocka_unit_test(test_vuln__duplicate_cve),
		cmocka_unit_test(test_vuln__overlong_advisory),
		cmocka_unit_test(test_vuln__bad_advisory_strings),
		cmocka_unit_test(test_vuln__missing_terminator),
		cmocka_unit_test(test_vuln__offset_out_of_bounds),
		cmocka_unit_test(test_vuln__size_and_count),
		cmocka_unit_test(test_vuln__section_type),
	};

	return cmocka_run_group_tests(tests, ti_setup, NULL);
}
