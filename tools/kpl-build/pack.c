// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build pack: an object with the new functions + a manifest + the
 * original library -> a .kpl patch.  Old symbols are looked up with the
 * loader's own lookup (kpl_elf__find()), so pack accepts exactly the
 * names apply will find, and records the STT_FILE of every local.
 */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "kpl-build.h"
#include "kpl/errors.h"

static const char pack_usage[] =
	"usage: kpl-build pack --lib LIB.so --manifest MANIFEST [--key KEY]\n"
	"                      -o OUT.kpl OBJECT.o\n"
	"\n"
	"Add the .kpl.* sections to OBJECT (the new functions, compiled with\n"
	"-c -fPIC -ffunction-sections) and write the patch to OUT.  This is\n"
	"the manual way; 'kpl-build build' makes OBJECT and MANIFEST from a\n"
	"source diff.\n"
	"\n"
	"  -l, --lib LIB.so        the original target library, as shipped: its\n"
	"                          GNU build-id and soname go into the patch and\n"
	"                          the old functions are looked up in it\n"
	"  -m, --manifest FILE     the patch id, version and function map\n"
	"  -k, --key KEY           sign the patch with this Ed25519 private key\n"
	"                          (PEM, see 'kpl-build keygen'); without it\n"
	"                          the patch is unsigned and 'kpl apply' refuses\n"
	"                          it until 'kpl-build sign' signs it\n"
	"  -o, --output OUT.kpl    the patch to write (replaced atomically)\n"
	"      --cve CVE-ID        a CVE the patch fixes (repeat for several);\n"
	"                          added to the manifest's 'cve' lines\n"
	"      --advisory ID       the advisory it fixes (DSA-5218-1, ...)\n"
	"      --advisory-url URL  the advisory's http(s) URL\n"
	"      --advisory-text TEXT  one line about the advisory\n"
	"  -h, --help              show this help\n"
	"\n"
	"Manifest lines ('#' starts a comment):\n"
	"  id MW-2026-0001\n"
	"  version 1\n"
	"  description Fix heap overflow in entity decoding\n"
	"  flags replace                      (optional)\n"
	"  func OLD [NEW] [file=SOURCE.c]     NEW defaults to OLD; file= picks\n"
	"                                     a local among same-named ones\n"
	"  ref NAME file=SOURCE.c             undefined NAME means that local\n"
	"  ref NAME                           (build or deb --target, stripped)\n"
	"                                     the library's own NAME, by address\n"
	"  cve CVE-2022-37434 [CVE-...]       CVEs it fixes (optional)\n"
	"  advisory DSA-5218-1                advisory-url URL, advisory-text\n"
	"                                     TEXT: the advisory (optional)\n"
	"\n"
	"The environment variable OBJCOPY names the objcopy to run.\n";

uint32_t kb_strtab__add(struct kb_strtab *t, const char *s)
{
	size_t n = strlen(s) + 1, off;

	/* Patches hold a few dozen strings: a linear search is fine. */
	for (off = 0; off < t->len; off += strlen(t->buf + off) + 1)
		if (!strcmp(t->buf + off, s))
			return (uint32_t)off;
	if (t->len + n > UINT32_MAX)
		return UINT32_MAX;
	if (t->len + n > t->cap) {
		size_t cap = (t->len + n) * 2;
		char *b = realloc(t->buf, cap);

		if (!b)
			return UINT32_MAX;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	off = t->len;
	t->len += n;
	return (uint32_t)off;
}

void kb_strtab__free(struct kb_strtab *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}

struct pack {
	const char *lib_path;
	const char *target_path; /* NULL: lib_path */
	const char *manifest_path;
	const char *out;
	const char *object;
	const char *key;
	struct kb_vuln vuln; /* --cve, --advisory*: added to the manifest's */
	const struct kb_manifest *m;
	struct kpl_elf *lib;
	struct kpl_elf *target; /* the file as shipped, or NULL */
	struct kb_object *obj;
	struct kb_strtab strtab;
	struct kpl_info_disk info;
	struct kpl_func_disk *funcs;
	struct kpl_ref_disk *refs;
	/* .kpl.addr: funcs then refs, when some symbol has an address */
	struct kpl_addr_disk *addrs;
	bool any_addr;
	/* .kpl.vuln: header then nr_cves offsets, when there is one */
	uint8_t *vuln_sec;
	size_t vuln_size;
	bool oom;
};

static uint32_t str(struct pack *pk, const char *s)
{
	uint32_t off = kb_strtab__add(&pk->strtab, s);

	if (off == UINT32_MAX)
		pk->oom = true;
	return off;
}

/* Every local named @name, for an error message: "a.c, b.c". */
static void list_files(const struct kpl_elf *lib, const char *name, char *buf,
		       size_t len)
{
	const struct kpl_elf_sym *syms;
	size_t i, nr, n = 0;

	buf[0] = '\0';
	if (kpl_elf__symbols(lib, &syms, &nr))
		return;
	for (i = 0; i < nr && n < len; i++) {
		const struct kpl_elf_sym *s = &syms[i];

		if (s->bind != STB_LOCAL || !s->defined ||
		    strcmp(s->name, name))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			      *s->file ? s->file : "?");
	}
}

