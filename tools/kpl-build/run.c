// SPDX-License-Identifier: GPL-2.0
/*
 * Running other programs: objcopy, patch, the compiler.  posix_spawn, no
 * shell, so no word in a path or flag is ever re-parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kpl-build.h"

extern char **environ;

int kb_spawn(char *const argv[], const char *cwd, int log_fd, pid_t *pid)
{
	return kb_spawn_env(argv, cwd, log_fd, environ, pid);
}

int kb_spawn_env(char *const argv[], const char *cwd, int log_fd,
		 char *const envp[], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int err;

	err = posix_spawn_file_actions_init(&fa);
	/* Logged means unattended: nothing may wait for a terminal. */
	if (!err && log_fd >= 0)
		err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						       O_RDONLY, 0);
	if (!err && cwd)
		err = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	if (!err && log_fd >= 0)
		err = posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
	if (!err && log_fd >= 0)
		err = posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
	if (!err)
		err = posix_spawnp(pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		kb_err("cannot run %s: %s", argv[0], strerror(err));
		return 1;
	}
	return 0;
}

int kb_wait(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			kb_err("waiting for %s: %s", what, strerror(errno));
			return 1;
		}
	}
	if (WIFSIGNALED(status)) {
		kb_err("%s killed by signal %d", what, WTERMSIG(status));
		return 1;
	}
	if (WEXITSTATUS(status)) {
		kb_err("%s failed with exit status %d", what,
		       WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

int kb_run(char *const argv[], const char *cwd)
{
	pid_t pid;

	if (kb_spawn(argv, cwd, -1, &pid))
		return 1;
	return kb_wait(pid, argv[0]);
}

void kb_print_file(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (getline(&line, &cap, f) >= 0)
		fprintf(stderr, "  | %s", line);
	free(line);
	fclose(f);
}

void kb_print_tail(const char *path, unsigned int lines)
{
	char buf[16384], *p;
	unsigned int n = 0;
	ssize_t len;
	off_t size;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 ||
	    lseek(fd,
		  size > (off_t)sizeof(buf) - 1 ?
			  size - (off_t)sizeof(buf) + 1 :
			  0,
		  SEEK_SET) < 0 ||
	    (len = read(fd, buf, sizeof(buf) - 1)) < 0) {
		close(fd);
		return;
	}
	close(fd);
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	for (p = buf + len; p > buf; p--)
		if (p[-1] == '\n' && ++n == lines)
			break;
	while (*p) {
		size_t l = strcspn(p, "\n");

		/* A NUL in the log ends it early: no harm. */
		fprintf(stderr, "  | %.*s\n", l > 300 ? 300 : (int)l, p);
		p += l + (p[l] == '\n');
	}
}
