// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Opening a process: its objects, its symbols, its patch records. */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpl/escape.h"
#include "internal.h"
#include "opts.h"
#include "patch.h"
#include "target.h"

static void free_objs(struct kpl_target *t)
{
	size_t i;

	kpl_scope__free(t->scope);
	t->scope = NULL;
	for (i = 0; i < t->nr_objs; i++)
		if (!t->objs[i].elf_shared)
			kpl_elf__close(t->objs[i].elf);
	free(t->objs);
	t->objs = NULL;
	t->nr_objs = 0;
}

static void free_found(struct kpl_target *t)
{
	size_t i;

	for (i = 0; i < t->nr_found; i++)
		free(t->found[i].st);
	free(t->found);
	t->found = NULL;
	t->nr_found = 0;
	free(t->garbage);
	t->garbage = NULL;
	t->nr_garbage = 0;
}

static struct kpl_obj *new_obj(struct kpl_target *t, const char *path,
			       uint64_t inode)
{
	struct kpl_obj *o;

	o = realloc(t->objs, (t->nr_objs + 1) * sizeof(*o));
	if (!o)
		return NULL;
	t->objs = o;
	o = &t->objs[t->nr_objs++];
	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	o->inode = inode;
	o->lo = UINT64_MAX;
	return o;
}

/* The object a mapping at a non-zero offset continues, if any. */
static struct kpl_obj *last_obj(struct kpl_target *t, const char *path,
				uint64_t inode)
{
	size_t i;

	for (i = t->nr_objs; i-- > 0;)
		if (t->objs[i].inode == inode && !strcmp(t->objs[i].path, path))
			return &t->objs[i];
	return NULL;
}

/*
 * Objects are runs of mappings of one file, each starting at its offset-0
 * mapping, as the dynamic linker lays them out.  Only those with text
 * mapped executable are kept: a process that mmaps a library's file to
 * read it (as libelf does) has a second, read-only view of it, which is
 * neither a target nor a place to resolve symbols.
 */
static int scan_objs(struct kpl_target *t)
{
	size_t i, j;

	for (i = 0; i < t->maps->nr; i++) {
		const struct kpl_map *m = &t->maps->v[i];
		char path[sizeof(m->path)], *del;
		struct kpl_obj *o;

		if (m->path[0] != '/' || !m->inode || m->cut ||
		    !strncmp(m->path, "/memfd:", 7))
			continue;
		/* A library replaced on disk since it was loaded is exactly
		 * what needs a live patch: map_files still opens its inode. */
		snprintf(path, sizeof(path), "%s", m->path);
		del = strstr(path, " (deleted)");
		if (del && !del[10])
			*del = '\0';
		o = m->offset ? last_obj(t, path, m->inode) : NULL;
		if (!o)
			o = new_obj(t, path, m->inode);
		if (!o)
			return -ENOMEM;
		if (m->start < o->lo)
			o->lo = m->start;
		if (m->end > o->hi)
			o->hi = m->end;
		if (m->prot & PROT_EXEC)
			o->exec = true;
		if (m->offset == 0 && !o->map_start) {
			o->map_start = m->start;
			o->map_end = m->end;
			o->dev_major = m->dev_major;
			o->dev_minor = m->dev_minor;
		}
	}
	for (i = j = 0; i < t->nr_objs; i++)
		if (t->objs[i].exec)
			t->objs[j++] = t->objs[i];
	t->nr_objs = j;
	return 0;
}

