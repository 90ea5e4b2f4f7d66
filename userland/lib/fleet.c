// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Fleet apply and revert: find every process that maps the target
 * library, by build-id, and patch them from a pool of worker threads.
 * Each worker does whole apply/revert calls, so every ptrace tracee is
 * driven by the thread that seized it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "elfobj.h"
#include "internal.h"
#include "kpl/fleet.h"
#include "maps.h"
#include "opts.h"
#include "patch.h"
#include "share.h"
#include "state.h"
#include "target.h"

/* Build-ids already read, by file identity, so each file is read once. */
struct bid_cache {
	struct bid_ent {
		unsigned int dev_major, dev_minor;
		uint64_t inode;
		bool match;
	} *v;
	size_t nr;
};

static int bid_lookup(struct bid_cache *c, const struct kpl_map *v,
		      pid_t pid, const struct kpl_patch *patch, bool *match)
{
	uint8_t bid[KPL_BUILD_ID_MAX];
	struct bid_ent *e;
	char path[96];
	size_t i;
	int n;

	for (i = 0; i < c->nr; i++) {
		if (c->v[i].inode == v->inode &&
		    c->v[i].dev_major == v->dev_major &&
		    c->v[i].dev_minor == v->dev_minor) {
			*match = c->v[i].match;
			return 0;
		}
	}
	/* map_files names have no leading zeros, unlike maps lines (a
	 * non-PIE executable's text at 00401000). */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 pid, v->start, v->end);
	n = kpl_elf_build_id(path, bid, sizeof(bid));
	if (n < 0)
		return 0;	/* gone or unreadable: not cached, not ours */
	e = realloc(c->v, (c->nr + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	c->v = e;
	e = &c->v[c->nr++];
	e->dev_major = v->dev_major;
	e->dev_minor = v->dev_minor;
	e->inode = v->inode;
	e->match = (size_t)n == patch->build_id_len &&
		   !memcmp(bid, patch->build_id, patch->build_id_len);
	*match = e->match;
	return 0;
}

static int push_pid(pid_t **v, size_t *nr, pid_t pid)
{
	pid_t *nv = realloc(*v, (*nr + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*nr)++] = pid;
	*v = nv;
	return 0;
}

/* Call @fn(line) for each line of /proc/PID/maps until it returns != 0. */
static int each_maps_line(pid_t pid, int (*fn)(const char *line, void *arg),
			  void *arg)
{
	char buf[KPL_MAPS_BUF], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	f = kpl_maps__fopen(pid, buf);
	if (!f)
		return 0;
	while (!r && getline(&line, &cap, f) > 0)
		r = fn(line, arg);
	free(line);
	fclose(f);
	return r;
}

struct find_ctx {
	pid_t pid;
	const struct kpl_patch *patch;
	struct bid_cache *cache;
	const char *needle;
	int err;
	char *path;		/* if set: want the file's path (not deleted) */
	size_t path_len;
	bool here;		/* ... as the caller's mount namespace names it */
	bool same;		/* out: the maps path names it there */
};

/*
 * Does @name name, in the caller's mount namespace, the file maps line
 * @v says is its device and inode?  Not for a process in another mount
 * namespace (a container), where the same path may name another file
 * or none.
 */
static bool names_here(const char *name, const struct kpl_map *v)
{
	struct stat st;

	return !stat(name, &st) &&
	       st.st_dev == makedev(v->dev_major, v->dev_minor) &&
	       (uint64_t)st.st_ino == v->inode;
}

/*
 * 1 when the line maps, executable, a file with the patch's build-id:
 * the text of a library the dynamic linker loaded.  A process that only
 * mmaps the file to read it (as libelf does) is not a target.
 */
static int line_maps_target(const char *line, void *arg)
{
	struct find_ctx *fc = arg;
	struct kpl_map v;
	bool match = false;
	int err;

	if (kpl_maps__parse(line, &v) || !(v.prot & PROT_EXEC) || !v.inode ||
	    !strchr(v.path, '/') || strstr(v.path, "/memfd:"))
		return 0;
	err = bid_lookup(fc->cache, &v, fc->pid, fc->patch, &match);
	if (err) {
		fc->err = err;
		return 1;
	}
	if (match && fc->path) {
		const char *name = strchr(v.path, '/');

		/* A file replaced on disk has no path to hand out: looked
		 * for in the line, as a cut v.path may have lost it. */
		if (strstr(strchr(line, '/'), " (deleted)"))
			return 0;
		snprintf(fc->path, fc->path_len, "%s", name);
		if (fc->here) {
			/* A path cut short names no file. */
			fc->same = !v.cut && names_here(fc->path, &v);
			/* As no leading zeros, see bid_lookup(). */
			if (!fc->same)
				snprintf(fc->path, fc->path_len,
					 "/proc/%d/map_files/%" PRIx64
					 "-%" PRIx64, fc->pid, v.start, v.end);
		}
	}
	return match;
}

static int line_has(const char *line, void *arg)
{
	struct find_ctx *fc = arg;

	return strstr(line, fc->needle) != NULL;
}

static int find(struct find_ctx *fc, int (*fn)(const char *, void *),
		pid_t **pids, size_t *nr)
{
	pid_t self = getpid(), *v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		fc->pid = (pid_t)atoi(de->d_name);
		/* kpl and kpld map the libraries they patch: never ours. */
		if (fc->pid <= 0 || fc->pid == self || kpl_pid_is_kpl(fc->pid))
			continue;
		if (each_maps_line(fc->pid, fn, fc) > 0 && !fc->err)
			err = push_pid(&v, &n, fc->pid);
		if (fc->err)
			err = fc->err;
	}
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	*pids = v;
	*nr = n;
	return 0;
}

