// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Which processes --all takes: by systemd unit or cgroup, by
 * executable path or build-id, by user, in or out of containers.  All of
 * it is read from /proc, bounded: a process may put anything in its own
 * name, never in its cgroup path or namespace links, but lines are cut
 * at a size all the same.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "elfobj.h"
#include "internal.h"
#include "kpl/fleet.h"

#define CGROUP_MAX 16384	/* bytes of /proc/PID/cgroup read */

static const char *const key_names[] = {
	[KPL_FLEET_UNIT] = "unit",
	[KPL_FLEET_CGROUP] = "cgroup",
	[KPL_FLEET_EXE] = "exe",
	[KPL_FLEET_EXE_BUILD_ID] = "exe-build-id",
	[KPL_FLEET_USER] = "user",
	[KPL_FLEET_CONTAINER] = "container",
};

KPL_API const char *kpl_fleet__key_name(enum kpl_fleet_key key)
{
	if ((unsigned int)key >= KPL_ARRAY_SIZE(key_names))
		return NULL;
	return key_names[key];
}

static bool all_of(const char *s, const char *set)
{
	return *s && !s[strspn(s, set)];
}

KPL_API int kpl_fleet__rule_parse(char *spec, bool exclude,
				  struct kpl_fleet_rule *out)
{
	char *eq = spec ? strchr(spec, '=') : NULL;
	const char *v;
	size_t k;

	if (!eq || !eq[1] || !out)
		return -EINVAL;
	*eq = '\0';
	v = eq + 1;
	for (k = 0; k < KPL_ARRAY_SIZE(key_names); k++)
		if (!strcmp(spec, key_names[k]))
			break;
	*eq = '=';
	if (k == KPL_ARRAY_SIZE(key_names))
		return -EINVAL;
	if ((k == KPL_FLEET_EXE && v[0] != '/') ||
	    (k == KPL_FLEET_EXE_BUILD_ID &&
	     (!all_of(v, "0123456789abcdefABCDEF") || strlen(v) % 2 ||
	      strlen(v) > 2 * KPL_BUILD_ID_MAX)) ||
	    (k == KPL_FLEET_CGROUP && v[0] != '/') ||
	    (k == KPL_FLEET_UNIT && strchr(v, '/')))
		return -EINVAL;
	out->key = (enum kpl_fleet_key)k;
	out->value = v;
	out->exclude = exclude;
	return 0;
}

/* /proc/PID/cgroup, NUL-terminated, or NULL when the process is gone. */
static char *read_cgroup(pid_t pid)
{
	char path[64], *buf;
	size_t n = 0;
	ssize_t r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(CGROUP_MAX + 1);
	while (buf && n < CGROUP_MAX &&
	       (r = (ssize_t)fread(buf + n, 1, CGROUP_MAX - n, f)) > 0)
		n += (size_t)r;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* Each cgroup path of "ID:CONTROLLERS:PATH" lines, in turn. */
static const char *next_path(const char **cur, size_t *len)
{
	const char *line = *cur, *p;

	while (*line) {
		size_t ll = strcspn(line, "\n");

		*cur = line[ll] ? line + ll + 1 : line + ll;
		p = memchr(line, ':', ll);
		p = p ? memchr(p + 1, ':', ll - (size_t)(p + 1 - line)) : NULL;
		if (p) {
			*len = ll - (size_t)(p + 1 - line);
			return p + 1;
		}
		line = *cur;
	}
	return NULL;
}

static bool component_is(const char *path, size_t len, const char *name,
			 bool unit)
{
	size_t n = strlen(name), i = 0;

	while (i < len) {
		size_t c;

		while (i < len && path[i] == '/')
			i++;
		c = i;
		while (i < len && path[i] != '/')
			i++;
		if (i - c == n && !memcmp(path + c, name, n))
			return true;
		/* "nginx" names the unit nginx.service */
		if (unit && !strchr(name, '.') && i - c == n + 8 &&
		    !memcmp(path + c, name, n) &&
		    !memcmp(path + c + n, ".service", 8))
			return true;
	}
	return false;
}

static bool under(const char *path, size_t len, const char *top)
{
	size_t n = strlen(top);

	while (n > 1 && top[n - 1] == '/')
		n--;
	if (n == 1 && top[0] == '/')
		return true;
	return len >= n && !memcmp(path, top, n) &&
	       (len == n || path[n] == '/');
}

enum cg_how {
	CG_UNIT,	/* a component names the unit */
	CG_UNDER,	/* the path is @value or below it */
	CG_NAME,	/* a component is exactly @value */
};

static bool cgroup_has(pid_t pid, const char *value, enum cg_how how)
{
	char *buf = read_cgroup(pid);
	const char *cur = buf, *p;
	bool hit = false;
	size_t len;

	while (buf && !hit && (p = next_path(&cur, &len)))
		hit = how == CG_UNDER ? under(p, len, value)
				      : component_is(p, len, value,
						     how == CG_UNIT);
	free(buf);
	return hit;
}

/* readlink of /proc/PID/WHAT, " (deleted)" cut; false when unreadable. */
static bool proc_link(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64], *del;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	del = strstr(buf, " (deleted)");
	if (del && !del[10])
		*del = '\0';
	return true;
}

