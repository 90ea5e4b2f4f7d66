// SPDX-License-Identifier: GPL-2.0
/* kpld.conf: "key = value" lines, '#' comments.  Unknown keys refused. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpld.h"

static void defaults(struct kpld_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "/var/lib/kpatch-lite/patches");
	snprintf(c->state, sizeof(c->state), "/var/lib/kpatch-lite");
	snprintf(c->socket, sizeof(c->socket), "/run/kpatch-lite/kpld.sock");
	snprintf(c->keys, sizeof(c->keys), "%s", KPL_KEYS_DIR);
	c->auto_install = false;
	c->watch_window_s = 600;
	c->watch_anywhere = false;
	c->rescan_ms = 1000;
	c->read_gid = (gid_t)-1;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		 !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || end == v || n < lo || n > hi)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/* "only = unit=nginx", "never = user=postgres": see kpl_fleet__filter(). */
static int add_rule(struct kpld_config *c, const char *v, bool never)
{
	size_t i = c->filter.nr_rules;

	if (i == KPLD_RULES_MAX || strlen(v) >= sizeof(c->rule_text[i]))
		return -E2BIG;
	snprintf(c->rule_text[i], sizeof(c->rule_text[i]), "%s", v);
	if (kpl_fleet__rule_parse(c->rule_text[i], never, &c->rules[i]))
		return -EINVAL;
	c->filter.rules = c->rules;
	c->filter.nr_rules = i + 1;
	return 0;
}

static int set(struct kpld_config *c, const char *k, const char *v)
{
	struct group *g;

	if (!strcmp(k, "store"))
		snprintf(c->store, sizeof(c->store), "%s", v);
	else if (!strcmp(k, "state"))
		snprintf(c->state, sizeof(c->state), "%s", v);
	else if (!strcmp(k, "socket"))
		snprintf(c->socket, sizeof(c->socket), "%s", v);
	else if (!strcmp(k, "keys"))
		snprintf(c->keys, sizeof(c->keys), "%s", v);
	else if (!strcmp(k, "metrics_dir")) {
		/* Absolute and not cut: the .prom file goes where it says. */
		if ((*v && *v != '/') || strlen(v) >= sizeof(c->metrics_dir))
			return -EINVAL;
		snprintf(c->metrics_dir, sizeof(c->metrics_dir), "%s", v);
	} else if (!strcmp(k, "vex_file")) {
		if ((*v && *v != '/') || strlen(v) >= sizeof(c->vex_file))
			return -EINVAL;
		snprintf(c->vex_file, sizeof(c->vex_file), "%s", v);
	}
	else if (!strcmp(k, "auto_install"))
		return parse_bool(v, &c->auto_install);
	else if (!strcmp(k, "allow_unsigned"))
		return parse_bool(v, &c->allow_unsigned);
	else if (!strcmp(k, "watchdog_window"))
		return parse_int(v, 0, 86400 * 30, &c->watch_window_s);
	else if (!strcmp(k, "watchdog_scope")) {
		if (strcmp(v, "patch") && strcmp(v, "anywhere"))
			return -EINVAL;
		c->watch_anywhere = !strcmp(v, "anywhere");
	} else if (!strcmp(k, "rescan_ms"))
		return parse_int(v, 10, 3600000, &c->rescan_ms);
	else if (!strcmp(k, "jobs"))
		return parse_int(v, 0, 256, &c->jobs);
	else if (!strcmp(k, "only") || !strcmp(k, "never"))
		return add_rule(c, v, !strcmp(k, "never"));
	else if (!strcmp(k, "read_group")) {
		g = getgrnam(v);
		if (!g)
			return -ENOENT;
		c->read_gid = g->gr_gid;
	} else
		return -ENOKEY;
	return 0;
}

int kpld_config_load(const char *path, struct kpld_config *c)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	FILE *f;
	int err = 0;

	defaults(c);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && getline(&line, &cap, f) > 0) {
		char *k = line, *v, *e;

		n++;
		k += strspn(k, " \t");
		if (*k == '#' || *k == '\n' || !*k)
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "kpld: %s:%u: expected key = value\n",
				path, n);
			err = -EINVAL;
			break;
		}
		*v++ = '\0';
		for (e = v + strlen(v); e > v && strchr(" \t\n", e[-1]); e--)
			;
		*e = '\0';
		v += strspn(v, " \t");
		for (e = k + strlen(k); e > k && strchr(" \t", e[-1]); e--)
			;
		*e = '\0';
		err = set(c, k, v);
		if (err)
			fprintf(stderr, "kpld: %s:%u: %s '%s' for %s\n", path,
				n, err == -ENOKEY ? "unknown key" : "bad value",
				err == -ENOKEY ? k : v, k);
	}
	free(line);
	fclose(f);
	return err;
}
