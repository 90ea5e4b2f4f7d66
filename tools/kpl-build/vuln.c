// SPDX-License-Identifier: GPL-2.0
/*
 * What a patch fixes, as kpl-build takes it: the manifest's cve and
 * advisory* lines and the --cve/--advisory* options of pack and build.
 * Checked here with libkpl's own rules (patch.h), so that a value the
 * parser would refuse is refused with the option or line that gave it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpl-build.h"
#include "kpl/patch.h"
#include "patch.h"

static int set_once(char **field, const char *key, const char *value,
		    const char *where)
{
	if (*field) {
		kb_err("%s: '%s' given twice", where, key);
		return 1;
	}
	*field = strdup(value);
	if (!*field) {
		kb_err("out of memory");
		return 1;
	}
	return 0;
}

int kb_vuln__add(struct kb_vuln *v, const char *key, const char *value,
		 const char *where)
{
	size_t i;

	if (!strcmp(key, "cve")) {
		if (!kpl_cve_valid(value)) {
			kb_err("%s: '%s' is not a CVE id (CVE-YYYY-NNNN, 4 to 19 digits, upper case)",
			       where, value);
			return 1;
		}
		for (i = 0; i < v->nr_cves; i++) {
			if (!strcmp(v->cves[i], value)) {
				kb_err("%s: %s given twice", where, value);
				return 1;
			}
		}
		if (v->nr_cves == KPL_CVE_MAX) {
			kb_err("%s: more than %d CVE ids", where, KPL_CVE_MAX);
			return 1;
		}
		v->cves[v->nr_cves] = strdup(value);
		if (!v->cves[v->nr_cves]) {
			kb_err("out of memory");
			return 1;
		}
		v->nr_cves++;
		return 0;
	}
	if (!strcmp(key, "advisory")) {
		if (!*value || !kpl_vuln__advisory_ok(value)) {
			kb_err("%s: advisory id '%s' must be 1..%d characters of A-Z a-z 0-9 . _ : -",
			       where, value, KPL_ADVISORY_ID_MAX);
			return 1;
		}
		return set_once(&v->advisory, key, value, where);
	}
	if (!strcmp(key, "advisory-url")) {
		if (!*value || !kpl_vuln__url_ok(value)) {
			kb_err("%s: advisory url must be http:// or https://, at most %d characters, without blanks, quotes, < or >",
			       where, KPL_ADVISORY_URL_MAX);
			return 1;
		}
		return set_once(&v->url, key, value, where);
	}
	if (!strcmp(key, "advisory-text")) {
		if (!kpl_vuln__text_ok(value)) {
			kb_err("%s: advisory text must be one line of at most %d bytes without control characters",
			       where, KPL_ADVISORY_TEXT_MAX);
			return 1;
		}
		return set_once(&v->text, key, value, where);
	}
	kb_err("%s: unknown '%s'", where, key);
	return 1;
}

int kb_vuln__merge(struct kb_vuln *dst, const struct kb_vuln *src)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < src->nr_cves; i++)
		err = kb_vuln__add(dst, "cve", src->cves[i], "--cve");
	if (!err && src->advisory)
		err = kb_vuln__add(dst, "advisory", src->advisory,
				   "--advisory");
	if (!err && src->url)
		err = kb_vuln__add(dst, "advisory-url", src->url,
				   "--advisory-url");
	if (!err && src->text)
		err = kb_vuln__add(dst, "advisory-text", src->text,
				   "--advisory-text");
	return err;
}

int kb_vuln__check(const struct kb_vuln *v)
{
	if ((v->url || v->text) && !v->advisory && !v->nr_cves) {
		kb_err("an advisory url or text needs an advisory id or a CVE id");
		return 1;
	}
	return 0;
}

void kb_vuln__write(FILE *f, const struct kb_vuln *v)
{
	size_t i;

	for (i = 0; i < v->nr_cves; i++)
		fprintf(f, "cve %s\n", v->cves[i]);
	if (v->advisory)
		fprintf(f, "advisory %s\n", v->advisory);
	if (v->url)
		fprintf(f, "advisory-url %s\n", v->url);
	if (v->text && *v->text)
		fprintf(f, "advisory-text %s\n", v->text);
}

void kb_vuln__free(struct kb_vuln *v)
{
	size_t i;

	for (i = 0; i < v->nr_cves; i++)
		free(v->cves[i]);
	free(v->advisory);
	free(v->url);
	free(v->text);
	memset(v, 0, sizeof(*v));
}
