// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One kpl at a time per process: without this, a second kpl (or kpld's
 * rescan) could take an apply in flight, between its map and its stop,
 * for an abandoned one and repair it away.  The lock is an flock on a
 * per-pid file, so it dies with its holder.
 *
 * The files live in /run/kpatch-lite/locks, sticky and writable by all
 * like /tmp, so that an unprivileged user patching their own process
 * takes the very lock root would take for it.  A lock file is used only
 * if it is a regular file owned by root, by us or by the process's owner.
 * Anyone else's (a user squatting the pid of a root server to stall its
 * patching) is removed and replaced: the sticky bit lets root do that.
 *
 * Root also locks /run/kpatch-lite/PID.lock first, where earlier
 * versions lock, so that an older kpl or kpld running meanwhile (during
 * an upgrade) is kept out too.  Users never take that one, so the order
 * (that one, then the shared one) cannot deadlock.
 *
 * Files are removed after use, while still locked.  A waiter may thus
 * get the lock on a file already unlinked, so after flock() the path is
 * checked to still name the locked file, else the lock is taken again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "share.h"
#include "target.h"

#define LOCK_ROOT "/run/kpatch-lite"
#define LOCK_DIR LOCK_ROOT "/locks"

struct kpl_lock {
	int nr;
	int fd[2];
	char path[2][96];
};

/* A directory we may keep lock files in: sticky if shared, never a link. */
static bool dir_ok(const char *dir, bool shared)
{
	struct stat st;

	if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
		return false;
	if (shared)
		return st.st_uid == 0 && (st.st_mode & 07777) == 01777;
	return st.st_uid == getuid() && !(st.st_mode & 077);
}

static int lock_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s", LOCK_DIR);
	if (!geteuid()) {
		if (mkdir(LOCK_ROOT, 0755) && errno != EEXIST)
			return -errno;
		/* mkdir honours the umask: set the mode explicitly. */
		if ((!mkdir(dir, 01777) || errno == EEXIST) &&
		    !dir_ok(dir, true)) {
			struct stat st;

			if (!lstat(dir, &st) && S_ISDIR(st.st_mode) &&
			    !st.st_uid)
				chmod(dir, 01777);
		}
	}
	if (dir_ok(dir, true) && !access(dir, W_OK))
		return 0;
	/* No shared directory (kpl never ran as root here): our own. */
	snprintf(dir, len, "/tmp/kpatch-lite-%u", getuid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return dir_ok(dir, false) ? 0 : -EACCES;
}

static uid_t owner_of_pid(pid_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, &st) ? (uid_t)-1 : st.st_uid;
}

/*
 * Open the lock file, replacing one that is not to be trusted.  Read-only
 * is enough for flock(), and lets a user wait on a file root made.
 */
static int open_lock(const char *path, pid_t pid, struct stat *st)
{
	int fd, tries;

	for (tries = 0; tries < 4; tries++) {
		fd = open(path,
			  O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				  O_CLOEXEC,
			  0644);
		if (fd < 0 && errno != ELOOP && errno != EACCES &&
		    errno != ENXIO)
			return -errno;
		/* The process's owner asked last: it costs a stat. */
		if (fd >= 0 && !fstat(fd, st) && S_ISREG(st->st_mode) &&
		    (st->st_uid == 0 || st->st_uid == geteuid() ||
		     st->st_uid == owner_of_pid(pid)))
			return fd;
		if (fd >= 0)
			close(fd);
		if (unlink(path) && errno != ENOENT)
			return -EACCES;
	}
	return -EACCES;
}

/* flock @path; 0 and *@fd, or -errno / -KPL_E_BUSY after 10 s. */
static int take_one(const char *path, pid_t pid, int *fdp)
{
	struct stat a, b;
	int fd = -1, i;

	for (i = 0; i < 1000; i++) {
		struct timespec ts = { 0, 10000000 };

		if (fd < 0) {
			/* @a: the file's device and inode, which the
			 * open file keeps. */
			fd = open_lock(path, pid, &a);
			if (fd < 0)
				return fd;
		}
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			/* Still the file the path names? */
			if (!lstat(path, &b) &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
				*fdp = fd;
				return 0;
			}
			close(fd);
			fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK) {
			i = -errno;
			close(fd);
			return i;
		}
		nanosleep(&ts, NULL);
	}
	/* Not ours to remove: someone else holds it. */
	close(fd);
	pr_warn("target: another kpl has been patching pid %d for 10 s\n", pid);
	return -KPL_E_BUSY;
}

int kpl_lock__take(pid_t pid, struct kpl_lock **out)
{
	struct kpl_lock *l;
	char dir[64];
	int i, err = 0;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	/* Checked once per command: a fleet locks a thousand pids. */
	if (!kpl_share__lock_dir(dir, sizeof(dir))) {
		err = lock_dir(dir, sizeof(dir));
		if (!err)
			kpl_share__keep_lock_dir(dir);
	}
	if (err)
		goto out;
	if (!geteuid())
		snprintf(l->path[l->nr++], sizeof(l->path[0]), "%s/%d.lock",
			 LOCK_ROOT, pid);
	snprintf(l->path[l->nr++], sizeof(l->path[0]), "%s/%d.lock", dir, pid);
	for (i = 0; i < l->nr; i++) {
		err = take_one(l->path[i], pid, &l->fd[i]);
		if (err) {
			l->nr = i;
			goto out;
		}
	}
	*out = l;
	return 0;
out:
	kpl_lock__release(l);
	return err;
}

void kpl_lock__release(struct kpl_lock *l)
{
	int i;

	if (!l)
		return;
	for (i = l->nr; i-- > 0;) {
		unlink(l->path[i]);
		close(l->fd[i]);
	}
	free(l);
}
