// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build deb: what dpkg and apt say.  Their output is read line by
 * line with the fields we asked for (dpkg-query -f), never through a
 * shell, and names from the command line are checked against Debian
 * policy's syntax before they reach any command.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deb.h"
#include "elfobj.h"
#include "kpl-build.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789+-."
#define VERSION_CHARS                                                    \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" \
	".+~:-"

int kb_deb__valid_version(const char *v)
{
	size_t len = strlen(v);

	/* Must start with a digit (policy 5.6.12), no blanks or '/'. */
	return len && len < 128 && v[0] >= '0' && v[0] <= '9' &&
	       strspn(v, VERSION_CHARS) == len;
}

int kb_deb__split(const char *spec, const char **name, char **version)
{
	const char *eq = strchr(spec, '=');
	size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
	static char buf[128];

	*version = NULL;
	/* Policy 5.6.1: lowercase, digits, + - .; at least two, first
	 * alphanumeric. */
	if (len < 2 || len >= sizeof(buf) || strspn(spec, NAME_CHARS) < len ||
	    !strchr("abcdefghijklmnopqrstuvwxyz0123456789", spec[0])) {
		kb_err("deb: '%.*s' is not a Debian source package name",
		       len < 64 ? (int)len : 64, spec);
		return 2;
	}
	if (eq && !kb_deb__valid_version(eq + 1)) {
		kb_err("deb: '%.64s' is not a Debian version", eq + 1);
		return 2;
	}
	memcpy(buf, spec, len);
	buf[len] = '\0';
	*name = buf;
	if (eq && !(*version = strdup(eq + 1))) {
		kb_err("out of memory");
		return 1;
	}
	return 0;
}

/*
 * The epoch's ':' becomes '_', which no Debian version holds: a ':' in
 * a path breaks PATH (the compiler wrappers' directory is in the cache)
 * and make, and an escape such as apt's "%3a" is outside the characters
 * dpkg-buildflags maps (kb_deb__mapped_path()).
 */
char *kb_deb__dir_name(const char *name, const char *version)
{
	char *out = malloc(strlen(name) + strlen(version) + 2), *p;

	if (!out)
		return NULL;
	p = out + sprintf(out, "%s_", name);
	for (; *version; version++)
		*p++ = *version == ':' ? '_' : *version;
	*p = '\0';
	return out;
}

/*
 * dpkg-buildflags gives -ffile-prefix-map=BUILDPATH=. (reproducible's
 * fixfilepath, on by default) only when the build path holds nothing but
 * these characters (Dpkg::Vendor::Debian); elsewhere it silently leaves
 * the map out, and the build differs from Debian's in __FILE__ and its
 * debug info.
 */
bool kb_deb__mapped_path(const char *path)
{
	static const char ok[] = "-+:.~/_";

	for (; *path; path++)
		if (!((*path >= '0' && *path <= '9') ||
		      (*path >= 'a' && *path <= 'z') ||
		      (*path >= 'A' && *path <= 'Z') || strchr(ok, *path)))
			return false;
	return true;
}

int kb_deb__run(char *const argv[], const char *cwd, const char *log,
		const char *what)
{
	int fd, status;
	pid_t pid;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kb_err("cannot create %s: %s", log, strerror(errno));
		return 1;
	}
	if (kb_spawn(argv, cwd, fd, &pid)) {
		close(fd);
		return 1;
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (what) {
		kb_err("%s failed; the end of its output (all of it in %s):",
		       what, log);
		kb_print_tail(log, 12);
	}
	return 1;
}

/*
 * Run @argv and hand each line of its output to @fn until it returns
 * non-zero.  Return: -1 when it could not run, else 0 when it exited
 * with 0, 1 otherwise.
 */
