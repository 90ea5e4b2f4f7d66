/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef KPL_LIB_TARGET_H
#define KPL_LIB_TARGET_H

#include "backend/backend.h"
#include "elfobj.h"
#include "kpl/target.h"
#include "maps.h"
#include "scope.h"
#include "state.h"

/* A file-backed object mapped in the target. */
struct kpl_obj {
	char path[512];
	uint64_t lo, hi;	/* span of its mappings */
	uint64_t bias;		/* load address - link address */
	uint64_t map_start, map_end;	/* its offset-0 mapping */
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	struct kpl_elf *elf;	/* opened on demand */
	bool elf_failed;
	bool elf_shared;	/* the command's (share.h): not ours to close */
	bool exec;		/* has executable text mapped */
};

/* A patch mapping found in the target, with its record. */
struct kpl_found {
	uint64_t base, size;
	struct kpl_state *st;	/* malloc'ed copy, validated */
};

/*
 * A mapping named like a patch ("/memfd:kpl:*") whose record is missing,
 * unreadable or invalid: never trusted, removed by the next repair.
 */
struct kpl_garbage {
	uint64_t base, size;
	char name[160];		/* its maps name, escaped for printing */
	char why[128];
};

struct kpl_target {
	pid_t pid;
	struct kpl_lock *lock;	/* held while the target is open */
	struct kpl_proc *proc;
	struct kpl_maps *maps;
	struct kpl_obj *objs;
	size_t nr_objs;
	struct kpl_scope *scope;	/* read on first use, with objs */
	struct kpl_found *found;
	size_t nr_found;
	struct kpl_garbage *garbage;
	size_t nr_garbage;
	/* proc->changes when maps, objects and records were last read;
	 * UINT64_MAX: never (or the read failed). */
	uint64_t read_at;
};

/*
 * One kpl at a time per process (lock.c): taken by kpl_target__open(),
 * released, and its file removed, by kpl_target__close().
 */
struct kpl_lock;
int kpl_lock__take(pid_t pid, struct kpl_lock **out);
void kpl_lock__release(struct kpl_lock *l);

/*
 * Is @pid a running kpl or kpld?  They map the libraries they patch
 * (libc, libcrypto...) and are never patched themselves.
 */
bool kpl_pid_is_kpl(pid_t pid);

/* Re-read maps, objects and patch records. */
int kpl_target__refresh(struct kpl_target *t);
/* Replace t->maps with @m (NULL: none), lending it to the backend. */
void kpl_target__set_maps(struct kpl_target *t, struct kpl_maps *m);
/*
 * The same, only when kpl changed the process since the last read: an
 * open target is locked (kpl_lock__take()), so no other kpl changes it,
 * and maps and records are read once per command, not per step.
 */
int kpl_target__refresh_if_changed(struct kpl_target *t);
/* obj.c: the ELF of @o (opened through /proc/PID/map_files), or NULL. */
struct kpl_elf *kpl_obj__elf(struct kpl_target *t, struct kpl_obj *o);
/*
 * Find the loaded object whose soname is @soname: one the dynamic linker
 * mapped, with executable text (a file only mmap'ed to be read is not).
 */
struct kpl_obj *kpl_target__find_lib(struct kpl_target *t, const char *soname);
/* Resolve an undefined patch symbol; ctx is a struct kpl_resolve_ctx. */
struct kpl_resolve_ctx {
	struct kpl_target *t;
	struct kpl_obj *lib;
	const struct kpl_patch *patch;	/* its refs' .kpl.addr, or NULL */
};
int kpl_target__resolve(void *ctx, const char *name, const char *file,
			uint64_t *addr);

/*
 * tls.c: the library's thread-local storage in the target, for patches
 * that use it.  kpl_target__tls() reads the module id and the static TLS
 * offset the dynamic linker gave @lib (each left unknown when @lib has
 * no GOT slot of that kind); kpl_target__tls_offset() is a resolver
 * (ctx: struct kpl_resolve_ctx) giving a TLS symbol's block offset.
 */
struct kpl_load_tls;
int kpl_target__tls(struct kpl_target *t, struct kpl_obj *lib,
		    struct kpl_load_tls *out);
int kpl_target__tls_offset(void *ctx, const char *name, const char *file,
			   uint64_t *off);
/* Write the phase field of a record in the target and in @f. */
int kpl_found__set_phase(struct kpl_target *t, struct kpl_found *f,
			 enum kpl_phase phase);
const char *kpl_phase_name(uint32_t phase);
/* apply.c: the record of patch @id that is not retired, if any; the
 * APPLIED record whose jump is what @cur holds at @addr, if any. */
struct kpl_found *kpl_found__by_id(struct kpl_target *t, const char *id);
struct kpl_found *kpl_found__owner(struct kpl_target *t, uint64_t addr,
				   const uint8_t *cur, uint32_t len);
/* kpl_target__repair() (repair.c) is public: <kpl/target.h>. */

#endif