static int add_garbage(struct kpl_target *t, const struct kpl_map *m,
		       uint64_t end, const char *why)
{
	struct kpl_garbage *g;

	g = realloc(t->garbage, (t->nr_garbage + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	t->garbage = g;
	g = &t->garbage[t->nr_garbage++];
	g->base = m->start;
	g->size = end - m->start;
	snprintf(g->why, sizeof(g->why), "%s", why);
	kpl_escape_str(g->name, sizeof(g->name), m->path);
	pr_debug("target: pid %d: %s at 0x%llx holds no valid patch record: "
		 "%s\n", t->pid, g->name, (unsigned long long)m->start, why);
	return 0;
}

/*
 * Copy the record at the start of a patch mapping, then validate the
 * copy: the process may rewrite it while it is read, so only what was
 * copied is checked, and only what was checked is used.
 */
static int read_record(struct kpl_target *t, const struct kpl_map *m,
		       uint64_t end)
{
	struct kpl_state_where w = { m->start, end - m->start, t->maps };
	struct kpl_state hdr, *st;
	struct kpl_found *f;
	char why[128];
	size_t len;
	int err;

	err = kpl_proc__read(t->proc, m->start, &hdr, sizeof(hdr));
	if (err == -EFAULT || (!err && w.extent < sizeof(hdr)))
		return add_garbage(t, m, end, "record unreadable");
	if (err)
		return err;
	len = KPL_STATE_SIZE((size_t)(hdr.nr_funcs <= KPL_STATE_MAX_FUNCS ?
				      hdr.nr_funcs : 0));
	if (len > w.extent)
		len = sizeof(hdr);
	st = malloc(len);
	if (!st)
		return -ENOMEM;
	err = kpl_proc__read(t->proc, m->start, st, len);
	if (!err)
		err = kpl_state__check(st, len, &w, why, sizeof(why));
	else if (err == -EFAULT)
		snprintf(why, sizeof(why), "record unreadable");
	if (err) {
		free(st);
		return err == -KPL_E_STATE || err == -EFAULT
			       ? add_garbage(t, m, end, why) : err;
	}
	f = realloc(t->found, (t->nr_found + 1) * sizeof(*f));
	if (!f) {
		free(st);
		return -ENOMEM;
	}
	t->found = f;
	f = &t->found[t->nr_found++];
	/* The extent too: the mappings of this memfd, as the maps say. */
	st->size = end - m->start;
	f->base = st->base;
	f->size = st->size;
	f->st = st;
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct kpl_found *x = a, *y = b;

	return x->st->seq < y->st->seq ? -1 : x->st->seq > y->st->seq;
}

void kpl_target__set_maps(struct kpl_target *t, struct kpl_maps *m)
{
	if (t->maps != m)
		kpl_maps__free(t->maps);
	t->maps = m;
	t->proc->maps = m;
	t->proc->maps_at = t->proc->remaps;
}

int kpl_target__refresh(struct kpl_target *t)
{
	size_t i, plen = strlen(KPL_STATE_PREFIX);
	int err;

	kpl_target__set_maps(t, NULL);
	free_objs(t);
	free_found(t);
	t->read_at = UINT64_MAX;
	err = kpl_maps__read(t->pid, &t->maps);
	if (err)
		return err;
	kpl_target__set_maps(t, t->maps);
	err = scan_objs(t);
	for (i = 0; !err && i < t->maps->nr; i++) {
		const struct kpl_map *m = &t->maps->v[i];

		uint64_t end = m->end;
		size_t j;

		/* Only the first mapping of each patch region holds state. */
		if (strncmp(m->path, KPL_STATE_PREFIX, plen) || m->offset)
			continue;
		for (j = i + 1; j < t->maps->nr &&
				t->maps->v[j].start == t->maps->v[j - 1].end &&
				!strcmp(t->maps->v[j].path, m->path); j++)
			end = t->maps->v[j].end;
		err = read_record(t, m, end);
	}
	if (t->nr_found > 1)
		qsort(t->found, t->nr_found, sizeof(*t->found), cmp_seq);
	if (!err)
		t->read_at = t->proc->changes;
	return err;
}

int kpl_target__refresh_if_changed(struct kpl_target *t)
{
	if (t->maps && t->read_at == t->proc->changes)
		return 0;
	return kpl_target__refresh(t);
}

KPL_API int kpl_target__open(pid_t pid, const struct kpl_target_opts *opts,
			     struct kpl_target **out)
{
	struct kpl_target *t;
	int err;

	const struct kpl_backend *be = NULL;

	if (!KPL_OPTS_VALID(opts, kpl_target_opts, backend))
		return -EINVAL;
	if (KPL_OPTS_GET(opts, backend, NULL)) {
		be = kpl_backend_by_name(opts->backend);
		if (!be) {
			pr_warn("target: unknown backend '%s'\n", opts->backend);
			return -KPL_E_BACKEND;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pid = pid;
	err = kpl_proc__open(pid, be, &t->proc);
	if (!err)
		err = kpl_lock__take(pid, &t->lock);
	if (!err)
		err = kpl_target__refresh(t);
	if (err) {
		kpl_target__close(t);
		return err;
	}
	*out = t;
	return 0;
}

KPL_API void kpl_target__close(struct kpl_target *t)
{
	if (!t)
		return;
	kpl_proc__close(t->proc);
	kpl_lock__release(t->lock);
	kpl_maps__free(t->maps);
	free_objs(t);
	free_found(t);
	free(t);
}

KPL_API pid_t kpl_target__pid(const struct kpl_target *t)
{
	return t->pid;
}

KPL_API const char *kpl_target__backend(const struct kpl_target *t)
{
	return kpl_proc__backend_name(t->proc);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool kpl_pid_is_kpl(pid_t pid)
{
	char path[64], exe[512], *del;
	const char *name;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	del = strstr(exe, " (deleted)");
	if (del && !del[10])
		*del = '\0';
	name = base_name(exe);
	return !strcmp(name, "kpl") || !strcmp(name, "kpld");
}

struct kpl_obj *kpl_target__find_lib(struct kpl_target *t, const char *soname)
{
	size_t i;

	/* Match on the file name first: it avoids opening every object. */
	for (i = 0; i < t->nr_objs; i++) {
		struct kpl_obj *o = &t->objs[i];

		if (strcmp(base_name(o->path), soname))
			continue;
		if (kpl_obj__elf(t, o))
			return o;
	}
	for (i = 0; i < t->nr_objs; i++) {
		struct kpl_obj *o = &t->objs[i];
		struct kpl_elf *e = kpl_obj__elf(t, o);

		if (e && e->soname && !strcmp(e->soname, soname))
			return o;
	}
	return NULL;
}

/*
 * An IFUNC's symbol is its resolver.  The function the process really
 * uses is whatever an importer's GOT slot holds: the chosen variant, or,
 * before a lazy binding, the importer's PLT stub that will choose it.
 * Either is right to call.
 */
static int resolve_ifunc(struct kpl_target *t, struct kpl_obj *lib,
			 const char *name, uint64_t *addr)
{
	const struct kpl_elf_import *im;
	struct kpl_obj *o = lib;
	size_t i;

	for (i = 0; i <= t->nr_objs; i++) {
		if (i)
			o = &t->objs[i - 1];
		if (!kpl_obj__elf(t, o))
			continue;
		im = kpl_elf__import(o->elf, name);
		if (im && !kpl_proc__read(t->proc, o->bias + im->got, addr,
					  sizeof(*addr)))
			return 0;
	}
	char esc[KPL_ESCAPE_MAX(64)];

	pr_warn("resolve: '%s' is an IFUNC that no object in pid %d imports; "
		"cannot tell which variant to call\n",
		kpl_escape_str(esc, sizeof(esc), name), t->pid);
	return -KPL_E_SYMBOL;
}

/*
 * A ref that .kpl.addr locates is the library's own symbol at that
 * address (patch_addr.c checks it against the file).  -ENOENT: @name
 * is not such a ref.
 */
static int resolve_at(struct kpl_resolve_ctx *rc, const char *name,
		      uint64_t *addr)
{
	const struct kpl_patch *p = rc->patch;
	struct kpl_elf_sym at;
	size_t i;
	int err;

	for (i = 0; p && i < p->nr_refs; i++) {
		if (!p->refs[i].addr || strcmp(p->refs[i].name, name))
			continue;
		err = kpl_patch__find_ref(p, i, rc->lib->elf, rc->lib->path,
					  &at);
		if (!err)
			*addr = rc->lib->bias + at.value;
		return err;
	}
	return -ENOENT;
}

/* The library's own definition of a symbol it does not export. */
static int resolve_own(struct kpl_resolve_ctx *rc, const char *name,
		       const char *file, uint64_t *addr)
{
	char path[KPL_ESCAPE_MAX(sizeof(rc->lib->path))];
	char sym[KPL_ESCAPE_MAX(64)], src[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s;
	int err;

	err = kpl_elf__find(rc->lib->elf, name, file, &s);
	if (!err) {
		*addr = rc->lib->bias + s->value;
		return 0;
	}
	/* Reading the tables failed: say so, not "look in the scope". */
	if (err == -ENOMEM)
		return err;
	/* The names come from the patch, the path from the maps. */
	kpl_escape_str(path, sizeof(path), rc->lib->path);
	kpl_escape_str(sym, sizeof(sym), name);
	kpl_escape_str(src, sizeof(src), file);
	if (err == -ENOTUNIQ)
		pr_warn("resolve: symbol '%s' is ambiguous in %s: several "
			"local symbols share the name and the patch names no "
			"file\n", sym, path);
	else if (*file)
		pr_warn("resolve: symbol '%s' of file %s not found in %s\n",
			sym, src, path);
	return err == -ENOTUNIQ || *file ? -KPL_E_SYMBOL : -ENOENT;
}

/*
 * A patch's undefined symbol binds as the dynamic linker would bind it
 * from the patched library (scope.c): a ref's file names a local of the
 * library; a symbol the library defines but does not export is its own;
 * anything else is looked up in the library's scope, with the version
 * the patch names (NAME@VER), else the one the library itself imports
 * NAME with, else the default one.  A library linked -Bsymbolic, or
 * defining NAME with protected visibility, binds it to itself first.
 */
int kpl_target__resolve(void *ctx, const char *name, const char *file,
			uint64_t *addr)
{
	struct kpl_resolve_ctx *rc = ctx;
	struct kpl_target *t = rc->t;
	struct kpl_elf *le = rc->lib->elf;
	char path[KPL_ESCAPE_MAX(sizeof(rc->lib->path))];
	char sym[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s = NULL;
	const char *at = strchr(name, '@'), *ver = NULL;
	struct kpl_obj *o = rc->lib;
	char *base = NULL;
	int err;

	err = resolve_at(rc, name, addr);
	if (err != -ENOENT)
		return err;
	if (file && *file)
		return resolve_own(rc, name, file, addr);
	if (!at && !kpl_elf__find_version(le, name, NULL)) {
		err = resolve_own(rc, name, "", addr);
		if (err != -ENOENT)
			return err;
	}
	if (at) {
		ver = at + (at[1] == '@' ? 2 : 1);
		base = strndup(name, (size_t)(at - name));
		if (!base)
			return -ENOMEM;
	} else {
		ver = kpl_elf__import_version(le, name);
	}
	err = -ENOENT;
	if (!at || *ver) {
		s = kpl_elf__find_version(le, base ? base : name, ver);
		if (s && (le->symbolic || s->vis == STV_PROTECTED))
			err = 0;
		else
			err = kpl_scope__lookup(t, rc->lib, base ? base : name,
						ver, &o, &s);
	}
	if (!err && s->type == STT_GNU_IFUNC)
		err = resolve_ifunc(t, rc->lib, base ? base : name, addr);
	else if (!err)
		*addr = o->bias + s->value;
	free(base);
	if (err != -ENOENT)
		return err;
	pr_warn("resolve: symbol '%s' not found in %s or in its lookup "
		"scope in pid %d\n", kpl_escape_str(sym, sizeof(sym), name),
		kpl_escape_str(path, sizeof(path), rc->lib->path), t->pid);
	return -KPL_E_SYMBOL;
}

int kpl_found__set_phase(struct kpl_target *t, struct kpl_found *f,
			 enum kpl_phase phase)
{
	uint32_t v[2] = { KPL_STATE_VERSION, phase };
	int err;

	/* version and phase are adjacent: one write sets both. */
	_Static_assert(offsetof(struct kpl_state, phase) ==
		       offsetof(struct kpl_state, version) + 4, "layout");
	if (phase == KPL_PHASE_RETIRED)
		v[0] = KPL_STATE_VERSION_RETIRED;
	err = kpl_proc__write(t->proc, f->base + offsetof(struct kpl_state,
							  version),
			      v, sizeof(v));
	if (!err)
		f->st->phase = phase;
	return err;
}

const char *kpl_phase_name(uint32_t phase)
{
	switch (phase) {
	case KPL_PHASE_PREPARED:
		return "prepared";
	case KPL_PHASE_APPLYING:
		return "applying";
	case KPL_PHASE_APPLIED:
		return "applied";
	case KPL_PHASE_REVERTING:
		return "reverting";
	case KPL_PHASE_REPLACED:
		return "replaced";
	case KPL_PHASE_RETIRED:
		return "retired";
	}
	return "unknown";
}

KPL_API int kpl_target__status(struct kpl_target *t,
			       struct kpl_applied **list, size_t *nr)
{
	struct kpl_applied *v;
	size_t i;
	int err;

	err = kpl_target__refresh_if_changed(t);
	if (err)
		return err;
	v = calloc(t->nr_found ? t->nr_found : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < t->nr_found; i++) {
		const struct kpl_state *st = t->found[i].st;

		snprintf(v[i].id, sizeof(v[i].id), "%.*s", KPL_ID_MAX, st->id);
		snprintf(v[i].description, sizeof(v[i].description), "%s",
			 st->description);
		snprintf(v[i].soname, sizeof(v[i].soname), "%s", st->soname);
		snprintf(v[i].backend, sizeof(v[i].backend), "%s",
			 st->backend);
		kpl_hex(st->build_id,
			st->build_id_len < KPL_BUILD_ID_MAX ? st->build_id_len
							    : KPL_BUILD_ID_MAX,
			v[i].build_id);
		v[i].phase = kpl_phase_name(st->phase);
		v[i].version = st->patch_version;
		v[i].flags = st->flags;
		v[i].nr_funcs = st->nr_funcs;
		v[i].base = st->base;
		v[i].size = st->size;
		v[i].applied_ns = st->applied_ns;
	}
	*list = v;
	*nr = t->nr_found;
	return 0;
}
