// SPDX-License-Identifier: GPL-2.0
/*
 * The journal: one line per event, appended and fsync'ed before the
 * daemon acts on it, so a kpld killed at any point restarts knowing
 * every transition it made.  Lines are tab-separated and never rewritten:
 *
 *   TIME_NS <tab> state <tab> ID <tab> VERSION <tab> STATE <tab> REASON
 *   TIME_NS <tab> set <tab> KEY <tab> VALUE
 *   TIME_NS <tab> event <tab> ID <tab> WHAT <tab> DETAIL
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpld.h"

static void path_of(const struct kpld *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/journal", d->cfg.state);
}

int kpld_journal_open(struct kpld *d)
{
	char path[300];

	mkdir(d->cfg.state, 0755);
	path_of(d, path, sizeof(path));
	d->journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			     0600);
	return d->journal_fd < 0 ? -errno : 0;
}

/* Tabs and newlines would break the line format: replace them. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n')
			*s = ' ';
}

static void append(struct kpld *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(struct kpld *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	line[n - 1] = '\n';
	if (write(d->journal_fd, line, (size_t)n) != n)
		fprintf(stderr, "kpld: journal write failed: %s\n",
			strerror(errno));
	fdatasync(d->journal_fd);
}

void kpld_journal_state(struct kpld *d, const struct kpld_patch *p)
{
	char reason[sizeof(p->reason)];

	snprintf(reason, sizeof(reason), "%s", p->reason);
	clean(reason);
	append(d, "%llu\tstate\t%s\t%u\t%s\t%s\n",
	       (unsigned long long)p->since_ns, p->id, p->version,
	       kpld_state_name(p->state), reason);
}

void kpld_journal_setting(struct kpld *d, const char *key, const char *val)
{
	append(d, "%llu\tset\t%s\t%s\n",
	       (unsigned long long)kpld_realtime_ns(), key, val);
}

void kpld_journal_event(struct kpld *d, const char *id, const char *what,
			const char *detail)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", detail);
	clean(buf);
	append(d, "%llu\tevent\t%s\t%s\t%s\n",
	       (unsigned long long)kpld_realtime_ns(), id, what, buf);
}

static enum kpld_state state_by_name(const char *s)
{
	int i;

	for (i = 0; i < KPLD_NR_STATES; i++)
		if (!strcmp(kpld_state_name(i), s))
			return i;
	return KPLD_NR_STATES;
}

static int replay_state(struct kpld *d, char **f, unsigned long long t)
{
	struct kpld_patch *p = kpld_find(d, f[2]);
	enum kpld_state s = state_by_name(f[4]);

	if (s == KPLD_NR_STATES)
		return 0;
	if (!p) {
		p = realloc(d->patches, (d->nr_patches + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->patches = p;
		p = &d->patches[d->nr_patches++];
		memset(p, 0, sizeof(*p));
		snprintf(p->id, sizeof(p->id), "%s", f[2]);
	}
	p->version = (uint32_t)strtoul(f[3], NULL, 10);
	p->state = s;
	p->since_ns = t;
	snprintf(p->reason, sizeof(p->reason), "%s", f[5]);
	return 0;
}

static int held_add(struct kpld *d, int pid)
{
	int *v = realloc(d->held, (d->nr_held + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->held = v;
	d->held[d->nr_held++] = pid;
	return 0;
}

static void held_del(struct kpld *d, int pid)
{
	size_t i;

	for (i = 0; i < d->nr_held; i++)
		if (d->held[i] == pid)
			d->held[i] = d->held[--d->nr_held];
}

int kpld_journal_replay(struct kpld *d)
{
	char path[300], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	d->auto_install = d->cfg.auto_install;
	path_of(d, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && getline(&line, &cap, f) > 0) {
		char *fld[6] = { 0 }, *s = line;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		while (n < 6 && (fld[n] = strsep(&s, "\t")))
			n++;
		if (n == 6 && !strcmp(fld[1], "state"))
			err = replay_state(d, fld, strtoull(fld[0], NULL, 10));
		else if (n >= 4 && !strcmp(fld[1], "event") &&
			 !strcmp(fld[2], "-") && !strcmp(fld[3], "held"))
			err = held_add(d, atoi(fld[4] ? fld[4] : "0"));
		else if (n >= 4 && !strcmp(fld[1], "event") &&
			 !strcmp(fld[2], "-") && !strcmp(fld[3], "released"))
			held_del(d, atoi(fld[4] ? fld[4] : "0"));
		else if (n >= 4 && !strcmp(fld[1], "set") &&
			 !strcmp(fld[2], "auto_install"))
			d->auto_install = !strcmp(fld[3], "on");
	}
	free(line);
	fclose(f);
	return err;
}
