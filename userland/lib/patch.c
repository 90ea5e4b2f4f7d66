// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Opening a .kpl patch: the .kpl.* sections on top of the ELF layer that
 * patch_elf.c checks.  Every string, count and symbol reference the loader
 * will use is validated here, so struct kpl_patch is trusted afterwards.
 * See docs/patch-format.md for the rules, in the order they are checked.
 */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpl/escape.h"
#include "internal.h"
#include "patch.h"

/* The on-disk layout is part of the format: no padding, fixed sizes. */
_Static_assert(sizeof(struct kpl_info_disk) == 108, "kpl_info_disk layout");
_Static_assert(sizeof(struct kpl_func_disk) == 24, "kpl_func_disk layout");
_Static_assert(sizeof(struct kpl_ref_disk) == 8, "kpl_ref_disk layout");

/* Larger files are refused before reading: a patch is a few functions. */
#define KPL_PATCH_MAX_SIZE (64u << 20)

static int find_kpl_section(const struct kpl_patch *p, const char *name,
			    bool required, const struct kpl_patch_section **out)
{
	const struct kpl_patch_section *s;
	int i = kpl_patch_elf__find(p, name);

	if (i < 0)
		return i;
	if (i == 0) {
		if (required) {
			pr_warn("patch: no %s section\n", name);
			return -KPL_E_FORMAT;
		}
		*out = NULL;
		return 0;
	}
	s = &p->sections[i];
	if (s->type != SHT_PROGBITS || (s->flags & SHF_ALLOC)) {
		pr_warn("patch: %s must be SHT_PROGBITS without SHF_ALLOC (type %u, flags 0x%llx)\n",
			name, s->type, (unsigned long long)s->flags);
		return -KPL_E_FORMAT;
	}
	*out = s;
	return 0;
}

static int kpl_sections(const struct kpl_patch *p, struct kpl_patch_secs *ks)
{
	int err;

	err = find_kpl_section(p, KPL_SEC_INFO, true, &ks->info);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_FUNCS, true, &ks->funcs);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_REFS, false, &ks->refs);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_STRTAB, true, &ks->strtab);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_SIG, false, &ks->sig);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_VULN, false, &ks->vuln);
	if (!err)
		err = find_kpl_section(p, KPL_SEC_ADDR, false, &ks->addr);
	if (err)
		return err;
	if (ks->strtab->size == 0 || ks->strtab->data[0] != '\0' ||
	    ks->strtab->data[ks->strtab->size - 1] != '\0') {
		pr_warn("patch: %s must start and end with a NUL byte\n",
			KPL_SEC_STRTAB);
		return -KPL_E_FORMAT;
	}
	return 0;
}

static bool id_valid(const char *id)
{
	size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= KPL_ID_MAX && id[n] == '\0';
}

