/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The .kpl patch file, format version 1.  See docs/patch-format.md.
 *
 * A patch is an ELF64 relocatable object (ET_REL, EM_X86_64) holding the
 * new functions and their relocations, plus these sections (SHT_PROGBITS,
 * no SHF_ALLOC, so no loader ever maps them):
 *
 *   .kpl.info    one struct kpl_info_disk
 *   .kpl.funcs   nr_funcs x struct kpl_func_disk (the function map)
 *   .kpl.refs    nr_refs x struct kpl_ref_disk (how to resolve undefined
 *                symbols whose names repeat among the target's locals)
 *   .kpl.strtab  NUL-terminated strings; offset 0 is the empty string
 *   .kpl.sig     one struct kpl_sig_disk; absent in unsigned patches
 *   .kpl.vuln    one struct kpl_vuln_disk then nr_cves u32 string
 *                offsets: the CVEs and advisory the patch fixes; optional
 *   .kpl.addr    (nr_funcs + nr_refs) x struct kpl_addr_disk: where the
 *                old functions and refs are in the target; optional
 *
 * All integers are little-endian.  Every string field is an offset into
 * .kpl.strtab.
 */
#ifndef KPL_FORMAT_H
#define KPL_FORMAT_H

#include <stdint.h>

#define KPL_FORMAT_VERSION 1
#define KPL_MAGIC "KPLPATCH"
#define KPL_BUILD_ID_MAX 64
#define KPL_ID_MAX 64		/* patch id: [A-Za-z0-9._-], 1..64 chars */

#define KPL_SEC_INFO ".kpl.info"
#define KPL_SEC_FUNCS ".kpl.funcs"
#define KPL_SEC_REFS ".kpl.refs"
#define KPL_SEC_STRTAB ".kpl.strtab"
#define KPL_SEC_SIG ".kpl.sig"
#define KPL_SEC_VULN ".kpl.vuln"
#define KPL_SEC_ADDR ".kpl.addr"

/* Patch flags (kpl_info_disk.flags). */
#define KPL_PATCH_F_REPLACE (1u << 0)	/* replaces all earlier patches */
#define KPL_PATCH_F_ALL (KPL_PATCH_F_REPLACE)

struct kpl_info_disk {
	char magic[8];			/* KPL_MAGIC, not NUL-terminated */
	uint32_t format_version;	/* KPL_FORMAT_VERSION */
	uint32_t flags;			/* KPL_PATCH_F_* */
	uint32_t patch_version;		/* vendor's version of this patch */
	uint32_t id;			/* strtab: patch id */
	uint32_t description;		/* strtab: one line */
	uint32_t target_soname;		/* strtab: e.g. "libminiweb.so.1" */
	uint32_t build_id_len;		/* 1..KPL_BUILD_ID_MAX */
	uint8_t build_id[KPL_BUILD_ID_MAX];	/* GNU build-id of the target */
	uint32_t nr_funcs;		/* entries in .kpl.funcs, >= 1 */
	uint32_t nr_refs;		/* entries in .kpl.refs */
};

struct kpl_func_disk {
	uint32_t old_name;	/* strtab: symbol in the target library */
	uint32_t old_file;	/* strtab: STT_FILE owning a local, or "" */
	uint64_t old_size;	/* st_size of the old symbol, 0 = unchecked */
	uint32_t new_name;	/* strtab: defined STT_FUNC in this object */
	uint32_t flags;		/* reserved, must be 0 */
};

struct kpl_ref_disk {
	uint32_t name;		/* strtab: undefined symbol in this object */
	uint32_t file;		/* strtab: STT_FILE of the local it means */
};

/*
 * What the patch fixes (.kpl.vuln, optional): an advisory and the CVE ids
 * it names.  Safe for an older reader to ignore; a reader that knows it
 * validates every byte (docs/patch-format.md).  The section is exactly
 * sizeof(struct kpl_vuln_disk) + 4 * nr_cves bytes: the header, then
 * nr_cves .kpl.strtab offsets, each a CVE id "CVE-YYYY-NNNN...".
 */
#define KPL_CVE_MAX 64		/* CVE ids in one patch */
#define KPL_CVE_LEN 28		/* "CVE-" 4 digits "-" 4..19 digits */
#define KPL_ADVISORY_ID_MAX 64	/* [A-Za-z0-9._:-] */
#define KPL_ADVISORY_URL_MAX 512	/* http(s)://, RFC 3986 characters */
#define KPL_ADVISORY_TEXT_MAX 512	/* one line, no control characters */

struct kpl_vuln_disk {
	uint32_t flags;		/* reserved, must be 0 */
	uint32_t advisory;	/* strtab: advisory id ("DSA-5218-1"), or "" */
	uint32_t url;		/* strtab: the advisory's URL, or "" */
	uint32_t text;		/* strtab: one line about it, or "" */
	uint32_t nr_cves;	/* 0..KPL_CVE_MAX offsets follow */
};

/*
 * Where the old functions and the refs are in the target (.kpl.addr,
 * optional): one entry per .kpl.funcs entry, then one per .kpl.refs
 * entry, in their order.  An entry with @value 0 (and @size 0) is found
 * by name; any other is the symbol's st_value and st_size in the target
 * file, for a symbol a stripped target no longer names.  Safe for an
 * older reader to ignore: it finds by name, which in a stripped file
 * finds nothing and refuses (docs/patch-format.md).
 *
 * A ref to a thread-local variable has no address: its st_value is an
 * offset in the library's TLS block, which may be 0.  Its entry holds
 * that offset with KPL_ADDR_TLS set (no user address has bit 63 set).
 */
#define KPL_ADDR_SIZE_MAX (16u << 20)	/* bytes of one located symbol */
#define KPL_ADDR_TLS (1ull << 63)	/* value: KPL_ADDR_TLS | TLS offset */
#define KPL_ADDR_TLS_MAX (1ull << 32)	/* offsets in a TLS block, below */

struct kpl_addr_disk {
	uint64_t value;		/* st_value in the target file; 0: by name */
	uint64_t size;		/* st_size, 1..KPL_ADDR_SIZE_MAX; 0 by name */
};

/*
 * The signature (.kpl.sig).  The Ed25519 signature covers every byte of
 * the file, with the 64 bytes of @signature taken as zeros: the headers,
 * the other sections and the rest of this struct are all signed.
 */
#define KPL_SIG_MAGIC "KPLSIG\0\0"	/* 8 bytes */
#define KPL_SIG_ED25519 1		/* the only algorithm */
#define KPL_KEY_ID_LEN 32		/* SHA-256 of the raw public key */
#define KPL_SIG_LEN 64			/* Ed25519 */

struct kpl_sig_disk {
	char magic[8];			/* KPL_SIG_MAGIC */
	uint32_t algorithm;		/* KPL_SIG_ED25519 */
	uint32_t flags;			/* reserved, must be 0 */
	uint8_t key_id[KPL_KEY_ID_LEN];	/* which key signed */
	uint8_t signature[KPL_SIG_LEN];	/* zeros while being computed */
};

#endif
