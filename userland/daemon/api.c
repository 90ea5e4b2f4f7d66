// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a client sends one command line, kpld answers one
 * JSON line and closes.  Root may do anything; members of read_group may
 * only ask for status; everyone else is refused (SO_PEERCRED).
 *
 *   status | install ID | revert ID | release ID | auto on|off | rescan
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

int kpld_api_listen(struct kpld *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", d->cfg.socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	if (strlen(d->cfg.socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, d->cfg.socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(d->cfg.socket);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* Anyone may connect; credentials decide what they may do. */
	chmod(d->cfg.socket, 0666);
	return fd;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static size_t count(int (*find)(const char *, pid_t **, size_t *),
		    const char *id)
{
	pid_t *v = NULL;
	size_t n = 0;

	if (find(id, &v, &n))
		n = 0;
	free(v);
	return n;
}

static size_t count_mapping(struct kpld *d, struct kpld_patch *p)
{
	pid_t *v = NULL;
	size_t n = 0;

	(void)d;
	if (!p->kp || kpl_fleet__find(p->kp, &v, &n))
		n = 0;
	free(v);
	return n;
}

/* Which protections run, and why one is missing (protect.c). */
static void protections(FILE *f)
{
	struct kpld_protections p;

	kpld_protections(&p);
	fprintf(f, "\"protections\":{\"hold\":\"%s\",\"hold_reason\":",
		p.hold);
	json_str(f, p.hold_why);
	fprintf(f, ",\"watchdog\":\"%s\",\"watchdog_reason\":",
		p.watchdog ? "on" : "off");
	json_str(f, p.watchdog_why);
	fprintf(f, "},");
}

static void status(struct kpld *d, FILE *f)
{
	size_t i;

	fprintf(f, "{\"ok\":true,\"auto_install\":%s,",
		d->auto_install ? "true" : "false");
	protections(f);
	fprintf(f, "\"patches\":[");
	for (i = 0; i < d->nr_patches; i++) {
		struct kpld_patch *p = &d->patches[i];
		size_t active, mapping;

		fprintf(f, "%s{\"id\":", i ? "," : "");
		json_str(f, p->id);
		fprintf(f, ",\"version\":%u,\"state\":\"%s\",\"reason\":",
			p->version, kpld_state_name(p->state));
		json_str(f, p->reason);
		active = count(kpl_fleet__find_applied, p->id);
		mapping = count_mapping(d, p);
		/* Not patched: mapping the library without the patch, and
		 * why, as far as the last fleet operation said. */
		fprintf(f, ",\"since_ns\":%llu,\"in_store\":%s,"
			"\"active\":%zu,\"mapping\":%zu,\"not_patched\":%zu,"
			"\"last\":",
			(unsigned long long)p->since_ns,
			p->present ? "true" : "false", active, mapping,
			mapping > active ? mapping - active : 0);
		json_str(f, p->last);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

static void answer(FILE *f, int err, const char *what)
{
	fprintf(f, "{\"ok\":%s,\"error\":", err ? "false" : "true");
	json_str(f, err ? what : "");
	fprintf(f, "}\n");
}

static void command(struct kpld *d, char *line, bool admin, FILE *f)
{
	char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");
	struct kpld_patch *p = arg ? kpld_find(d, arg) : NULL;
	int err = 0;

	if (!cmd) {
		answer(f, -EINVAL, "empty command");
		return;
	}
	if (!strcmp(cmd, "status")) {
		status(d, f);
		return;
	}
	if (!admin) {
		answer(f, -EPERM, "permission denied: only root may change "
			"patches");
		return;
	}
	if (!strcmp(cmd, "auto") && arg &&
	    (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
		d->auto_install = !strcmp(arg, "on");
		kpld_journal_setting(d, "auto_install", arg);
		if (d->auto_install)
			kpld_store_scan(d);
		answer(f, 0, "");
		return;
	}
	if (!strcmp(cmd, "rescan")) {
		kpld_store_scan(d);
		kpld_cover_new(d);
		answer(f, 0, "");
		return;
	}
	if (!p) {
		answer(f, -ENOENT, arg ? "no such patch in the store"
				       : "unknown command");
		return;
	}
	if (!strcmp(cmd, "install"))
		err = kpld_install(d, p, "installed by admin");
	else if (!strcmp(cmd, "revert"))
		err = kpld_revert(d, p, KPLD_REVERTED, "reverted by admin");
	else if (!strcmp(cmd, "release")) {
		err = p->state == KPLD_QUARANTINED ?
			kpld_transition(d, p, KPLD_AVAILABLE,
					"released by admin") : -EINVAL;
		if (!err && d->auto_install)
			err = kpld_install(d, p, "auto-install after release");
	} else
		err = -EINVAL;
	answer(f, err, err == -EINVAL ? "not allowed in this state"
				      : kpl_strerror(err));
}

void kpld_api_serve(struct kpld *d, int lfd)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred cr;
	char line[256];
	bool admin, reader;
	FILE *f;
	int fd;

	struct timeval tv = { .tv_sec = 1 };

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* kpld serves one client at a time: a silent one may not stall
	 * the watchdog and the holds for more than a second. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		close(fd);
		return;
	}
	admin = cr.uid == 0;
	reader = admin || (d->cfg.read_gid != (gid_t)-1 &&
			   cr.gid == d->cfg.read_gid);
	f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		return;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	if (!reader)
		answer(f, -EPERM, "permission denied: not root and not in "
			"kpld's read group");
	else if (line[0])
		command(d, line, admin, f);
	fclose(f);
}
