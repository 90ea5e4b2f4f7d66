/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* /proc/PID/maps, parsed. */
#ifndef KPL_LIB_MAPS_H
#define KPL_LIB_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
