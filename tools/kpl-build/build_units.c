// SPDX-License-Identifier: GPL-2.0
/*
 * --build-cmd: which of the compiles the wrapper recorded make up the
 * library, and how each is compiled again.
 *
 * A build compiles more than the library: configure's probes, programs,
 * tests, and with libtool every source twice (PIC into .libs/x.o, and
 * non-PIC x.o for the static archive).  The wrapper also records shared
 * links, so the library's own link says which objects it is made of:
 * the last link whose output has --lib's soname (its file name when
 * --lib has none).  Each of its objects is traced to the last compile
 * that wrote it.  With --sources, the compiles of those sources are
 * taken instead, the PIC one where a source was compiled both ways.
 *
 * Compiled again, a unit keeps its compiler, directory and every flag,
 * minus its -o and the flags that write dependency files into the build
 * tree, plus -ffunction-sections -fdata-sections -g, and a
 * -ffile-prefix-map that turns the copy's absolute path into the tree's,
 * so that __FILE__ of an absolutely named source (CMake names them so) is
 * the same string in both builds.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cc_log.h"
#include "elfobj.h"

struct cu {
	size_t rec;
	char *obj; /* real path of the object; as named when gone */
	char *src; /* real path of the source */
	bool pic, lto;
	bool gone; /* the object no longer exists under that name */
};

struct link {
	size_t rec;
	char *out; /* real path of the shared object */
};

struct side_log {
	struct kb_cc_rec *recs;
	size_t nr_recs;
	struct cu *cus;
	size_t nr_cus;
	struct link *links;
	size_t nr_links;
};

/* realpath() of @name relative to @cwd; NULL when it does not exist. */
static char *resolve(const char *cwd, const char *name)
{
	char path[PATH_MAX], real[PATH_MAX];

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else if (snprintf(path, sizeof(path), "%s/%s", cwd, name) >=
		 (int)sizeof(path))
		return NULL;
	return realpath(path, real) ? strdup(real) : NULL;
}

/* The default object of "cc -c dir/x.c": x.o in the directory. */
static char *default_obj(const char *cwd, const char *src)
{
	const char *base = strrchr(src, '/'), *dot;
	char name[NAME_MAX + 1];

	base = base ? base + 1 : src;
	dot = strrchr(base, '.');
	if ((size_t)(dot - base) + 3 > sizeof(name))
		return NULL;
	snprintf(name, sizeof(name), "%.*s.o", (int)(dot - base), base);
	return resolve(cwd, name);
}

static bool has_pic(const struct kb_cc_rec *r)
{
	size_t k;

	for (k = 1; k < r->argc; k++)
		if (!strcmp(r->argv[k], "-fPIC") ||
		    !strcmp(r->argv[k], "-fpic"))
			return true;
	return false;
}

/* Sort the records into compiles and shared links, files resolved. */
static int classify(struct side_log *l)
{
	size_t i;

	l->cus = calloc(l->nr_recs + 1, sizeof(*l->cus));
	l->links = calloc(l->nr_recs + 1, sizeof(*l->links));
	if (!l->cus || !l->links)
		return 1;
	for (i = 0; i < l->nr_recs; i++) {
		const struct kb_cc_rec *r = &l->recs[i];
		struct kb_cc_args a;

		kb_cc_args__parse(r->argv, r->argc, &a);
		if (a.compile) {
			struct cu *c = &l->cus[l->nr_cus];

			/* A probe's conftest.o is gone with its source: not
			 * ours.  An object gone alone may have been renamed. */
			c->obj = a.out ? resolve(r->cwd, a.out) :
					 default_obj(r->cwd, r->argv[a.src]);
			if (!c->obj && a.out &&
			    asprintf(&c->obj, "%s/%s", r->cwd, a.out) > 0)
				c->gone = true;
			c->src = resolve(r->cwd, r->argv[a.src]);
			if (!c->obj || !c->src) {
				free(c->obj);
				free(c->src);
				continue;
			}
			c->rec = i;
			c->pic = has_pic(r);
			c->lto = a.lto;
			l->nr_cus++;
		} else if (a.shared && a.out) {
			l->links[l->nr_links].out = resolve(r->cwd, a.out);
			l->links[l->nr_links].rec = i;
			if (l->links[l->nr_links].out)
				l->nr_links++;
		}
	}
	return 0;
}

