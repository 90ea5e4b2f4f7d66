// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Apply and revert.  Everything that can be prepared with the process
 * running is: the patch region is mapped, filled and protected before
 * the stop, so the stop only checks and writes the entry jumps.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "arch.h"
#include "eh_reg.h"
#include "kpl/escape.h"
#include "internal.h"
#include "loader.h"
#include "opts.h"
#include "perfmap.h"
#include "patch.h"
#include "patch_image.h"
#include "share.h"
#include "txn.h"

struct plan {
	struct kpl_obj *lib;
	struct kpl_load *ld;
	struct kpl_state *st;	/* inside ld->image */
	bool mapped;
};

struct kpl_found *kpl_found__by_id(struct kpl_target *t, const char *id)
{
	size_t i;

	/* A retired record is leftover code, no longer a patch. */
	for (i = 0; i < t->nr_found; i++)
		if (t->found[i].st->phase != KPL_PHASE_RETIRED &&
		    !strcmp(t->found[i].st->id, id))
			return &t->found[i];
	return NULL;
}

struct kpl_found *kpl_found__owner(struct kpl_target *t, uint64_t addr,
				   const uint8_t *cur, uint32_t len)
{
	size_t i, j;

	for (i = 0; i < t->nr_found; i++) {
		struct kpl_state *st = t->found[i].st;

		if (st->phase != KPL_PHASE_APPLIED)
			continue;
		for (j = 0; j < st->nr_funcs; j++)
			if (st->funcs[j].addr == addr &&
			    st->funcs[j].len == len &&
			    !memcmp(st->funcs[j].jump, cur, len))
				return &t->found[i];
	}
	return NULL;
}

static int check_target(struct kpl_target *t, const struct kpl_patch *patch,
			struct kpl_obj **libp)
{
	char want[2 * KPL_BUILD_ID_MAX + 1], have[2 * KPL_BUILD_ID_MAX + 1];
	char path[KPL_ESCAPE_MAX(sizeof(((struct kpl_obj *)0)->path))];
	struct kpl_obj *lib;
	struct kpl_found *f;

	if (kpl_pid_is_kpl(t->pid)) {
		pr_warn("apply: pid %d is kpl or kpld, which is never "
			"patched\n", t->pid);
		return -EPERM;
	}
	if (patch->nr_funcs > KPL_STATE_MAX_FUNCS) {
		pr_warn("apply: patch %s has %zu functions, more than the %d "
			"a record holds\n", patch->id, patch->nr_funcs,
			KPL_STATE_MAX_FUNCS);
		return -KPL_E_FORMAT;
	}
	lib = kpl_target__find_lib(t, patch->target_soname);
	if (!lib) {
		pr_warn("apply: %s is not loaded in pid %d\n",
			patch->target_soname, t->pid);
		return -KPL_E_NO_TARGET;
	}
	if (lib->elf->build_id_len != patch->build_id_len ||
	    memcmp(lib->elf->build_id, patch->build_id, patch->build_id_len)) {
		kpl_hex(patch->build_id, patch->build_id_len, want);
		kpl_hex(lib->elf->build_id, lib->elf->build_id_len, have);
		pr_warn("apply: build-id mismatch for %s in pid %d: patch wants "
			"%s, process has %s\n",
			kpl_escape_str(path, sizeof(path), lib->path), t->pid, want,
			have[0] ? have : "(none)");
		return -KPL_E_BUILD_ID;
	}
	f = kpl_found__by_id(t, patch->id);
	if (f) {
		pr_warn("apply: patch %s is already %s in pid %d\n", patch->id,
			kpl_phase_name(f->st->phase), t->pid);
		return -KPL_E_APPLIED;
	}
	*libp = lib;
	return 0;
}

