// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The module's guards (<kpl/guard.h>): KPL_IOC_GUARD_ADD/DEL and the
 * events read() from /dev/kpatch_lite.  With kmod.c, the only file that
 * includes the module's ABI header: a caller above libkpl (kpld) asks
 * for guards here and never speaks the ABI itself.
 *
 * A guard's breakpoints are file offsets: each old function's symbol is
 * found in the library file as apply finds it, and mapped to the file
 * through the PT_LOAD headers (kpl_elf__offset()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/linux/kpatch_lite.h>

#include "elfobj.h"
#include "internal.h"
#include "kpl/escape.h"
#include "kpl/guard.h"
#include "opts.h"
#include "patch.h"

#define GUARD_LIST "/sys/kernel/" KPL_DEVICE_NAME "/guards"

/* The public event is the module's, field for field: no table needed. */
_Static_assert(KPL_GUARD_EV_HOLD == KPL_EVENT_HOLD &&
		       KPL_GUARD_EV_RELEASE == KPL_EVENT_RELEASE &&
		       KPL_GUARD_EV_ALLOW == KPL_EVENT_ALLOW &&
		       KPL_GUARD_EV_KILL == KPL_EVENT_KILL &&
		       KPL_GUARD_EV_PATCHED == KPL_EVENT_PATCHED,
	       "enum kpl_guard_event_type and KPL_EVENT_* disagree");
_Static_assert(KPL_GUARD_REL_PATCHED == KPL_RELEASE_PATCHED &&
		       KPL_GUARD_REL_ALLOWED == KPL_RELEASE_ALLOWED &&
		       KPL_GUARD_REL_KILLED == KPL_RELEASE_KILLED &&
		       KPL_GUARD_REL_DELETED == KPL_RELEASE_DELETED &&
		       KPL_GUARD_REL_DIED == KPL_RELEASE_DIED,
	       "enum kpl_guard_release and KPL_RELEASE_* disagree");
_Static_assert(KPL_ID_MAX == KPL_PATCH_ID_MAX,
	       "a patch id that the module cannot hold");

struct kpl_guards {
	int fd;
	uint32_t abi;
};

KPL_API int kpl_guards__open(struct kpl_guards **out)
{
	struct kpl_version v = { 0 };
	struct kpl_guards *g;
	int fd, err;

	fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, KPL_IOC_VERSION, &v)) {
		err = -errno;
		pr_warn("guards: failed to query the module's version: %s\n",
			kpl_strerror(err));
		close(fd);
		return err;
	}
	if (v.abi_version >> 16 != KPL_ABI_VERSION_MAJOR ||
	    !(v.flags & KPL_VERSION_F_GUARD)) {
		pr_info("guards: %s has no guards (abi %u.%u)\n",
			KPL_DEVICE_PATH, v.abi_version >> 16,
			v.abi_version & 0xffff);
		close(fd);
		return -EOPNOTSUPP;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		close(fd);
		return -ENOMEM;
	}
	g->fd = fd;
	g->abi = v.abi_version;
	*out = g;
	return 0;
}

KPL_API void kpl_guards__close(struct kpl_guards *g)
{
	if (!g)
		return;
	close(g->fd);
	free(g);
}

KPL_API uint32_t kpl_guards__abi_version(const struct kpl_guards *g)
{
	return g->abi;
}

KPL_API int kpl_guards__fd(const struct kpl_guards *g)
{
	return g->fd;
}

/* The file offsets of @patch's old functions' entries in @path. */
static int entries(const struct kpl_patch *patch, const char *path,
		   uint64_t *off)
{
	char name[KPL_ESCAPE_MAX(64)], file[KPL_ESCAPE_MAX(128)];
	struct kpl_elf *elf = NULL;
	size_t i;
	int err;

	err = kpl_elf__open(path, &elf);
	/* An address (.kpl.addr) means something in one file only. */
	for (i = 0; !err && i < patch->nr_funcs; i++)
		if (patch->funcs[i].addr &&
		    (elf->build_id_len != patch->build_id_len ||
		     memcmp(elf->build_id, patch->build_id,
			    patch->build_id_len))) {
			pr_warn("guards: %s is not the file the patch was built for (build-id differs)\n",
				kpl_escape_str(file, sizeof(file), path));
			err = -KPL_E_BUILD_ID;
		}
	for (i = 0; !err && i < patch->nr_funcs; i++) {
		const struct kpl_patch_func *f = &patch->funcs[i];
		struct kpl_elf_sym sym;

		/* As apply finds it: by name, or where .kpl.addr says. */
		err = kpl_patch__find_func(patch, i, elf, path, &sym);
		if (!err)
			err = kpl_elf__offset(elf, sym.value, 1, &off[i]);
		if (err)
			pr_warn("guards: failed to place %s in %s: %s\n",
				kpl_escape_str(name, sizeof(name), f->old_name),
				kpl_escape_str(file, sizeof(file), path),
				kpl_strerror(err));
	}
	kpl_elf__close(elf);
	return err;
}

