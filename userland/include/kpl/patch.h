/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Opening and inspecting .kpl patch files. */
#ifndef KPL_PATCH_H
#define KPL_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpl/format.h"

struct kpl_patch;

/*
 * kpl_patch__open() - read, parse and validate a patch file.
 * @path: the .kpl file
 * @out:  on success, a patch the caller frees with kpl_patch__free()
 * Return: 0, -errno for I/O errors, -KPL_E_FORMAT / -KPL_E_VERSION for a
 * malformed file (the reason is logged through kpl_set_print()).
 */
int kpl_patch__open(const char *path, struct kpl_patch **out);

/* kpl_patch__free() - free a patch; NULL is fine. */
void kpl_patch__free(struct kpl_patch *patch);

/* Accessors: strings are owned by the patch. */
const char *kpl_patch__id(const struct kpl_patch *patch);
const char *kpl_patch__description(const struct kpl_patch *patch);
const char *kpl_patch__target_soname(const struct kpl_patch *patch);
uint32_t kpl_patch__version(const struct kpl_patch *patch);
uint32_t kpl_patch__flags(const struct kpl_patch *patch);
/* Copies the build-id (at most @len bytes) and returns its length. */
size_t kpl_patch__build_id(const struct kpl_patch *patch, uint8_t *buf,
			   size_t len);
size_t kpl_patch__nr_funcs(const struct kpl_patch *patch);
/* Old and new symbol names of function @i, or NULL when out of range. */
const char *kpl_patch__func_old(const struct kpl_patch *patch, size_t i);
const char *kpl_patch__func_new(const struct kpl_patch *patch, size_t i);
/* STT_FILE name that disambiguates a local old symbol, "" for a global. */
const char *kpl_patch__func_file(const struct kpl_patch *patch, size_t i);

/*
 * References: undefined symbols of the patch that mean a local of the
 * target, named by symbol and STT_FILE.  NULL when out of range.
 */
size_t kpl_patch__nr_refs(const struct kpl_patch *patch);
const char *kpl_patch__ref_name(const struct kpl_patch *patch, size_t i);
const char *kpl_patch__ref_file(const struct kpl_patch *patch, size_t i);

/*
 * Where the patch locates old function @i or ref @i in the target
 * (.kpl.addr): the symbol's st_value in the target file, and its size
 * in *@size when @size is not NULL; 0 when it is found by name (or @i
 * is out of range).  A thread-local ref's is KPL_ADDR_TLS | its offset
 * in the library's TLS block.
 */
uint64_t kpl_patch__func_addr(const struct kpl_patch *patch, size_t i,
			      uint64_t *size);
uint64_t kpl_patch__ref_addr(const struct kpl_patch *patch, size_t i,
			     uint64_t *size);

/*
 * What the patch fixes (.kpl.vuln): the CVE ids it names, in file order,
 * each "CVE-YYYY-NNNN..." (checked by the parser), NULL when @i is out of
 * range; and the advisory's id, URL and one-line text, "" when the patch
 * names none.  Strings are owned by the patch.
 */
size_t kpl_patch__nr_cves(const struct kpl_patch *patch);
const char *kpl_patch__cve(const struct kpl_patch *patch, size_t i);
const char *kpl_patch__advisory(const struct kpl_patch *patch);
const char *kpl_patch__advisory_url(const struct kpl_patch *patch);
const char *kpl_patch__advisory_text(const struct kpl_patch *patch);

/*
 * kpl_cve_valid() - whether @s is a CVE id as a patch may carry it:
 * "CVE-", a 4-digit year from 1999, "-", then 4 to 19 digits, nothing
 * else (no lower case, no spaces).  For tools that take ids from users.
 */
bool kpl_cve_valid(const char *s);

/* The path given to kpl_patch__open(), NULL for a patch parsed in memory. */
const char *kpl_patch__path(const struct kpl_patch *patch);

/*
 * Signatures (docs/patch-format.md, ".kpl.sig").  kpl_patch__open() only
 * parses: a caller that applies a patch verifies it first, with
 * kpl_patch__open_verified() or kpl_patch__verify().
 */
#define KPL_KEYS_DIR "/etc/kpatch-lite/keys"

struct kpl_verify_opts {
	size_t sz;		/* sizeof(struct kpl_verify_opts) */
	/* Trusted Ed25519 public keys, one PEM file "*.pub" each; NULL:
	 * KPL_KEYS_DIR. */
	const char *keys_dir;
	/* Accept a patch that has no signature at all, with a warning.  A
	 * signature that is malformed, untrusted or wrong is never
	 * accepted. */
	bool allow_unsigned;
	/*
	 * This process never looks an OpenSSL cipher or digest up by its
	 * legacy name (EVP_get_cipherbyname(), EVP_get_digestbyname(), an
	 * old-style encrypted PEM key): the first check may then leave
	 * libcrypto's legacy tables unfilled, about 0.25 ms it otherwise
	 * spends.  Process-wide: whichever first sets libcrypto up decides
	 * (kpl and kpld set it; libkpl's default is OpenSSL's own).
	 */
	bool no_legacy_names;
};

/*
 * kpl_patch__verify() - check @patch's signature against the trusted keys.
 * @opts: NULL for the defaults (KPL_KEYS_DIR, unsigned refused)
 * The signed bytes are the file kpl_patch__open() read, so what was
 * verified is what the loader uses.
 * Return: 0 when a trusted key's signature verifies (or the patch is
 * unsigned and @opts->allow_unsigned is set); -KPL_E_SIGNATURE when it is
 * unsigned, malformed, signed by an unknown key or does not verify, or
 * when no trusted key can be read (the reason is logged); -ENOMEM.
 */
int kpl_patch__verify(const struct kpl_patch *patch,
		      const struct kpl_verify_opts *opts);

/*
 * kpl_patch__open_verified() - kpl_patch__open() then kpl_patch__verify();
 * *@out is set only when both succeed.
 */
int kpl_patch__open_verified(const char *path,
			     const struct kpl_verify_opts *opts,
			     struct kpl_patch **out);

/*
 * kpl_patch__key_id() - the id of the key that signed @patch, as the
 * patch says (nothing is verified): the SHA-256 of its raw public key.
 * Return: 0 and @id, -ENODATA when the patch is unsigned, -KPL_E_SIGNATURE
 * when .kpl.sig is malformed.
 */
int kpl_patch__key_id(const struct kpl_patch *patch,
		      uint8_t id[KPL_KEY_ID_LEN]);

/*
 * kpl_patch__check_unwind() - refuse patch code that a C++ exception may
 * leave or pass through without the unwind information that needs: a
 * function that throws, or in a patch with mangled (C++) names calls C++
 * code or through a pointer, must be covered by an FDE of the patch's
 * .eh_frame, and one that catches or cleans up by an FDE with an LSDA and
 * a personality routine.  Else the exception would std::terminate() the
 * target.  Apply and kpl-build run it; the reason is logged.
 * Return: 0, -KPL_E_UNWIND naming the function in the log, -ENOMEM.
 */
int kpl_patch__check_unwind(const struct kpl_patch *patch);

#endif