/* Find and analyse old function @i; sf->orig gets the file's bytes. */
static int plan_func(const struct kpl_patch *patch, struct plan *pl, size_t i)
{
	const struct kpl_patch_func *pf = &patch->funcs[i];
	struct kpl_state_func *sf = &pl->st->funcs[i];
	struct kpl_elf *elf = pl->lib->elf;
	struct kpl_elf_sym sym, *s = &sym;
	struct kpl_arch_prologue pro;
	uint8_t *code;
	char path[KPL_ESCAPE_MAX(sizeof(pl->lib->path))];
	char name[KPL_ESCAPE_MAX(sizeof(sf->name))];
	const char *why = NULL;
	int err;

	/* Names come from the patch, the path from the process's maps. */
	kpl_escape_str(path, sizeof(path), pl->lib->path);
	kpl_escape_str(name, sizeof(name), pf->old_name);
	/* By name, or at the address .kpl.addr gives (patch_addr.c). */
	err = kpl_patch__find_func(patch, i, elf, pl->lib->path, &sym);
	if (err)
		return err;
	if (s->type != STT_FUNC || (pf->old_size && s->size != pf->old_size)) {
		pr_warn("apply: '%s' in %s is %s\n", name, path,
			s->type != STT_FUNC ? "not a function"
					    : "not the size the patch expects");
		return -KPL_E_SYMBOL;
	}
	code = malloc(s->size ? s->size : 1);
	if (!code)
		return -ENOMEM;
	err = kpl_share__elf_read(elf, s->value, code, s->size);
	if (!err)
		err = kpl_share__analyse(code, s->size,
					 pl->lib->bias + s->value, &pro, &why);
	if (err) {
		pr_warn("apply: cannot patch '%s': %s\n", name,
			why ? why : kpl_strerror(err));
		free(code);
		return err == -KPL_E_RANGE ? -KPL_E_FORMAT : err;
	}
	sf->entry = pl->lib->bias + s->value;
	sf->addr = sf->entry + pro.skip;
	sf->size = s->size;
	sf->len = (uint32_t)pro.patch_len;
	snprintf(sf->name, sizeof(sf->name), "%s", pf->old_name);
	memcpy(sf->orig, code + pro.skip, sf->len);
	free(code);
	return 0;
}

/*
 * Read every entry, in one read of the span they lie in, and check that
 * each holds the file's bytes or a known patch's jump.  A replace patch
 * restores the file's bytes on revert, any other what it found.
 */
static int plan_entries(struct kpl_target *t, const struct kpl_patch *patch,
			struct plan *pl)
{
	char name[KPL_ESCAPE_MAX(sizeof(pl->st->funcs[0].name))];
	struct kpl_span span;
	size_t i;
	int err;

	kpl_span__init(&span);
	for (i = 0; i < patch->nr_funcs; i++)
		kpl_span__add(&span, pl->st->funcs[i].addr,
			      pl->st->funcs[i].len);
	kpl_proc__span_read(t->proc, &span);
	for (i = 0; i < patch->nr_funcs; i++) {
		struct kpl_state_func *sf = &pl->st->funcs[i];

		err = kpl_proc__span_get(t->proc, &span, sf->addr, sf->prev,
					 sf->len);
		if (err)
			return err;
		if (memcmp(sf->prev, sf->orig, sf->len) &&
		    !kpl_found__owner(t, sf->addr, sf->prev, sf->len)) {
			pr_warn("apply: entry of '%s' in pid %d holds bytes "
				"that are neither the library's nor a known "
				"patch's\n", kpl_escape_str(name, sizeof(name),
							    sf->name), t->pid);
			return -KPL_E_MISMATCH;
		}
		if (!(patch->flags & KPL_PATCH_F_REPLACE))
			memcpy(sf->orig, sf->prev, sf->len);
	}
	return 0;
}

static int fill_state(struct kpl_target *t, const struct kpl_patch *patch,
		      struct plan *pl)
{
	struct kpl_state *st = pl->st;
	struct timespec now;
	uint64_t seq = 0;
	size_t i;

