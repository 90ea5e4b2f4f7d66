// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/opts.c: options structs as programs built
 * against older and newer libkpl headers pass them.  An older, smaller
 * struct is read up to its sz (the rest are defaults); a newer, larger
 * one is accepted only when every byte this libkpl does not know is
 * zero; no caller struct is read past its sz.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kpl/fleet.h"
#include "kpl/log.h"
#include "kpl/target.h"
#include "opts.h"

static char logged[512];

static int log_hook(enum kpl_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	vsnprintf(logged, sizeof(logged), fmt, ap);
	return 0;
}

/* kpl_apply_opts as a program built before `stats` existed has it. */
struct apply_opts_v1 {
	size_t sz;
	bool force;
	bool dry_run;
	int timeout_ms;
};

/* kpl_apply_opts as a program built against a later libkpl has it. */
struct apply_opts_next {
	struct kpl_apply_opts cur;
	uint64_t later;
};

static int setup(void **state)
{
	(void)state;
	logged[0] = 0;
	kpl_set_print(log_hook);
	return 0;
}

static void test_opts__null_gives_the_defaults(void **state)
{
	struct kpl_apply_opts o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(kpl_apply_opts_get(NULL, &o), 0);
	assert_int_equal(o.sz, sizeof(o));
	assert_false(o.force);
	assert_false(o.dry_run);
	assert_int_equal(o.timeout_ms, 0);
	assert_null(o.stats);
}

static void test_opts__older_smaller_struct_is_accepted(void **state)
{
	/* A whole page: what lies past the old struct must not be read. */
	static uint8_t page[4096];
	struct apply_opts_v1 *v1 = (void *)(page + sizeof(page) - sizeof(*v1));
	struct kpl_apply_opts o;

	(void)state;
	memset(page, 0xff, sizeof(page));
	memset(v1, 0, sizeof(*v1));
	v1->sz = sizeof(*v1);
	v1->force = true;
	v1->timeout_ms = 1234;
	assert_int_equal(kpl_apply_opts_get((const void *)v1, &o), 0);
	assert_true(o.force);
	assert_false(o.dry_run);
	assert_int_equal(o.timeout_ms, 1234);
	assert_null(o.stats); /* not in the old struct: the default */
}

static void test_opts__larger_struct_with_zero_tail_is_accepted(void **state)
{
	struct apply_opts_next n;
	struct kpl_apply_opts o;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.cur.sz = sizeof(n);
	n.cur.dry_run = true;
	assert_int_equal(kpl_apply_opts_get(&n.cur, &o), 0);
	assert_true(o.dry_run);
	assert_int_equal(o.sz, sizeof(o));
}

static void test_opts__larger_struct_with_garbage_is_refused(void **state)
{
	struct apply_opts_next n;
	struct kpl_apply_opts o;
	char want[96];

	(void)state;
	memset(&n, 0, sizeof(n));
	n.cur.sz = sizeof(n);
	n.later = 1ull << 56; /* only the last byte is set */
	assert_int_equal(kpl_apply_opts_get(&n.cur, &o), -EINVAL);
	snprintf(want, sizeof(want), "struct kpl_apply_opts has sz %zu, and "
		 "byte %zu is not zero", sizeof(n), sizeof(n) - 1);
	assert_non_null(strstr(logged, want));
}

/* What kpl_apply_opts_get() gives is options again (fleet.c passes it
 * on): its padding after perf_map reads as zero. */
static void test_opts__its_own_output_is_valid(void **state)
{
	struct kpl_apply_opts in = { .sz = sizeof(in) }, o, o2;

	(void)state;
	in.perf_map = true;
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(kpl_apply_opts_get(&in, &o), 0);
	assert_true(o.perf_map);
	assert_int_equal(kpl_apply_opts_get(&o, &o2), 0);
	assert_true(o2.perf_map);
}

static void test_opts__sz_smaller_than_sz_is_refused(void **state)
{
	struct kpl_apply_opts in = { .sz = 4 }, o;

	(void)state;
	assert_int_equal(kpl_apply_opts_get(&in, &o), -EINVAL);
	assert_non_null(strstr(logged, "smaller than its sz field"));
}

static void test_opts__valid_checks_only_the_unknown_tail(void **state)
{
	/* Non-zero bytes inside what is known are the caller's values. */
	uint8_t buf[24];

	(void)state;
	memset(buf, 0x11, sizeof(buf));
	assert_true(kpl_opts_valid(buf, 16, 16, "t"));
	assert_true(kpl_opts_valid(buf, 8, 16, "t"));
	assert_false(kpl_opts_valid(buf, 24, 16, "t"));
	memset(buf + 16, 0, 8);
	assert_true(kpl_opts_valid(buf, 24, 16, "t"));
}

static void test_opts__target_open_refuses_garbage(void **state)
{
	struct {
		struct kpl_target_opts cur;
		uint32_t later;
	} n = { .cur = { .sz = sizeof(n) }, .later = 7 };
	struct kpl_target *t = (void *)&n;

	(void)state;
	assert_int_equal(kpl_target__open(getpid(), &n.cur, &t), -EINVAL);
	assert_ptr_equal(t, (void *)&n); /* no output on failure */
	assert_non_null(strstr(logged, "struct kpl_target_opts"));
}

static void test_opts__fleet_refuses_garbage_in_nested_opts(void **state)
{
	struct apply_opts_next a;
	struct kpl_fleet_opts fo = { .sz = sizeof(fo), .apply = &a.cur };
	struct kpl_fleet_result *res = (void *)&fo;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.cur.sz = sizeof(a);
	a.later = 1;
	assert_int_equal(kpl_fleet__revert("x", NULL, 0, &fo, &res), -EINVAL);
	assert_ptr_equal(res, (void *)&fo);
	assert_non_null(strstr(logged, "struct kpl_apply_opts"));
	/* The same options with the new field left alone are fine. */
	a.later = 0;
	assert_int_equal(kpl_fleet__revert("x", NULL, 0, &fo, &res), 0);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_opts__its_own_output_is_valid,
				       setup),
		cmocka_unit_test_setup(test_opts__null_gives_the_defaults,
				       setup),
		cmocka_unit_test_setup(
			test_opts__older_smaller_struct_is_accepted, setup),
		cmocka_unit_test_setup(
			test_opts__larger_struct_with_zero_tail_is_accepted,
			setup),
		cmocka_unit_test_setup(
			test_opts__larger_struct_with_garbage_is_refused,
			setup),
		cmocka_unit_test_setup(test_opts__sz_smaller_than_sz_is_refused,
				       setup),
		cmocka_unit_test_setup(
			test_opts__valid_checks_only_the_unknown_tail, setup),
		cmocka_unit_test_setup(test_opts__target_open_refuses_garbage,
				       setup),
		cmocka_unit_test_setup(
			test_opts__fleet_refuses_garbage_in_nested_opts, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
