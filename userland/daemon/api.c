// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a client sends one command line, kpld answers one
 * JSON line and closes.  Root may do anything; members of read_group may
 * only ask for status; everyone else is refused (SO_PEERCRED).
 *
 *   status | vex [CVE] | install ID | revert ID | release ID |
 *   auto on|off | rescan
 *
 * Any local user must not be able to stop or stall kpld through it:
 * - the socket is 0600 root, or 0660 root:read_group, so the kernel
 *   turns other users away at connect();
 * - a connection is identified (SO_PEERCRED) as soon as it is accepted,
 *   before a byte is read, and one from neither root nor the read group
 *   is answered "permission denied" and closed at once.  Connections
 *   not yet accepted, the only unidentified ones, are bounded by the
 *   listen backlog;
 * - clients are non-blocking in main's epoll set, with at most
 *   API_MAX_CLIENTS at once, of which API_MAX_READERS not root, a
 *   256-byte request, and API_DEADLINE_MS to send it and again to take
 *   the answer (time kpld spends running a command does not count);
 * - every send is MSG_NOSIGNAL (and main ignores SIGPIPE): a client
 *   that went away costs an EPIPE, not kpld.
 * Refused and dropped clients are logged, at most 5 lines per 10 s each.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

#define API_BACKLOG 16
#define API_MAX_CLIENTS 32
#define API_MAX_READERS 16
#define API_DEADLINE_MS 2000
#define API_ACCEPT_BURST 64 /* per wake-up, so a flood cannot starve the rest */
#define API_LINE_MAX 256

struct client {
	int fd; /* -1: a free slot */
	bool admin;
	struct ucred cr;
	uint64_t deadline_ns;
	size_t nin;
	char in[API_LINE_MAX];
	char *out; /* the answer, while it is being sent */
	size_t nout, sent;
};

static struct client clients[API_MAX_CLIENTS];