	for (i = 0; i < t->nr_found; i++)
		if (t->found[i].st->seq >= seq)
			seq = t->found[i].st->seq + 1;
	memcpy(st->magic, KPL_STATE_MAGIC, 8);
	st->version = KPL_STATE_VERSION;
	st->phase = KPL_PHASE_PREPARED;
	snprintf(st->id, sizeof(st->id), "%s", patch->id);
	snprintf(st->description, sizeof(st->description), "%s",
		 patch->description);
	snprintf(st->soname, sizeof(st->soname), "%s", patch->target_soname);
	snprintf(st->backend, sizeof(st->backend), "%s", kpl_proc__backend_name(t->proc));
	memcpy(st->build_id, patch->build_id, patch->build_id_len);
	st->build_id_len = (uint32_t)patch->build_id_len;
	st->patch_version = patch->version;
	st->flags = patch->flags;
	st->nr_funcs = (uint32_t)patch->nr_funcs;
	st->lib_base = pl->lib->bias;
	clock_gettime(CLOCK_REALTIME, &now);
	st->applied_ns = (uint64_t)now.tv_sec * 1000000000ull +
			 (uint64_t)now.tv_nsec;
	st->seq = seq;
	return 0;
}

/* Choose the region's address (@head bytes free below it for its image
 * page), link, and encode the jumps. */
static int plan_place(struct kpl_target *t, const struct kpl_patch *patch,
		      struct plan *pl, uint64_t avoid, size_t head)
{
	struct kpl_resolve_ctx rc = { t, pl->lib, patch };
	char path[KPL_ESCAPE_MAX(sizeof(pl->lib->path))];
	struct kpl_state *st = pl->st;
	uint64_t base;
	size_t i, len;
	int err;

	err = kpl_maps__gap(t->maps, pl->lib->lo, pl->lib->hi,
			    pl->ld->size + avoid + head, &base);
	if (err) {
		pr_warn("apply: no free address range within 2 GiB of %s in "
			"pid %d\n", kpl_escape_str(path, sizeof(path),
						    pl->lib->path), t->pid);
		return -KPL_E_RANGE;
	}
	pl->ld->base = base + avoid + head;
	if (pl->ld->need_modid || pl->ld->need_tpoff) {
		err = kpl_target__tls(t, pl->lib, &pl->ld->tls);
		if (err)
			return err;
	}
	err = kpl_load__link(pl->ld, patch, kpl_target__resolve, &rc);
	if (err)
		return err;
	st->base = pl->ld->base;
	st->size = pl->ld->size;
	st->text_lo = st->base + pl->ld->ranges[1].off;
	st->text_hi = st->text_lo + pl->ld->ranges[1].len;
	kpl_eh__place(st, pl->ld);
	for (i = 0; i < patch->nr_funcs; i++) {
		struct kpl_state_func *sf = &st->funcs[i];

		sf->new_addr = kpl_load__sym_addr(pl->ld, patch,
						  patch->funcs[i].new_sym);
		err = kpl_arch_encode_jump(sf->addr, sf->new_addr, sf->jump,
					   &len);
		if (err || len != sf->len) {
			char name[KPL_ESCAPE_MAX(sizeof(sf->name))];

			pr_warn("apply: '%s' cannot reach its new version\n",
				kpl_escape_str(name, sizeof(name), sf->name));
			return -KPL_E_RANGE;
		}
	}
	return 0;
}

/*
 * Map the region with its final protections, then fill it, while the
 * process runs.  The fill goes through FOLL_FORCE (/proc/PID/mem or
 * access_process_vm), which breaks COW into read-only private pages, so
 * no page is ever W+X and nothing needs an mprotect afterwards.
 */
static int plan_map(struct kpl_target *t, const struct kpl_patch *patch,
		    struct plan *pl, bool perf_map)
{
	struct kpl_map_range r[KPL_ARRAY_SIZE(pl->ld->ranges)] = { 0 };
	char name[KPL_ID_MAX + 8];
	uint64_t avoid = 0;
	size_t i, head = 0;
	void *page = NULL;
	int err, tries;