/* The last compile that wrote @obj. */
static const struct cu *writer(const struct side_log *l, const char *obj)
{
	size_t i;

	for (i = l->nr_cus; i-- > 0;)
		if (!strcmp(l->cus[i].obj, obj))
			return &l->cus[i];
	return NULL;
}

/* Length of @path's file name without its extension, and where it is. */
static size_t stem(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/'), *dot;

	*base = slash ? slash + 1 : path;
	dot = strrchr(*base, '.');
	return dot ? (size_t)(dot - *base) : strlen(*base);
}

/*
 * An object that no compile wrote under its name may have been renamed
 * since: zlib's Makefile compiles objs/x.o with -fPIC and moves it to
 * x.lo.  Taken: the last compile of an object of the same stem that no
 * longer exists under its own name.
 */
static const struct cu *moved(const struct side_log *l, const char *obj)
{
	const char *ob, *cb;
	size_t on = stem(obj, &ob), i;

	for (i = l->nr_cus; i-- > 0;)
		if (l->cus[i].gone && stem(l->cus[i].obj, &cb) == on &&
		    !strncmp(cb, ob, on))
			return &l->cus[i];
	return NULL;
}

static bool is_lib(const struct kb_build *b, const char *out)
{
	struct kpl_elf *e = NULL;
	const char *base = b->lib ? strrchr(b->lib, '/') : NULL;
	bool yes;

	if (!b->lib_soname) {
		const char *ob = strrchr(out, '/');

		return !strcmp(ob ? ob + 1 : out, base ? base + 1 : b->lib);
	}
	if (kpl_elf__open(out, &e))
		return false;
	yes = e->soname && !strcmp(e->soname, b->lib_soname);
	kpl_elf__close(e);
	return yes;
}

/*
 * An archive of the build's own objects in the link (libtool's
 * convenience libraries: expat's .libs/libexpatinternal.a): each member
 * is the object of that name beside the archive.  Return: the members
 * no compile wrote.
 */
static size_t take_archive(const struct side_log *l, const char *ar, bool *take)
{
	const char *slash = strrchr(ar, '/');
	size_t nr = 0, i, unseen = 0;
	char **names = NULL, *obj;
	const struct cu *c;

	if (!slash || kb_ar__members(ar, &names, &nr)) {
		kb_err("warning: the library links the archive %s: the objects in it are not compared",
		       ar);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		c = NULL;
		if (asprintf(&obj, "%.*s/%s", (int)(slash - ar), ar, names[i]) >
		    0) {
			c = writer(l, obj);
			if (!c)
				c = moved(l, obj);
			free(obj);
		}
		if (c) {
			take[c - l->cus] = true;
		} else {
			unseen++;
			kb_err("warning: the library links %s of the archive %s, which kpl-build did not see compiled from C or C++: its code is not compared",
			       names[i], ar);
		}
		free(names[i]);
	}
	free(names);
	return unseen;
}

/*
 * Mark, in @take (per compile), the objects of the library's link; its
 * output in *@lib.
 */
static int follow_link(const struct kb_build *b, const struct side_log *l,
		       const char *side, bool *take, const char **lib)
{
	const struct kb_cc_rec *r = NULL;
	size_t i, k, unseen = 0, renamed = 0;
	char *in;

	for (i = l->nr_links; i-- > 0 && !r;)
		if (is_lib(b, l->links[i].out)) {
			r = &l->recs[l->links[i].rec];
			*lib = l->links[i].out;
		}
	if (!r) {
		kb_err("the %s build linked no shared library %s %s (%zu shared link%s seen%s%s); name the library's sources with --sources",
		       side, b->lib_soname ? "with soname" : "named",
		       b->lib_soname ? b->lib_soname : b->lib, l->nr_links,
		       l->nr_links == 1 ? "" : "s",
		       l->nr_links ? ", the last " : "",
		       l->nr_links ? l->links[l->nr_links - 1].out : "");
		return 1;
	}
	for (k = 1; k < r->argc; k++) {
		const char *a = r->argv[k];
		const struct cu *c;
		size_t len = strlen(a);

		if (kb_cc_args__takes_value(a)) {
			k++;
			continue;
		}
		if (a[0] == '-' || len < 3 ||
		    (strcmp(a + len - 2, ".o") && strcmp(a + len - 2, ".a") &&
		     (len < 4 || strcmp(a + len - 3, ".lo"))))
			continue;
		in = resolve(r->cwd, a);
		c = in ? writer(l, in) : NULL;
		if (!c && in && (c = moved(l, in)) && !renamed++)
			kb_info("%s: compiled as %s, then renamed (and so may others)",
				a, c->obj);
		if (c) {
			take[c - l->cus] = true;
		} else if (in && len > 2 && !strcmp(a + len - 2, ".a")) {
			unseen += take_archive(l, in, take);
		} else {
			unseen++;
			kb_err(strcmp(a + len - 2, ".a") ?
				       "warning: the library links %s, which kpl-build did not see compiled from C or C++: its code is not compared" :
				       "warning: the library links the archive %s: the objects in it are not compared",
			       a);
		}
		free(in);
	}
	return unseen ? -1 : 0;
}

