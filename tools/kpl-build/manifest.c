// SPDX-License-Identifier: GPL-2.0
/*
 * The patch manifest: one directive per line, '#' starts a comment where
 * a word could start.  Grammar in docs/patch-format.md.  Every error names
 * the file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpl-build.h"

#define MAX_WORDS 8

struct parse_ctx {
	struct kb_manifest *m;
	unsigned int line;
	char *words[MAX_WORDS];
	size_t nr_words;
	char *rest; /* the line after the directive, trimmed */
	bool have_version;
};

#define merr(c, fmt, ...) \
	kb_err("%s:%u: " fmt, (c)->m->path, (c)->line, ##__VA_ARGS__)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Cut the comment off @s: a '#' at the start or after a blank. */
static void strip_comment(char *s)
{
	char *p;

	for (p = s; *p; p++) {
		if (*p == '#' && (p == s || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Split @s (modified in place) into c->words[1..]. */
static int split(struct parse_ctx *c, char *s)
{
	char *p = s;

	c->nr_words = 1;
	while (*p) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (c->nr_words == MAX_WORDS) {
			merr(c, "too many words");
			return 1;
		}
		c->words[c->nr_words++] = p;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

static bool id_valid(const char *id)
{
	size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= KPL_ID_MAX && id[n] == '\0';
}

static int set_once(struct parse_ctx *c, char **field, const char *value)
{
	if (*field) {
		merr(c, "'%s' given twice", c->words[0]);
		return 1;
	}
	*field = strdup(value);
	if (!*field) {
		merr(c, "out of memory");
		return 1;
	}
	return 0;
}

static int do_id(struct parse_ctx *c)
{
	if (c->nr_words != 2 || !id_valid(c->words[1])) {
		merr(c, "usage: id <1..%d characters of A-Z a-z 0-9 . _ ->",
		     KPL_ID_MAX);
		return 1;
	}
	return set_once(c, &c->m->id, c->words[1]);
}

static int do_description(struct parse_ctx *c)
{
	const char *p;

	for (p = c->rest; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			merr(c, "description contains a control character");
			return 1;
		}
	}
	return set_once(c, &c->m->description, c->rest);
}

static int do_version(struct parse_ctx *c)
{
	unsigned long v;
	char *end = NULL;

	errno = 0;
	v = c->nr_words == 2 ? strtoul(c->words[1], &end, 10) : 0;
	if (c->nr_words != 2 || errno || *end || c->words[1][0] == '-' ||
	    c->words[1][0] == '+' || v > UINT32_MAX) {
		merr(c, "usage: version <0..%u>", UINT32_MAX);
		return 1;
	}
	if (c->have_version) {
		merr(c, "'version' given twice");
		return 1;
	}
	c->have_version = true;
	c->m->version = (uint32_t)v;
	return 0;
}

static int do_flags(struct parse_ctx *c)
{
	size_t i;

	if (c->m->flags) {
		merr(c, "'flags' given twice");
		return 1;
	}
	for (i = 1; i < c->nr_words; i++) {
		if (strcmp(c->words[i], "replace")) {
			merr(c, "unknown flag '%s' (known: replace)",
			     c->words[i]);
			return 1;
		}
		c->m->flags |= KPL_PATCH_F_REPLACE;
	}
	if (c->nr_words < 2) {
		merr(c, "usage: flags replace");
		return 1;
	}
	return 0;
}

/* Sort words into positional ones and file=; no other key is known. */
static int args(struct parse_ctx *c, char **pos, size_t max_pos, size_t *nr_pos,
		char **file)
{
	size_t i;

	*nr_pos = 0;
	*file = NULL;
	for (i = 1; i < c->nr_words; i++) {
		char *w = c->words[i];

		if (!strncmp(w, "file=", 5)) {
			if (*file || !w[5]) {
				merr(c, "file= must be given once, non-empty");
				return 1;
			}
			*file = w + 5;
		} else if (strchr(w, '=')) {
			merr(c, "unknown option '%s' (known: file=)", w);
			return 1;
		} else if (*nr_pos == max_pos) {
			merr(c, "unexpected '%s'", w);
			return 1;
		} else {
			pos[(*nr_pos)++] = w;
		}
	}
	return 0;
}

static int do_func(struct parse_ctx *c)
{
	struct kb_manifest *m = c->m;
	struct kb_func *f;
	char *pos[2], *file;
	size_t n, i;

	if (args(c, pos, 2, &n, &file))
		return 1;
	if (n == 0) {
		merr(c, "usage: func <old> [<new>] [file=<source file>]");
		return 1;
	}
	for (i = 0; i < m->nr_funcs; i++) {
		const char *of = m->funcs[i].file;

		if (!strcmp(m->funcs[i].old_name, pos[0]) &&
		    !strcmp(of ? of : "", file ? file : "")) {
			merr(c, "function '%s' already listed on line %u",
			     pos[0], m->funcs[i].line);
			return 1;
		}
	}
	f = realloc(m->funcs, (m->nr_funcs + 1) * sizeof(*f));
	if (!f)
		goto oom;
	m->funcs = f;
	f = &m->funcs[m->nr_funcs];
	memset(f, 0, sizeof(*f));
	f->line = c->line;
	f->old_name = strdup(pos[0]);
	f->new_name = strdup(pos[n - 1]);
	f->file = file ? strdup(file) : NULL;
	m->nr_funcs++; /* freed by kb_manifest__free() even if partial */
	if (!f->old_name || !f->new_name || (file && !f->file))
		goto oom;
	return 0;
oom:
	merr(c, "out of memory");
	return 1;
}

static int do_ref(struct parse_ctx *c)
{
	struct kb_manifest *m = c->m;
	struct kb_ref *r;
	char *pos[1], *file;
	size_t n, i;

	if (args(c, pos, 1, &n, &file))
		return 1;
	/* Without file=, pack locates it by address in a stripped target. */
	if (n != 1) {
		merr(c, "usage: ref <symbol> [file=<source file>]");
		return 1;
	}
	for (i = 0; i < m->nr_refs; i++) {
		if (!strcmp(m->refs[i].name, pos[0])) {
			merr(c, "ref '%s' already listed on line %u", pos[0],
			     m->refs[i].line);
			return 1;
		}
	}
	r = realloc(m->refs, (m->nr_refs + 1) * sizeof(*r));
	if (!r)
		goto oom;
	m->refs = r;
	r = &m->refs[m->nr_refs];
	r->line = c->line;
	r->name = strdup(pos[0]);
	r->file = file ? strdup(file) : NULL;
	m->nr_refs++;
	if (!r->name || (file && !r->file))
		goto oom;
	return 0;
oom:
	merr(c, "out of memory");
	return 1;
}

static int do_vuln(struct parse_ctx *c)
{
	char where[300];
	size_t i;
	int err = 0;

	snprintf(where, sizeof(where), "%s:%u", c->m->path, c->line);
	if (strncmp(c->words[0], "advisory-text", 14)) {
		if (c->nr_words < 2 ||
		    (strcmp(c->words[0], "cve") && c->nr_words != 2)) {
			merr(c, "usage: %s",
			     !strcmp(c->words[0], "cve") ?
				     "cve CVE-YYYY-NNNN..." :
				     "advisory[-url] <value>");
			return 1;
		}
		for (i = 1; !err && i < c->nr_words; i++)
			err = kb_vuln__add(&c->m->vuln, c->words[0],
					   c->words[i], where);
		return err;
	}
	return kb_vuln__add(&c->m->vuln, c->words[0], c->rest, where);
}

static const struct {
	const char *name;
	int (*fn)(struct parse_ctx *c);
} directives[] = {
	{ "cve", do_vuln },
	{ "advisory", do_vuln },
	{ "advisory-url", do_vuln },
	{ "advisory-text", do_vuln },
	{ "id", do_id },
	{ "version", do_version },
	{ "description", do_description },
	{ "flags", do_flags },
	{ "func", do_func },
	{ "ref", do_ref },
};

static int parse_line(struct parse_ctx *c, char *line)
{
	char *p;
	size_t i;

	strip_comment(line);
	line = trim(line);
	if (!*line)
		return 0;
	p = line + strcspn(line, " \t");
	if (*p)
		*p++ = '\0';
	c->words[0] = line;
	c->nr_words = 1;
	c->rest = trim(p);
	/* The description is free text: keep its blanks. */
	if (strcmp(line, "description") && strcmp(line, "advisory-text") &&
	    split(c, c->rest))
		return 1;
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (!strcmp(c->words[0], directives[i].name))
			return directives[i].fn(c);
	merr(c, "unknown directive '%s'", c->words[0]);
	return 1;
}

static int finish(struct parse_ctx *c)
{
	struct kb_manifest *m = c->m;

	if (!m->id || !c->have_version || !m->nr_funcs) {
		kb_err("%s: missing '%s'", m->path,
		       !m->id		? "id" :
		       !c->have_version ? "version" :
					  "func");
		return 1;
	}
	if (!m->description) {
		m->description = strdup("");
		if (!m->description) {
			kb_err("out of memory");
			return 1;
		}
	}
	return 0;
}

int kb_manifest__read(const char *path, struct kb_manifest **out)
{
	struct parse_ctx c = { 0 };
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = 1;

	c.m = calloc(1, sizeof(*c.m));
	if (!c.m || !(c.m->path = strdup(path))) {
		kb_err("out of memory");
		goto out;
	}
	f = fopen(path, "re");
	if (!f) {
		kb_err("cannot open manifest %s: %s", path, strerror(errno));
		goto out;
	}
	err = 0;
	while (!err && getline(&line, &cap, f) >= 0) {
		c.line++;
		err = parse_line(&c, line);
	}
	if (!err && ferror(f)) {
		kb_err("cannot read manifest %s", path);
		err = 1;
	}
	fclose(f);
	if (!err)
		err = finish(&c);
out:
	free(line);
	if (err) {
		kb_manifest__free(c.m);
		return 1;
	}
	*out = c.m;
	return 0;
}

void kb_manifest__free(struct kb_manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr_funcs; i++) {
		free(m->funcs[i].old_name);
		free(m->funcs[i].new_name);
		free(m->funcs[i].file);
	}
	for (i = 0; i < m->nr_refs; i++) {
		free(m->refs[i].name);
		free(m->refs[i].file);
	}
	kb_vuln__free(&m->vuln);
	free(m->funcs);
	free(m->refs);
	free(m->id);
	free(m->description);
	free(m->path);
	free(m);
}