	snprintf(name, sizeof(name), "kpl:%s", patch->id);
	for (i = 0; i < pl->ld->nr_ranges; i++) {
		r[i].off = pl->ld->ranges[i].off;
		r[i].len = pl->ld->ranges[i].len;
		r[i].prot = pl->ld->ranges[i].prot;
	}
	if (perf_map)
		kpl_perfmap__anon_text(t, patch->id, r, pl->ld->nr_ranges);
	/* The image page's bytes are relative to it: placed once, the
	 * same wherever the region goes. */
	err = plan_place(t, patch, pl, 0, 0);
	if (!err && !kpl_proc__maps_head(t->proc))
		pr_info("apply: patch %s: backend %s maps no image page (the "
			"kernel module does from ABI 2.3): eu-stack will not "
			"name its frames\n",
			patch->id, kpl_proc__backend_name(t->proc));
	else if (!err &&
		 kpl_patch_image__page(pl->st, pl->ld->image, &page, &head))
		pr_info("apply: patch %s: no image page: eu-stack will not name its frames\n",
			patch->id);
	for (tries = 0; !err; tries++) {
		err = plan_place(t, patch, pl, avoid, head);
		if (!err)
			err = kpl_proc__map(t->proc, pl->ld->base,
					    pl->ld->size, head, name, r,
					    pl->ld->nr_ranges);
		if (err != -EEXIST || tries == 3)
			break;
		/* Someone mapped there meanwhile: look again, further. */
		avoid += pl->ld->size + (1 << 20);
		kpl_target__set_maps(t, NULL);
		err = kpl_maps__read(t->pid, &t->maps);
		if (!err)
			kpl_target__set_maps(t, t->maps);
	}
	if (!err) {
		pl->mapped = true;
		err = kpl_proc__write(t->proc, pl->ld->base, pl->ld->image,
				      pl->ld->size);
	}
	if (!err && page)
		err = kpl_proc__write(t->proc, pl->ld->base - head, page, head);
	free(page);
	return err;
}

/* Older patches of the same library that a replace patch takes out. */
static int plan_replace(struct kpl_target *t, struct plan *pl,
			struct kpl_txn *x)
{
	struct kpl_state *st = pl->st;
	size_t i, j, k;
	int err;

	for (i = 0; i < t->nr_found; i++) {
		struct kpl_found *f = &t->found[i];

		if (f->st->phase != KPL_PHASE_APPLIED ||
		    strcmp(f->st->soname, st->soname))
			continue;
		err = kpl_txn__add_mark(x, f, KPL_PHASE_APPLIED,
					KPL_PHASE_REPLACED);
		if (!err) {
			x->marks[x->nr_marks - 1].kept = KPL_PHASE_RETIRED;
			err = kpl_txn__add_busy(x, f->st->text_lo,
						f->st->text_hi, f->st->id);
		}
		if (!err)
			err = kpl_txn__add_keepout(x, f->st->text_lo,
						   f->st->text_hi, f->st->id);
		if (err)
			return err;
		for (j = 0; j < f->st->nr_funcs; j++) {
			struct kpl_state_func *of = &f->st->funcs[j];
			bool covered = false;

			for (k = 0; k < st->nr_funcs; k++)
				covered |= st->funcs[k].addr == of->addr;
			for (k = 0; k < x->nr_w; k++)
				covered |= x->w[k].addr == of->addr;
			if (covered)
				continue;
			/* Records are in apply order: the first one to
			 * touch an address saved the library's bytes. */
			uint8_t cur[KPL_STATE_BYTES];

			err = kpl_proc__read(t->proc, of->addr, cur, of->len);
			if (!err)
				err = kpl_txn__add_write(x, of->addr, of->len,
							 cur, of->orig,
							 of->name);
			if (err)
				return err;
		}
	}
	return 0;
}

static int apply_verified(struct kpl_target *t, const struct kpl_patch *patch,
			  const struct kpl_apply_opts *opts);

static int apply(struct kpl_target *t, const struct kpl_patch *patch,
		 const struct kpl_apply_opts *opts)
{
	if (!patch->verified) {
		pr_warn("apply: patch %s was not verified against trusted "
			"keys (kpl_patch__open_verified())\n", patch->id);
		return -KPL_E_SIGNATURE;
	}
	return apply_verified(t, patch, opts);
}

