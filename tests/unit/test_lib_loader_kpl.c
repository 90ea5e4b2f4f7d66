// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userland/lib/loader.c on patches kpl-build made: lay
 * out and link build/it/spin_local.kpl (make passes its path in
 * KPL_TEST_SPIN_LOCAL) and build/it/spin_unw.kpl (in KPL_TEST_IT_DIR)
 * at BASE with a fake resolver, and follow each relocated field and
 * FDE to where it must point.  The patches built in memory are in
 * test_lib_loader.c.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "elf_files.h"
#include "kpl/patch.h"
#include "loader.h"
#include "loader_fake.h"
#include "patch.h"

static int section_index(const struct kpl_patch *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nr_sections; i++)
		if (!strcmp(p->sections[i].name, name))
			return (int)i;
	fail_msg("no section %s", name);
	return -1;
}

static uint32_t symbol_index(const struct kpl_patch *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nr_symbols; i++)
		if (!strcmp(p->symbols[i].name, name))
			return (uint32_t)i;
	fail_msg("no symbol %s", name);
	return 0;
}

/*
 * spin_local.kpl, as kpl-build made it from spin_local.c: two functions,
 * each in its own section, reading spin_base through the GOT
 * (R_X86_64_REX_GOTPCRELX), and spin_other calling libspin_other.c's
 * static scale (R_X86_64_PLT32 with a file hint).
 */
static void test_load_link__spin_local_kpl(void **state)
{
	const uint64_t lib = BASE - 0x10000000;
	const struct fake_sym syms[] = {
		{ "spin_base", lib + 0x4060 },
		{ "scale", lib + 0x1320 },
	};
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	struct fake f = { syms, 2 };
	struct kpl_patch *p = NULL;
	struct kpl_load *ld = NULL;
	uint64_t got = 0, fn;
	size_t i, nr_got = 0, nr_call = 0;
	int fixed;

	(void)state;
	assert_int_equal(kpl_patch__open(spin_local_path(), &p), 0);
	assert_int_equal(kpl_load__layout(p, STATE, &ld), 0);
	ld->base = BASE;
	assert_ranges_sane(ld);
	/* Code and a GOT; no writable data at all. */
	for (i = 0; i < ld->nr_ranges; i++)
		assert_false(ld->ranges[i].prot & PROT_WRITE);
	assert_int_equal(ld->sec_off[section_index(p, ".comment")], UINT64_MAX);
	assert_int_equal(ld->sec_off[section_index(p, ".note.gnu.property")],
			 UINT64_MAX);

	assert_int_equal(kpl_load__link(ld, p, fake_resolve, &f), 0);
	/* _GLOBAL_OFFSET_TABLE_ is undefined too, but nothing uses it. */
	assert_int_equal(f.nr_asked, 2);
	assert_asked(&f, "spin_base", "");
	assert_asked(&f, "scale", "libspin_other.c");

	for (i = 0; i < p->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &p->relocs[i];
		const char *name = p->symbols[r->sym].name;
		uint64_t P = ld->sec_off[r->section] + r->offset;
		int32_t v;

		assert_int_not_equal(ld->sec_off[r->section], UINT64_MAX);
		memcpy(&v, ld->image + P, sizeof(v));
		if (!strcmp(name, "spin_base")) {
			/* G + A - P: the slot is at P - A + v. */
			uint64_t slot =
				P - (uint64_t)r->addend + (uint64_t)(int64_t)v;

			assert_int_equal(r->type, R_X86_64_REX_GOTPCRELX);
			assert_int_equal(range_of(ld, slot)->prot, PROT_READ);
			assert_int_equal(le64(ld->image + slot), lib + 0x4060);
			/* Both uses share one slot. */
			if (nr_got++)
				assert_int_equal(slot, got);
			got = slot;
		} else {
			/* scale is in reach: called directly. */
			assert_string_equal(name, "scale");
			assert_int_equal(r->type, R_X86_64_PLT32);
			assert_int_equal((int64_t)v,
					 (int64_t)(lib + 0x1320) + r->addend -
						 (int64_t)(BASE + P));
			nr_call++;
		}
	}
	assert_int_equal(nr_got, 2);
	assert_int_equal(nr_call, 1);

	/* The new functions: in the text part, their code copied. */
	fixed = section_index(p, ".text.spin_scale_fixed");
	fn = kpl_load__sym_addr(ld, p, symbol_index(p, "spin_scale_fixed"));
	assert_int_equal(fn, BASE + ld->sec_off[fixed]);
	assert_int_equal(fn % 16, 0);
	assert_int_equal(range_of(ld, fn - BASE)->prot, PROT_READ | PROT_EXEC);
	assert_memory_equal(ld->image + (fn - BASE), endbr64, sizeof(endbr64));
	fn = kpl_load__sym_addr(ld, p, symbol_index(p, "spin_other"));
	assert_int_equal(range_of(ld, fn - BASE)->prot, PROT_READ | PROT_EXEC);
	assert_memory_equal(ld->image + (fn - BASE), endbr64, sizeof(endbr64));

	kpl_load__free(ld);
	kpl_patch__free(p);
}

