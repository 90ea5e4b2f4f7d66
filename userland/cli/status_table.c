// SPDX-License-Identifier: GPL-2.0
/*
 * kpl status on a terminal: kpld's store as a compact table, the patches
 * by state, each with a bar of how many of the processes that map its
 * library run it.  Read from kpld's status reply, whose strings kpld
 * escapes, so a '"' in it is always its own structure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/patch.h"

#define BAR_WIDTH 20

struct row {
	char id[KPL_ID_MAX + 1];
	char state[16];
	unsigned long version, active, mapping;
	char cves[KPL_CVE_MAX * (KPL_CVE_LEN + 1) + 1];
};

/* The number after "@key": in [obj, end); 0 when there is none. */
static unsigned long num_field(const char *obj, const char *end,
			       const char *key)
{
	char pat[32];
	const char *s;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	s = strstr(obj, pat);
	if (!s || (end && s > end))
		return 0;
	return strtoul(s + strlen(pat), NULL, 10);
}

/* Just past the '}' that closes the object at @s, or NULL. */
static const char *obj_end(const char *s)
{
	unsigned int depth = 0;

	for (; *s; s++) {
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (!*s)
				return NULL;
		} else if (*s == '{') {
			depth++;
		} else if (*s == '}' && !--depth) {
			return s + 1;
		}
	}
	return NULL;
}

static void bar(char *out, unsigned long active, unsigned long mapping)
{
	unsigned long fill = mapping ? active * BAR_WIDTH / mapping : 0;
	size_t i;

	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	/* Some but not all: never drawn as none or as all. */
	if (active && !fill)
		fill = 1;
	if (active < mapping && fill == BAR_WIDTH)
		fill = BAR_WIDTH - 1;
	out[0] = '[';
	for (i = 0; i < BAR_WIDTH; i++)
		out[1 + i] = i < fill ? '#' : '.';
	out[1 + BAR_WIDTH] = ']';
	out[2 + BAR_WIDTH] = '\0';
}

/* States in the order the table lists them. */
static const char *const order[] = { "installed", "quarantined",
				     "superseded", "reverted", "available",
				     "invalid" };

int cli_status_table(FILE *f, const char *reply)
{
	const char *s = reply ? strstr(reply, "\"patches\":[") : NULL;
	struct row *rows = NULL, *r;
	size_t nr = 0, i, k, per[sizeof(order) / sizeof(order[0])] = { 0 };
	char b[BAR_WIDTH + 3];

	if (!s)
		return -ENOENT;
	/* Each patch object whole: it holds objects of its own. */
	for (s += strlen("\"patches\":["); *s == '{'; s += *s == ',') {
		const char *end = obj_end(s);

		if (!end)
			break;
		r = realloc(rows, (nr + 1) * sizeof(*rows));
		if (!r)
			break;
		rows = r;
		r = &rows[nr++];
		cli_json_field(s, end, "id", r->id, sizeof(r->id));
		cli_json_field(s, end, "state", r->state,
			       sizeof(r->state));
		r->version = num_field(s, end, "version");
		r->active = num_field(s, end, "active");
		r->mapping = num_field(s, end, "mapping");
		cli_kpld_cves(reply, r->id, (uint32_t)r->version, r->cves,
			      sizeof(r->cves));
		s = end;
	}
	fprintf(f, "kpld store (%s): %zu patch%s", cli_kpld_socket(), nr,
		nr == 1 ? "" : "es");
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < nr; i++)
			per[k] += !strcmp(rows[i].state, order[k]);
		if (per[k])
			fprintf(f, ", %zu %s", per[k], order[k]);
	}
	fprintf(f, "\n");
	if (nr)
		fprintf(f, "  %-20s %4s  %-11s  %-22s %-11s  %s\n", "PATCH",
			"VER", "STATE", "COVERAGE", "PROCESSES", "FIXES");
	for (k = 0; k <= sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < nr; i++) {
			bool known = false;
			size_t j;
			char n[24];

			for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
				known |= !strcmp(rows[i].state, order[j]);
			/* Known states in their order, then the rest. */
			if (k < sizeof(order) / sizeof(order[0]) ?
				    strcmp(rows[i].state, order[k]) :
				    known)
				continue;
			bar(b, rows[i].active, rows[i].mapping);
			snprintf(n, sizeof(n), "%lu/%lu", rows[i].active,
				 rows[i].mapping);
			fprintf(f, "  %-20s %4lu  %-11s  %s %-11s  %s\n",
				cli_esc(rows[i].id), rows[i].version,
				rows[i].state, b, n,
				rows[i].cves[0] ? rows[i].cves : "-");
		}
	}
	free(rows);
	return 0;
}