KPL_API int kpl_fleet__find(const struct kpl_patch *patch, pid_t **pids,
			    size_t *nr)
{
	struct bid_cache cache = { 0 };
	struct find_ctx fc = { .patch = patch, .cache = &cache };
	int err = find(&fc, line_maps_target, pids, nr);

	free(cache.v);
	return err;
}

KPL_API int kpl_fleet__library_path(const struct kpl_patch *patch, pid_t pid,
				    char *buf, size_t len)
{
	struct bid_cache cache = { 0 };
	struct find_ctx fc = { .pid = pid, .patch = patch, .cache = &cache,
			       .path = buf, .path_len = len };
	int r = each_maps_line(pid, line_maps_target, &fc);

	free(cache.v);
	if (fc.err)
		return fc.err;
	return r > 0 ? 0 : -ENOENT;
}

KPL_API int kpl_fleet__library_here(const struct kpl_patch *patch, pid_t pid,
				    char *buf, size_t len, bool *same)
{
	struct bid_cache cache = { 0 };
	struct find_ctx fc = { .pid = pid, .patch = patch, .cache = &cache,
			       .path = buf, .path_len = len, .here = true };
	int r = each_maps_line(pid, line_maps_target, &fc);

	free(cache.v);
	if (fc.err)
		return fc.err;
	if (r <= 0)
		return -ENOENT;
	if (same)
		*same = fc.same;
	return 0;
}

KPL_API int kpl_fleet__find_applied(const char *id, pid_t **pids, size_t *nr)
{
	char needle[KPL_ID_MAX + 32];
	struct find_ctx fc = { .needle = needle };

	snprintf(needle, sizeof(needle), "/memfd:kpl:%s (deleted)", id);
	return find(&fc, line_has, pids, nr);
}

struct mappings_ctx {
	pid_t pid;
	int mem;		/* /proc/PID/mem, opened at the first record */
	struct kpl_fleet_mapping *v;
	size_t nr;
	int err;
};

/*
 * Does the record at @base say anything but APPLIED?  One read of its
 * phase; unreadable counts as finished (the process may be gone).
 */