/* With --sources: every compile of a matching source, PIC preferred. */
static void by_globs(const struct kb_build *b, const struct side_log *l,
		     const char *root, bool *take)
{
	size_t i, j, rl = strlen(root);

	for (i = 0; i < l->nr_cus; i++) {
		const struct cu *c = &l->cus[i];
		bool match = false;

		if (strncmp(c->src, root, rl) || c->src[rl] != '/')
			continue;
		for (j = 0; j < b->nr_globs && !match; j++)
			match = !fnmatch(b->globs[j], c->src + rl + 1, 0);
		if (!match)
			continue;
		for (j = 0; j < i; j++)
			if (take[j] && !strcmp(l->cus[j].src, c->src))
				break;
		if (j < i && !c->pic && l->cus[j].pic)
			continue;
		if (j < i)
			take[j] = false;
		take[i] = true;
	}
}

void kb_unit__free(struct kb_unit *u)
{
	size_t k;

	if (!u)
		return;
	free(u->cwd);
	for (k = 0; k < u->argc; k++)
		free(u->argv[k]);
	free(u->argv);
	free(u);
}

static struct kb_unit *unit_new(const struct kb_cc_rec *r, size_t src)
{
	struct kb_unit *u = calloc(1, sizeof(*u));
	size_t k;

	if (!u || !(u->cwd = strdup(r->cwd)) ||
	    !(u->argv = calloc(r->argc + 1, sizeof(*u->argv)))) {
		kb_unit__free(u);
		return NULL;
	}
	for (k = 0; k < r->argc; k++, u->argc++)
		if (!(u->argv[k] = strdup(r->argv[k]))) {
			kb_unit__free(u);
			return NULL;
		}
	u->src = src;
	return u;
}

static void side_log_free(struct side_log *l)
{
	size_t i;

	for (i = 0; l->cus && i < l->nr_cus; i++) {
		free(l->cus[i].obj);
		free(l->cus[i].src);
	}
	for (i = 0; l->links && i < l->nr_links; i++)
		free(l->links[i].out);
	free(l->cus);
	free(l->links);
	kb_cc_log__free(l->recs, l->nr_recs);
}

/* Append the unit of compile @c to *@units / *@rels. */
static int add_unit(const struct side_log *l, const struct cu *c,
		    const char *root, struct kb_unit ***units, char ***rels,
		    size_t *nr)
{
	const struct kb_cc_rec *r = &l->recs[c->rec];
	size_t rl = strlen(root), i;
	struct kb_cc_args a;
	struct kb_unit **nu;
	char **nrl;

	if (strncmp(c->src, root, rl) || c->src[rl] != '/') {
		kb_err("%s is compiled into the library but is outside the tree",
		       c->src);
		return 1;
	}
	if (c->lto) {
		kb_err("%s was compiled with -flto: kpl-build compares code one translation unit at a time; build without LTO",
		       c->src + rl + 1);
		return 1;
	}
	for (i = 0; i < *nr; i++)
		if (!strcmp((*rels)[i], c->src + rl + 1)) {
			kb_err("%s is compiled into the library twice", c->src);
			return 1;
		}
	kb_cc_args__parse(r->argv, r->argc, &a);
	nu = realloc(*units, (*nr + 1) * sizeof(*nu));
	if (nu)
		*units = nu;
	nrl = realloc(*rels, (*nr + 1) * sizeof(*nrl));
	if (nrl)
		*rels = nrl;
	if (!nu || !nrl || !(nu[*nr] = unit_new(r, a.src)))
		goto oom;
	if (!(nrl[*nr] = strdup(c->src + rl + 1))) {
		kb_unit__free(nu[*nr]);
		goto oom;
	}
	(*nr)++;
	return 0;
oom:
	kb_err("out of memory");
	return 1;
}