/* Shown by `kpl info` and logs: no control characters. */
static bool text_valid(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int parse_info(struct kpl_patch *p, const struct kpl_patch_secs *ks,
		      struct kpl_info_disk *info)
{
	const size_t ver_end = offsetof(struct kpl_info_disk, format_version) +
			       sizeof(info->format_version);

	/*
	 * Magic and version come first so that a later format, whose
	 * .kpl.info may be larger, is reported as a version problem.
	 */
	if (ks->info->size < ver_end) {
		pr_warn("patch: %s too short (%llu bytes)\n", KPL_SEC_INFO,
			(unsigned long long)ks->info->size);
		return -KPL_E_FORMAT;
	}
	memset(info, 0, sizeof(*info));
	memcpy(info, ks->info->data, ver_end);
	if (memcmp(info->magic, KPL_MAGIC, sizeof(info->magic))) {
		pr_warn("patch: bad magic in %s\n", KPL_SEC_INFO);
		return -KPL_E_FORMAT;
	}
	if (info->format_version != KPL_FORMAT_VERSION) {
		pr_warn("patch: format version %u not supported (this libkpl reads version %d)\n",
			info->format_version, KPL_FORMAT_VERSION);
		return -KPL_E_VERSION;
	}
	if (ks->info->size != sizeof(*info)) {
		pr_warn("patch: %s size %llu, expected %zu\n", KPL_SEC_INFO,
			(unsigned long long)ks->info->size, sizeof(*info));
		return -KPL_E_FORMAT;
	}
	memcpy(info, ks->info->data, sizeof(*info));
	if (info->flags & ~KPL_PATCH_F_ALL) {
		pr_warn("patch: unknown flags 0x%x\n",
			info->flags & ~KPL_PATCH_F_ALL);
		return -KPL_E_FORMAT;
	}
	if (info->build_id_len < 1 || info->build_id_len > KPL_BUILD_ID_MAX) {
		pr_warn("patch: build-id length %u not in 1..%d\n",
			info->build_id_len, KPL_BUILD_ID_MAX);
		return -KPL_E_FORMAT;
	}
	p->id = kpl_patch__str(ks, info->id, "patch id");
	p->description = kpl_patch__str(ks, info->description, "description");
	p->target_soname =
		kpl_patch__str(ks, info->target_soname, "target soname");
	if (!p->id || !p->description || !p->target_soname)
		return -KPL_E_FORMAT;
	if (!id_valid(p->id)) {
		pr_warn("patch: id \"%.*s\" must be 1..%d characters of [A-Za-z0-9._-]\n",
			KPL_ID_MAX + 1, p->id, KPL_ID_MAX);
		return -KPL_E_FORMAT;
	}
	if (!*p->target_soname || !text_valid(p->target_soname) ||
	    !text_valid(p->description)) {
		pr_warn("patch: %s: target soname empty or control characters in soname or description\n",
			p->id);
		return -KPL_E_FORMAT;
	}
	p->format_version = info->format_version;
	p->flags = info->flags;
	p->version = info->patch_version;
	p->build_id_len = info->build_id_len;
	memcpy(p->build_id, info->build_id, info->build_id_len);
	return 0;
}

/* Parse @p->image, which @p owns; @p is freed by the caller on failure. */
static int parse_image(struct kpl_patch *p)
{
	struct kpl_info_disk info;
	struct kpl_patch_secs ks = { 0 };
	int err;

	err = kpl_patch_elf__parse(p);
	if (!err)
		err = kpl_sections(p, &ks);
	if (!err)
		err = parse_info(p, &ks, &info);
	if (!err)
		err = kpl_patch_map__parse(p, &ks, info.nr_funcs, info.nr_refs);
	if (!err)
		err = kpl_patch_vuln__parse(p, &ks);
	if (!err)
		err = kpl_patch_addr__parse(p, &ks);
	if (err)
		return err;
	if (ks.sig) {
		p->sig_offset = ks.sig->offset;
		p->sig_size = ks.sig->size;
	}
	return 0;
}

int kpl_patch__parse(const void *image, size_t size, struct kpl_patch **out)
{
	struct kpl_patch *p;
	int err;

	if (!out || (!image && size))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->image = malloc(size ? size : 1);
	if (!p->image) {
		err = -ENOMEM;
		goto out;
	}
	if (size)
		memcpy(p->image, image, size);
	p->image_size = size;
	err = parse_image(p);
out:
	if (err) {
		kpl_patch__free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* Read all of @fd; *@buf is malloc'ed and owned by the caller on success. */
static int read_all(int fd, uint8_t **buf, size_t *size)
{
	struct stat st;
	uint8_t *b;
	size_t n = 0;
	ssize_t r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		pr_warn("patch: not a regular file (%s)\n",
			S_ISDIR(st.st_mode)    ? "a directory"
			: S_ISFIFO(st.st_mode) ? "a FIFO"
			: S_ISSOCK(st.st_mode) ? "a socket"
					       : "a device");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > KPL_PATCH_MAX_SIZE) {
		pr_warn("patch: %llu bytes, more than the %u a patch may be\n",
			(unsigned long long)st.st_size, KPL_PATCH_MAX_SIZE);
		return -EFBIG;
	}
	b = malloc(st.st_size ? st.st_size : 1);
	if (!b)
		return -ENOMEM;
	/* A file that shrinks while we read is simply short. */
	while (n < (size_t)st.st_size) {
		r = read(fd, b + n, st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(b);
			return (int)r;
		}
		if (r == 0)
			break;
		n += r;
	}
	*buf = b;
	*size = n;
	return 0;
}

KPL_API int kpl_patch__open(const char *path, struct kpl_patch **out)
{
	char name[KPL_ESCAPE_MAX(256)];
	struct kpl_patch *p;
	int fd = -1, err;

	if (!path || !out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	if (!p->path) {
		err = -ENOMEM;
		goto out;
	}
	kpl_escape_str(name, sizeof(name), path);
	/* Never block: a FIFO or a device opens at once and is refused by
	 * read_all(); a regular file ignores O_NONBLOCK. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("patch: failed to open %s: %s\n", name,
			kpl_strerror(err));
		goto out;
	}
	err = read_all(fd, &p->image, &p->image_size);
	if (err) {
		pr_warn("patch: failed to read %s: %s\n", name,
			kpl_strerror(err));
		goto out;
	}
	err = parse_image(p);
	if (err)
		pr_warn("patch: %s: %s\n", name, kpl_strerror(err));
out:
	if (fd >= 0)
		close(fd);
	if (err) {
		kpl_patch__free(p);
		return err;
	}
	*out = p;
	return 0;
}

KPL_API void kpl_patch__free(struct kpl_patch *patch)
{
	if (!patch)
		return;
	free(patch->relocs);
	free(patch->symbols);
	free(patch->sections);
	free(patch->refs);
	free(patch->funcs);
	free(patch->cves);
	free(patch->image);
	free(patch->path);
	free(patch);
}

KPL_API const char *kpl_patch__id(const struct kpl_patch *patch)
{
	return patch->id;
}

KPL_API const char *kpl_patch__description(const struct kpl_patch *patch)
{
	return patch->description;
}

KPL_API const char *kpl_patch__target_soname(const struct kpl_patch *patch)
{
	return patch->target_soname;
}

KPL_API uint32_t kpl_patch__version(const struct kpl_patch *patch)
{
	return patch->version;
}

KPL_API uint32_t kpl_patch__flags(const struct kpl_patch *patch)
{
	return patch->flags;
}

KPL_API size_t kpl_patch__build_id(const struct kpl_patch *patch, uint8_t *buf,
				   size_t len)
{
	memcpy(buf, patch->build_id,
	       len < patch->build_id_len ? len : patch->build_id_len);
	return patch->build_id_len;
}

KPL_API size_t kpl_patch__nr_funcs(const struct kpl_patch *patch)
{
	return patch->nr_funcs;
}

KPL_API const char *kpl_patch__func_old(const struct kpl_patch *patch, size_t i)
{
	return i < patch->nr_funcs ? patch->funcs[i].old_name : NULL;
}

KPL_API const char *kpl_patch__func_new(const struct kpl_patch *patch, size_t i)
{
	return i < patch->nr_funcs ? patch->funcs[i].new_name : NULL;
}

KPL_API const char *kpl_patch__func_file(const struct kpl_patch *patch,
					 size_t i)
{
	return i < patch->nr_funcs ? patch->funcs[i].old_file : NULL;
}

KPL_API size_t kpl_patch__nr_refs(const struct kpl_patch *patch)
{
	return patch->nr_refs;
}

KPL_API const char *kpl_patch__ref_name(const struct kpl_patch *patch, size_t i)
{
	return i < patch->nr_refs ? patch->refs[i].name : NULL;
}

KPL_API const char *kpl_patch__ref_file(const struct kpl_patch *patch, size_t i)
{
	return i < patch->nr_refs ? patch->refs[i].file : NULL;
}

KPL_API size_t kpl_patch__nr_cves(const struct kpl_patch *patch)
{
	return patch->nr_cves;
}

KPL_API const char *kpl_patch__cve(const struct kpl_patch *patch, size_t i)
{
	return i < patch->nr_cves ? patch->cves[i] : NULL;
}

KPL_API const char *kpl_patch__advisory(const struct kpl_patch *patch)
{
	return patch->advisory;
}

KPL_API const char *kpl_patch__advisory_url(const struct kpl_patch *patch)
{
	return patch->advisory_url;
}

KPL_API const char *kpl_patch__advisory_text(const struct kpl_patch *patch)
{
	return patch->advisory_text;
}

KPL_API const char *kpl_patch__path(const struct kpl_patch *patch)
{
	return patch->path;
}
