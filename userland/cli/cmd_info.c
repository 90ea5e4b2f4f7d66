// SPDX-License-Identifier: GPL-2.0
/* kpl info: describe a patch file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "kpl/errors.h"
#include "kpl/format.h"
#include "kpl/patch.h"

static void info_usage(FILE *f)
{
	fprintf(f, "usage: kpl info [--json] [--keys DIR] PATCH.kpl\n\n"
		   "Parse and validate a patch file and describe it: id, "
		   "version,\ntarget library and build-id, flags, the "
		   "function map, and\nwhich key signed it (unsigned patches "
		   "are described too).\n\n"
		   "options:\n"
		   "      --json       print as JSON\n"
		   "      --keys DIR   also verify the signature against the "
		   "trusted\n"
		   "                   keys in DIR, as kpl apply would "
		   "(default:\n"
		   "                   " KPL_KEYS_DIR " when it exists)\n"
		   "\nExits 3 when the file is malformed or its signature "
		   "does not\nverify with the keys.\n"
		   "  -h, --help       this text\n");
}

static void print_sig(int sig, const uint8_t *kid, int verified,
		      const char *dir)
{
	size_t i;

	printf("signature:   ");
	if (sig == -ENODATA) {
		printf("none (kpl apply refuses an unsigned patch)\n");
		return;
	}
	if (sig) {
		printf("malformed .kpl.sig\n");
		return;
	}
	printf("ed25519, key ");
	for (i = 0; i < 8; i++)
		printf("%02x", kid[i]);
	if (verified >= 0)
		printf(", %s with the keys in %s",
		       verified ? "verified" : "NOT verified", dir);
	printf("\n");
}

/*
 * An entry .kpl.addr locates, not found by name in the target: @size
 * is read after @addr's call has set it.
 */
static void print_addr(uint64_t addr, const uint64_t *size)
{
	if (addr & KPL_ADDR_TLS)
		printf(" (thread-local, at offset 0x%llx, %llu bytes, located by offset)",
		       (unsigned long long)(addr & ~KPL_ADDR_TLS),
		       (unsigned long long)*size);
	else if (addr)
		printf(" (at 0x%llx, %llu bytes, located by address)",
		       (unsigned long long)addr, (unsigned long long)*size);
	printf("\n");
}

static void json_addr(uint64_t addr, const uint64_t *size)
{
	if (addr & KPL_ADDR_TLS)
		printf(",\"tls_offset\":%llu,\"size\":%llu",
		       (unsigned long long)(addr & ~KPL_ADDR_TLS),
		       (unsigned long long)*size);
	else if (addr)
		printf(",\"addr\":%llu,\"size\":%llu",
		       (unsigned long long)addr, (unsigned long long)*size);
}

/* The library's locals the patch code uses, and how each is found. */
static void print_refs(const struct kpl_patch *p)
{
	size_t i, n = kpl_patch__nr_refs(p);
	uint64_t size;

	if (n)
		printf("refs:        %zu\n", n);
	for (i = 0; i < n; i++) {
		const char *file = kpl_patch__ref_file(p, i);

		printf("  %s%s%s", cli_esc(kpl_patch__ref_name(p, i)),
		       *file ? " @" : "", cli_esc(file));
		print_addr(kpl_patch__ref_addr(p, i, &size), &size);
	}
}

