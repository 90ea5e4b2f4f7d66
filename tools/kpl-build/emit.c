// SPDX-License-Identifier: GPL-2.0
/*
 * Writing a patch: objcopy adds the sections to a copy of the object in a
 * temporary file next to the output; libkpl's parser must accept that file
 * before it is renamed over the output.  So a patch that kpl-build writes
 * is one that kpl will load, and a failure leaves no partial output.
 *
 * With a key, a zeroed .kpl.sig is added with the other sections, and the
 * temporary file is signed in place (kb_sign_file()) before the rename:
 * objcopy never runs on a signed file, since it may lay sections out anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpl-build.h"
#include "kpl/errors.h"
#include "kpl/patch.h"
#include "patch.h"
#include "sign.h"

#define MAX_SECS 8

static int write_file(const char *path, const void *data, size_t size)
{
	const char *p = data;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		p += n;
		size -= n;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}

struct emit {
	char dir[PATH_MAX]; /* temporary directory for blobs */
	char *blob[MAX_SECS]; /* dir/N */
	char *spec[2 * MAX_SECS]; /* NAME=FILE, NAME=readonly */
	char *tmp; /* OUT.XXXXXX */
};

static int write_blobs(struct emit *e, const struct kb_section *secs, size_t n)
{
	const char *tmpdir = getenv("TMPDIR");
	size_t i;
	int err;

	if (snprintf(e->dir, sizeof(e->dir), "%s/kpl-build.XXXXXX",
		     tmpdir && *tmpdir ? tmpdir : "/tmp") >=
	    (int)sizeof(e->dir)) {
		kb_err("TMPDIR is too long");
		e->dir[0] = '\0';
		return 1;
	}
	if (!mkdtemp(e->dir)) {
		kb_err("cannot create a directory in %s: %s", e->dir,
		       strerror(errno));
		e->dir[0] = '\0';
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&e->blob[i], "%s/%zu", e->dir, i) < 0 ||
		    asprintf(&e->spec[2 * i], "%s=%s", secs[i].name,
			     e->blob[i]) < 0 ||
		    asprintf(&e->spec[2 * i + 1], "%s=readonly", secs[i].name) <
			    0) {
			kb_err("out of memory");
			return 1;
		}
		err = write_file(e->blob[i], secs[i].data, secs[i].size);
		if (err) {
			kb_err("cannot write %s: %s", e->blob[i],
			       strerror(-err));
			return 1;
		}
	}
	return 0;
}

static int objcopy(struct emit *e, const char *object, size_t n)
{
	const char *prog = getenv("OBJCOPY");
	char *argv[4 * MAX_SECS + 4];
	size_t i, a = 0;

	argv[a++] = (char *)(prog && *prog ? prog : "objcopy");
	for (i = 0; i < n; i++) {
		argv[a++] = "--add-section";
		argv[a++] = e->spec[2 * i];
		argv[a++] = "--set-section-flags";
		argv[a++] = e->spec[2 * i + 1];
	}
	argv[a++] = (char *)object;
	argv[a++] = e->tmp;
	argv[a] = NULL;
	return kb_run(argv, NULL);
}

/* Check the result with the parser kpl uses; libkpl says what is wrong. */
static int verify(const char *path, const char *object)
{
	struct kpl_patch *p;
	int err;

	err = kpl_patch__open(path, &p);
	if (err) {
		kb_err("%s does not make a valid patch: %s", object,
		       kpl_strerror(err));
		return 1;
	}
	err = kpl_patch__check_unwind(p);
#ifdef KPL_FAULT_INJECT
	/* Test builds only: write it anyway, so that the tests can show
	 * that kpl itself refuses such a patch. */
	if (err == -KPL_E_UNWIND && getenv("KB_FAULT_NO_UNWIND_CHECK"))
		err = 0;
#endif
	kpl_patch__free(p);
	if (err) {
		kb_err("refusing: %s", kpl_strerror(err));
		return 1;
	}
	return 0;
}

