// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build build: a source tree, the fix as a unified diff and the
 * library as shipped -> a (signed) .kpl patch.
 *
 *  1. copy the tree twice and apply the diff to one copy (build_tree.c);
 *     with --build-cmd, run the library's own build in both copies and
 *     record every compile (build_cmd.c, build_units.c, cc_wrap.c);
 *  2. compile every source of both with the library's flags (with
 *     --build-cmd: each with its own recorded flags) plus
 *     -ffunction-sections -fdata-sections; with --build-cmd, a patched
 *     unit that would compile exactly as the original is not compiled
 *     again (build_same.c), and --orig-built keeps the original's objects
 *     for the next patch;
 *  3. compare the objects symbol by symbol (diff.c);
 *  4. recompile the files that differ with __LINE__ pinned to 0 and
 *     compare again: what is equal then differed only by line numbers
 *     (a comment added above a WARN()-style macro), and is not patched;
 *  5. refuse struct layout changes seen in the debug info (diff_layout.c);
 *  6. select what the patch holds, refuse what cannot be patched
 *     (patch_select.c) and the exception tables its code needs
 *     (patch_lsda.c), write the object and manifest (patch_write.c);
 *  7. kb_pack(): the same path as `kpl-build pack`, signing included.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "elfobj.h"
#include "identity.h"
#include "kpl/errors.h"

static int make_workdir(struct kb_build *b)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX];

	if (b->workdir) {
		/* rmdir() only removes an empty directory: then remake it. */
		if (mkdir(b->workdir, 0755) < 0 &&
		    (errno != EEXIST || rmdir(b->workdir) < 0 ||
		     mkdir(b->workdir, 0755) < 0)) {
			kb_err("--workdir %s: %s", b->workdir,
			       errno == ENOTEMPTY || errno == EEXIST ?
				       "not empty" :
				       strerror(errno));
			return 1;
		}
		if (!realpath(b->workdir, path)) {
			kb_err("%s: %s", b->workdir, strerror(errno));
			return 1;
		}
		b->work = strdup(path);
	} else {
		snprintf(path, sizeof(path), "%s/kpl-build.XXXXXX",
			 tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(path)) {
			kb_err("cannot create a directory %s: %s", path,
			       strerror(errno));
			return 1;
		}
		b->work = strdup(path);
		b->work_made = true;
	}
	if (!b->work) {
		kb_err("out of memory");
		return 1;
	}
	return 0;
}

static int open_objs(struct kb_build *b, const char *side, bool neutral,
		     const bool *want, struct kb_obj **objs)
{
	size_t i;
	char *path;
	int err;

	for (i = 0; i < b->nr_srcs; i++) {
		if (want && !want[i])
			continue;
		path = kb_tree__obj(b, side, neutral, i);
		if (!path) {
			kb_err("out of memory");
			return 1;
		}
		err = kb_obj__open(path, b->srcs[i], &objs[i]);
		free(path);
		if (err)
			return 1;
	}
	return 0;
}

static bool obj_differs(const struct kb_obj *p)
{
	size_t j;

	for (j = 1; j < p->nr_syms; j++)
		if (p->syms[j].status != KB_SAME)
			return true;
	return false;
}

/* The same symbol of the same build, compiled with __LINE__ pinned. */
static const struct kb_sym *same_in(const struct kb_obj *obj,
				    const struct kb_sym *s)
{
	size_t j;

	for (j = 1; j < obj->nr_syms; j++) {
		const struct kb_sym *t = &obj->syms[j];

		if (t->sec && !strcmp(t->name, s->name) && t->type == s->type)
			return t;
	}
	return NULL;
}

/*
 * Step 4: a change that disappears when every __LINE__ is 0 is a change
 * of line numbers only.  Comparing two more builds is exact where a
 * guess from the instructions (kpatch looks for the mov before known
 * warning calls) is not.
 */
