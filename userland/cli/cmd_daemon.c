// SPDX-License-Identifier: GPL-2.0
/*
 * Commands that talk to kpld over its control socket: the store and the
 * patch lifecycle live in the daemon; kpl is only its client here.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define KPLD_SOCKET "/run/kpatch-lite/kpld.sock"

const char *cli_kpld_socket(void)
{
	const char *s = getenv("KPLD_SOCKET");

	return s && *s ? s : KPLD_SOCKET;
}

int cli_kpld(const char *request, char *reply, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cli_kpld_socket());
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* MSG_NOSIGNAL: a refusing kpld may close before reading. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 &&
	     errno != EPIPE) ||
	    (send(fd, "\n", 1, MSG_NOSIGNAL) < 0 && errno != EPIPE)) {
		err = -errno;
		goto out;
	}
	while (got + 1 < len && (n = read(fd, reply + got, len - got - 1)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	if (!got)
		err = -EPROTO;
out:
	close(fd);
	return err;
}

/*
 * The string "@key" of kpld's status reply @json (before its patch list,
 * where no patch's own text can be), unescaped, printable ASCII only:
 * anything else becomes '?'.  Return: 0, or -ENOENT without the field.
 */
static int reply_field(const char *json, const char *key, char *out, size_t len)
{
	const char *s, *end = strstr(json, "\"patches\":");
	char pat[40];
	size_t n = 0;
	int k;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	s = strstr(json, pat);
	if (!s || (end && s > end))
		return -ENOENT;
	for (s += strlen(pat); *s && *s != '"'; s++) {
		char c = *s;

		/* kpld escapes only '"', '\\' and controls (\uXXXX). */
		if (c == '\\' && s[1]) {
			c = *++s;
			if (c == 'u') {
				for (k = 0; k < 4 && isxdigit((unsigned char)s[1]);
				     k++)
					s++;
				c = '?';
			}
		}
		if (!isprint((unsigned char)c))
			c = '?';
		if (n + 1 < len)
			out[n++] = c;
	}
	out[n] = '\0';
	return *s == '"' ? 0 : -EPROTO;
}

int cli_kpld_protections(const char *reply, char *line, size_t len)
{
	char hold[16], hold_why[256], wd[16], wd_why[256];

	if (reply_field(reply, "hold", hold, sizeof(hold)) ||
	    reply_field(reply, "hold_reason", hold_why, sizeof(hold_why)) ||
	    reply_field(reply, "watchdog", wd, sizeof(wd)) ||
	    reply_field(reply, "watchdog_reason", wd_why, sizeof(wd_why)))
		return -ENOENT;
	snprintf(line, len, "hold=%s%s%s%s watchdog=%s%s%s%s", hold,
		 hold_why[0] ? " (" : "", hold_why, hold_why[0] ? ")" : "", wd,
		 wd_why[0] ? " (" : "", wd_why, wd_why[0] ? ")" : "");
	return 0;
}

static void daemon_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: kpl install PATCH-ID     apply a store patch fleet-wide\n"
		"       kpl uninstall PATCH-ID   revert it everywhere\n"
		"       kpl release PATCH-ID     lift a quarantine\n"
		"       kpl auto on|off          automatic installation\n"
		"       kpl rescan               read the store again and patch "
		"processes\n"
		"                                that lack an installed patch\n"
		"       kpl store [--json]       the store, each patch's "
		"lifecycle and which\n"
		"                                protections kpld runs (JSON)\n\n"
		"These ask kpld (socket %s, or $KPLD_SOCKET).\n"
		"'%s' failed or was misused.\n", cli_kpld_socket(), cmd);
}

/* kpl install|uninstall|release|auto|store|rescan: one request, one reply. */
int cmd_daemon(int argc, char **argv)
{
	static const struct { const char *cli, *req; int nargs; } map[] = {
		{ "install", "install", 1 },
		{ "uninstall", "revert", 1 },
		{ "release", "release", 1 },
		{ "auto", "auto", 1 },
		{ "store", "status", 0 },
		{ "rescan", "rescan", 0 },
	};
	char req[256], reply[65536];
	size_t i;
	int err;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(argv[0], map[i].cli))
			break;
	if (i == sizeof(map) / sizeof(map[0]))
		return KPL_EXIT_USAGE;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		daemon_usage(stdout, argv[0]);
		return KPL_EXIT_OK;
	}
	/* The store is JSON either way: --json says it is wanted so. */
	if (!strcmp(map[i].cli, "store") && argc == 2 &&
	    !strcmp(argv[1], "--json"))
		argc = 1;
	if (argc != 1 + map[i].nargs) {
		daemon_usage(stderr, argv[0]);
		return KPL_EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "%s%s%s", map[i].req, map[i].nargs ? " " : "",
		 map[i].nargs ? argv[1] : "");
	err = cli_kpld(req, reply, sizeof(reply));
	if (err == -EACCES) {
		/* The socket itself is for root and kpld's read group. */
		fprintf(stderr, "kpl %s: permission denied: kpld's socket %s "
			"admits only root and kpld's read group\n", argv[0],
			cli_kpld_socket());
		return KPL_EXIT_ACCESS;
	}
	if (err) {
		fprintf(stderr, "kpl %s: kpld is not reachable at %s: %s\n",
			argv[0], cli_kpld_socket(), strerror(-err));
		return KPL_EXIT_FAIL;
	}
	fputs(reply, stdout);
	if (strstr(reply, "\"ok\":false")) {
		if (strstr(reply, "permission denied"))
			return KPL_EXIT_ACCESS;
		return KPL_EXIT_STATE;
	}
	return KPL_EXIT_OK;
}