static int apply_verified(struct kpl_target *t, const struct kpl_patch *patch,
			  const struct kpl_apply_opts *opts)
{
	struct kpl_stats stats = { 0 };
	uint64_t t0 = kpl_now_ns();
	struct kpl_txn x = { 0 };
	struct plan pl = { 0 };
	struct kpl_found self = { 0 };
	unsigned int repaired;
	bool unwinds = false;
	size_t i;
	int err;

	t->proc->log = &stats;
	/* Refused before the target is touched; a fleet scanned it once. */
	if (!kpl_share__unwind(patch, &err, &unwinds))
		err = kpl_patch__scan_unwind(patch, &unwinds);
	if (err)
		goto out;
	/* A dry run writes nothing, repairs included. */
	err = opts->dry_run ? kpl_target__refresh_if_changed(t)
			    : kpl_target__repair(t, &repaired);
	if (!err)
		err = check_target(t, patch, &pl.lib);
	if (!err)
		err = kpl_eh__can_register(t, patch, unwinds, "apply");
	if (!err)
		err = kpl_load__layout(patch,
				       KPL_STATE_SIZE_UNWIND(patch->nr_funcs),
				       &pl.ld);
	if (err)
		goto out;
	pl.st = (struct kpl_state *)pl.ld->image;
	fill_state(t, patch, &pl);
	for (i = 0; !err && i < patch->nr_funcs; i++)
		err = plan_func(patch, &pl, i);
	if (!err)
		err = plan_entries(t, patch, &pl);
	if (err)
		goto out;
	if (opts->dry_run) {
		err = plan_place(t, patch, &pl, 0, 0);
		goto out;
	}
	err = plan_map(t, patch, &pl, opts->perf_map);
	if (!err)
		err = kpl_eh__attach(t, pl.st, unwinds, &pl.mapped, "apply");
	if (err)
		goto out;
	self.base = pl.ld->base;
	self.size = pl.ld->size;
	self.st = pl.st;
	err = kpl_txn__add_mark(&x, &self, KPL_PHASE_APPLYING,
				KPL_PHASE_APPLIED);
	for (i = 0; !err && i < patch->nr_funcs; i++) {
		struct kpl_state_func *sf = &pl.st->funcs[i];
		const uint8_t *cur = sf->prev;	/* read by plan_entries() */
		struct kpl_found *below;

		err = kpl_txn__add_write(&x, sf->addr, sf->len, cur, sf->jump,
					 sf->name);
		if (!err)
			err = kpl_txn__add_busy(&x, sf->entry,
						sf->entry + sf->size,
						sf->name);
		/* Stacked: what runs today is the lower patch's version. */
		below = err ? NULL : kpl_found__owner(t, sf->addr, cur, sf->len);
		if (below)
			err = kpl_txn__add_busy(&x, below->st->text_lo,
						below->st->text_hi,
						below->st->id);
	}
	if (!err && (patch->flags & KPL_PATCH_F_REPLACE))
		err = plan_replace(t, &pl, &x);
	if (!err)
		err = kpl_txn__commit(t, &x, opts, &stats);
	if (err && x.dirty)
		pl.mapped = false;	/* jumps may lead there: keep it */
	if (err)
		goto out;
	/* Replaced patches: nothing can enter them any more, and unless a
	 * stack still holds their code (then they are retired), nothing is
	 * in them. */
	for (i = 0; !x.kept && i < x.nr_marks; i++) {
		struct kpl_found *f = x.marks[i].f;

		if (f != &self)
			kpl_eh__unmap_found(t, f->st, "apply");
	}
	pl.mapped = false;
	if (opts->perf_map)
		kpl_perfmap__apply(t, patch, pl.ld);
	stats.total_ns = kpl_now_ns() - t0;
	if (opts->stats)
		*opts->stats = stats;
out:
	if (pl.mapped)
		kpl_eh__unmap(t, pl.st, kpl_state__unwind(pl.st), "apply");
	t->proc->log = NULL;
	kpl_txn__free(&x);
	kpl_load__free(pl.ld);
	return err;
}

KPL_API int kpl_target__apply(struct kpl_target *t,
			      const struct kpl_patch *patch,
			      const struct kpl_apply_opts *opts)
{
	struct kpl_apply_opts o;
	int err = kpl_apply_opts_get(opts, &o);

	return err ? err : apply(t, patch, &o);
}

KPL_API int kpl_target__check(struct kpl_target *t,
			      const struct kpl_patch *patch,
			      const struct kpl_apply_opts *opts)
{
	struct kpl_apply_opts o;
	int err = kpl_apply_opts_get(opts, &o);

	if (err)
		return err;
	o.dry_run = true;
	return apply(t, patch, &o);
}