KPL_API int kpl_guards__add(struct kpl_guards *g, const struct kpl_patch *patch,
			    const char *path, const struct kpl_guard_opts *opts,
			    uint32_t *id)
{
	struct kpl_guard_add a = { .size = sizeof(a) };
	unsigned int hold_ms = 0;
	bool kill = false;
	uint64_t *off = NULL;
	int fd = -1, err;

	if (!KPL_OPTS_VALID(opts, kpl_guard_opts, kill_on_timeout))
		return -EINVAL;
	hold_ms = KPL_OPTS_GET(opts, hold_ms, 0);
	kill = KPL_OPTS_GET(opts, kill_on_timeout, false);
	if (!patch->nr_funcs || patch->nr_funcs > KPL_GUARD_FUNCS_MAX ||
	    strlen(patch->id) > KPL_PATCH_ID_MAX ||
	    hold_ms > KPL_GUARD_HOLD_MAX_MS)
		return -EINVAL;
	off = calloc(patch->nr_funcs, sizeof(*off));
	if (!off)
		return -ENOMEM;
	err = entries(patch, path, off);
	if (err)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	a.lib_fd = fd;
	a.policy = KPL_GUARD_HOLD;
	a.hold_ms = hold_ms;
	a.timeout_policy = kill ? KPL_GUARD_KILL : KPL_GUARD_ALLOW;
	a.nr_funcs = (uint32_t)patch->nr_funcs;
	a.offsets = (uintptr_t)off;
	snprintf(a.patch_id, sizeof(a.patch_id), "%s", patch->id);
	err = ioctl(g->fd, KPL_IOC_GUARD_ADD, &a) ? -errno : 0;
	if (!err)
		*id = a.id;
out:
	if (fd >= 0)
		close(fd);
	free(off);
	return err;
}

KPL_API int kpl_guards__find(const struct kpl_guards *g, const char *patch_id,
			     uint32_t *id)
{
	char line[1024], pid[KPL_PATCH_ID_MAX + 8];
	uint32_t gid = 0, n;
	FILE *f;

	(void)g; /* the list is the module's, not the handle's */
	f = fopen(GUARD_LIST, "re");
	if (!f)
		return -errno;
	while (!gid && fgets(line, sizeof(line), f))
		if (sscanf(line, "guard %" SCNu32 " patch %71s", &n, pid) ==
			    2 &&
		    !strcmp(pid, patch_id))
			gid = n;
	fclose(f);
	if (!gid)
		return -ENOENT;
	*id = gid;
	return 0;
}

KPL_API int kpl_guards__del(struct kpl_guards *g, uint32_t id)
{
	struct kpl_guard_del r = { .size = sizeof(r), .id = id };

	return ioctl(g->fd, KPL_IOC_GUARD_DEL, &r) ? -errno : 0;
}

KPL_API int kpl_guards__read(struct kpl_guards *g, struct kpl_guard_event *ev,
			     size_t max)
{
	struct kpl_event kev[16];
	size_t n = 0, want, i;
	ssize_t r;

	if (max > INT_MAX)
		max = INT_MAX;
	while (n < max) {
		want = max - n < 16 ? max - n : 16;
		r = read(g->fd, kev, want * sizeof(kev[0]));
		if (r < 0 && n == 0 && errno != EAGAIN)
			return -errno;
		if (r <= 0)
			break;
		for (i = 0; i < (size_t)r / sizeof(kev[0]); i++) {
			struct kpl_guard_event *e = &ev[n++];

			memset(e, 0, sizeof(*e));
			e->type = kev[i].type;
			e->reason = kev[i].reason;
			e->pid = kev[i].pid;
			e->tid = kev[i].tid;
			e->guard = kev[i].guard;
			e->func = kev[i].func;
			e->addr = kev[i].addr;
			e->time_ns = kev[i].time_ns;
			e->lost = kev[i].lost;
			snprintf(e->patch_id, sizeof(e->patch_id), "%.*s",
				 KPL_ID_MAX, kev[i].patch_id);
		}
	}
	return (int)n;
}
