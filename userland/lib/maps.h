/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* /proc/PID/maps, parsed. */
#ifndef KPL_LIB_MAPS_H
#define KPL_LIB_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct kpl_map {
	uint64_t start, end, offset, inode;
	unsigned int dev_major, dev_minor;	/* the file's device */
	int prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	char path[512];		/* "" for anonymous; longer paths are cut */
	bool cut;		/* path was cut: it names no file */
};

struct kpl_maps {
	size_t nr;
	struct kpl_map v[];
};

int kpl_maps__read(pid_t pid, struct kpl_maps **out);
/* One line of /proc/PID/maps into @mp (a path too long is cut, ->cut
 * set).  Return: 0, or -EINVAL when it is not such a line. */
int kpl_maps__parse(const char *line, struct kpl_map *mp);

/*
 * kpl_maps__fopen() - /proc/@pid/maps opened for reading through @buf,
 * the caller's, KPL_MAPS_BUF bytes, alive until fclose().  stdio's own
 * buffer for a procfs file is 1 KiB (its st_blksize), found with an
 * fstat(): four or five read()s for a small process's maps, and a fleet
 * command reads every process's.  With @buf it is one read() and no
 * fstat().  NULL and errno if it cannot be opened.
 */
#define KPL_MAPS_BUF 16384
FILE *kpl_maps__fopen(pid_t pid, char *buf);
void kpl_maps__free(struct kpl_maps *m);
/* A copy of @m into *@out.  Return: 0 or -ENOMEM. */
int kpl_maps__dup(const struct kpl_maps *m, struct kpl_maps **out);

/*
 * kpl_maps__gap() - find a free, page-aligned range of @len bytes whose
 * every byte lies within 2 GiB of every byte of [@lo, @hi), with a free
 * guard page on either side.  Prefers the
 * closest gap above @hi, then below @lo.  Return: 0 and *@addr, or
 * -ENOMEM when no gap in reach is free.
 */
int kpl_maps__gap(const struct kpl_maps *m, uint64_t lo, uint64_t hi,
		  size_t len, uint64_t *addr);

#endif
