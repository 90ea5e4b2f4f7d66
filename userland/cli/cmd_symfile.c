// SPDX-License-Identifier: GPL-2.0
/*
 * kpl symfile: an ELF file of a patch's symbols and unwind table at its
 * addresses in a process, for gdb's add-symbol-file (tools/gdb/kpl.py
 * runs it on attach).  It only reads the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/target.h"

static void symfile_usage(FILE *f)
{
	fprintf(f,
		"usage: kpl symfile -p PID -o FILE PATCH-ID\n"
		"       kpl symfile -p PID --list\n\n"
		"Write an ELF file describing the code of patch PATCH-ID in "
		"process PID:\neach function the patch replaced, named, at its "
		"new code, and the\npatch's unwind table, all at their "
		"addresses in the process.  gdb\nloads it with "
		"'add-symbol-file FILE' to name patch frames and unwind\npast "
		"them (kpatch-lite's gdb extension does so on attach).  "
		"Made from\nthe record in the process; needs no patch file, "
		"changes nothing.\n\n"
		"options:\n"
		"  -p, --pid PID     the patched process\n"
		"  -o, --output FILE where to write the file\n"
		"      --list        print each patch mapped in PID: its id "
		"and address\n"
		"  -h, --help        this text\n");
}

static int write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static int list(struct kpl_target *t)
{
	struct kpl_applied *v = NULL;
	size_t n = 0, i;
	int err;

	err = kpl_target__status(t, &v, &n);
	if (err)
		return err;
	/* Ids are [A-Za-z0-9._-] (kpl_target__status() checked them). */
	for (i = 0; i < n; i++)
		printf("%s 0x%llx %s\n", cli_esc(v[i].id),
		       (unsigned long long)v[i].base, v[i].phase);
	free(v);
	return 0;
}

int cmd_symfile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct kpl_target *t = NULL;
	const char *out = NULL;
	bool want_list = false;
	void *buf = NULL;
	size_t len = 0;
	pid_t pid = 0;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = cli_parse_pid(optarg);
			if (pid < 0)
				return KPL_EXIT_USAGE;
			break;
		case 'o':
			out = optarg;
			break;
		case 'l':
			want_list = true;
			break;
		case 'h':
			symfile_usage(stdout);
			return KPL_EXIT_OK;
		default:
			symfile_usage(stderr);
			return KPL_EXIT_USAGE;
		}
	}
	if (!pid || (want_list ? (out || optind != argc) :
				 (!out || !out[0] || optind != argc - 1))) {
		fprintf(stderr, "kpl symfile: need -p PID, and -o FILE and one "
				"patch id, or --list\n");
		symfile_usage(stderr);
		return KPL_EXIT_USAGE;
	}
	err = kpl_target__open(pid, NULL, &t);
	if (err) {
		fprintf(stderr, "kpl symfile: cannot open pid %d: %s\n", pid,
			kpl_strerror(err));
		return cli_target_exit_code("symfile", err, pid);
	}
	if (want_list) {
		err = list(t);
		if (err)
			fprintf(stderr, "kpl symfile: cannot read pid %d: %s\n",
				pid, kpl_strerror(err));
		goto out;
	}
	err = kpl_target__symfile(t, argv[optind], &buf, &len);
	if (err == -KPL_E_NOT_APPLIED)
		fprintf(stderr, "kpl symfile: no patch '%s' in pid %d\n",
			cli_esc(argv[optind]), pid);
	else if (err)
		fprintf(stderr, "kpl symfile: %s in pid %d: %s\n",
			cli_esc(argv[optind]), pid, kpl_strerror(err));
	if (err)
		goto out;
	err = write_file(out, buf, len);
	if (err) {
		fprintf(stderr, "kpl symfile: cannot write %s: %s\n",
			cli_esc(out), kpl_strerror(err));
		kpl_target__close(t);
		free(buf);
		return KPL_EXIT_FAIL;
	}
out:
	kpl_target__close(t);
	free(buf);
	return cli_target_exit_code("symfile", err, pid);
}
