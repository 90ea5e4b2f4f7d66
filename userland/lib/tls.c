// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The patched library's thread-local storage, as the target has it.
 * Patch code reaches the library's __thread variables as the
 * library's own code does: through __tls_get_addr with a tls_index pair
 * {module id, offset} (general and local dynamic), or relative to the
 * thread pointer with the offset of the variable from it (initial
 * exec; where static TLS lies around the thread pointer is the arch's:
 * kpl_arch_tls_static()).  The
 * offset of a variable in the library's TLS block is its st_value; the
 * module id and the block's place are the dynamic linker's choice, read
 * back from a GOT slot the dynamic linker filled for the library itself:
 * a DTPMOD64 slot holds the module id, a TPOFF64 slot a variable's
 * offset from the thread pointer.  Both hold for every thread, those
 * started later included: __tls_get_addr allocates a new thread's block
 * on first use, and static TLS is laid out at thread creation.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>

#include "arch.h"
#include "escape.h"
#include "internal.h"
#include "loader.h"
#include "patch.h"
#include "target.h"

/* Far above any module count or TLS block a process has. */
#define TLS_MODID_MAX (1u << 20)
#define TLS_SPAN_MAX (1ll << 32)

int kpl_target__tls_offset(void *ctx, const char *name, const char *file,
			   uint64_t *off)
{
	struct kpl_resolve_ctx *rc = ctx;
	char sym[KPL_ESCAPE_MAX(64)];
	const struct kpl_elf_sym *s;
	int err;

	/* A stripped library's static __thread: by offset (.kpl.addr). */
	err = kpl_patch__find_tls_ref(rc->patch, name, rc->lib->elf,
				      rc->lib->path, off);
	if (err != -ENOENT)
		return err;
	err = kpl_elf__find_tls(rc->lib->elf, name, file, &s);
	if (!err && s->value >= TLS_SPAN_MAX)
		err = -KPL_E_SYMBOL;
	if (err) {
		pr_warn("resolve: no thread-local variable '%s' in the library\n",
			kpl_escape_str(sym, sizeof(sym), name));
		return -KPL_E_SYMBOL;
	}
	*off = s->value;
	return 0;
}

int kpl_target__tls(struct kpl_target *t, struct kpl_obj *lib,
		    struct kpl_load_tls *out)
{
	const struct kpl_elf *e = lib->elf;
	uint64_t v;
	int64_t off;
	int err;

	out->offset = kpl_target__tls_offset;
	out->modid = 0;
	out->has_tpoff = false;
	if (e->tls_modid_got) {
		err = kpl_proc__read(t->proc, lib->bias + e->tls_modid_got, &v,
				     sizeof(v));
		if (err)
			return err;
		/* The target wrote it: a module id, or nothing we use. */
		if (!v || v > TLS_MODID_MAX) {
			pr_warn("resolve: pid %d holds TLS module id %llu for the library: not a module id\n",
				t->pid, (unsigned long long)v);
			return -KPL_E_MISMATCH;
		}
		out->modid = v;
	}
	if (e->tls_tpoff_got) {
		err = kpl_proc__read(t->proc, lib->bias + e->tls_tpoff_got, &v,
				     sizeof(v));
		if (err)
			return err;
		off = (int64_t)(v - e->tls_tpoff_bias);
		if (!kpl_arch_tls_static(off, TLS_SPAN_MAX)) {
			pr_warn("resolve: pid %d holds TLS offset %lld for the library: not %s\n",
				t->pid, (long long)off, kpl_arch_tls_where);
			return -KPL_E_MISMATCH;
		}
		out->tpoff = (uint64_t)off;
		out->has_tpoff = true;
	}
	return 0;
}