/* Find @name (in @file, if given) in the library as the loader will. */
static int lookup(struct pack *pk, const char *what, unsigned int line,
		  const char *name, const char *file,
		  const struct kpl_elf_sym **out)
{
	char files[256];
	int err;

	err = kpl_elf__find(pk->lib, name, file, out);
	if (!err)
		return 0;
	if (err == -ENOTUNIQ) {
		list_files(pk->lib, name, files, sizeof(files));
		kb_err("%s:%u: %s '%s' is ambiguous in %s: local in %s (%s)",
		       pk->m->path, line, what, name, pk->lib_path, files,
		       file ? "file= matches several" : "add file=");
	} else if (file && !kpl_elf__find(pk->lib, name, NULL, out) &&
		   (*out)->bind != STB_LOCAL) {
		kb_err("%s:%u: %s '%s' is global in %s: file= names locals only",
		       pk->m->path, line, what, name, pk->lib_path);
	} else {
		kb_err("%s:%u: %s '%s'%s%s not found in %s%s", pk->m->path,
		       line, what, name, file ? " in " : "", file ? file : "",
		       pk->lib_path,
		       pk->lib->has_symtab ? "" : " (no .symtab: stripped?)");
	}
	return 1;
}

/*
 * With a target (the library as shipped, stripped) the symbols come from
 * a rebuild proven to be it (identity.c): kpl apply finds @s by name in
 * the file the process maps when that file names it at the same
 * address; when the file does not name it at all (stripped: only the
 * exported symbols are there), the rebuild's address and size go into
 * *@a (.kpl.addr) and apply finds it there.  A name the target gives to
 * something else is refused.
 */
static int in_target(struct pack *pk, const char *what, unsigned int line,
		     const struct kpl_elf_sym *s, struct kpl_addr_disk *a)
{
	const struct kpl_elf_sym *t;
	const char *why;
	int err;

	if (!pk->target)
		return 0;
	err = kpl_elf__find(pk->target, s->name,
			    s->bind == STB_LOCAL ? s->file : NULL, &t);
	if (!err && t->value == s->value && t->type == s->type)
		return 0;
	if (err == -KPL_E_SYMBOL && s->type == STT_TLS)
		err = kpl_elf__find_tls(pk->target, s->name,
					s->bind == STB_LOCAL ? s->file : NULL,
					&t);
	if (!err && t->value == s->value && t->type == s->type)
		return 0;
	/* A local of a file is told from a global of the same name.  A
	 * thread-local variable goes by its offset in the TLS block. */
	if (err == -KPL_E_SYMBOL && s->size &&
	    ((s->bind == STB_LOCAL && *s->file) ||
	     (s->type == STT_TLS ?
		      kpl_elf__find_tls(pk->target, s->name, NULL, &t) :
		      kpl_elf__find(pk->target, s->name, NULL, &t)))) {
		*a = (struct kpl_addr_disk){
			s->type == STT_TLS ? s->value | KPL_ADDR_TLS : s->value,
			s->size,
		};
		pk->any_addr = true;
		return 0;
	}
	if (err != -KPL_E_SYMBOL)
		why = "";
	else if (!s->size)
		why = " (it has no size, so it cannot go by address)";
	else
		why = " (the target gives that name to another symbol)";
	kb_err("%s:%u: %s '%s' of %s is not the same in %s%s: kpl apply could not find it there",
	       pk->m->path, line, what, s->name, pk->lib_path, pk->target_path,
	       why);
	return 1;
}

