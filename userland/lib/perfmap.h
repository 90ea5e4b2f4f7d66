/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * perf's map file for code no file backs (tools/perf/Documentation/
 * jit-interface.txt): /tmp/perf-PID.map, one "START SIZE NAME" line per
 * symbol, START and SIZE in hex.  kpl appends a line per function of a
 * patch it applied with kpl_apply_opts.perf_map, named "kpl:ID:NAME",
 * and takes a patch's lines back out when it unmaps the patch.
 */
#ifndef KPL_LIB_PERFMAP_H
#define KPL_LIB_PERFMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kpl_perfmap_sym {
	uint64_t start, size;
	const char *name;	/* any bytes: what perf cannot take is '?' */
};

/* Where the file lives: "/tmp", or a test's own directory. */
struct kpl_perfmap_where {
	const char *dir;
	pid_t pid;		/* the PID of perf-PID.map */
	uid_t uid;		/* the target's: owner of a file made here */
	gid_t gid;
};

/*
 * kpl_perfmap__add() - append @nr lines "START SIZE kpl:@id:NAME".
 * The file is never followed through a link, and is written only if it
 * is a regular file with one link, owned by @w->uid or root; a new one
 * is made with O_EXCL, mode 0644, owned by @w->uid.
 * Return: 0, or -errno (logged; nothing written).
 */
int kpl_perfmap__add(const struct kpl_perfmap_where *w, const char *id,
		     const struct kpl_perfmap_sym *s, size_t nr);

/*
 * kpl_perfmap__remove() - take every "kpl:@id:" line out of the file,
 * which is rewritten in place, the same checks first.  No file, or
 * none of those lines: nothing is written.
 * Return: 0, or -errno (logged).
 */
int kpl_perfmap__remove(const struct kpl_perfmap_where *w, const char *id);

struct kpl_load;
struct kpl_map_range;
struct kpl_patch;
struct kpl_target;

/*
 * kpl_perfmap__apply() - the lines of every function @patch loaded where
 * @ld placed it, in the file of @t's process, made for its owner.
 * Return: 0, or -errno (logged): the patch stays applied either way.
 */
int kpl_perfmap__apply(const struct kpl_target *t,
		       const struct kpl_patch *patch,
		       const struct kpl_load *ld);

/*
 * kpl_perfmap__anon_text() - mark @id's code among @r anonymous where
 * it can be (a memfd part after it), and warn where perf will not name it.
 */
void kpl_perfmap__anon_text(const struct kpl_target *t, const char *id,
			    struct kpl_map_range *r, size_t nr);

/* kpl_perfmap__unmapped() - patch @id is unmapped from @pid: its lines go. */
int kpl_perfmap__unmapped(pid_t pid, const char *id);

#endif
