// SPDX-License-Identifier: GPL-2.0
/*
 * Writing a patch: objcopy adds the sections to a copy of the object in a
 * temporary file next to the output; libkpl's parser must accept that file
 * before it is renamed over the output.  So a patch that kpl-build writes
 * is one that kpl will load, and a failure leaves no partial output.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kpl-build.h"
#include "kpl/errors.h"
#include "kpl/patch.h"

#define MAX_SECS 8

extern char **environ;

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

/* Run objcopy with @argv; 0 when it exits 0. */
static int run(char **argv)
{
	int status, err;
	pid_t pid;

	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err) {
		kb_err("cannot run %s: %s", argv[0], strerror(err));
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			kb_err("waiting for %s: %s", argv[0], strerror(errno));
			return 1;
		}
	}
	if (WIFSIGNALED(status)) {
		kb_err("%s killed by signal %d", argv[0], WTERMSIG(status));
		return 1;
	}
	if (WEXITSTATUS(status)) {
		kb_err("%s failed with exit status %d", argv[0],
		       WEXITSTATUS(status));
		return 1;
	}
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
	return run(argv);
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
	kpl_patch__free(p);
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

int kb_emit(const char *object, const char *out, const struct kb_section *secs,
	    size_t n)
{
	struct emit e = { 0 };
	mode_t mask;
	int fd, err = 1;

	mask = umask(0);
	umask(mask);

	if (n > MAX_SECS)
		return 1;
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
	    verify(e.tmp, object))
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