/*
 * spin_unw.kpl carries its .eh_frame (built with unwind tables): loaded
 * read-only, followed by a zero terminator, its FDEs relocated to the
 * patch's code, and its place where the record's trailer will say.
 */
static void test_load_link__eh_frame_loaded(void **state)
{
	const struct fake_sym syms[] = {
		{ "spin_base", BASE - 0x10000000 + 0x4060 },
		{ "read", BASE - 0x10000000 + 0x9000 },
	};
	struct fake f = { syms, 2 };
	struct kpl_patch *p = NULL;
	struct kpl_load *ld = NULL;
	char path[512];
	const char *dir = getenv("KPL_TEST_IT_DIR");
	uint64_t fn, off, end;
	bool found = false;
	int eh;

	(void)state;
	if (!dir || !*dir)
		fail_msg("KPL_TEST_IT_DIR is not set: run through `make unit`");
	snprintf(path, sizeof(path), "%s/spin_unw.kpl", dir);
	assert_int_equal(kpl_patch__open(path, &p), 0);
	assert_int_equal(kpl_load__layout(p, STATE, &ld), 0);
	ld->base = BASE;
	assert_ranges_sane(ld);
	eh = section_index(p, ".eh_frame");
	assert_true(ld->eh_frame_size > 0);
	assert_int_equal(ld->eh_frame, ld->sec_off[eh]);
	assert_int_equal(ld->eh_frame_size, p->sections[eh].size);
	assert_int_equal(range_of(ld, ld->eh_frame)->prot, PROT_READ);
	end = ld->eh_frame + ld->eh_frame_size;
	assert_int_equal(range_of(ld, end + 3)->prot, PROT_READ);
	assert_int_equal(le32(ld->image + end), 0);

	assert_int_equal(kpl_load__link(ld, p, fake_resolve, &f), 0);
	fn = kpl_load__sym_addr(ld, p, symbol_index(p, "spin_scale_waits"));
	/* Each FDE's pc_begin (pcrel sdata4, at +8) is in the patch's code,
	 * and one of them starts spin_scale_waits. */
	for (off = ld->eh_frame; off < end; off += 4 + le32(ld->image + off)) {
		uint64_t pc;

		if (!le32(ld->image + off + 4))
			continue; /* a CIE */
		pc = BASE + off + 8 +
		     (uint64_t)(int64_t)(int32_t)le32(ld->image + off + 8);
		assert_int_equal(range_of(ld, pc - BASE)->prot,
				 PROT_READ | PROT_EXEC);
		found |= pc == fn;
	}
	assert_true(found);
	kpl_load__free(ld);
	kpl_patch__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_link__eh_frame_loaded),
		cmocka_unit_test(test_load_link__spin_local_kpl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
