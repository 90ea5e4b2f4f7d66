// SPDX-License-Identifier: GPL-2.0
/*
 * kpld: keeps a store of patches, applies them fleet-wide (by hand or
 * automatically), covers processes started later, and takes a patch
 * back out everywhere when patched processes start crashing.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "kpl/escape.h"
#include "kpl/kpl.h"
#include "kpld.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kpld [options]\n\n"
		"The kpatch-lite daemon.  Watches a store of .kpl patches; "
		"installs a\npatch in every process that maps its library "
		"(on request through\n`kpl`, or by itself with auto-install); "
		"patches processes started\nlater; reverts and quarantines a "
		"patch whose processes crash.\n\n"
		"options:\n"
		"  -c, --config FILE     configuration (%s)\n"
		"      --store DIR       patch store (overrides the config)\n"
		"      --state DIR       journal directory\n"
		"      --socket PATH     control socket\n"
		"      --keys DIR        trusted public keys\n"
		"      --auto-install    start with auto-install on\n"
		"      --allow-unsigned  accept unsigned patches (testing)\n"
		"  -h, --help            this text\n\n"
		"It runs in the foreground and logs to stderr (journald under "
		"systemd).\nSIGHUP rescans the store; SIGTERM stops it.  "
		"Applied patches stay\napplied when kpld stops: their state "
		"lives in each process.\n", KPLD_CONF);
}

static int quiet_debug(enum kpl_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == KPL_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int parse_args(int argc, char **argv, struct kpld *d)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 'k' },
		{ "keys", required_argument, NULL, 'K' },
		{ "auto-install", no_argument, NULL, 'a' },
		{ "allow-unsigned", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *conf = KPLD_CONF;
	int c, i;

	/* The config file first, so options override it. */
	for (i = 1; i < argc - 1; i++)
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config"))
			conf = argv[i + 1];
	if (kpld_config_load(conf, &d->cfg))
		return 2;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 's':
			snprintf(d->cfg.store, sizeof(d->cfg.store), "%s", optarg);
			break;
		case 'S':
			snprintf(d->cfg.state, sizeof(d->cfg.state), "%s", optarg);
			break;
		case 'k':
			snprintf(d->cfg.socket, sizeof(d->cfg.socket), "%s",
				 optarg);
			break;
		case 'K':
			snprintf(d->cfg.keys, sizeof(d->cfg.keys), "%s", optarg);
			break;
		case 'a':
			d->cfg.auto_install = true;
			break;
		case 'u':
			d->cfg.allow_unsigned = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	return optind == argc ? 0 : 2;
}

static int setup(struct kpld *d, int *lfd, int *ino, int *tfd, int *sfd,
		 int *wfd, int *gfd)
{
	struct itimerspec its = { 0 };
	sigset_t set;
	int err;

	mkdir(d->cfg.store, 0755);
	err = kpld_journal_open(d);
	if (err) {
		fprintf(stderr, "kpld: journal in %s: %s\n", d->cfg.state,
			strerror(-err));
		return err;
	}
	*lfd = kpld_api_listen(d);
	if (*lfd < 0) {
		fprintf(stderr, "kpld: socket %s: %s\n", d->cfg.socket,
			strerror(-*lfd));
		return *lfd;
	}
	*ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (*ino < 0 || inotify_add_watch(*ino, d->cfg.store,
					  IN_CLOSE_WRITE | IN_MOVED_TO |
					  IN_DELETE | IN_MOVED_FROM) < 0) {
		fprintf(stderr, "kpld: cannot watch %s: %s\n", d->cfg.store,
			strerror(errno));
		return -errno;
	}
	its.it_interval.tv_sec = d->cfg.rescan_ms / 1000;
	its.it_interval.tv_nsec = (d->cfg.rescan_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (*tfd < 0 || timerfd_settime(*tfd, 0, &its, NULL))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* Before the first install: the guard replaces the BPF hold. */
	*gfd = kpld_guard_open();
	*wfd = kpld_protect_open(d);	/* says which protections run */
	if (*wfd < 0 && *wfd != -ENODEV) {
		fprintf(stderr, "kpld: protections: %s\n", strerror(-*wfd));
		return *wfd;
	}
	return *sfd < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct kpld d = { .journal_fd = -1, .quarantine = kpld_revert };
	size_t i;
	int lfd = -1, ino = -1, tfd = -1, sfd = -1, wfd = -1, gfd = -1, ep;
	int err;
	bool running = true;

	kpl_set_print(quiet_debug);
	/* A client that goes away must cost an EPIPE, never kpld. */
	signal(SIGPIPE, SIG_IGN);
	err = parse_args(argc, argv, &d);
	if (err)
		return err;
	if (setup(&d, &lfd, &ino, &tfd, &sfd, &wfd, &gfd))
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || add(ep, lfd) || add(ep, ino) || add(ep, tfd) ||
	    add(ep, sfd) || (wfd >= 0 && add(ep, wfd)) ||
	    (gfd >= 0 && add(ep, gfd)))
		return 1;
	kpld_store_scan(&d);
	/* The journal says what was decided, the processes what is. */
	kpld_reconcile(&d);
	kpld_cover_new(&d);
	kpld_hold_release_leftovers(&d);
	kpld_metrics_write(&d);
	kpld_vex_write(&d);
	fprintf(stderr, "kpld: ready: store %s, socket %s, auto-install %s\n",
		d.cfg.store, d.cfg.socket, d.auto_install ? "on" : "off");
	kpld_journal_arm_fault();
	while (running) {
		struct epoll_event ev[32];
		int n = epoll_wait(ep, ev, 32, kpld_api_timeout_ms()), j;

		for (j = 0; j < n; j++) {
			int fd = ev[j].data.fd;
			char buf[4096];

			if (fd == lfd) {
				kpld_api_accept(&d, ep, lfd);
			} else if (fd == ino) {
				while (read(ino, buf, sizeof(buf)) > 0)
					;
				kpld_store_scan(&d);
			} else if (fd == tfd) {
				/* Held processes first: their hold is
				 * journaled with its latency. */
				if (gfd >= 0)
					kpld_guard_read(&d, gfd);
				if (read(tfd, buf, 8) == 8) {
					kpld_cover_new(&d);
					kpld_metrics_write(&d);
					kpld_vex_write(&d);
				}
			} else if (fd == wfd) {
				kpld_protect_read(&d, wfd);
			} else if (fd == gfd) {
				kpld_guard_read(&d, gfd);
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP)
					kpld_store_scan(&d);
				else
					running = false;
			} else {
				kpld_api_io(&d, ep, fd, ev[j].events);
			}
		}
		kpld_api_expire(ep);
	}
	/* Nobody is left to patch a process a guard would hold. */
	kpld_guard_close();
	fprintf(stderr, "kpld: stopping; applied patches stay applied\n");
	unlink(d.cfg.socket);
	for (i = 0; i < d.nr_patches; i++)
		kpl_patch__free(d.patches[i].kp);
	free(d.patches);
	free(d.held);
	return 0;
}
