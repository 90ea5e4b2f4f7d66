// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The dynamic linker's lookup scope, read from the target.
 *
 * The dynamic linker binds a reference to the first definition in the
 * referencing object's scope: the global scope (the executable, the
 * LD_PRELOAD objects, then the DT_NEEDED objects breadth first, then
 * whatever was dlopen'ed RTLD_GLOBAL), then, for an object dlopen'ed
 * RTLD_LOCAL, its own dependencies.  /proc/PID/maps orders objects by
 * address, which is no order the dynamic linker uses.
 *
 * The executable's DT_DEBUG entry, which the dynamic linker sets at start
 * (it is what debuggers read), points at its struct r_debug, whose r_map
 * is the link map: every object of the base namespace in load order.
 * Objects loaded at start come first, in the order of the global scope
 * (preloads first), dlopen'ed ones after them.  LD_PRELOAD is read from
 * no environment the process could have rewritten: the preloads are
 * where the dynamic linker put them.
 *
 * The process is hostile: every entry is bounded and must match a mapped
 * file (its l_addr that file's load bias, its l_ld that file's dynamic
 * section, its l_name that file), the list must link back (l_prev), and
 * at most KPL_LINK_MAP_MAX entries are read.  A link map that fails is
 * not used at all: why[] says why, and only symbols that one loaded
 * object alone defines are bound, since then no order can matter.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "internal.h"
#include "scope.h"
#include "target.h"

/* struct r_debug and the public head of struct link_map, LP64. */
struct rdebug_disk {
	int32_t r_version;
	int32_t pad;
	uint64_t r_map, r_brk;
	int32_t r_state;
};

struct lm_disk {
	uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

#define DYN_MAX 1024
#define DYN_READ 32	/* entries a read */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

void kpl_scope__free(struct kpl_scope *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++)
		free(s->names[i]);
	free(s->names);
	free(s->order);
	free(s);
}

/* Say why the link map is unusable: @what, then the entry's @name. */
static int bad(struct kpl_scope *s, const char *what, const char *name)
{
	char esc[KPL_ESCAPE_MAX(64)];

	if (name)
		kpl_escape_str(esc, sizeof(esc), name);
	snprintf(s->why, sizeof(s->why), "%s%s%s%s", what, name ? ": '" : "",
		 name ? esc : "", name ? "'" : "");
	return 0;
}

/* A NUL-terminated string of at most PATH_MAX bytes, page by page. */
static int read_str(struct kpl_target *t, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		size_t n = 4096 - ((addr + got) & 4095);

		if (n > size - got)
			n = size - got;
		if (kpl_proc__read(t->proc, addr + got, buf + got, n))
			return -EFAULT;
		if (memchr(buf + got, '\0', n))
			return 0;
		got += n;
	}
	return -ENAMETOOLONG;
}

static struct kpl_obj *exe_obj(struct kpl_target *t)
{
	char path[64], exe[sizeof(t->objs[0].path)], *del;
	ssize_t n;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/exe", t->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	del = strstr(exe, " (deleted)");
	if (del && !del[10])
		*del = '\0';
	for (i = 0; i < t->nr_objs; i++)
		if (!strcmp(t->objs[i].path, exe) &&
		    kpl_obj__elf(t, &t->objs[i]))
			return &t->objs[i];
	return NULL;
}

/*
 * The address of r_debug, from the executable's DT_DEBUG in memory: the
 * entries read many at a time (one read, for most executables), or one
 * at a time where a run of them cannot be read.
 */