static int drop_line_only(struct kb_build *b, size_t *nr_line_only)
{
	struct kb_obj **o = NULL, **p = NULL;
	bool *want = NULL, any = false;
	size_t i, j;
	int err = 1;

	want = calloc(b->nr_srcs, sizeof(*want));
	o = calloc(b->nr_srcs, sizeof(*o));
	p = calloc(b->nr_srcs, sizeof(*p));
	if (!want || !o || !p) {
		kb_err("out of memory");
		goto out;
	}
	for (i = 0; i < b->nr_srcs; i++)
		any |= want[i] = obj_differs(b->patched[i]);
	err = 0;
	if (!any)
		goto out;
	err = kb_tree__compile(b, "orig", true, want) ||
	      kb_tree__compile(b, "patched", true, want) ||
	      open_objs(b, "orig", true, want, o) ||
	      open_objs(b, "patched", true, want, p);
	for (i = 0; !err && i < b->nr_srcs; i++)
		if (want[i])
			err = kb_diff(o[i], p[i]);
	for (i = 0; !err && i < b->nr_srcs; i++) {
		struct kb_obj *n = b->patched[i];

		for (j = 1; want[i] && j < n->nr_syms; j++) {
			struct kb_sym *s = &n->syms[j];
			const struct kb_sym *t;

			if (s->status != KB_CHANGED ||
			    !(t = same_in(p[i], s)) || t->status != KB_SAME)
				continue;
			s->status = KB_SAME;
			s->line_only = true;
			if (kb_sym__is_func(s) && !s->parent) {
				(*nr_line_only)++;
				kb_info("%s: only __LINE__ values changed: not patched",
					kb_sym__desc(s));
			}
		}
	}
out:
	for (i = 0; o && p && i < b->nr_srcs; i++) {
		kb_obj__close(o[i]);
		kb_obj__close(p[i]);
	}
	free(o);
	free(p);
	free(want);
	return err;
}

static void report(const struct kb_build *b)
{
	size_t i, j;

	for (i = 0; i < b->nr_srcs; i++) {
		const struct kb_obj *p = b->patched[i];

		for (j = 1; j < p->nr_syms; j++) {
			const struct kb_sym *s = &p->syms[j];

			if (s->alias)
				continue; /* its owner is reported */
			if (s->status == KB_CHANGED && kb_sym__is_func(s))
				kb_info("changed: %s%s%s", kb_sym__desc(s),
					s->parent ? ", part of " : "",
					s->parent ? s->parent->name : "");
			else if (s->status == KB_NEW && !kb_sym__copyable(s))
				kb_info("new: %s", kb_sym__desc(s));
		}
	}
}

static int check_lib(const struct kb_build *b, struct kpl_elf **lib)
{
	int err = kpl_elf__open(b->lib, lib);

	if (err) {
		kb_err("cannot read %s: %s", b->lib, kpl_strerror(err));
		return 1;
	}
	if (!(*lib)->has_symtab) {
		kb_err("%s has no .symtab: build from the unstripped library (its debug file, or the build tree's copy)%s",
		       b->lib,
		       b->target ? "" :
				   ", with --target naming the stripped one");
		return 1;
	}
	/* A stripped target: its symbols are the rebuild's, once proven. */
	if (b->target && kb_identity__prove(b->lib, b->target))
		return 1;
	if (b->target)
		kb_info("%s loads the same bytes at the same addresses as %s",
			b->lib, b->target);
	return 0;
}

/*
 * No --lib: the build's library is the one with --target's soname, or
 * with --soname.
 */
static int target_soname(struct kb_build *b)
{
	struct kpl_elf *t = NULL;
	int err;

	if (!b->target) {
		b->lib_soname = b->soname;
		return 0;
	}
	err = kpl_elf__open(b->target, &t);
	if (err) {
		kb_err("cannot read %s: %s", b->target, kpl_strerror(err));
		return 1;
	}
	if (t->soname)
		b->target_soname = strdup(t->soname);
	else
		kb_err("%s has no soname: name the rebuild with --lib",
		       b->target);
	kpl_elf__close(t);
	b->lib_soname = b->target_soname;
	return !b->lib_soname;
}

