// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Validating a patch record read from a target (state.h).  A process can
 * forge a "/memfd:kpl:" mapping with any bytes in it, so the record is
 * checked field by field before a byte of it is trusted: a length used to
 * read into a buffer, a count used to index, a string printed, an address
 * written to.  The rules are what apply.c writes, no looser.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "ehframe.h"
#include "internal.h"
#include "maps.h"
#include "state.h"

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -KPL_E_STATE;
}

/* A NUL within @n bytes, and no control character before it. */
static bool text_ok(const char *s, size_t n, bool empty_ok)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return i < n && (empty_ok || i > 0);
}

/* What a patch id may be (patch.c refuses any other). */
static bool id_ok(const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	return len > 0 && len <= KPL_ID_MAX && len < n &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* [@lo, @lo+@len) inside one executable mapping of a file. */
static bool in_text(const struct kpl_maps *m, uint64_t lo, uint64_t len)
{
	size_t i;

	for (i = 0; i < m->nr; i++) {
		const struct kpl_map *v = &m->v[i];

		if (lo < v->start || lo >= v->end || len > v->end - lo)
			continue;
		return (v->prot & PROT_EXEC) && v->inode && v->path[0] == '/' &&
		       strncmp(v->path, KPL_STATE_PREFIX,
			       strlen(KPL_STATE_PREFIX));
	}
	return false;
}

static int check_func(const struct kpl_state *st, uint32_t i,
		      const struct kpl_state_where *w, char *why, size_t wl)
{
	const struct kpl_state_func *f = &st->funcs[i];

	if (f->len < 1 || f->len > KPL_STATE_BYTES)
		return bad(why, wl, "function %u: length %u not in 1..%d", i,
			   f->len, KPL_STATE_BYTES);
	if (!memchr(f->name, '\0', sizeof(f->name)))
		return bad(why, wl, "function %u: name not terminated", i);
	if (f->addr < f->entry || f->size > UINT64_MAX - f->entry ||
	    f->addr - f->entry > f->size ||
	    f->len > f->entry + f->size - f->addr)
		return bad(why, wl,
			   "function %u: patched bytes outside the "
			   "function",
			   i);
	if (w->maps && !in_text(w->maps, f->addr, f->len))
		return bad(why, wl,
			   "function %u: 0x%llx is not in a "
			   "library's executable text",
			   i, (unsigned long long)f->addr);
	if (f->new_addr < st->text_lo || f->new_addr >= st->text_hi)
		return bad(why, wl,
			   "function %u: new code 0x%llx outside the "
			   "patch's text",
			   i, (unsigned long long)f->new_addr);
	return 0;
}

int kpl_state__check(const struct kpl_state *st, size_t len,
		     const struct kpl_state_where *w, char *why, size_t why_len)
{
	uint32_t i;
	int err;

	if (len < sizeof(*st))
		return bad(why, why_len, "record truncated (%zu bytes)", len);
	if (memcmp(st->magic, KPL_STATE_MAGIC, sizeof(st->magic)))
		return bad(why, why_len, "bad magic");
	/* Version 2 marks a retired record, so that an older kpl, which
	 * knows only version 1, leaves it alone. */
	if (st->version != KPL_STATE_VERSION &&
	    !(st->version == KPL_STATE_VERSION_RETIRED &&
	      st->phase == KPL_PHASE_RETIRED))
		return bad(why, why_len, "version %u", st->version);
	if (st->phase < KPL_PHASE_PREPARED || st->phase > KPL_PHASE_RETIRED ||
	    (st->phase == KPL_PHASE_RETIRED &&
	     st->version != KPL_STATE_VERSION_RETIRED))
		return bad(why, why_len, "unknown phase %u", st->phase);
	if (st->nr_funcs < 1 || st->nr_funcs > KPL_STATE_MAX_FUNCS ||
	    KPL_STATE_SIZE((size_t)st->nr_funcs) > len)
		return bad(why, why_len,
			   "function count %u not in 1..%d or "
			   "beyond the record",
			   st->nr_funcs, KPL_STATE_MAX_FUNCS);
	if (!id_ok(st->id, sizeof(st->id)))
		return bad(why, why_len, "invalid patch id");
	if (!text_ok(st->description, sizeof(st->description), true) ||
	    !text_ok(st->soname, sizeof(st->soname), false) ||
	    !text_ok(st->backend, sizeof(st->backend), false))
		return bad(why, why_len,
			   "description, soname or backend not "
			   "a terminated string of printable characters");
	if (st->build_id_len < 1 || st->build_id_len > KPL_BUILD_ID_MAX)
		return bad(why, why_len, "build-id length %u",
			   st->build_id_len);
	if (st->flags & ~KPL_PATCH_F_ALL)
		return bad(why, why_len, "unknown flags 0x%x", st->flags);
	if (st->base != w->base || !st->size || st->size > w->extent)
		return bad(why, why_len,
			   "record says it spans 0x%llx+0x%llx, "
			   "the mapping is 0x%llx+0x%llx",
			   (unsigned long long)st->base,
			   (unsigned long long)st->size,
			   (unsigned long long)w->base,
			   (unsigned long long)w->extent);
	if (KPL_STATE_SIZE((size_t)st->nr_funcs) > st->size ||
	    st->text_lo < st->base || st->text_lo >= st->text_hi ||
	    st->text_hi > st->base + st->size)
		return bad(why, why_len, "patch text outside its mapping");
	for (i = 0; i < st->nr_funcs; i++) {
		err = check_func(st, i, w, why, why_len);
		if (err)
			return err;
	}
	return 0;
}

int kpl_state__check_unwind(const struct kpl_state *st,
			    const struct kpl_state_unwind *u, char *why,
			    size_t why_len)
{
	uint64_t end = st->base + st->size;

	if (memcmp(u->magic, KPL_STATE_UNWIND_MAGIC, sizeof(u->magic)))
		return bad(why, why_len, "no unwind trailer");
	if (!u->eh_frame && !u->eh_frame_size)
		return u->eh_area || u->eh_stub ?
			bad(why, why_len, "unwind registration without a table") : 0;
	/* The read-only part follows the code (loader.h). */
	if (!u->eh_frame_size || u->eh_frame_size > KPL_EH_FRAME_MAX ||
	    u->eh_frame < st->text_hi || u->eh_frame >= end ||
	    u->eh_frame_size + 4 > end - u->eh_frame)
		return bad(why, why_len,
			   "unwind table 0x%llx+0x%llx outside the patch's "
			   "read-only data",
			   (unsigned long long)u->eh_frame,
			   (unsigned long long)u->eh_frame_size);
	if (!u->eh_area && !u->eh_stub)
		return 0;
	if (u->eh_area < st->text_hi || u->eh_area >= end ||
	    sizeof(struct kpl_eh_area) > end - u->eh_area ||
	    u->eh_stub < st->text_lo || u->eh_stub >= st->text_hi ||
	    KPL_ARCH_MARK_STUB_LEN > st->text_hi - u->eh_stub)
		return bad(why, why_len,
			   "unwind registration area 0x%llx or stub 0x%llx "
			   "outside the patch's data or code",
			   (unsigned long long)u->eh_area,
			   (unsigned long long)u->eh_stub);
	return 0;
}

void kpl_state__set_unwind(struct kpl_state *st, uint64_t eh_frame,
			   uint64_t size, uint64_t eh_area, uint64_t eh_stub)
{
	struct kpl_state_unwind *u = (void *)((uint8_t *)st +
					      KPL_STATE_SIZE(st->nr_funcs));

	memset(u, 0, sizeof(*u));
	memcpy(u->magic, KPL_STATE_UNWIND_MAGIC, sizeof(u->magic));
	u->eh_frame = eh_frame;
	u->eh_frame_size = size;
	u->eh_area = eh_area;
	u->eh_stub = eh_stub;
}
