// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a patch fixes: .kpl.vuln, the CVE ids and the advisory.  Optional
 * and safe to ignore for the loader, but kpl, kpld and the VEX documents
 * print these strings and scanners match on them, so every byte is
 * checked as strictly as the function map: bounded lengths, CVE syntax,
 * no duplicates, URLs of URL characters only.  A patch whose .kpl.vuln
 * is malformed is refused whole: a patch must not claim fixes it cannot
 * state correctly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpl/escape.h"
#include "internal.h"
#include "patch.h"

_Static_assert(sizeof(struct kpl_vuln_disk) == 20, "kpl_vuln_disk layout");

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "CVE-" YYYY "-" 4..19 digits, the year from 1999 (the first CVEs). */
KPL_API bool kpl_cve_valid(const char *s)
{
	size_t n;

	if (!s || strncmp(s, "CVE-", 4) || !digits(s + 4, 4) || s[8] != '-')
		return false;
	if (strncmp(s + 4, "1999", 4) < 0)
		return false;
	n = strnlen(s + 9, KPL_CVE_LEN);
	return n >= 4 && n <= KPL_CVE_LEN - 9 && s[9 + n] == '\0' &&
	       digits(s + 9, n);
}

bool kpl_vuln__advisory_ok(const char *id)
{
	size_t n = strnlen(id, KPL_ADVISORY_ID_MAX + 1);

	return n <= KPL_ADVISORY_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

/*
 * Empty, or http(s):// and then only RFC 3986 characters (unreserved,
 * reserved, '%'): nothing a terminal, a shell or JSON treats specially
 * but for what they escape anyway.
 */
bool kpl_vuln__url_ok(const char *url)
{
	size_t n = strnlen(url, KPL_ADVISORY_URL_MAX + 1);

	if (!n)
		return true;
	if (n > KPL_ADVISORY_URL_MAX ||
	    (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return false;
	return strspn(url, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			   "-._~:/?#[]@!$&'()*+,;=%") == n;
}

/* One line: no control characters (bytes >= 0x80 are the printer's job). */
bool kpl_vuln__text_ok(const char *text)
{
	size_t i;

	for (i = 0; text[i]; i++)
		if (i >= KPL_ADVISORY_TEXT_MAX ||
		    (unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return false;
	return true;
}

/* Log that @what (@s, escaped and cut) is not what .kpl.vuln allows. */
static int refuse(const char *what, const char *s, const char *rule)
{
	char esc[KPL_ESCAPE_MAX(80)];
	char cut[81];

	snprintf(cut, sizeof(cut), "%s", s);
	kpl_escape_str(esc, sizeof(esc), cut);
	pr_warn("patch: %s: %s \"%s%s\" %s\n", KPL_SEC_VULN, what, esc,
		strlen(s) > 80 ? "..." : "", rule);
	return -KPL_E_FORMAT;
}

static int parse_advisory(struct kpl_patch *p, const struct kpl_patch_secs *ks,
			  const struct kpl_vuln_disk *v)
{
	p->advisory = kpl_patch__str(ks, v->advisory, "advisory id");
	p->advisory_url = kpl_patch__str(ks, v->url, "advisory url");
	p->advisory_text = kpl_patch__str(ks, v->text, "advisory text");
	if (!p->advisory || !p->advisory_url || !p->advisory_text)
		return -KPL_E_FORMAT;
	if (!kpl_vuln__advisory_ok(p->advisory))
		return refuse("advisory id", p->advisory,
			      "is not 0..64 characters of [A-Za-z0-9._:-]");
	if (!kpl_vuln__url_ok(p->advisory_url))
		return refuse("advisory url", p->advisory_url,
			      "is not an http(s) URL of at most 512 "
			      "characters");
	if (!kpl_vuln__text_ok(p->advisory_text))
		return refuse("advisory text", p->advisory_text,
			      "is longer than 512 bytes or holds control "
			      "characters");
	return 0;
}

static int parse_cves(struct kpl_patch *p, const struct kpl_patch_secs *ks,
		      uint32_t nr)
{
	const uint8_t *offs = ks->vuln->data + sizeof(struct kpl_vuln_disk);
	uint32_t i, j, off;

	if (!nr)
		return 0;
	p->cves = calloc(nr, sizeof(*p->cves));
	if (!p->cves)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		memcpy(&off, offs + 4 * (size_t)i, sizeof(off));
		p->cves[i] = kpl_patch__str(ks, off, "cve id");
		if (!p->cves[i])
			return -KPL_E_FORMAT;
		if (!kpl_cve_valid(p->cves[i]))
			return refuse("cve id", p->cves[i],
				      "is not CVE-YYYY-NNNN (4 to 19 digits)");
		/* At most 64 entries: quadratic is fine. */
		for (j = 0; j < i; j++)
			if (!strcmp(p->cves[i], p->cves[j]))
				return refuse("cve id", p->cves[i],
					      "is listed twice");
	}
	p->nr_cves = nr;
	return 0;
}

int kpl_patch_vuln__parse(struct kpl_patch *p, const struct kpl_patch_secs *ks)
{
	const struct kpl_patch_section *s = ks->vuln;
	struct kpl_vuln_disk v;
	int err;

	p->advisory = p->advisory_url = p->advisory_text = "";
	if (!s)
		return 0;
	if (s->size < sizeof(v)) {
		pr_warn("patch: %s too short (%llu bytes, at least %zu)\n",
			KPL_SEC_VULN, (unsigned long long)s->size, sizeof(v));
		return -KPL_E_FORMAT;
	}
	memcpy(&v, s->data, sizeof(v));
	if (v.flags) {
		pr_warn("patch: %s: reserved flags 0x%x must be 0\n",
			KPL_SEC_VULN, v.flags);
		return -KPL_E_FORMAT;
	}
	if (v.nr_cves > KPL_CVE_MAX) {
		pr_warn("patch: %s: %u cve ids, at most %d\n", KPL_SEC_VULN,
			v.nr_cves, KPL_CVE_MAX);
		return -KPL_E_FORMAT;
	}
	if (s->size != sizeof(v) + 4 * (uint64_t)v.nr_cves) {
		pr_warn("patch: %s size %llu does not match %u cve ids (expected %llu)\n",
			KPL_SEC_VULN, (unsigned long long)s->size, v.nr_cves,
			(unsigned long long)(sizeof(v) +
					     4 * (uint64_t)v.nr_cves));
		return -KPL_E_FORMAT;
	}
	err = parse_advisory(p, ks, &v);
	if (!err)
		err = parse_cves(p, ks, v.nr_cves);
	if (err)
		return err;
	if (!p->nr_cves && !*p->advisory) {
		/* Writers leave the section out instead. */
		pr_warn("patch: %s names neither a cve id nor an advisory\n",
			KPL_SEC_VULN);
		p->advisory = p->advisory_url = p->advisory_text = "";
		return -KPL_E_FORMAT;
	}
	return 0;
}