static int absolute(struct kb_build *b)
{
	char path[PATH_MAX];

	if (!realpath(b->tree, path)) {
		kb_err("--tree %s: %s", b->tree, strerror(errno));
		return 1;
	}
	b->tree_abs = strdup(path);
	if (!realpath(b->diff, path)) {
		kb_err("--diff %s: %s", b->diff, strerror(errno));
		return 1;
	}
	b->diff_abs = strdup(path);
	if (!b->tree_abs || !b->diff_abs) {
		kb_err("out of memory");
		return 1;
	}
	return 0;
}

/* Steps 6 and 7: select, write, pack. */
static int make_patch(struct kb_build *b, struct kb_selection *sel)
{
	struct kb_manifest *m = NULL;
	char *obj = NULL, *man = NULL;
	int err;

	err = kb_select(sel);
	if (!err)
		err = kb_lsda__select(sel);
	if (err)
		return err;
	if (b->target && kb_identity__check_refs(sel, b->target))
		return 1;
	if (asprintf(&obj, "%s/patch.o", b->work) < 0 ||
	    asprintf(&man, "%s/patch.manifest", b->work) < 0) {
		kb_err("out of memory");
		free(obj);
		return 1;
	}
	err = kb_write(sel, obj) || kb_write_manifest(sel, &b->meta, man) ||
	      kb_manifest__read(man, &m);
	/* The text format cuts " #..." off a description: keep it whole. */
	if (!err && b->meta.description) {
		free(m->description);
		m->description = strdup(b->meta.description);
		err = !m->description;
	}
	/* The same for the advisory's text. */
	if (!err && b->vuln.text) {
		free(m->vuln.text);
		m->vuln.text = strdup(b->vuln.text);
		err = !m->vuln.text;
	}
	err = err || kb_pack_for(m, b->lib, b->target, obj, b->out, b->key);
	kb_manifest__free(m);
	free(obj);
	free(man);
	return err;
}

/* --lib-out: the library the patch is for, as built, for a test to load. */
static int lib_out(const struct kb_build *b)
{
	char *argv[] = { "cp", "--", (char *)b->lib, (char *)b->lib_out, NULL };

	if (!b->lib_out)
		return 0;
	if (kb_run(argv, NULL)) {
		kb_err("cannot copy %s to --lib-out %s", b->lib, b->lib_out);
		return 1;
	}
	kb_info("the library as built: copied to %s", b->lib_out);
	return 0;
}

static void summary(const struct kb_build *b, const struct kb_selection *sel)
{
	size_t i;

	printf("%s: %s version %u for %s\n", b->out, b->meta.id,
	       b->meta.version, b->target ? b->target : b->lib);
	for (i = 0; i < sel->nr_replaced; i++) {
		const struct kb_sym *o = sel->replaced[i]->twin;

		printf("  replaces %s%s%s%s\n", o->name,
		       o->bind == STB_LOCAL ? " (" : "",
		       o->bind == STB_LOCAL ? o->obj->file : "",
		       o->bind == STB_LOCAL ? ")" : "");
	}
	printf("  %zu function%s replaced, %zu new function%s, %zu new variable%s, %zu name%s from the library%s\n",
	       sel->nr_replaced, sel->nr_replaced == 1 ? "" : "s",
	       sel->nr_new_funcs, sel->nr_new_funcs == 1 ? "" : "s",
	       sel->nr_new_data, sel->nr_new_data == 1 ? "" : "s", sel->nr_refs,
	       sel->nr_refs == 1 ? "" : "s",
	       b->key ? "; signed" : "; NOT signed (kpl-build sign)");
}

