/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real ELF files the elfobj unit tests read: libspin.so.1 (built by
 * tests/integration/integration.mk; make passes its path in
 * KPL_TEST_LIBSPIN) and the libc the test runs with, and where the
 * dynamic linker puts their symbols.  Include after <cmocka.h>.
 */
#ifndef KPL_TEST_ELF_FILES_H
#define KPL_TEST_ELF_FILES_H

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path make passes in environment variable @name. */
static inline const char *test_env_path(const char *name)
{
	const char *p = getenv(name);

	if (!p || !*p)
		fail_msg("%s is not set: run through `make unit`", name);
	return p;
}

static inline const char *libspin_path(void)
{
	return test_env_path("KPL_TEST_LIBSPIN");
}

/* build/it/spin_local.kpl, a patch (make passes KPL_TEST_SPIN_LOCAL). */
static inline const char *spin_local_path(void)
{
	return test_env_path("KPL_TEST_SPIN_LOCAL");
}

struct libc_info {
	char path[4096];
	uint64_t bias;
};

static inline int find_libc_cb(struct dl_phdr_info *info, size_t size,
			       void *data)
{
	struct libc_info *li = data;
	const char *base = strrchr(info->dlpi_name, '/');

	(void)size;
	base = base ? base + 1 : info->dlpi_name;
	if (strcmp(base, "libc.so.6"))
		return 0;
	snprintf(li->path, sizeof(li->path), "%s", info->dlpi_name);
	li->bias = info->dlpi_addr;
	return 1;
}

/* The libc this very test is linked with, and where it is loaded. */
static inline void find_libc(struct libc_info *li)
{
	memset(li, 0, sizeof(*li));
	if (!dl_iterate_phdr(find_libc_cb, li))
		fail_msg("libc.so.6 is not loaded in the test process");
}

/* Where the dynamic linker puts @name of libspin, minus its load bias. */
static inline uint64_t libspin_dl_value(const char *name)
{
	struct link_map *lm = NULL;
	uint64_t v;
	void *h, *p;

	h = dlopen(libspin_path(), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen %s: %s", libspin_path(), dlerror());
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	p = dlsym(h, name);
	assert_non_null(p);
	v = (uint64_t)(uintptr_t)p - lm->l_addr;
	dlclose(h);
	return v;
}

#endif
