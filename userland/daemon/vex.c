// SPDX-License-Identifier: GPL-2.0
/*
 * What the store's patches fix, for vulnerability scanners: an OpenVEX
 * document (https://github.com/openvex/spec, v0.2.0) built from the
 * processes themselves at the time it is asked for.
 *
 * For each CVE a patch names, one statement about the library (product
 * "pkg:generic/SONAME?build-id=HEX", the file the patch targets) and one
 * per process that maps it (product "urn:kpatch-lite:process:BOOT:PID",
 * with the library as its subcomponent).  A process is "fixed" when its
 * own patch record says the patch is applied, "affected" otherwise; the
 * library is "fixed" only when every process mapping it is, and kpld
 * keeps patching the ones that start later (the patch is installed, or
 * superseded by a new library file).  Processes that kpld's only/never
 * filters leave out count too: they run the old code.
 *
 * Everything a process controls (its executable's name) is percent- or
 * JSON-escaped; CVE ids, patch ids and sonames were checked by libkpl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kpl/fleet.h"
#include "kpl/kpl.h"
#include "kpld.h"

#define VEX_CONTEXT "https://openvex.dev/ns/v0.2.0"

/* @s percent-encoded for a purl or URN: unreserved characters kept. */
static void pct(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* This boot's id (a UUID): process ids are unique only within a boot. */
static const char *boot_id(void)
{
	static char id[40];
	FILE *f;
	size_t n;

	if (id[0])
		return id;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f || !fgets(id, sizeof(id), f))
		snprintf(id, sizeof(id), "unknown");
	if (f)
		fclose(f);
	n = strspn(id, "0123456789abcdef-");
	id[n] = '\0';
	if (!n)
		snprintf(id, sizeof(id), "unknown");
	return id;
}