static bool exe_build_id_is(pid_t pid, const char *hex)
{
	uint8_t bid[KPL_BUILD_ID_MAX];
	char path[64], have[2 * KPL_BUILD_ID_MAX + 1];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = kpl_elf_build_id(path, bid, sizeof(bid));
	if (n <= 0)
		return false;
	kpl_hex(bid, (size_t)n, have);
	return !strcasecmp(have, hex);
}

static bool euid_is(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned int r, e;
	bool hit = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			hit = e == uid;
			break;
		}
	fclose(f);
	return hit;
}

static bool container_is(pid_t pid, const char *value)
{
	char mine[64], theirs[64];
	const char *ino;

	if (!proc_link(getpid(), "ns/pid", mine, sizeof(mine)) ||
	    !proc_link(pid, "ns/pid", theirs, sizeof(theirs)))
		return false;
	if (!strcmp(value, "none"))
		return !strcmp(mine, theirs);
	if (!strcmp(mine, theirs))
		return false;
	if (!strcmp(value, "any") || !strcmp(value, theirs))
		return true;
	/* "pid:[4026532291]": the inode alone names it too. */
	ino = strchr(theirs, '[');
	if (ino && !strncmp(ino + 1, value, strlen(value)) &&
	    ino[1 + strlen(value)] == ']')
		return true;
	return cgroup_has(pid, value, CG_NAME);
}

/* A rule with its user resolved. */
struct rule {
	const struct kpl_fleet_rule *r;
	uid_t uid;
};

static bool matches(const struct rule *ru, pid_t pid)
{
	char exe[4096];

	switch (ru->r->key) {
	case KPL_FLEET_UNIT:
		return cgroup_has(pid, ru->r->value, CG_UNIT);
	case KPL_FLEET_CGROUP:
		return cgroup_has(pid, ru->r->value, CG_UNDER);
	case KPL_FLEET_EXE:
		return proc_link(pid, "exe", exe, sizeof(exe)) &&
		       !strcmp(exe, ru->r->value);
	case KPL_FLEET_EXE_BUILD_ID:
		return exe_build_id_is(pid, ru->r->value);
	case KPL_FLEET_USER:
		return euid_is(pid, ru->uid);
	case KPL_FLEET_CONTAINER:
		return container_is(pid, ru->r->value);
	}
	return false;
}

/* Taken: no exclude rule matches, and each key with includes has a hit. */
static bool takes(const struct rule *ru, size_t n, pid_t pid)
{
	bool want[KPL_ARRAY_SIZE(key_names)] = { 0 };
	bool hit[KPL_ARRAY_SIZE(key_names)] = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int k = ru[i].r->key;

		if (ru[i].r->exclude) {
			if (matches(&ru[i], pid))
				return false;
			continue;
		}
		want[k] = true;
		if (!hit[k] && matches(&ru[i], pid))
			hit[k] = true;
	}
	for (i = 0; i < KPL_ARRAY_SIZE(key_names); i++)
		if (want[i] && !hit[i])
			return false;
	return true;
}

static int resolve_user(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (all_of(name, "0123456789")) {
		*uid = (uid_t)strtoul(name, NULL, 10);
		return 0;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) || !res) {
		pr_warn("fleet: no user named '%s'\n", name);
		return -EINVAL;
	}
	*uid = pw.pw_uid;
	return 0;
}

KPL_API int kpl_fleet__filter(const struct kpl_fleet_filter *f, pid_t *pids,
			      size_t *nr)
{
	struct rule *ru;
	size_t i, kept = 0;
	int err = 0;

	if (!f || !f->nr_rules)
		return 0;
	ru = calloc(f->nr_rules, sizeof(*ru));
	if (!ru)
		return -ENOMEM;
	for (i = 0; !err && i < f->nr_rules; i++) {
		ru[i].r = &f->rules[i];
		if ((unsigned int)ru[i].r->key >= KPL_ARRAY_SIZE(key_names) ||
		    !ru[i].r->value)
			err = -EINVAL;
		else if (ru[i].r->key == KPL_FLEET_USER)
			err = resolve_user(ru[i].r->value, &ru[i].uid);
	}
	for (i = 0; !err && i < *nr; i++)
		if (takes(ru, f->nr_rules, pids[i]))
			pids[kept++] = pids[i];
	if (!err)
		*nr = kept;
	free(ru);
	return err;
}