static int each_line(char *const argv[], int (*fn)(char *line, void *ctx),
		     void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	int fds[2], status, stop = 0;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		kb_err("pipe: %s", strerror(errno));
		return -1;
	}
	if (kb_spawn(argv, NULL, fds[1], &pid)) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
	} else {
		while (getline(&line, &cap, f) >= 0)
			if (!stop)
				stop = fn(line, ctx);
		fclose(f);
	}
	free(line);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

/* Up to @n tab-separated fields of @line, in place. */
static size_t fields(char *line, char **f, size_t n)
{
	size_t k = 0;

	line[strcspn(line, "\n")] = '\0';
	while (k < n) {
		f[k++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return k;
}

struct query {
	const char *name; /* the source package */
	char *version; /* installed_version() */
	char **pkgs; /* find_target(): binary packages */
	size_t nr_pkgs;
	char list[512]; /* check_version(): the versions known */
	size_t len;
	size_t nr_files; /* find_target(): libraries seen */
	bool found;
};

/* "ii \tSOURCE\tVERSION\tPACKAGE" of dpkg-query. */
static int installed_line(char *line, void *ctx)
{
	struct query *q = ctx;
	char *f[4], **n;

	if (fields(line, f, 4) != 4 || strncmp(f[0], "ii", 2) ||
	    strcmp(f[1], q->name) || !kb_deb__valid_version(f[2]))
		return 0;
	if (!q->version)
		q->version = strdup(f[2]);
	n = realloc(q->pkgs, (q->nr_pkgs + 1) * sizeof(*n));
	if (!n)
		return 1;
	q->pkgs = n;
	if ((n[q->nr_pkgs] = strdup(f[3])))
		q->nr_pkgs++;
	return 0;
}

static char *const query_argv[] = {
	"dpkg-query", "-W", "-f",
	"${db:Status-Abbrev}\t${source:Package}\t${source:Version}\t${binary:Package}\n",
	NULL
};

static void query_free(struct query *q)
{
	size_t i;

	for (i = 0; i < q->nr_pkgs; i++)
		free(q->pkgs[i]);
	free(q->pkgs);
	free(q->version);
}

int kb_deb__installed_version(const char *name, char **version)
{
	struct query q = { .name = name };

	if (each_line(query_argv, installed_line, &q) < 0)
		return 1;
	if (!q.version) {
		kb_err("no installed package was built from the source package %s: name the version, --package %s=VERSION",
		       name, name);
		query_free(&q);
		return 1;
	}
	*version = q.version;
	q.version = NULL;
	query_free(&q);
	kb_info("source package %s %s: the version installed", name, *version);
	return 0;
}

/* "Version: V" lines of apt-cache showsrc. */
static int version_line(char *line, void *ctx)
{
	struct query *q = ctx;
	const char *v = line + 9;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "Version: ", 9) || !kb_deb__valid_version(v))
		return 0;
	if (!strcmp(v, q->version))
		q->found = true;
	if (!strstr(q->list, v) && q->len < sizeof(q->list) - 1)
		q->len += (size_t)snprintf(q->list + q->len,
					   sizeof(q->list) - q->len, "%s%s",
					   q->len ? ", " : "", v);
	if (q->len >= sizeof(q->list))
		q->len = sizeof(q->list) - 1;
	return 0;
}

int kb_deb__check_version(const char *name, const char *version)
{
	char *argv[] = { "apt-cache", "showsrc", "--only-source", (char *)name,
			 NULL };
	struct query q = { .name = name, .version = (char *)version };

	if (each_line(argv, version_line, &q) < 0)
		return 1;
	if (q.found)
		return 0;
	if (!q.len)
		kb_err("the apt sources know no source package %s: is there a deb-src entry (make deps adds one), and has apt-get update run since?",
		       name);
	else
		kb_err("the apt sources have no version %s of the source package %s, only %s",
		       version, name, q.list);
	return 1;
}