static int resolve_func(struct pack *pk, size_t i)
{
	const struct kb_func *f = &pk->m->funcs[i];
	const struct kpl_elf_sym *s;
	char files[256];

	if (lookup(pk, "function", f->line, f->old_name, f->file, &s))
		return 1;
	if (s->type != STT_FUNC) {
		kb_err("%s:%u: '%s' in %s is not a function", pk->m->path,
		       f->line, f->old_name, pk->lib_path);
		return 1;
	}
	if (s->bind != STB_LOCAL && !f->file) {
		list_files(pk->lib, f->old_name, files, sizeof(files));
		if (*files)
			kb_err("warning: %s:%u: patching the global '%s', not the local one in %s",
			       pk->m->path, f->line, f->old_name, files);
	}
	if (kb_object__check_func(pk->obj, f->new_name) ||
	    in_target(pk, "function", f->line, s, &pk->addrs[i]))
		return 1;
	pk->funcs[i] = (struct kpl_func_disk){
		.old_name = str(pk, f->old_name),
		.old_file = str(pk, s->bind == STB_LOCAL ? s->file : ""),
		.old_size = s->size,
		.new_name = str(pk, f->new_name),
	};
	return 0;
}

static int resolve_ref(struct pack *pk, size_t i)
{
	const struct kb_ref *r = &pk->m->refs[i];
	struct kpl_addr_disk *a = &pk->addrs[pk->m->nr_funcs + i];
	const struct kpl_elf_sym *s;
	const char *file;

	if (kb_object__check_undef(pk->obj, r->name))
		return 1;
	/* With a file, kpl_elf__find() only returns locals.  A static
	 * __thread variable is found among the TLS symbols, as the loader
	 * finds it (tls.c). */
	if (kpl_elf__find_tls(pk->lib, r->name, r->file, &s) &&
	    lookup(pk, "ref", r->line, r->name, r->file, &s))
		return 1;
	if (in_target(pk, "ref", r->line, s, a))
		return 1;
	/* A ref names its local's file, or has an address (.kpl.addr). */
	file = s->bind == STB_LOCAL ? s->file : "";
	if (!*file && !a->value) {
		kb_err("%s:%u: ref '%s' of %s has no file to name it by, and %s: add file=, or name it only where a stripped target needs it",
		       pk->m->path, r->line, r->name, pk->lib_path,
		       pk->target ? "the target names it" :
				    "there is no target");
		return 1;
	}
	pk->refs[i] = (struct kpl_ref_disk){
		.name = str(pk, r->name),
		.file = str(pk, file),
	};
	return 0;
}

/* The shipped file: a build-id, and the rebuild's soname. */
static int open_target(struct pack *pk)
{
	int err;

	if (!pk->target_path)
		return 0;
	err = kpl_elf__open(pk->target_path, &pk->target);
	if (err) {
		kb_err("cannot read %s: %s", pk->target_path,
		       kpl_strerror(err));
		return 1;
	}
	if (!pk->target->build_id_len ||
	    pk->target->e_type != pk->lib->e_type) {
		kb_err("%s is not a %s with a GNU build-id", pk->target_path,
		       pk->lib->e_type == ET_DYN ? "shared library" :
						   "executable");
		return 1;
	}
	if (!pk->target->soname != !pk->lib->soname ||
	    (pk->lib->soname && strcmp(pk->target->soname, pk->lib->soname))) {
		kb_err("%s and %s have different sonames", pk->target_path,
		       pk->lib_path);
		return 1;
	}
	return 0;
}