/* What it fixes: nothing is printed for a patch that names nothing. */
static void print_vuln(const struct kpl_patch *p)
{
	size_t i, n = kpl_patch__nr_cves(p);

	if (n) {
		printf("fixes:      ");
		for (i = 0; i < n; i++)
			printf(" %s", cli_esc(kpl_patch__cve(p, i)));
		printf("\n");
	}
	if (*kpl_patch__advisory(p))
		printf("advisory:    %s\n", cli_esc(kpl_patch__advisory(p)));
	if (*kpl_patch__advisory_url(p))
		printf("  url:       %s\n",
		       cli_esc(kpl_patch__advisory_url(p)));
	if (*kpl_patch__advisory_text(p))
		printf("  text:      %s\n",
		       cli_esc(kpl_patch__advisory_text(p)));
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "keys", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct kpl_verify_opts vo = { .sz = sizeof(vo),
				      .no_legacy_names = true };
	uint8_t bid[KPL_BUILD_ID_MAX], kid[KPL_KEY_ID_LEN];
	int sig, verified = -1; /* -1: not asked */
	struct kpl_patch *p = NULL;
	bool json = false;
	size_t i, n, blen;
	uint64_t asize;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			vo.keys_dir = optarg;
			break;
		case 'h':
			info_usage(stdout);
			return KPL_EXIT_OK;
		default:
			info_usage(stderr);
			return KPL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		info_usage(stderr);
		return KPL_EXIT_USAGE;
	}
	err = kpl_patch__open(argv[optind], &p);
	if (err) {
		fprintf(stderr, "kpl info: cannot use patch %s: %s\n",
			cli_esc(argv[optind]), kpl_strerror(err));
		return cli_patch_exit_code(err);
	}
	blen = kpl_patch__build_id(p, bid, sizeof(bid));
	n = kpl_patch__nr_funcs(p);
	sig = kpl_patch__key_id(p, kid);
	/* Like apply: the default keys, when there are any.  A signed file
	 * can be told tampered only with its key. */
	if (!vo.keys_dir && sig != -ENODATA && !access(KPL_KEYS_DIR, F_OK))
		vo.keys_dir = KPL_KEYS_DIR;
	if (vo.keys_dir)
		verified = kpl_patch__verify(p, &vo) == 0;
	if (json) {
		printf("{\"id\":");
		cli_json_str(stdout, kpl_patch__id(p));
		printf(",\"version\":%u,\"description\":", kpl_patch__version(p));
		cli_json_str(stdout, kpl_patch__description(p));
		printf(",\"target\":");
		cli_json_str(stdout, kpl_patch__target_soname(p));
		printf(",\"build_id\":\"");
		for (i = 0; i < blen; i++)
			printf("%02x", bid[i]);
		printf("\",\"replace\":%s,\"functions\":[",
		       kpl_patch__flags(p) & KPL_PATCH_F_REPLACE ? "true"
								 : "false");
		for (i = 0; i < n; i++) {
			printf("%s{\"old\":", i ? "," : "");
			cli_json_str(stdout, kpl_patch__func_old(p, i));
			printf(",\"file\":");
			cli_json_str(stdout, kpl_patch__func_file(p, i));
			printf(",\"new\":");
			cli_json_str(stdout, kpl_patch__func_new(p, i));
			json_addr(kpl_patch__func_addr(p, i, &asize), &asize);
			printf("}");
		}
		printf("],\"refs\":[");
		for (i = 0; i < kpl_patch__nr_refs(p); i++) {
			printf("%s{\"name\":", i ? "," : "");
			cli_json_str(stdout, kpl_patch__ref_name(p, i));
			printf(",\"file\":");
			cli_json_str(stdout, kpl_patch__ref_file(p, i));
			json_addr(kpl_patch__ref_addr(p, i, &asize), &asize);
			printf("}");
		}
		printf("],");
		cli_json_vuln(stdout, p);
		printf(",\"signed\":%s,\"key_id\":\"", sig ? "false" : "true");
		for (i = 0; !sig && i < KPL_KEY_ID_LEN; i++)
			printf("%02x", kid[i]);
		printf("\",\"verified\":%s}\n",
		       verified < 0 ? "null" : verified ? "true" : "false");
	} else {
		printf("patch:       %s (version %u)\n", cli_esc(kpl_patch__id(p)),
		       kpl_patch__version(p));
		printf("description: %s\n", cli_esc(kpl_patch__description(p)));
		printf("target:      %s\n",
		       cli_esc(kpl_patch__target_soname(p)));
		printf("build-id:    ");
		for (i = 0; i < blen; i++)
			printf("%02x", bid[i]);
		printf("\nflags:       %s\n",
		       kpl_patch__flags(p) & KPL_PATCH_F_REPLACE ? "replace"
								 : "-");
		printf("functions:   %zu\n", n);
		for (i = 0; i < n; i++) {
			const char *file = kpl_patch__func_file(p, i);

			printf("  %s%s%s -> %s",
			       cli_esc(kpl_patch__func_old(p, i)),
			       *file ? " @" : "", cli_esc(file),
			       cli_esc(kpl_patch__func_new(p, i)));
			print_addr(kpl_patch__func_addr(p, i, &asize), &asize);
		}
		print_refs(p);
		print_vuln(p);
		print_sig(sig, kid, verified, cli_esc(vo.keys_dir));
	}
	kpl_patch__free(p);
	/* Described, but not to be trusted: say so in the exit code too. */
	return verified == 0 ? KPL_EXIT_PATCH : KPL_EXIT_OK;
}

void cli_json_vuln(FILE *f, const struct kpl_patch *patch)
{
	size_t i, n = kpl_patch__nr_cves(patch);

	fprintf(f, "\"cves\":[");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		cli_json_str(f, kpl_patch__cve(patch, i));
	}
	fprintf(f, "],\"advisory\":{\"id\":");
	cli_json_str(f, kpl_patch__advisory(patch));
	fprintf(f, ",\"url\":");
	cli_json_str(f, kpl_patch__advisory_url(patch));
	fprintf(f, ",\"text\":");
	cli_json_str(f, kpl_patch__advisory_text(patch));
	fprintf(f, "}");
}