int kb_units__select(struct kb_build *b, int side, const char *log,
		     struct kb_unit ***units, char ***rels, size_t *nr)
{
	const char *name = side ? "patched" : "original";
	struct side_log l = { 0 };
	const char *built = NULL;
	bool *take = NULL;
	size_t i;
	int err = 1, unseen = 0;

	if (kb_cc_log__read(log, &l.recs, &l.nr_recs))
		return 1;
	if (classify(&l) || !(take = calloc(l.nr_cus + 1, sizeof(*take)))) {
		kb_err("out of memory");
		goto out;
	}
	if (!l.nr_cus) {
		kb_err("the %s build compiled nothing through kpl-build's compiler wrapper: does the build command honour CC (or call gcc or cc by name), and is the tree clean, not built already?",
		       name);
		goto out;
	}
	if (b->nr_globs)
		by_globs(b, &l, b->root[side], take);
	else if ((unseen = follow_link(b, &l, name, take, &built)) > 0)
		goto out;
	/* No --lib (kpl-build deb): the original build's own library. */
	if (!side && !b->lib && built) {
		b->lib_built = strdup(built);
		if (!b->lib_built) {
			kb_err("out of memory");
			goto out;
		}
		b->lib = b->lib_built;
	}
	for (i = 0; i < l.nr_cus; i++)
		if (take[i] &&
		    add_unit(&l, &l.cus[i], b->root[side], units, rels, nr))
			goto out;
	if (!*nr) {
		kb_err("no source of the %s build %s", name,
		       b->nr_globs ? "matches --sources" :
				     "is linked into the library");
		goto out;
	}
	/* -1: the link has objects whose sources are unknown. */
	err = unseen ? -1 : 0;
out:
	free(take);
	side_log_free(&l);
	return err;
}

void kb_argv__free(char **argv)
{
	size_t k;

	for (k = 0; argv && argv[k]; k++)
		free(argv[k]);
	free(argv);
}

/* Flags that write files into the build tree, and take a value. */
static int dep_flag(const char *a)
{
	if (!strcmp(a, "-MF") || !strcmp(a, "-MT") || !strcmp(a, "-MQ"))
		return 2;
	if (!strcmp(a, "-MD") || !strcmp(a, "-MMD") || !strcmp(a, "-MP") ||
	    !strncmp(a, "-MF", 3) || !strncmp(a, "-MT", 3) ||
	    !strncmp(a, "-MQ", 3) || !strncmp(a, "-Wp,-MD,", 8) ||
	    !strncmp(a, "-Wp,-MMD,", 9))
		return 1;
	return 0;
}

char **kb_unit__argv(const struct kb_build *b, const struct kb_unit *u,
		     int side, bool neutral, const char *src, const char *obj)
{
	/* Line-neutral: __LINE__ pinned; else -MD, what the unit includes
	 * (kb_units__unchanged). */
	const char *extra[7] = { "-ffunction-sections", "-fdata-sections",
				 "-g" };
	char **argv, *map = NULL, *dep = NULL;
	size_t n = 0, k, e, nr_extra = 7;
	int skip;

	argv = calloc(u->argc + 10 + 3, sizeof(*argv));
	if (argv && asprintf(&map, "-ffile-prefix-map=%s=%s", b->root[side],
			     b->tree_abs) < 0)
		map = NULL;
	if (map && asprintf(&dep, "%.*s.d", (int)strlen(obj) - 2, obj) < 0)
		dep = NULL;
	if (!dep) {
		free(argv);
		free(map);
		return NULL;
	}
	extra[3] = map;
	extra[4] = neutral ? "-w" : "-MD";
	extra[5] = neutral ? "-Wno-error" : "-MF";
	extra[6] = neutral ? "-D__LINE__=0" : dep;
	for (k = 0; k < u->argc; k++) {
		const char *a = u->argv[k];

		if (k == u->src && src)
			a = src;
		skip = dep_flag(a);
		if (!strcmp(a, "-o") || skip == 2) {
			k++;
			continue;
		}
		if ((!strncmp(a, "-o", 2) && k != u->src) || skip)
			continue;
		if (!(argv[n++] = strdup(a)))
			goto oom;
	}
	for (e = 0; e < nr_extra; e++)
		if (!(argv[n++] = strdup(extra[e])))
			goto oom;
	if (!(argv[n++] = strdup("-o")) || !(argv[n++] = strdup(obj)))
		goto oom;
	free(map);
	free(dep);
	return argv;
oom:
	free(map);
	free(dep);
	kb_argv__free(argv);
	return NULL;
}