int kpld_api_listen(struct kpld *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = d->cfg.read_gid;
	char dir[256], *slash;
	mode_t mask;
	size_t i;
	int fd, err = 0;

	for (i = 0; i < API_MAX_CLIENTS; i++)
		clients[i].fd = -1;
	snprintf(dir, sizeof(dir), "%s", d->cfg.socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	if (strlen(d->cfg.socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, d->cfg.socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(d->cfg.socket);
	/* Created 0600: nobody else may connect before the chown below. */
	mask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = -errno;
	umask(mask);
	if (!err && gid != (gid_t)-1 &&
	    (chown(d->cfg.socket, 0, gid) || chmod(d->cfg.socket, 0660)))
		err = -errno;
	if (!err && listen(fd, API_BACKLOG))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* At most 5 lines per 10 s of each kind: a flood must not flood the log. */
struct ratelimit {
	const char *what;
	uint64_t window;
	unsigned int logged, dropped;
};

static struct ratelimit rl_refused = { .what = "refused" };
static struct ratelimit rl_dropped = { .what = "dropped" };

static void log_client(struct ratelimit *rl, const struct ucred *cr,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_client(struct ratelimit *rl, const struct ucred *cr,
		       const char *fmt, ...)
{
	uint64_t now = kpld_mono_ns();
	va_list ap;

	if (now - rl->window > 10000000000ull) {
		if (rl->dropped)
			fprintf(stderr, "kpld: %u more %s clients not logged\n",
				rl->dropped, rl->what);
		rl->window = now;
		rl->logged = rl->dropped = 0;
	}
	if (rl->logged++ >= 5) {
		rl->dropped++;
		return;
	}
	fprintf(stderr, "kpld: client pid %d uid %u: %s: ", cr->pid, cr->uid,
		rl->what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

	if (!p->kp || kpl_fleet__find(p->kp, &v, &n))
		n = 0;
	else
		kpld_filter(d, v, &n);
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
	kpld_json_str(f, p.hold_why);
	fprintf(f, ",\"watchdog\":\"%s\",\"watchdog_reason\":",
		p.watchdog ? "on" : "off");
	kpld_json_str(f, p.watchdog_why);
	fprintf(f, "},");
}

/* What the patch fixes: ,"cves":[...],"advisory":{...}; empty if unread. */
static void vuln(FILE *f, const struct kpl_patch *kp)
{
	size_t i, n = kp ? kpl_patch__nr_cves(kp) : 0;

	fprintf(f, ",\"cves\":[");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		kpld_json_str(f, kpl_patch__cve(kp, i));
	}
	fprintf(f, "],\"advisory\":{\"id\":");
	kpld_json_str(f, kp ? kpl_patch__advisory(kp) : "");
	fprintf(f, ",\"url\":");
	kpld_json_str(f, kp ? kpl_patch__advisory_url(kp) : "");
	fprintf(f, ",\"text\":");
	kpld_json_str(f, kp ? kpl_patch__advisory_text(kp) : "");
	fprintf(f, "}");
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
		kpld_json_str(f, p->id);
		fprintf(f, ",\"version\":%u,\"state\":\"%s\",\"reason\":",
			p->version, kpld_state_name(p->state));
		kpld_json_str(f, p->reason);
		active = count(kpl_fleet__find_applied, p->id);
		mapping = count_mapping(d, p);
		/* Not patched: mapping the library without the patch, and
		 * why, as far as the last fleet operation said. */
		fprintf(f,
			",\"since_ns\":%llu,\"in_store\":%s,"
			"\"active\":%zu,\"mapping\":%zu,\"not_patched\":%zu,"
			"\"last\":",
			(unsigned long long)p->since_ns,
			p->present ? "true" : "false", active, mapping,
			mapping > active ? mapping - active : 0);
		kpld_json_str(f, p->last);
		vuln(f, p->kp);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

static void answer(FILE *f, int err, const char *what)
{
	fprintf(f, "{\"ok\":%s,\"error\":", err ? "false" : "true");
	kpld_json_str(f, err ? what : "");
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
	/* Read-only too: the group that may read status may read this. */
	if (!strcmp(cmd, "vex")) {
		if (arg && !kpl_cve_valid(arg)) {
			answer(f, -EINVAL, "not a CVE id (CVE-YYYY-NNNN)");
			return;
		}
		kpld_vex(d, f, arg);
		return;
	}
	if (!admin) {
		answer(f, -EPERM,
		       "permission denied: only root may change "
		       "patches");
		return;
	}
	if (!strcmp(cmd, "auto") && arg &&
	    (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
		/* Journaled first: no setting changes if that fails. */
		err = kpld_journal_setting(d, "auto_install", arg);
		if (err) {
			answer(f, err, kpl_strerror(err));
			return;
		}
		d->auto_install = !strcmp(arg, "on");
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
		answer(f, -ENOENT,
		       arg ? "no such patch in the store" : "unknown command");
		return;
	}
	if (!strcmp(cmd, "install"))
		err = kpld_install(d, p, "installed by admin");
	else if (!strcmp(cmd, "revert"))
		err = kpld_revert(d, p, KPLD_REVERTED, "reverted by admin");
	else if (!strcmp(cmd, "release")) {
		err = p->state == KPLD_QUARANTINED ?
			      kpld_transition(d, p, KPLD_AVAILABLE,
					      "released by admin") :
			      -EINVAL;
		if (!err && d->auto_install)
			err = kpld_install(d, p, "auto-install after release");
	} else
		err = -EINVAL;
	answer(f, err,
	       err == -EINVAL ? "not allowed in this state" :
				kpl_strerror(err));
}

static bool in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t g[64];
	socklen_t len = sizeof(g);
	size_t i;

	if (gid == (gid_t)-1)
		return false;
	if (cr->gid == gid)
		return true;
	/* Supplementary groups count too; more than 64 of them do not. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len))
		return false;
	for (i = 0; i < len / sizeof(g[0]); i++)
		if (g[i] == gid)
			return true;
	return false;
}

/* One line, without reading the request, and the connection is closed. */
static void refuse(int fd, const struct ucred *cr, const char *why)
{
	char buf[200];
	int n;

	n = snprintf(buf, sizeof(buf), "{\"ok\":false,\"error\":\"%s\"}\n",
		     why);
	/* A client gone already gets nothing: no error to handle. */
	send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_client(&rl_refused, cr, "%s", why);
}

static void drop(int ep, struct client *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void admit(struct kpld *d, int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	socklen_t len = sizeof(struct ucred);
	struct client *c = NULL;
	size_t i, readers = 0;
	struct ucred cr;
	bool admin;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		close(fd);
		return;
	}
	admin = cr.uid == 0;
	if (!admin && !in_group(fd, &cr, d->cfg.read_gid)) {
		refuse(fd, &cr,
		       "permission denied: not root and not in "
		       "kpld's read group");
		return;
	}
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		if (clients[i].fd < 0 && !c)
			c = &clients[i];
		else if (clients[i].fd >= 0 && !clients[i].admin)
			readers++;
	}
	if (!c || (!admin && readers >= API_MAX_READERS)) {
		refuse(fd, &cr, "busy: too many connections to kpld");
		return;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->admin = admin;
	c->cr = cr;
	c->deadline_ns = kpld_mono_ns() + API_DEADLINE_MS * 1000000ull;
}

void kpld_api_accept(struct kpld *d, int ep, int lfd)
{
	int i, fd;

	for (i = 0; i < API_ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		admit(d, ep, fd);
	}
}

static struct client *client_of(int fd)
{
	size_t i;

	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

/* Send what the socket takes.  Return: true when done with the client. */
static bool flush(struct client *c)
{
	while (c->sent < c->nout) {
		ssize_t n = send(c->fd, c->out + c->sent, c->nout - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
		c->sent += (size_t)n;
	}
	return true;
}

/* Run the request in c->in and start sending the answer. */
static bool run(struct kpld *d, int ep, struct client *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = c->fd };
	uint64_t t0 = kpld_mono_ns(), spent;
	FILE *f = open_memstream(&c->out, &c->nout);
	size_t i;

	if (!f)
		return true;
	if (c->nin == sizeof(c->in) - 1 && !memchr(c->in, '\n', c->nin))
		answer(f, -E2BIG, "request too long");
	else
		command(d, c->in, c->admin, f);
	if (fclose(f) || !c->out)
		return true;
	/* kpld was busy for everyone: that time is nobody's fault. */
	spent = kpld_mono_ns() - t0;
	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			clients[i].deadline_ns += spent;
	c->deadline_ns = kpld_mono_ns() + API_DEADLINE_MS * 1000000ull;
	if (flush(c))
		return true;
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0;
}

void kpld_api_io(struct kpld *d, int ep, int fd, uint32_t events)
{
	struct client *c = client_of(fd);
	ssize_t n;

	(void)events;
	if (!c)
		return;
	if (c->out) {
		if (flush(c))
			drop(ep, c);
		return;
	}
	n = recv(fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->nin += (size_t)n;
	c->in[c->nin] = '\0';
	/* A whole line, a full buffer, or the end of a partial line. */
	if (memchr(c->in, '\n', c->nin) || c->nin == sizeof(c->in) - 1 ||
	    (n == 0 && c->nin)) {
		if (run(d, ep, c))
			drop(ep, c);
	} else if (n <= 0) {
		drop(ep, c); /* gone before saying anything */
	}
}

int kpld_api_timeout_ms(void)
{
	uint64_t now = kpld_mono_ns(), first = UINT64_MAX;
	size_t i;

	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].deadline_ns < first)
			first = clients[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)((first - now) / 1000000 + 1);
}

void kpld_api_expire(int ep)
{
	uint64_t now = kpld_mono_ns();
	size_t i;

	for (i = 0; i < API_MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (c->fd < 0 || c->deadline_ns > now)
			continue;
		log_client(&rl_dropped, &c->cr, "%s within %d ms",
			   c->out ? "did not take its answer" :
				    "sent no request",
			   API_DEADLINE_MS);
		drop(ep, c);
	}
}