static int open_lib(struct pack *pk)
{
	const char *base = strrchr(pk->lib_path, '/');
	int err;

	err = kpl_elf__open(pk->lib_path, &pk->lib);
	if (err) {
		kb_err("cannot read %s: %s", pk->lib_path, kpl_strerror(err));
		return 1;
	}
	if (pk->lib->e_type != ET_DYN && pk->lib->e_type != ET_EXEC) {
		kb_err("%s is neither a shared library nor an executable",
		       pk->lib_path);
		return 1;
	}
	if (!pk->lib->build_id_len) {
		kb_err("%s has no GNU build-id (link with -Wl,--build-id)",
		       pk->lib_path);
		return 1;
	}
	if (open_target(pk))
		return 1;
	memcpy(pk->info.magic, KPL_MAGIC, sizeof(pk->info.magic));
	pk->info.format_version = KPL_FORMAT_VERSION;
	/* The patch is for the file the processes map. */
	pk->info.build_id_len =
		(uint32_t)(pk->target ? pk->target : pk->lib)->build_id_len;
	memcpy(pk->info.build_id, (pk->target ? pk->target : pk->lib)->build_id,
	       pk->info.build_id_len);
	pk->info.target_soname = str(pk, pk->lib->soname ? pk->lib->soname :
					 base		 ? base + 1 :
							   pk->lib_path);
	return 0;
}

/* .kpl.vuln, from the manifest's cve and advisory* lines, if any. */
static int build_vuln(struct pack *pk)
{
	const struct kb_vuln *v = &pk->m->vuln;
	struct kpl_vuln_disk hdr = { 0 };
	uint32_t off;
	size_t i;

	if (kb_vuln__check(v))
		return 1;
	if (!v->nr_cves && !v->advisory)
		return 0;
	hdr.advisory = str(pk, v->advisory ? v->advisory : "");
	hdr.url = str(pk, v->url ? v->url : "");
	hdr.text = str(pk, v->text ? v->text : "");
	hdr.nr_cves = (uint32_t)v->nr_cves;
	pk->vuln_size = sizeof(hdr) + 4 * v->nr_cves;
	pk->vuln_sec = calloc(1, pk->vuln_size);
	if (!pk->vuln_sec) {
		pk->oom = true;
		return 0;
	}
	memcpy(pk->vuln_sec, &hdr, sizeof(hdr));
	for (i = 0; i < v->nr_cves; i++) {
		off = str(pk, v->cves[i]);
		memcpy(pk->vuln_sec + sizeof(hdr) + 4 * i, &off, sizeof(off));
	}
	return 0;
}

static int build(struct pack *pk)
{
	const struct kb_manifest *m = pk->m;
	size_t i;

	pk->funcs = calloc(m->nr_funcs, sizeof(*pk->funcs));
	pk->refs = calloc(m->nr_refs + 1, sizeof(*pk->refs));
	pk->addrs = calloc(m->nr_funcs + m->nr_refs, sizeof(*pk->addrs));
	if (!pk->funcs || !pk->refs || !pk->addrs || str(pk, "") != 0)
		goto oom;
	if (open_lib(pk) || kb_object__open(pk->object, &pk->obj))
		return 1;
	pk->info.flags = m->flags;
	pk->info.patch_version = m->version;
	pk->info.id = str(pk, m->id);
	pk->info.description = str(pk, m->description);
	pk->info.nr_funcs = (uint32_t)m->nr_funcs;
	pk->info.nr_refs = (uint32_t)m->nr_refs;
	for (i = 0; i < m->nr_funcs; i++)
		if (resolve_func(pk, i))
			return 1;
	for (i = 0; i < m->nr_refs; i++)
		if (resolve_ref(pk, i))
			return 1;
	if (build_vuln(pk))
		return 1;
	if (!pk->oom)
		return 0;
oom:
	kb_err("out of memory");
	return 1;
}