static int find_rdebug(struct kpl_target *t, struct kpl_obj *exe, uint64_t *out)
{
	uint64_t at = exe->bias + exe->elf->dyn_vaddr, d[DYN_READ][2];
	size_t i = 0, j, n;

	while (i < DYN_MAX) {
		if (at < exe->lo || at + 16 > exe->hi)
			return -EFAULT;
		n = (size_t)((exe->hi - at) / 16);
		if (n > DYN_READ)
			n = DYN_READ;
		if (n > DYN_MAX - i)
			n = DYN_MAX - i;
		if (kpl_proc__read(t->proc, at, d, n * 16)) {
			n = 1;
			if (kpl_proc__read(t->proc, at, d, 16))
				return -EFAULT;
		}
		for (j = 0; j < n; j++, i++, at += 16) {
			if (d[j][0] == DT_NULL)
				return -ENOENT;
			if (d[j][0] == DT_DEBUG) {
				*out = d[j][1];
				return d[j][1] ? 0 : -ENOENT;
			}
		}
	}
	return -ENOENT;
}

/* Does l_name @name name @o: its file, its soname, or its inode? */
static bool name_matches(struct kpl_target *t, const char *name,
			 struct kpl_obj *o)
{
	char path[PATH_MAX + 64];
	struct stat st;

	if (!strcmp(base_name(name), base_name(o->path)) ||
	    (o->elf->soname && !strcmp(base_name(name), o->elf->soname)))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/root/%s", t->pid, name);
	return name[0] == '/' && !stat(path, &st) && st.st_ino == o->inode;
}

static bool in_vdso(const struct kpl_target *t, uint64_t addr)
{
	size_t i;

	for (i = 0; i < t->maps->nr; i++)
		if (!strcmp(t->maps->v[i].path, "[vdso]") &&
		    addr >= t->maps->v[i].start && addr < t->maps->v[i].end)
			return true;
	return false;
}

/* The object a link map entry describes, checked; NULL if none. */
static struct kpl_obj *entry_obj(struct kpl_target *t, const struct lm_disk *l)
{
	size_t i;

	for (i = 0; i < t->nr_objs; i++) {
		struct kpl_obj *o = &t->objs[i];

		if (!kpl_obj__elf(t, o) || !o->elf->dyn_vaddr)
			continue;
		if (o->bias == l->l_addr &&
		    o->bias + o->elf->dyn_vaddr == l->l_ld &&
		    l->l_ld >= o->lo && l->l_ld < o->hi)
			return o;
	}
	return NULL;
}

static int add_entry(struct kpl_scope *s, size_t obj, const char *name)
{
	s->names[s->nr] = strdup(name);
	if (!s->names[s->nr])
		return -ENOMEM;
	s->order[s->nr++] = obj;
	return 0;
}

/* @exe: exe_obj(t), which the first entry must be. */
static int walk(struct kpl_target *t, struct kpl_scope *s,
		const struct kpl_obj *exe, uint64_t map)
{
	char name[PATH_MAX];
	uint64_t prev = 0;
	size_t i, k;
	int err;

	for (i = 0; map; i++) {
		struct lm_disk l;
		struct kpl_obj *o;

		if (i == KPL_LINK_MAP_MAX)
			return bad(s, "more than 4096 entries", NULL);
		if (kpl_proc__read(t->proc, map, &l, sizeof(l)))
			return bad(s, "an entry is unreadable", NULL);
		if (l.l_prev != prev)
			return bad(s, "its entries do not link back", NULL);
		name[0] = '\0';
		if (l.l_name && read_str(t, l.l_name, name, sizeof(name)))
			return bad(s, "an entry's name is unreadable", NULL);
		prev = map;
		map = l.l_next;
		o = entry_obj(t, &l);
		if (!o && in_vdso(t, l.l_ld))
			continue;
		if (!o)
			return bad(s, "no mapped file matches an entry", name);
		if (s->nr ? !name_matches(t, name, o) : o != exe)
			return bad(s, "an entry does not name the file at "
				      "its address", name);
		for (k = 0; k < s->nr; k++)
			if (s->order[k] == (size_t)(o - t->objs))
				return bad(s, "an entry is listed twice", name);
		err = add_entry(s, (size_t)(o - t->objs), name);
		if (err)
			return err;
	}
	if (!s->nr)
		return bad(s, "it is empty", NULL);
	return 0;
}