static bool unfinished(struct mappings_ctx *mc, uint64_t base)
{
	char path[64];
	uint32_t phase;

	if (mc->mem < 0) {
		snprintf(path, sizeof(path), "/proc/%d/mem", mc->pid);
		mc->mem = open(path, O_RDONLY | O_CLOEXEC);
		if (mc->mem < 0)
			return false;
	}
	if (pread(mc->mem, &phase, sizeof(phase),
		  (off_t)(base + offsetof(struct kpl_state, phase))) !=
	    sizeof(phase))
		return false;
	return phase != KPL_PHASE_APPLIED;
}

static int line_mapping(const char *line, void *arg)
{
	struct mappings_ctx *mc = arg;
	struct kpl_fleet_mapping *m;
	const char *k = strstr(line, KPL_STATE_PREFIX);
	struct kpl_map v;

	if (!k || kpl_maps__parse(line, &v))
		return 0;
	k += strlen(KPL_STATE_PREFIX);
	m = realloc(mc->v, (mc->nr + 1) * sizeof(*m));
	if (!m) {
		mc->err = -ENOMEM;
		return 1;
	}
	mc->v = m;
	m = &mc->v[mc->nr++];
	memset(m, 0, sizeof(*m));
	m->pid = mc->pid;
	/* The id ends where the name does (" (deleted)" follows). */
	snprintf(m->id, sizeof(m->id), "%.*s", (int)strcspn(k, " \n"), k);
	m->start = v.start;
	m->end = v.end;
	m->unfinished = !v.offset && unfinished(mc, v.start);
	return 0;
}

KPL_API int kpl_fleet__mappings(struct kpl_fleet_mapping **list, size_t *nr)
{
	struct mappings_ctx mc = { .mem = -1 };
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while (!mc.err && (de = readdir(d))) {
		mc.pid = (pid_t)atoi(de->d_name);
		if (mc.pid <= 0)
			continue;
		each_maps_line(mc.pid, line_mapping, &mc);
		if (mc.mem >= 0)
			close(mc.mem);
		mc.mem = -1;
	}
	closedir(d);
	if (mc.err) {
		free(mc.v);
		return mc.err;
	}
	*list = mc.v;
	*nr = mc.nr;
	return 0;
}

/* The work shared by the pool. */
struct pool {
	const struct kpl_patch *patch;
	const char *id;
	bool revert;
	const pid_t *pids;
	size_t nr;
	const struct kpl_fleet_opts *opts;
	struct kpl_fleet_result *res;
	atomic_size_t next;
	size_t done;
	pthread_mutex_t lock;
};

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	/* open, read, close: no stdio, whose fstat() costs a system call
	 * per process of the fleet. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void one(struct pool *pl, size_t i)
{
	struct kpl_fleet_result *r = &pl->res[i];
	struct kpl_apply_opts ao;
	struct kpl_target *t = NULL;

	/* Checked by kpl_fleet_opts_get(): field by field, never whole. */
	kpl_apply_opts_get(pl->opts->apply, &ao);
	ao.stats = &r->stats;
	r->pid = pl->pids[i];
	comm_of(r->pid, r->comm, sizeof(r->comm));
	r->err = kpl_target__open(r->pid, pl->opts->target, &t);
	if (!r->err)
		r->err = pl->revert ? kpl_target__revert(t, pl->id, &ao)
				    : kpl_target__apply(t, pl->patch, &ao);
	/* Listed for its mapping, yet not applied: a leftover (a child
	 * forked mid-transaction, a retired mapping) that the revert's
	 * repair has dealt with.  The patch is out of it: reverted. */
	if (pl->revert && r->err == -KPL_E_NOT_APPLIED)
		r->err = 0;
	kpl_target__close(t);
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	size_t i;

	while ((i = atomic_fetch_add(&pl->next, 1)) < pl->nr) {
		one(pl, i);
		pthread_mutex_lock(&pl->lock);
		pl->done++;
		if (pl->opts->progress)
			pl->opts->progress(pl->opts->ctx, pl->done, pl->nr);
		pthread_mutex_unlock(&pl->lock);
	}
	return NULL;
}

