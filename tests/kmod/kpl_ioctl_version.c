// SPDX-License-Identifier: GPL-2.0
/*
 * kpl_ioctl_version: exercise KPL_IOC_VERSION from inside the test VM.
 *
 *   kpl_ioctl_version            print the ABI version; fail unless it is
 *                                the one this helper was built against
 *   kpl_ioctl_version --no-cap   open the device, drop CAP_SYS_ADMIN from
 *                                the effective set, expect EPERM
 *   kpl_ioctl_version --bad-cmd  expect ENOTTY for an unknown command
 *   kpl_ioctl_version --nobody   become uid/gid 65534, expect the open to
 *                                fail with EACCES (the node is 0600 root)
 *
 * Exit status 0 when the expectation holds, 1 otherwise, with one line on
 * stderr saying what differed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/linux/kpatch_lite.h>

#include "kmod_util.h"

static int expect_errno(int fd, unsigned long cmd, int want, const char *what)
{
	struct kpl_version ver;
	int err;

	memset(&ver, 0, sizeof(ver));
	if (ioctl(fd, cmd, &ver) == 0) {
		fprintf(stderr, "%s: ioctl succeeded, expected %s\n", what,
			strerror(want));
		return 1;
	}
	err = errno;
	if (err != want) {
		fprintf(stderr, "%s: ioctl failed with %s, expected %s\n", what,
			strerror(err), strerror(want));
		return 1;
	}
	printf("%s: %s as expected\n", what, strerror(err));
	return 0;
}

/* Opening the node must be refused to anyone but root. */
static int open_as_nobody(void)
{
	int fd, err;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		fprintf(stderr, "failed to become nobody: %s\n",
			strerror(errno));
		return 1;
	}
	fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		fprintf(stderr, "open as nobody succeeded, expected %s\n",
			strerror(EACCES));
		close(fd);
		return 1;
	}
	err = errno;
	if (err != EACCES) {
		fprintf(stderr, "open as nobody failed with %s, expected %s\n",
			strerror(err), strerror(EACCES));
		return 1;
	}
	printf("open as nobody: %s as expected\n", strerror(err));
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct kpl_version ver;
	int fd, err, ret;

	if (!strcmp(mode, "--nobody"))
		return open_as_nobody();

	fd = open(KPL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "failed to open %s: %s\n", KPL_DEVICE_PATH,
			strerror(errno));
		return 1;
	}

	if (!strcmp(mode, "--no-cap")) {
		err = ku_drop_cap_sys_admin();
		if (err) {
			fprintf(stderr, "failed to drop CAP_SYS_ADMIN: %s\n",
				strerror(-err));
			ret = 1;
		} else {
			ret = expect_errno(fd, KPL_IOC_VERSION, EPERM,
					   "version without CAP_SYS_ADMIN");
		}
	} else if (!strcmp(mode, "--bad-cmd")) {
		ret = expect_errno(fd, _IOR(KPL_IOC_MAGIC, 0xff, __u32), ENOTTY,
				   "unknown command");
	} else if (!*mode) {
		memset(&ver, 0xa5, sizeof(ver));
		if (ioctl(fd, KPL_IOC_VERSION, &ver)) {
			fprintf(stderr, "failed to query version: %s\n",
				strerror(errno));
			ret = 1;
		} else if (ver.abi_version != KPL_ABI_VERSION ||
			   ver.flags != (KPL_VERSION_F_GUARD |
					 KPL_VERSION_F_BATCH |
					 KPL_VERSION_F_MAP_HEAD)) {
			fprintf(stderr,
				"version mismatch: module abi 0x%08x flags 0x%x, expected 0x%08x flags 0x%x\n",
				ver.abi_version, ver.flags, KPL_ABI_VERSION,
				KPL_VERSION_F_GUARD | KPL_VERSION_F_BATCH |
					KPL_VERSION_F_MAP_HEAD);
			ret = 1;
		} else {
			printf("abi %u.%u\n", ver.abi_version >> 16,
			       ver.abi_version & 0xffff);
			ret = 0;
		}
	} else {
		fprintf(stderr, "usage: %s [--no-cap | --bad-cmd | --nobody]\n",
			argv[0]);
		ret = 2;
	}

	close(fd);
	return ret;
}
