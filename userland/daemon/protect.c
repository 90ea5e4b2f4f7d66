// SPDX-License-Identifier: GPL-2.0
/*
 * kpld's protections, and which of them run.  Two guard the fleet beyond
 * the patches themselves: the hold (a process started after an install
 * is stopped until patched: the module's guards, guard.c, else BPF,
 * hold.c) and the crash watchdog (watch.c, BPF).  Each BPF object is
 * loaded on its own, so a kernel that refuses one still runs the other,
 * and what is missing, with why, is said at start-up and in the status
 * the control socket serves: an admin sees a degraded kpld in
 * `kpl status`, not only in a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kpld.h"

static char hold_why[KPLD_WHY_MAX + 32];

void kpld_protections(struct kpld_protections *p)
{
	const char *bpf = kpld_hold_why();

	p->hold = kpld_guard_enabled() ? "module" : bpf ? "none" : "bpf";
	p->hold_why = "";
	if (bpf) {
		/* With the module, BPF is the fallback for a refused guard. */
		snprintf(hold_why, sizeof(hold_why), "%s%s",
			 kpld_guard_enabled() ? "fallback " : "", bpf);
		p->hold_why = hold_why;
	}
	p->watchdog = !kpld_watch_why();
	p->watchdog_why = p->watchdog ? "" : kpld_watch_why();
}

void kpld_protections_line(char *buf, size_t len)
{
	struct kpld_protections p;

	kpld_protections(&p);
	snprintf(buf, len, "hold=%s%s%s%s watchdog=%s%s%s%s", p.hold,
		 p.hold_why[0] ? " (" : "", p.hold_why,
		 p.hold_why[0] ? ")" : "", p.watchdog ? "on" : "off",
		 p.watchdog_why[0] ? " (" : "", p.watchdog_why,
		 p.watchdog_why[0] ? ")" : "");
}

int kpld_protect_open(struct kpld *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char line[2 * KPLD_WHY_MAX + 64];
	int hfd, wfd, ep;

	/* One fd for main's loop, both ring buffers behind it; made first,
	 * so a hold never stops a process nobody will hear about. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	kpld_bpf_init();
	hfd = kpld_hold_open(d);
	wfd = kpld_watch_open(d);
	if ((hfd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, hfd, &ev)) ||
	    (wfd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, wfd, &ev))) {
		int err = -errno;

		close(ep);
		return err;
	}
	kpld_protections_line(line, sizeof(line));
	fprintf(stderr, "kpld: protections: %s\n", line);
	if (hfd < 0 && wfd < 0) {
		close(ep);
		return -ENODEV;
	}
	return ep;
}

void kpld_protect_read(struct kpld *d, int fd)
{
	(void)d, (void)fd;
	kpld_hold_read();
	kpld_watch_read();
}
