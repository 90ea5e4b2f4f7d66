// SPDX-License-Identifier: GPL-2.0
/*
 * Running other programs: objcopy, patch, the compiler.  posix_spawn, no
 * shell, so no word in a path or flag is ever re-parsed.
 */
#include <errno.h>
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
	posix_spawn_file_actions_t fa;
	int err;

	err = posix_spawn_file_actions_init(&fa);
	if (!err && cwd)
		err = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	if (!err && log_fd >= 0)
		err = posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
	if (!err && log_fd >= 0)
		err = posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
	if (!err)
		err = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
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