static void cleanup(struct emit *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (e->blob[i])
			unlink(e->blob[i]);
		free(e->blob[i]);
		free(e->spec[2 * i]);
		free(e->spec[2 * i + 1]);
	}
	if (e->dir[0])
		rmdir(e->dir);
	if (e->tmp)
		unlink(e->tmp);
	free(e->tmp);
}

int kb_sign_file(const char *path, const char *key)
{
	uint8_t id[KPL_KEY_ID_LEN];
	char kid[2 * KPL_KEY_ID_SHORT + 1];
	struct kpl_patch *p = NULL;
	int fd = -1, err, ret = 1;
	ssize_t n;

	err = kpl_patch__open(path, &p);
	if (err) {
		kb_err("cannot sign %s: %s", path, kpl_strerror(err));
		return 1;
	}
	if (p->sig_size != sizeof(struct kpl_sig_disk)) {
		kb_err("cannot sign %s: its %s is %llu bytes, not %zu", path,
		       KPL_SEC_SIG, (unsigned long long)p->sig_size,
		       sizeof(struct kpl_sig_disk));
		goto out;
	}
	/* p->image is the patch's own copy of the file: sign that. */
	err = kpl_sign__image(p->image, p->image_size, p->sig_offset, key, id);
	if (err) {
		kb_err("cannot sign %s with %s: %s", path, key,
		       kpl_strerror(err));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	n = fd < 0 ? -1 :
		     pwrite(fd, p->image + p->sig_offset,
			    sizeof(struct kpl_sig_disk), (off_t)p->sig_offset);
	if (n != (ssize_t)sizeof(struct kpl_sig_disk) ||
	    (fd >= 0 && fsync(fd) < 0)) {
		kb_err("cannot write the signature into %s: %s", path,
		       n < 0 || fd < 0 ? strerror(errno) : "short write");
		goto out;
	}
	kpl_key_id_short(id, kid);
	kb_info("signed with key %s (%s)", kid, key);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	kpl_patch__free(p);
	return ret;
}

int kb_emit(const char *object, const char *out, const struct kb_section *in,
	    size_t n, const char *key)
{
	static const struct kpl_sig_disk zero_sig;
	struct kb_section secs[MAX_SECS];
	struct emit e = { 0 };
	mode_t mask;
	int fd, err = 1;

	mask = umask(0);
	umask(mask);

	if (n + !!key > MAX_SECS)
		return 1;
	if (n)
		memcpy(secs, in, n * sizeof(*in));
	if (key)
		secs[n++] = (struct kb_section){ KPL_SEC_SIG, &zero_sig,
						 sizeof(zero_sig) };
	if (asprintf(&e.tmp, "%s.XXXXXX", out) < 0) {
		e.tmp = NULL;
		kb_err("out of memory");
		return 1;
	}
	/* Same directory as @out, so rename() is atomic. */
	fd = mkstemp(e.tmp);
	if (fd < 0) {
		kb_err("cannot create %s: %s", e.tmp, strerror(errno));
		free(e.tmp);
		e.tmp = NULL;
		goto out;
	}
	close(fd);

	if (write_blobs(&e, secs, n) || objcopy(&e, object, n) ||
	    verify(e.tmp, object) || (key && kb_sign_file(e.tmp, key)))
		goto out;
	/* mkstemp() made it 0600; a patch is not secret. */
	if (chmod(e.tmp, 0666 & ~mask) < 0)
		kb_err("warning: cannot chmod %s: %s", e.tmp, strerror(errno));
	if (rename(e.tmp, out) < 0) {
		kb_err("cannot rename %s to %s: %s", e.tmp, out,
		       strerror(errno));
		goto out;
	}
	free(e.tmp);
	e.tmp = NULL;
	err = 0;
out:
	cleanup(&e, n);
	return err;
}
