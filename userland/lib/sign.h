/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The signing half of sign.c, for kpl-build: libkpl itself only verifies
 * (kpl/patch.h).  Kept in the library so that libcrypto is included in one
 * file and signer and verifier cannot disagree on the signed bytes.
 */
#ifndef KPL_LIB_SIGN_H
#define KPL_LIB_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "kpl/format.h"

/*
 * kpl_sign__keygen() - make an Ed25519 key pair.
 * @priv_path: written as PEM PKCS#8 ("PRIVATE KEY"), mode 0600
 * @pub_path:  written as PEM SubjectPublicKeyInfo ("PUBLIC KEY"), 0644
 * @id:        the new key's id (SHA-256 of the raw public key)
 * Neither file may exist yet.  On failure neither is left behind.
 * Return: 0, -EEXIST, -errno, or -KPL_E_SIGNATURE (reason logged).
 */
int kpl_sign__keygen(const char *priv_path, const char *pub_path,
		     uint8_t id[KPL_KEY_ID_LEN]);

/*
 * kpl_sign__image() - sign a patch image in place.
 * @image:   the whole patch file, @size bytes
 * @sig_off: offset in @image of its .kpl.sig data (a struct kpl_sig_disk)
 * @key_path: the signer's private key (PEM; Ed25519)
 * @id:      the signing key's id
 * Fills the struct kpl_sig_disk at @sig_off: magic, algorithm, key id,
 * then the signature over @image with the signature field zeroed.
 * Return: 0, -EINVAL (@sig_off out of range), -errno, or -KPL_E_SIGNATURE
 * (unreadable or non-Ed25519 key; reason logged).
 */
int kpl_sign__image(uint8_t *image, size_t size, size_t sig_off,
		    const char *key_path, uint8_t id[KPL_KEY_ID_LEN]);

/* The id as kpl shows it: the first 8 bytes in hex (17 bytes with NUL). */
#define KPL_KEY_ID_SHORT 8
void kpl_key_id_short(const uint8_t id[KPL_KEY_ID_LEN],
		      char out[2 * KPL_KEY_ID_SHORT + 1]);

#endif