/* The entry a DT_NEEDED name means, as the dynamic linker matched it. */
static size_t needed_at(struct kpl_target *t, const struct kpl_scope *s,
			const char *needed)
{
	size_t k;

	for (k = 0; k < s->nr; k++) {
		const struct kpl_obj *o = &t->objs[s->order[k]];

		if ((o->elf->soname && !strcmp(o->elf->soname, needed)) ||
		    !strcmp(base_name(s->names[k]), base_name(needed)) ||
		    !strcmp(base_name(o->path), base_name(needed)))
			return k;
	}
	return SIZE_MAX;
}

/*
 * Objects loaded at start are the shortest prefix of the link map that
 * holds the executable's dependencies and the dependencies of every
 * object in it (preloads come before the executable's dependencies, so
 * they fall inside).  What follows was dlopen'ed.
 */
static void find_global(struct kpl_target *t, struct kpl_scope *s)
{
	size_t n = 1, k, j, d;
	bool grew = true;

	while (grew) {
		grew = false;
		for (k = 0; k < n; k++) {
			const struct kpl_elf *e = t->objs[s->order[k]].elf;

			for (d = 0; d < e->nr_needed; d++) {
				j = needed_at(t, s, e->needed[d]);
				if (j != SIZE_MAX && j >= n) {
					n = j + 1;
					grew = true;
				}
			}
		}
	}
	s->nr_global = n;
}

int kpl_scope__read(struct kpl_target *t, struct kpl_scope **out)
{
	struct kpl_scope *s;
	struct rdebug_disk rd;
	struct kpl_obj *exe;
	uint64_t at;
	int err = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->order = calloc(KPL_LINK_MAP_MAX, sizeof(*s->order));
	s->names = calloc(KPL_LINK_MAP_MAX, sizeof(*s->names));
	if (!s->order || !s->names) {
		kpl_scope__free(s);
		return -ENOMEM;
	}
	exe = exe_obj(t);
	if (!exe)
		bad(s, "the executable is not among its mapped files", NULL);
	else if (!exe->elf->dyn_vaddr)
		/* Linked statically: it is all there is. */
		err = add_entry(s, (size_t)(exe - t->objs), "");
	else if (find_rdebug(t, exe, &at))
		bad(s, "the executable's DT_DEBUG is unreadable or unset",
		    NULL);
	else if (kpl_proc__read(t->proc, at, &rd, sizeof(rd)))
		bad(s, "r_debug is unreadable", NULL);
	else if (rd.r_version != 1 && rd.r_version != 2)
		bad(s, "r_debug has an unknown version", NULL);
	else if (rd.r_state != 0)
		bad(s, "a dlopen or dlclose is changing it", NULL);
	else
		err = walk(t, s, exe, rd.r_map);
	if (err) {
		kpl_scope__free(s);
		return err;
	}
	if (s->why[0]) {
		pr_warn("resolve: cannot use the link map of pid %d: %s; only "
			"symbols that a single loaded object defines can be "
			"bound\n",
			t->pid, s->why);
	} else {
		find_global(t, s);
		pr_debug("resolve: pid %d: %zu objects in its link map, %zu "
			 "loaded at start\n",
			 t->pid, s->nr, s->nr_global);
	}
	*out = s;
	return 0;
}

/*
 * @lib's own scope, for a dlopen'ed @lib: itself and its dependencies,
 * breadth first, as entry indices in @local (room for s->nr).
 */
static size_t local_scope(struct kpl_target *t, const struct kpl_scope *s,
			  size_t li, size_t *local)
{
	size_t n = 0, q, d, j, k;

	local[n++] = li;
	for (q = 0; q < n; q++) {
		const struct kpl_elf *e = t->objs[s->order[local[q]]].elf;

		for (d = 0; d < e->nr_needed; d++) {
			j = needed_at(t, s, e->needed[d]);
			for (k = 0; j != SIZE_MAX && k < n; k++)
				if (local[k] == j)
					j = SIZE_MAX;
			if (j != SIZE_MAX)
				local[n++] = j;
		}
	}
	return n;
}