static int emit(struct pack *pk)
{
	struct kb_section secs[6] = {
		{ KPL_SEC_INFO, &pk->info, sizeof(pk->info) },
		{ KPL_SEC_FUNCS, pk->funcs,
		  pk->m->nr_funcs * sizeof(*pk->funcs) },
		{ KPL_SEC_REFS, pk->refs, pk->m->nr_refs * sizeof(*pk->refs) },
		{ KPL_SEC_STRTAB, pk->strtab.buf, pk->strtab.len },
	};
	size_t n = 4;

	if (pk->vuln_sec)
		secs[n++] = (struct kb_section){ KPL_SEC_VULN, pk->vuln_sec,
						 pk->vuln_size };
	/* Only what a stripped target does not name goes by address. */
	if (pk->any_addr)
		secs[n++] = (struct kb_section){
			KPL_SEC_ADDR, pk->addrs,
			(pk->m->nr_funcs + pk->m->nr_refs) * sizeof(*pk->addrs)
		};
	return kb_emit(pk->object, pk->out, secs, n, pk->key);
}

static int parse_args(struct pack *pk, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lib", required_argument, NULL, 'l' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'k' },
		{ "cve", required_argument, NULL, 'C' },
		{ "advisory", required_argument, NULL, 'A' },
		{ "advisory-url", required_argument, NULL, 'U' },
		{ "advisory-text", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, idx;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:m:o:k:h", opts, &idx)) != -1) {
		switch (c) {
		case 'C':
		case 'A':
		case 'U':
		case 'T':
			/* "--advisory-url" is the option, "advisory-url" the key */
			if (kb_vuln__add(&pk->vuln,
					 c == 'C' ? "cve" : opts[idx].name,
					 optarg, "pack"))
				return 2;
			break;
		case 'l':
			pk->lib_path = optarg;
			break;
		case 'm':
			pk->manifest_path = optarg;
			break;
		case 'o':
			pk->out = optarg;
			break;
		case 'k':
			pk->key = optarg;
			break;
		case 'h':
			fputs(pack_usage, stdout);
			return -1;
		default:
			kb_err("pack: bad option '%s' (see kpl-build pack --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (!pk->lib_path || !pk->manifest_path || !pk->out ||
	    optind != argc - 1) {
		kb_err("pack needs --lib, --manifest, -o and one object (see kpl-build pack --help)");
		return 2;
	}
	pk->object = argv[optind];
	return 0;
}

static void pack_free(struct pack *pk)
{
	kb_object__close(pk->obj);
	kpl_elf__close(pk->lib);
	kpl_elf__close(pk->target);
	kb_strtab__free(&pk->strtab);
	free(pk->vuln_sec);
	free(pk->funcs);
	free(pk->refs);
	free(pk->addrs);
}

int kb_pack(const struct kb_manifest *m, const char *lib, const char *object,
	    const char *out, const char *key)
{
	return kb_pack_for(m, lib, NULL, object, out, key);
}

int kb_pack_for(const struct kb_manifest *m, const char *lib,
		const char *target, const char *object, const char *out,
		const char *key)
{
	struct pack pk = {
		.lib_path = lib,
		.target_path = target,
		.out = out,
		.object = object,
		.key = key,
		.m = m,
	};
	int err;

	err = build(&pk);
	if (!err)
		err = emit(&pk);
	pack_free(&pk);
	return err;
}

int cmd_pack(int argc, char **argv)
{
	struct pack pk = { 0 };
	struct kb_manifest *m = NULL;
	int err;

	err = parse_args(&pk, argc, argv);
	if (!err)
		err = kb_manifest__read(pk.manifest_path, &m);
	if (!err)
		err = kb_vuln__merge(&m->vuln, &pk.vuln);
	if (!err)
		err = kb_pack(m, pk.lib_path, pk.object, pk.out, pk.key);
	kb_manifest__free(m);
	kb_vuln__free(&pk.vuln);
	return err < 0 ? 0 : err;
}