static void rfc3339(char *buf, size_t len, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int kpld_coverage(const struct kpld_patch *p, pid_t **mapping, size_t *nr,
		  bool **patched, size_t *nr_patched)
{
	pid_t *have = NULL;
	size_t nh = 0, i, j;
	int err;

	*mapping = NULL;
	*patched = NULL;
	*nr = *nr_patched = 0;
	if (!p->kp)
		return -ENOENT;
	err = kpl_fleet__find(p->kp, mapping, nr);
	if (!err)
		err = kpl_fleet__find_applied(p->id, &have, &nh);
	if (!err) {
		*patched = calloc(*nr ? *nr : 1, sizeof(**patched));
		err = *patched ? 0 : -ENOMEM;
	}
	for (i = 0; !err && i < *nr; i++) {
		for (j = 0; j < nh; j++)
			if (have[j] == (*mapping)[i])
				(*patched)[i] = true;
		*nr_patched += (*patched)[i];
	}
	free(have);
	if (err) {
		free(*mapping);
		free(*patched);
		*mapping = NULL;
		*patched = NULL;
		*nr = *nr_patched = 0;
	}
	return err;
}

static void library_id(FILE *f, const struct kpl_patch *kp)
{
	uint8_t bid[KPL_BUILD_ID_MAX];
	size_t i, n = kpl_patch__build_id(kp, bid, sizeof(bid));

	fprintf(f, "\"pkg:generic/");
	pct(f, kpl_patch__target_soname(kp));
	fprintf(f, "?build-id=");
	for (i = 0; i < n && i < sizeof(bid); i++)
		fprintf(f, "%02x", bid[i]);
	fprintf(f, "\"");
}

/* The executable's file name, for people reading the document. */
static void exe_name(pid_t pid, char *buf, size_t len)
{
	char path[64], target[512];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
}

struct vex_ctx {
	FILE *f;
	bool first;
};

static void open_statement(struct vex_ctx *c, const char *cve)
{
	/* No timestamp of its own: the document's applies to all. */
	fprintf(c->f,
		"%s{\"vulnerability\":{\"name\":\"%s\"},"
		"\"products\":[",
		c->first ? "" : ",", cve);
	c->first = false;
}

static void close_statement(struct vex_ctx *c, const struct kpld_patch *p,
			    bool fixed, const char *notes)
{
	fprintf(c->f, "],\"status\":\"%s\",", fixed ? "fixed" : "affected");
	if (!fixed)
		fprintf(c->f,
			"\"action_statement\":\"apply kpatch-lite patch "
			"%s (kpl install %s)\",",
			p->id, p->id);
	fprintf(c->f, "\"status_notes\":");
	kpld_json_str(c->f, notes);
	fprintf(c->f, "}");
}

/* A patch's coverage, read once for all the CVEs it names. */
struct cover {
	pid_t *pids;
	bool *patched;
	size_t nr, ok;
};

static void statements(struct vex_ctx *c, struct kpld_patch *p,
		       const struct cover *cv, const char *cve)
{
	const pid_t *pids = cv->pids;
	const bool *patched = cv->patched;
	size_t nr = cv->nr, ok = cv->ok, i;
	char notes[300], exe[512];
	bool keeps;

	/* Only then are processes started later patched by kpld. */
	keeps = p->state == KPLD_INSTALLED || p->state == KPLD_SUPERSEDED;
	open_statement(c, cve);
	fprintf(c->f, "{\"@id\":");
	library_id(c->f, p->kp);
	fprintf(c->f, "}");
	snprintf(notes, sizeof(notes),
		 "patch %s v%u is %s; %zu of %zu processes mapping %s run it",
		 p->id, p->version, kpld_state_name(p->state), ok, nr,
		 kpl_patch__target_soname(p->kp));
	close_statement(c, p, keeps && ok == nr, notes);

	for (i = 0; i < nr; i++) {
		exe_name(pids[i], exe, sizeof(exe));
		open_statement(c, cve);
		fprintf(c->f,
			"{\"@id\":\"urn:kpatch-lite:process:%s:%d\","
			"\"identifiers\":{\"purl\":\"pkg:generic/",
			boot_id(), pids[i]);
		pct(c->f, exe);
		fprintf(c->f, "\"},\"subcomponents\":[{\"@id\":");
		library_id(c->f, p->kp);
		fprintf(c->f, "}]}");
		snprintf(notes, sizeof(notes), "pid %d %s patch %s v%u",
			 pids[i], patched[i] ? "runs" : "does not run", p->id,
			 p->version);
		close_statement(c, p, patched[i], notes);
	}
}

/* The statements about @cve (NULL: all) into a malloc'ed string. */
static char *all_statements(struct kpld *d, const char *cve, size_t *len)
{
	struct vex_ctx c = { .first = true };
	char *body = NULL;
	size_t i, j;

	c.f = open_memstream(&body, len);
	if (!c.f)
		return NULL;
	for (i = 0; i < d->nr_patches; i++) {
		struct kpld_patch *p = &d->patches[i];
		struct cover cv;

		if (!p->kp || p->state == KPLD_INVALID ||
		    !kpl_patch__nr_cves(p->kp) ||
		    kpld_coverage(p, &cv.pids, &cv.nr, &cv.patched, &cv.ok))
			continue;
		for (j = 0; j < kpl_patch__nr_cves(p->kp); j++)
			if (!cve || !strcmp(cve, kpl_patch__cve(p->kp, j)))
				statements(&c, p, &cv,
					   kpl_patch__cve(p->kp, j));
		free(cv.pids);
		free(cv.patched);
	}
	if (fclose(c.f) || !body) {
		free(body);
		return NULL;
	}
	return body;
}

void kpld_vex(struct kpld *d, FILE *f, const char *cve)
{
	char host[256] = "localhost", ts[40], *all, *body;
	size_t len = 0, blen = 0;
	uint32_t sum;

	rfc3339(ts, sizeof(ts), kpld_realtime_ns());
	/* The version follows the whole document, asked for in part or
	 * not: a new one whenever what its statements say changes. */
	all = all_statements(d, NULL, &len);
	body = cve && all ? all_statements(d, cve, &blen) : all;
	if (!all || !body) {
		free(all);
		fprintf(f, "{\"ok\":false,\"error\":\"out of memory\"}\n");
		return;
	}
	sum = kpld_cksum(all, len);
	if (!d->vex_version || sum != d->vex_cksum) {
		d->vex_version++;
		d->vex_cksum = sum;
	}
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	fprintf(f,
		"{\"@context\":\"" VEX_CONTEXT "\","
		"\"@id\":\"urn:kpatch-lite:vex:%s:%u%s%s\",\"author\":",
		boot_id(), d->vex_version, cve ? ":" : "", cve ? cve : "");
	kpld_json_str(f, host);
	fprintf(f,
		",\"role\":\"kpld\",\"timestamp\":\"%s\",\"version\":%u,"
		"\"tooling\":\"kpatch-lite kpld\",\"statements\":[%s]}\n",
		ts, d->vex_version, body);
	if (body != all)
		free(body);
	free(all);
}

static void vex_all(struct kpld *d, FILE *f)
{
	kpld_vex(d, f, NULL);
}

void kpld_vex_write(struct kpld *d)
{
	static int last_err;

	if (d->cfg.vex_file[0])
		kpld_publish(d, d->cfg.vex_file, vex_all, &last_err);
}
