// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the per-thread capstone handle of arch/x86_64.c: closed
 * at the thread's exit, and a thread-exit destructor that runs after
 * that close (another key's, of the program's) and analyses a function
 * gets a working handle, not the closed one (ASan says so otherwise).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"

/* push %rbp; mov %rsp,%rbp; nop; pop %rbp; ret */
static const uint8_t fn[] = { 0x55, 0x48, 0x89, 0xe5, 0x90, 0x90, 0x5d, 0xc3 };

static pthread_key_t late;
static int late_err = 1;

static int analyse(void)
{
	struct kpl_arch_prologue p;
	const char *why = NULL;

	return kpl_arch_analyse(fn, sizeof(fn), 0x401000, &p, &why);
}

/* Runs after arch's own destructor: its key was made first. */
static void late_drop(void *v)
{
	(void)v;
	late_err = analyse();
}

static void *worker(void *arg)
{
	(void)arg;
	if (analyse())
		return (void *)1;
	pthread_setspecific(late, (void *)1);
	return NULL;
}

static void test_cs__destructor_after_close_reopens(void **state)
{
	pthread_t th;
	void *ret;

	(void)state;
	/* arch's key first (its index is lower: its destructor runs first). */
	assert_int_equal(analyse(), 0);
	assert_int_equal(pthread_key_create(&late, late_drop), 0);
	assert_int_equal(pthread_create(&th, NULL, worker, NULL), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_null(ret);
	assert_int_equal(late_err, 0);
	pthread_key_delete(late);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cs__destructor_after_close_reopens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
