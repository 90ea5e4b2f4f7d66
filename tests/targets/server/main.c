// SPDX-License-Identifier: GPL-2.0
/*
 * miniweb-server: a multi-threaded HTTP/1.1 server on 127.0.0.1 that runs
 * every request through libminiweb.  It is the process kpatch-lite's demos
 * exploit, live-patch and exploit again, so it must survive the exploits.
 *
 * usage: miniweb-server [--port N] [--threads N] [--pid-file PATH]
 *                       [--ready-file PATH] [--secret STR]
 *
 * Prints "miniweb-server: listening on 127.0.0.1:PORT" once it accepts
 * connections (--port 0 picks a free port); the ready file then holds the
 * port.  SIGTERM or SIGINT stops it cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

#define DEFAULT_PORT 8080
#define DEFAULT_THREADS 8
#define DEFAULT_SECRET "MWSECRET{miniweb-server-session-key}"

struct server srv = { .listen_fd = -1, .stop_fd = -1 };

struct options {
	long port;
	long threads;
	const char *pid_file;
	const char *ready_file;
	const char *secret;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: miniweb-server [--port N] [--threads N] "
		   "[--pid-file PATH] [--ready-file PATH] [--secret STR]\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "secret", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 0, 65535, &o->port)) {
				fprintf(stderr,
					"miniweb-server: invalid port "
					"'%s'\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			if (parse_long(optarg, 1, SRV_THREADS_MAX,
				       &o->threads)) {
				fprintf(stderr,
					"miniweb-server: invalid thread "
					"count '%s' (1-%d)\n",
					optarg, SRV_THREADS_MAX);
				return -1;
			}
			break;
		case 'P':
			o->pid_file = optarg;
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 's':
			o->secret = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int listen_on(long port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 512) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	srv.listen_fd = fd;
	return ntohs(sa.sin_port);
}

/* Write @fmt to @path via a temporary file, so readers never see half. */
static int write_file(const char *path, const char *fmt, long v)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, fmt, v);
	if (fclose(f) || rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { .port = DEFAULT_PORT,
			     .threads = DEFAULT_THREADS,
			     .secret = DEFAULT_SECRET };
	uint64_t one = 1;
	unsigned int i, started = 0;
	sigset_t sigs;
	int port, sig, err, ret = 1;

	if (parse_options(argc, argv, &o))
		return 2;
	if (miniweb_set_secret(o.secret)) {
		fprintf(stderr, "miniweb-server: secret too long\n");
		return 2;
	}
	srv.secret = o.secret;
	/* Only the main thread takes SIGINT/SIGTERM, via sigwait(). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	port = listen_on(o.port);
	if (port < 0) {
		fprintf(stderr,
			"miniweb-server: failed to listen on "
			"127.0.0.1:%ld: %s\n",
			o.port, strerror(-port));
		return 1;
	}
	srv.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv.nworkers = (unsigned int)o.threads;
	srv.workers = calloc(srv.nworkers, sizeof(*srv.workers));
	if (srv.stop_fd < 0 || !srv.workers) {
		fprintf(stderr, "miniweb-server: failed to set up: %s\n",
			strerror(errno));
		goto out;
	}
	for (i = 0; i < srv.nworkers; i++) {
		srv.workers[i].id = i;
		err = worker_start(&srv.workers[i]);
		if (err) {
			fprintf(stderr,
				"miniweb-server: failed to start "
				"worker %u: %s\n",
				i, strerror(-err));
			goto stop;
		}
		started++;
	}
	if (write_file(o.pid_file, "%ld\n", (long)getpid()) ||
	    write_file(o.ready_file, "%ld\n", port)) {
		fprintf(stderr,
			"miniweb-server: failed to write the pid or "
			"ready file: %s\n",
			strerror(errno));
		goto stop;
	}
	printf("miniweb-server: listening on 127.0.0.1:%d (%u threads, "
	       "pid %ld)\n",
	       port, srv.nworkers, (long)getpid());
	fflush(stdout);

	while (sigwait(&sigs, &sig))
		;
	printf("miniweb-server: %s, shutting down\n",
	       sig == SIGINT ? "SIGINT" : "SIGTERM");
	ret = 0;
stop:
	if (write(srv.stop_fd, &one, sizeof(one)) != sizeof(one))
		ret = 1;
	for (i = 0; i < started; i++)
		pthread_join(srv.workers[i].tid, NULL);
	for (i = 0; i < srv.nworkers; i++) {
		miniweb_doc_free(srv.workers[i].doc);
		if (srv.workers[i].epfd > 0)
			close(srv.workers[i].epfd);
	}
	if (o.pid_file)
		unlink(o.pid_file);
	if (o.ready_file)
		unlink(o.ready_file);
out:
	free(srv.workers);
	if (srv.stop_fd >= 0)
		close(srv.stop_fd);
	close(srv.listen_fd);
	fflush(stdout);
	return ret;
}