/* A file of `dpkg -L`: a shared library, as installed. */
static int file_line(char *line, void *ctx)
{
	struct query *q = ctx;
	struct kpl_elf *e = NULL;
	struct stat st;

	line[strcspn(line, "\n")] = '\0';
	if (line[0] != '/' || !strstr(line, ".so") || lstat(line, &st) ||
	    !S_ISREG(st.st_mode) || kpl_elf__open(line, &e))
		return 0;
	if (e->e_type == ET_DYN && e->soname && e->build_id_len &&
	    !strstr(line, "/debug/")) {
		if (q->len)
			q->len += (size_t)snprintf(q->list + q->len,
						   sizeof(q->list) - q->len,
						   ", ");
		if (q->len < sizeof(q->list))
			q->len += (size_t)snprintf(q->list + q->len,
						   sizeof(q->list) - q->len,
						   "%s", line);
		if (q->len >= sizeof(q->list))
			q->len = sizeof(q->list) - 1;
		if (!q->version)
			q->version = strdup(line);
		q->nr_files++;
	}
	kpl_elf__close(e);
	return 0;
}

int kb_deb__find_target(const char *name, char **path)
{
	struct query q = { .name = name }, files = { 0 };
	char *argv[] = { "dpkg", "-L", NULL, NULL };
	size_t i;
	int err = 1;

	if (each_line(query_argv, installed_line, &q) < 0)
		goto out;
	for (i = 0; i < q.nr_pkgs; i++) {
		argv[2] = q.pkgs[i];
		if (each_line(argv, file_line, &files) < 0)
			goto out;
	}
	if (!files.version) {
		kb_err("no installed package of the source package %s ships a shared library: name it with --target",
		       name);
	} else if (files.nr_files > 1) {
		kb_err("the installed packages of %s ship several shared libraries (%s): name one with --target",
		       name, files.list);
	} else {
		*path = files.version;
		files.version = NULL;
		kb_info("the library: %s, as installed", *path);
		err = 0;
	}
out:
	free(files.version);
	query_free(&q);
	return err;
}

char *kb_deb__unpacked(const char *dl)
{
	char path[PATH_MAX], *found = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dl);

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dl, de->d_name) >=
			    (int)sizeof(path) ||
		    lstat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (found) { /* more than one: not what apt-get made */
			free(found);
			found = NULL;
			break;
		}
		found = strdup(path);
	}
	closedir(d);
	return found;
}

int kb_deb__rm_rf(const char *path)
{
	char *argv[] = { "rm", "-rf", "--", (char *)path, NULL };

	return kb_run(argv, NULL);
}

/* @var gains @word (blank-separated) unless it has it already. */
static int env_add(const char *var, const char *word)
{
	const char *old = getenv(var);
	char *v = NULL;
	int err;

	if (old && *old) {
		const char *p = strstr(old, word);
		size_t n = strlen(word);

		if (p && (p == old || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 0;
		if (asprintf(&v, "%s %s", old, word) < 0)
			v = NULL;
	} else {
		v = strdup(word);
	}
	err = !v || setenv(var, v, 1);
	free(v);
	if (err)
		kb_err("cannot set %s", var);
	return err;
}

int kb_deb__build_env(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char par[32];

	/* Tests are skipped; only the native library is built (zlib would
	 * build 32-bit and x32 copies too, which need gcc-multilib); make
	 * runs a job per CPU, as debhelper does with parallel=N (the
	 * objects are the same: only the build's wall time changes),
	 * unless DEB_BUILD_OPTIONS says otherwise. */
	snprintf(par, sizeof(par), "parallel=%ld",
		 ncpu > 0 && ncpu < 256 ? ncpu : 1);
	return env_add("DEB_BUILD_OPTIONS", "nocheck") ||
	       (!strstr(getenv("DEB_BUILD_OPTIONS"), "parallel=") &&
		env_add("DEB_BUILD_OPTIONS", par)) ||
	       env_add("DEB_BUILD_PROFILES", "nobiarch");
}