static int run_pool(struct pool *pl)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = pl->opts->jobs > 0 ? pl->opts->jobs
						  : (int)(cpus > 0 ? cpus : 1);
	pthread_t *th;
	int i, started = 0;

	if ((size_t)jobs > pl->nr)
		jobs = (int)pl->nr;
	th = calloc(jobs ? (size_t)jobs : 1, sizeof(*th));
	if (!th)
		return -ENOMEM;
	pthread_mutex_init(&pl->lock, NULL);
	if (jobs > 1)
		kpl_share__add_workers(jobs - 1);
	for (i = 0; i < jobs; i++)
		if (!pthread_create(&th[i], NULL, worker, pl))
			started++;
	/* No thread at all: do the work here. */
	if (!started)
		worker(pl);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (jobs > 1)
		kpl_share__add_workers(-(jobs - 1));
	pthread_mutex_destroy(&pl->lock);
	free(th);
	return 0;
}

static int first_error(const struct kpl_fleet_result *res, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (res[i].err)
			return res[i].err;
	return 0;
}

KPL_API int kpl_fleet__apply(const struct kpl_patch *patch,
			     const pid_t *pids, size_t nr,
			     const struct kpl_fleet_opts *opts,
			     struct kpl_fleet_result **out)
{
	struct pool pl = { .patch = patch, .pids = pids, .nr = nr };
	struct kpl_fleet_result *res;
	struct kpl_fleet_opts o;
	bool unwinds = false;
	int err, uerr;
	size_t i;

	err = kpl_fleet_opts_get(opts, &o);
	if (err)
		return err;
	pl.opts = &o;
	res = calloc(nr ? nr : 1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	pl.res = res;
	/* Every process reads the same files and functions: once.  The
	 * patch's own unwind check depends on nothing else: once too. */
	kpl_share__get();
	uerr = kpl_patch__scan_unwind(patch, &unwinds);
	kpl_share__keep_unwind(patch, uerr, unwinds);
	err = run_pool(&pl);
	kpl_share__drop_unwind(patch);
	kpl_share__put();
	if (!err)
		err = first_error(res, nr);
	if (err && o.atomic) {
		struct kpl_fleet_result *back = NULL;
		pid_t *done = calloc(nr ? nr : 1, sizeof(*done));
		size_t n = 0;

		for (i = 0; done && i < nr; i++)
			if (!res[i].err)
				done[n++] = res[i].pid;
		pr_warn("fleet: %s failed in some processes; rolling back the "
			"%zu it was applied to\n", patch->id, n);
		/* Rolled back per process below; the first error stays. */
		if (done)
			kpl_fleet__revert(patch->id, done, n, &o, &back);
		for (i = 0; back && i < nr; i++) {
			size_t j;

			for (j = 0; j < n; j++)
				if (back[j].pid == res[i].pid && !back[j].err)
					res[i].rolled_back = true;
		}
		free(back);
		free(done);
	}
	*out = res;
	return err;
}

KPL_API int kpl_fleet__revert(const char *id, const pid_t *pids, size_t nr,
			      const struct kpl_fleet_opts *opts,
			      struct kpl_fleet_result **out)
{
	struct pool pl = { .id = id, .revert = true, .pids = pids, .nr = nr };
	struct kpl_fleet_result *res;
	struct kpl_fleet_opts o;
	int err;

	err = kpl_fleet_opts_get(opts, &o);
	if (err)
		return err;
	o.atomic = false;
	pl.opts = &o;
	res = calloc(nr ? nr : 1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	pl.res = res;
	kpl_share__get();
	err = run_pool(&pl);
	kpl_share__put();
	if (!err)
		err = first_error(res, nr);
	*out = res;
	return err;
}
