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
 * The string "@key" of a kpld reply, looked for from @json up to @end
 * (NULL: to the end), unescaped, printable ASCII only: anything else
 * becomes '?'.  Return: 0, or -ENOENT without the field.
 */
int cli_json_field(const char *json, const char *end, const char *key,
		   char *out, size_t len)
{
	const char *s;
	char pat[40];
	size_t n = 0;
	int k;

	out[0] = '\0';
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

/* A field of the status reply's head, before its patch list, where no
 * patch's own text can be. */
static int reply_field(const char *json, const char *key, char *out, size_t len)
{
	return cli_json_field(json, strstr(json, "\"patches\":"), key, out,
			      len);
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
		"                                protections kpld runs (JSON)\n"
		"       kpl vex [CVE-ID]         an OpenVEX document: for each "
		"CVE the store's\n"
		"                                patches fix (or only CVE-ID), "
		"which processes\n"
		"                                run the fix and which the old "
		"code\n\n"
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
		{ "vex", "vex", 0 },	/* or 1: a CVE id */
	};
	char req[256], *reply;
	size_t i;
	int err, rc = KPL_EXIT_OK;

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
	if (!strcmp(argv[0], "vex") && argc == 2) {
		/* Refused here, with the reason, before asking kpld. */
		if (!kpl_cve_valid(argv[1])) {
			fprintf(stderr, "kpl vex: '%s' is not a CVE id "
				"(CVE-YYYY-NNNN, 4 to 19 digits)\n",
				cli_esc(argv[1]));
			return KPL_EXIT_USAGE;
		}
		argc = 1;
		snprintf(req, sizeof(req), "vex %s", argv[1]);
	} else if (argc != 1 + map[i].nargs) {
		daemon_usage(stderr, argv[0]);
		return KPL_EXIT_USAGE;
	} else {
		snprintf(req, sizeof(req), "%s%s%s", map[i].req,
			 map[i].nargs ? " " : "", map[i].nargs ? argv[1] : "");
	}
	/* A VEX document of many processes is large: 4 MiB at most. */
	reply = malloc(CLI_REPLY_MAX);
	if (!reply) {
		fprintf(stderr, "kpl %s: out of memory\n", argv[0]);
		return KPL_EXIT_FAIL;
	}
	err = cli_kpld(req, reply, CLI_REPLY_MAX);
	if (err == -EACCES) {
		/* The socket itself is for root and kpld's read group. */
		fprintf(stderr, "kpl %s: permission denied: kpld's socket %s "
			"admits only root and kpld's read group\n", argv[0],
			cli_kpld_socket());
		rc = KPL_EXIT_ACCESS;
	} else if (err) {
		fprintf(stderr, "kpl %s: kpld is not reachable at %s: %s\n",
			argv[0], cli_kpld_socket(), strerror(-err));
		rc = KPL_EXIT_FAIL;
	} else {
		fputs(reply, stdout);
		if (strstr(reply, "\"ok\":false"))
			rc = strstr(reply, "permission denied") ?
				     KPL_EXIT_ACCESS :
				     KPL_EXIT_STATE;
	}
	free(reply);
	return rc;
}

/* Skip the JSON string at @s (at its opening quote); NULL when cut. */
static const char *skip_str(const char *s)
{
	for (s++; *s && *s != '"'; s++)
		if (*s == '\\' && s[1])
			s++;
	return *s ? s + 1 : NULL;
}

int cli_kpld_cves(const char *reply, const char *id, uint32_t version,
		  char *out, size_t len)
{
	const char *s = reply ? strstr(reply, "\"patches\":[") : NULL;
	char want[KPL_ID_MAX + 40], cve[KPL_CVE_LEN + 1];
	const char *next, *e;
	size_t n = 0, k;

	out[0] = '\0';
	if (!s)
		return -ENOENT;
	/* A '"' inside a kpld string is always escaped, so these patterns
	 * match only kpld's own structure, whatever a patch's text says. */
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"version\":%u,", id,
		 version);
	s = strstr(s, want);
	if (!s)
		return -ENOENT;
	next = strstr(s + 1, "{\"id\":\"");
	s = strstr(s, "\"cves\":[");
	if (!s || (next && s > next))
		return -ENOENT;
	for (s += 8; *s == '"'; s = *e == ',' ? e + 1 : e) {
		e = skip_str(s);
		if (!e)
			return -EPROTO;
		k = (size_t)(e - s - 2);
		if (k < sizeof(cve)) {
			memcpy(cve, s + 1, k);
			cve[k] = '\0';
			/* Only what is a CVE id reaches the output. */
			if (kpl_cve_valid(cve) && n + k + 2 <= len)
				n += (size_t)snprintf(out + n, len - n, "%s%s",
						      n ? " " : "", cve);
		}
	}
	return *s == ']' ? 0 : -EPROTO;
}

int cli_kpld_vex_pids(const char *doc, pid_t *fixed, size_t *nr_fixed,
		      pid_t *affected, size_t *nr_affected, size_t max)
{
	static const char urn[] = "\"urn:kpatch-lite:process:";
	const char *s = doc, *st;
	long pid;
	char *end;

	*nr_fixed = *nr_affected = 0;
	while ((s = strstr(s, urn))) {
		s += sizeof(urn) - 1;
		s += strspn(s, "0123456789abcdefunknow-");
		if (*s != ':')
			continue;
		pid = strtol(s + 1, &end, 10);
		if (*end != '"' || pid <= 0 || pid > INT32_MAX)
			continue;
		st = strstr(end, "\"status\":\"");
		if (!st)
			return -EPROTO;
		st += 10;
		if (!strncmp(st, "fixed\"", 6) && *nr_fixed < max)
			fixed[(*nr_fixed)++] = (pid_t)pid;
		else if (!strncmp(st, "affected\"", 9) && *nr_affected < max)
			affected[(*nr_affected)++] = (pid_t)pid;
		s = st;
	}
	return 0;
}