static void build_free(struct kb_build *b)
{
	size_t i;

	kb_tree__cleanup(b);
	kb_buildcmd__free(b);
	for (i = 0; i < b->nr_srcs; i++) {
		if (b->orig)
			kb_obj__close(b->orig[i]);
		if (b->patched)
			kb_obj__close(b->patched[i]);
		free(b->srcs[i]);
	}
	for (i = 0; i < b->nr_globs; i++)
		free(b->globs[i]);
	for (i = 0; i < b->nr_cflags; i++)
		free(b->cflags[i]);
	kb_vuln__free(&b->vuln);
	free(b->globs);
	free(b->cflags);
	free(b->srcs);
	free(b->in_orig);
	free(b->same);
	free(b->orig);
	free(b->patched);
	free(b->lib_built);
	free(b->target_soname);
	free(b->tree_abs);
	free(b->diff_abs);
	free(b->work);
}

int cmd_build(int argc, char **argv)
{
	struct kb_build b = { .tree = ".", .strip = 1 };
	struct kb_selection sel = { 0 };
	unsigned int layout = 0;
	size_t i;
	long ncpu;
	int err;

	/* A closed pipe on stderr must not kill us before the cleanup. */
	signal(SIGPIPE, SIG_IGN);
	err = kb_build__args(&b, argc, argv);
	if (err) {
		build_free(&b);
		return err < 0 ? 0 : err;
	}
	if (!b.cc)
		b.cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "gcc";
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!b.jobs)
		b.jobs = ncpu > 0 && ncpu < 64 ? (int)ncpu : 4;
	if (!b.cxx)
		b.cxx = getenv("CXX") && *getenv("CXX") ? getenv("CXX") : "g++";
	err = (b.lib ? check_lib(&b, &sel.lib) : target_soname(&b)) ||
	      absolute(&b) || make_workdir(&b);
	if (!err) {
		if (sel.lib)
			b.lib_soname = sel.lib->soname;
		err = b.build_cmd ? kb_buildcmd__setup(&b) : kb_tree__setup(&b);
	}
	/* Without --lib, the library is the original build's. */
	if (!err && !sel.lib)
		err = !b.lib || check_lib(&b, &sel.lib);
	sel.lib_path = b.lib;
	if (err)
		goto out;
	kb_info("%zu source%s; compiling the original and the patched tree in %s",
		b.nr_srcs, b.nr_srcs == 1 ? "" : "s", b.work);
	b.orig = calloc(b.nr_srcs, sizeof(*b.orig));
	b.patched = calloc(b.nr_srcs, sizeof(*b.patched));
	sel.objs = b.patched;
	sel.nr_objs = b.nr_srcs;
	err = !b.orig || !b.patched ||
	      kb_tree__compile(&b, "orig", false, NULL) ||
	      (b.build_cmd && kb_units__unchanged(&b)) ||
	      kb_tree__compile(&b, "patched", false, NULL) ||
	      open_objs(&b, "orig", false, NULL, b.orig) ||
	      open_objs(&b, "patched", false, NULL, b.patched);
	for (i = 0; !err && i < b.nr_srcs; i++)
		err = kb_diff(b.orig[i], b.patched[i]);
	if (!err)
		err = drop_line_only(&b, &sel.nr_line_only);
	for (i = 0; !err && i < b.nr_srcs; i++)
		err = kb_layout__compare(b.orig[i], b.patched[i], &layout);
	if (err)
		goto out;
	if (layout) {
		kb_err("refusing: %u struct, union or class layout%s changed: objects of the old layout live in the running process, and code left in the library uses the old offsets",
		       layout, layout == 1 ? "" : "s");
		err = 1;
		goto out;
	}
	report(&b);
	err = make_patch(&b, &sel); /* 3: nothing to patch */
	if (!err)
		err = lib_out(&b);
	if (!err)
		summary(&b, &sel);
out:
	if (err && b.work && !b.work_made)
		kb_err("intermediate files kept in %s", b.work);
	kpl_elf__close(sel.lib);
	free(sel.replaced);
	free(sel.defs);
	free(sel.refs);
	build_free(&b);
	return err;
}
