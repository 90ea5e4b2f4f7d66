// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer entry point for the .kpl parser.  Built and run briefly by
 * `make check-fuzz` (tests/fuzz/fuzz.mk), seeded with real patches; for
 * a longer run: make fuzz-run FUZZ_SECONDS=3600.
 *
 * A patch that parses must be internally consistent: every index the
 * loader follows is checked again here, so a parser bug that lets a bad
 * index through crashes under ASan instead of passing silently.
 */
#include <stddef.h>
#include <stdint.h>

#include "kpl/log.h"
#include "patch.h"

static int quiet(enum kpl_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void touch(const struct kpl_patch *p)
{
	volatile uint8_t sink = 0;
	size_t i;

	for (i = 0; i < p->nr_sections; i++) {
		const struct kpl_patch_section *s = &p->sections[i];

		sink ^= (uint8_t)s->name[0];
		if (s->data && s->size)
			sink ^= s->data[0] ^ s->data[s->size - 1];
	}
	for (i = 0; i < p->nr_symbols; i++)
		sink ^= (uint8_t)p->symbols[i].name[0];
	for (i = 0; i < p->nr_relocs; i++) {
		const struct kpl_patch_reloc *r = &p->relocs[i];

		sink ^= (uint8_t)p->symbols[r->sym].name[0];
		sink ^= p->sections[r->section]
				.data[r->offset ? r->offset - 1 : 0];
	}
	for (i = 0; i < p->nr_funcs; i++)
		sink ^= (uint8_t)p->symbols[p->funcs[i].new_sym].name[0] ^
			(uint8_t)p->funcs[i].old_name[0] ^
			(uint8_t)p->funcs[i].old_file[0];
	for (i = 0; i < p->nr_refs; i++)
		sink ^= (uint8_t)p->refs[i].name[0] ^
			(uint8_t)p->refs[i].file[0];
	if (p->sig_size)
		sink ^= p->image[p->sig_offset + p->sig_size - 1];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpl_patch *p;

	kpl_set_print(quiet);
	if (kpl_patch__parse(data, size, &p) == 0) {
		touch(p);
		kpl_patch__free(p);
	}
	return 0;
}
