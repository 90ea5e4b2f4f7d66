// SPDX-License-Identifier: GPL-2.0
/*
 * The member names of a static archive (ar(5), GNU and thin variants),
 * for a shared library whose link takes an archive of the build's own
 * objects: expat 2.5's libexpat.so links .libs/libexpatinternal.a with
 * --whole-archive.  Only names are read; every size and offset is
 * checked against the file before use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

#define AR_HDR 60

static int add_name(char ***names, size_t *nr, const char *s, size_t len)
{
	char **n;

	while (len && (s[len - 1] == '/' || s[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	n = realloc(*names, (*nr + 1) * sizeof(*n));
	if (!n)
		return 1;
	*names = n;
	n[*nr] = strndup(s, len);
	if (!n[*nr])
		return 1;
	(*nr)++;
	return 0;
}

/* A "/123" name: the entry at offset 123 of the "//" table. */
static int long_name(const char *tab, size_t tab_len, const char *hdr,
		     const char **s, size_t *len)
{
	char num[16], *end;
	unsigned long off;

	memcpy(num, hdr + 1, 15);
	num[15] = '\0';
	off = strtoul(num, &end, 10);
	if (end == num || !tab || off >= tab_len)
		return 1;
	*s = tab + off;
	*len = strcspn(*s, "\n");
	if (*len > tab_len - off)
		*len = tab_len - off;
	return 0;
}

int kb_ar__members(const char *path, char ***names, size_t *nr)
{
	char hdr[AR_HDR + 1], magic[8], size_s[11], *tab = NULL, *end;
	size_t tab_len = 0, len;
	unsigned long size;
	const char *s;
	bool thin;
	FILE *f = fopen(path, "rb");
	int err = 1;

	*names = NULL;
	*nr = 0;
	if (!f) {
		kb_err("cannot read the archive %s: %s", path, strerror(errno));
		return 1;
	}
	if (fread(magic, 1, 8, f) != 8 ||
	    (memcmp(magic, "!<arch>\n", 8) && memcmp(magic, "!<thin>\n", 8))) {
		kb_err("%s is not an ar archive", path);
		goto out;
	}
	thin = !memcmp(magic, "!<thin>\n", 8);
	while (fread(hdr, 1, AR_HDR, f) == AR_HDR) {
		/* A thin archive's members are files of their own; its
		 * symbol and name tables are stored. */
		bool table = hdr[0] == '/' &&
			     (hdr[1] == ' ' || hdr[1] == '/' || hdr[1] == 'S');
		bool stored = !thin || table;

		hdr[AR_HDR] = '\0';
		memcpy(size_s, hdr + 48, 10);
		size_s[10] = '\0';
		size = strtoul(size_s, &end, 10);
		if (end == size_s || memcmp(hdr + 58, "`\n", 2) ||
		    size > (1UL << 31)) {
			kb_err("%s: a malformed member header", path);
			goto out;
		}
		if (!memcmp(hdr, "// ", 3)) { /* the long-name table */
			free(tab);
			tab = malloc(size + 1);
			if (!tab || fread(tab, 1, size, f) != size) {
				kb_err("%s: a truncated name table", path);
				goto out;
			}
			tab[size] = '\0';
			tab_len = size;
		} else {
			if (hdr[0] != '/' || hdr[1] == ' ' || hdr[1] == 'S') {
				s = hdr;
				len = hdr[0] == '/' ? 0 : strcspn(hdr, "/ ");
				if (len > 16)
					len = 16;
			} else if (long_name(tab, tab_len, hdr, &s, &len)) {
				kb_err("%s: a member name outside the name table",
				       path);
				goto out;
			}
			if (len && add_name(names, nr, s, len)) {
				kb_err("out of memory");
				goto out;
			}
			if (stored && fseek(f, (long)size, SEEK_CUR)) {
				kb_err("%s: truncated", path);
				goto out;
			}
		}
		if (stored && (size & 1) && fseek(f, 1, SEEK_CUR))
			break;
	}
	err = 0;
out:
	if (err) {
		while (*nr)
			free((*names)[--*nr]);
		free(*names);
		*names = NULL;
	}
	free(tab);
	fclose(f);
	return err;
}
