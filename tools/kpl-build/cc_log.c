// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the compiler log back (format in cc_log.h), and reading a
 * recorded compiler command line: is it a compile, of which source, to
 * which object; is it a shared link.  Only what gcc and clang accept
 * matters; anything else is simply not a compile kpl-build follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_log.h"
#include "kpl-build.h"

/* Read all of @path, refusing more than KB_LOG_MAX bytes. */
static int slurp(const char *path, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (*out = NULL, *len = 0, 0) : -errno;
	for (;;) {
		if (n == cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > KB_LOG_MAX + 1)
				cap = KB_LOG_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		if (n == cap) {
			err = -EFBIG;
			break;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* A decimal of 1..8 digits ending at @end, no sign, at most @max. */
static int number(const char *s, const char *lim, char end, size_t max,
		  size_t *v, const char **next)
{
	const char *p = s;

	*v = 0;
	while (p < lim && *p >= '0' && *p <= '9' && p - s < 8)
		*v = *v * 10 + (size_t)(*p++ - '0');
	if (p == s || p >= lim || *p != end || *v > max)
		return -1;
	*next = p + 1;
	return 0;
}

static char *string(const char **pp, const char *lim)
{
	const char *p = *pp;
	size_t n;
	char *s;

	if (number(p, lim, ' ', KB_LOG_STR_MAX, &n, &p) ||
	    (size_t)(lim - p) < n + 1 || p[n] != '\n' || memchr(p, '\0', n))
		return NULL;
	s = strndup(p, n);
	if (s)
		*pp = p + n + 1;
	return s;
}

void kb_cc_log__free(struct kb_cc_rec *recs, size_t nr)
{
	size_t i, k;

	for (i = 0; recs && i < nr; i++) {
		free(recs[i].cwd);
		for (k = 0; k < recs[i].argc; k++)
			free(recs[i].argv[k]);
		free(recs[i].argv);
	}
	free(recs);
}

int kb_cc_log__read(const char *path, struct kb_cc_rec **recs, size_t *nr)
{
	struct kb_cc_rec *v = NULL, *nv, *r;
	const char *p, *lim, *start = NULL;
	size_t n = 0, len, argc, k;
	char *buf;
	int err;

	err = slurp(path, &buf, &len);
	if (err) {
		kb_err("cannot read the compiler log %s: %s", path,
		       err == -EFBIG ? "over 64 MiB" : strerror(-err));
		return 1;
	}
	p = start = buf;
	lim = buf + len;
	while (p < lim) {
		start = p;
		err = 1;
		if ((size_t)(lim - p) < strlen(KB_LOG_MAGIC) ||
		    memcmp(p, KB_LOG_MAGIC, strlen(KB_LOG_MAGIC)) ||
		    number(p + strlen(KB_LOG_MAGIC), lim, '\n', KB_LOG_ARGS_MAX,
			   &argc, &p) ||
		    !argc)
			break;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		r->argv = calloc(argc + 1, sizeof(*r->argv));
		if (!r->argv || !(r->cwd = string(&p, lim)) || r->cwd[0] != '/')
			break;
		for (k = 0; k < argc; k++, r->argc++)
			if (!(r->argv[k] = string(&p, lim)))
				break;
		if (k < argc)
			break;
		err = 0;
	}
	if (err) {
		kb_err("the compiler log %s is malformed at byte %zu: was it written by something other than kpl-build's compiler wrapper?",
		       path, (size_t)(start - buf));
		kb_cc_log__free(v, n);
		free(buf);
		return 1;
	}
	free(buf);
	*recs = v;
	*nr = n;
	return 0;
}

bool kb_cc_args__takes_value(const char *a)
{
	static const char *const opts[] = {
		"-o",
		"-x",
		"-I",
		"-D",
		"-U",
		"-include",
		"-imacros",
		"-iquote",
		"-isystem",
		"-idirafter",
		"-iprefix",
		"-iwithprefix",
		"-isysroot",
		"-imultilib",
		"-MF",
		"-MT",
		"-MQ",
		"-Xlinker",
		"-Xassembler",
		"-Xpreprocessor",
		"-L",
		"-l",
		"-T",
		"-u",
		"-e",
		"-z",
		"-aux-info",
		"--param",
		"-A",
		"-B",
		"-iwithprefixbefore",
		"-target",
		"--target",
		"-Xclang",
		NULL,
	};
	size_t i;

	for (i = 0; opts[i]; i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

bool kb_cc_args__is_source(const char *a)
{
	static const char *const exts[] = { ".c",   ".cc",  ".cp",
					    ".cxx", ".cpp", ".CPP",
					    ".c++", ".C",   NULL };
	const char *dot = strrchr(a, '.');
	size_t i;

	if (a[0] == '-' || !dot || strchr(dot, '/'))
		return false;
	for (i = 0; exts[i]; i++)
		if (!strcmp(dot, exts[i]))
			return true;
	return false;
}

void kb_cc_args__parse(char *const *argv, size_t argc, struct kb_cc_args *a)
{
	bool c = false, no_obj = false;
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "-c"))
			c = true;
		else if (!strcmp(s, "-E") || !strcmp(s, "-S") ||
			 !strcmp(s, "-M") || !strcmp(s, "-MM") ||
			 !strcmp(s, "-fsyntax-only"))
			no_obj = true;
		else if (!strcmp(s, "-shared"))
			a->shared = true;
		else if (!strncmp(s, "-flto", 5))
			a->lto = true;
		else if (!strcmp(s, "-fno-lto"))
			a->lto = false;
		else if (!strncmp(s, "-o", 2))
			a->out = s[2]	      ? s + 2 :
				 i + 1 < argc ? argv[i + 1] :
						NULL;
		else if (kb_cc_args__is_source(s) && a->nr_srcs++ == 0)
			a->src = i;
		if (kb_cc_args__takes_value(s))
			i++;
	}
	a->compile = c && !no_obj && a->nr_srcs == 1;
	if (!a->compile)
		a->src = 0;
}