static const struct kpl_elf_sym *defines(struct kpl_target *t, size_t obj,
					 const char *name, const char *ver)
{
	struct kpl_elf *e = kpl_obj__elf(t, &t->objs[obj]);

	return e ? kpl_elf__find_version(e, name, ver) : NULL;
}

/* No usable link map: bind only what one object alone defines. */
static int lookup_unknown(struct kpl_target *t, const char *name,
			  const char *ver, const char *why,
			  struct kpl_obj **obj, const struct kpl_elf_sym **sym)
{
	char esc[KPL_ESCAPE_MAX(64)], a[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s, *found = NULL;
	size_t i, at = 0, nr = 0;

	for (i = 0; i < t->nr_objs; i++) {
		s = defines(t, i, name, ver);
		if (!s)
			continue;
		if (!nr++) {
			found = s;
			at = i;
		}
	}
	if (nr == 1) {
		*obj = &t->objs[at];
		*sym = found;
		return 0;
	}
	if (!nr)
		return -ENOENT;
	pr_warn("resolve: symbol '%s' is defined by %zu objects (%s, ...) and "
		"the link map of pid %d is unusable (%s): cannot tell which "
		"one the dynamic linker binds\n",
		kpl_escape_str(esc, sizeof(esc), name), nr,
		kpl_escape_str(a, sizeof(a), base_name(t->objs[at].path)),
		t->pid, why);
	return -KPL_E_SYMBOL;
}

int kpl_scope__lookup(struct kpl_target *t, struct kpl_obj *lib,
		      const char *name, const char *ver, struct kpl_obj **obj,
		      const struct kpl_elf_sym **sym)
{
	char esc[KPL_ESCAPE_MAX(64)], a[KPL_ESCAPE_MAX(64)];
	char b[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s, *found = NULL;
	struct kpl_scope *sc;
	size_t k, li = SIZE_MAX, *local = NULL, nr_local = 0, at = 0, other;
	int err;

	if (!t->scope) {
		err = kpl_scope__read(t, &t->scope);
		if (err)
			return err;
	}
	sc = t->scope;
	for (k = 0; k < sc->nr; k++)
		if (&t->objs[sc->order[k]] == lib)
			li = k;
	if (sc->why[0] || li == SIZE_MAX)
		return lookup_unknown(t, name, ver,
				      sc->why[0] ? sc->why :
						   "the patched object is "
						   "not in it",
				      obj, sym);
	for (k = 0; k < sc->nr_global; k++) {
		s = defines(t, sc->order[k], name, ver);
		if (s) {
			*obj = &t->objs[sc->order[k]];
			*sym = s;
			return 0;
		}
	}
	local = calloc(sc->nr, sizeof(*local));
	if (!local)
		return -ENOMEM;
	if (li >= sc->nr_global)
		nr_local = local_scope(t, sc, li, local);
	for (k = 0; k < nr_local && !found; k++) {
		found = defines(t, sc->order[local[k]], name, ver);
		at = local[k];
	}
	/* A dlopen'ed object outside @lib's scope is in the global scope
	 * only if opened RTLD_GLOBAL, which the link map does not say. */
	for (other = sc->nr_global; other < sc->nr; other++) {
		for (k = 0; k < nr_local; k++)
			if (local[k] == other)
				break;
		if (k == nr_local && defines(t, sc->order[other], name, ver))
			break;
	}
	free(local);
	if (other == sc->nr) {
		if (!found)
			return -ENOENT;
		*obj = &t->objs[sc->order[at]];
		*sym = found;
		return 0;
	}
	kpl_escape_str(esc, sizeof(esc), name);
	kpl_escape_str(a, sizeof(a), base_name(t->objs[sc->order[other]].path));
	kpl_escape_str(b, sizeof(b), base_name(lib->path));
	pr_warn("resolve: symbol '%s' is defined by %s, which was dlopen'ed "
		"outside the scope of %s: cannot tell whether it was opened "
		"RTLD_GLOBAL and so whether the dynamic linker binds it\n",
		esc, a, b);
	return -KPL_E_SYMBOL;
}
