// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Patch signatures: Ed25519 through OpenSSL's libcrypto, the only file in
 * libkpl that includes it.
 *
 * The signed message is the whole patch file with the 64 signature bytes
 * of its .kpl.sig section read as zeros.  Everything else is covered:
 * ELF and section headers, code, relocations, the .kpl.* metadata, and
 * the rest of .kpl.sig (algorithm, key id).  Ed25519 signs the message
 * itself (no pre-hash), and a patch is at most 64 MiB, so the message is
 * simply a copy of the image with the field zeroed.
 *
 * A key's id is the SHA-256 of its raw 32-byte public key.  The verifier
 * picks the trusted key by id, so a directory may hold many keys.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "elfobj.h"
#include "internal.h"
#include "opts.h"
#include "patch.h"
#include "sign.h"

_Static_assert(sizeof(struct kpl_sig_disk) == 112, "kpl_sig_disk layout");

#define SIG_FIELD offsetof(struct kpl_sig_disk, signature)

/* The last OpenSSL error as text, for a log line. */
/*
 * Set libcrypto up without reading its configuration file
 * (/usr/lib/ssl/openssl.cnf, or $OPENSSL_CONF): Ed25519 needs only the
 * built-in default provider, and a signature check that a file or an
 * environment variable could change (by loading other providers) is not
 * one to trust.  It also saves every command that verifies a patch the
 * file's read and parse.
 *
 * Nor is OpenSSL's exit handler registered: OPENSSL_cleanup() only frees
 * what the process is about to drop.  The verifier (@strings false) does
 * not load libcrypto's error strings either: with the handler, they were
 * about 15% of the instructions `kpl info --keys` ran.  Its messages say
 * what failed in kpl's words; OpenSSL's own detail is then only a code
 * (`openssl errstr CODE` names it).  The signer (kpl-build) loads them.
 *
 * With @lean (struct kpl_verify_opts' no_legacy_names: kpl and kpld),
 * the verifier does not fill OpenSSL's legacy tables of every cipher and
 * digest either (OPENSSL_INIT_NO_ADD_ALL_*): the first fetch of any
 * algorithm copies their names into the provider name map, 2.8 M
 * instructions of the 6.2 M `kpl info --keys` ran (callgrind), and 0.25
 * ms of each command.  An Ed25519 key and SHA-256 are fetched by the
 * names the default provider gives them.  Not by default: the choice is
 * the whole process's, and a program using libkpl may look ciphers up
 * by name later (so does the signer, reading an encrypted PEM key).
 * The first call decides; idempotent and thread-safe.
 */
static void crypto_init(bool strings, bool lean)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
			    OPENSSL_INIT_NO_ATEXIT |
			    (strings ? OPENSSL_INIT_LOAD_CRYPTO_STRINGS :
				       OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS) |
			    (lean ? OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
					    OPENSSL_INIT_NO_ADD_ALL_DIGESTS :
				    0),
			    NULL);
}

static const char *ssl_err(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e)
		return "no detail";
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

void kpl_key_id_short(const uint8_t id[KPL_KEY_ID_LEN],
		      char out[2 * KPL_KEY_ID_SHORT + 1])
{
	kpl_hex(id, KPL_KEY_ID_SHORT, out);
}

/* The id of @pkey, which must be an Ed25519 key (public or private). */
static int key_id(EVP_PKEY *pkey, uint8_t id[KPL_KEY_ID_LEN])
{
	uint8_t raw[32];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
		return -KPL_E_SIGNATURE;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 ||
	    len != sizeof(raw))
		return -KPL_E_SIGNATURE;
	SHA256(raw, len, id);
	return 0;
}

/* The .kpl.sig of @p, copied out; -ENODATA when there is none. */
static int read_sig(const struct kpl_patch *p, struct kpl_sig_disk *sig)
{
	if (!p->sig_size)
		return -ENODATA;
	if (p->sig_size != sizeof(*sig)) {
		pr_warn("patch: %s: %s is %llu bytes, expected %zu\n", p->id,
			KPL_SEC_SIG, (unsigned long long)p->sig_size,
			sizeof(*sig));
		return -KPL_E_SIGNATURE;
	}
	memcpy(sig, p->image + p->sig_offset, sizeof(*sig));
	if (memcmp(sig->magic, KPL_SIG_MAGIC, sizeof(sig->magic)) ||
	    sig->algorithm != KPL_SIG_ED25519 || sig->flags) {
		pr_warn("patch: %s: %s: bad magic, algorithm %u or flags 0x%x (this libkpl knows Ed25519, %d)\n",
			p->id, KPL_SEC_SIG, sig->algorithm, sig->flags,
			KPL_SIG_ED25519);
		return -KPL_E_SIGNATURE;
	}
	return 0;
}

KPL_API int kpl_patch__key_id(const struct kpl_patch *patch,
			      uint8_t id[KPL_KEY_ID_LEN])
{
	struct kpl_sig_disk sig;
	int err;

	err = read_sig(patch, &sig);
	if (!err)
		memcpy(id, sig.key_id, KPL_KEY_ID_LEN);
	return err;
}

/* Does @name end in ".pub"? */
static bool is_pub(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".pub") && name[0] != '.';
}

/*
 * An Ed25519 public key as `openssl pkey -pubout` and kpl-build write
 * it: the PEM armour around one line, the base64 of the 44-byte
 * SubjectPublicKeyInfo, whose first 12 bytes are always these.  It is
 * read by hand: OpenSSL's PEM reader sets its whole decoder framework up
 * for it, about 70% of the instructions `kpl info --keys` ran.  Any
 * other file goes to that reader, which takes every form OpenSSL knows
 * or says why not, as before.
 */
static const uint8_t ed25519_spki[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};
#define PUB_BEGIN "-----BEGIN PUBLIC KEY-----\n"
#define PUB_END "-----END PUBLIC KEY-----\n"
#define PUB_B64 60	/* 44 bytes: 15 groups of 4, one '=' of padding */
#define PUB_TEXT (sizeof(PUB_BEGIN) - 1 + PUB_B64 + 1 + sizeof(PUB_END) - 1)

/* The key @text (@len bytes) holds if it has exactly that form; or NULL. */
static EVP_PKEY *plain_ed25519_pub(const char *text, size_t len)
{
	const char *b64 = text + sizeof(PUB_BEGIN) - 1;
	uint8_t der[PUB_B64 / 4 * 3];

	if (len != PUB_TEXT || memcmp(text, PUB_BEGIN, sizeof(PUB_BEGIN) - 1) ||
	    b64[PUB_B64] != '\n' ||
	    memcmp(b64 + PUB_B64 + 1, PUB_END, sizeof(PUB_END) - 1) ||
	    b64[PUB_B64 - 1] != '=' || b64[PUB_B64 - 2] == '=')
		return NULL;
	/* Any byte outside the alphabet (a space, a '=') makes it -1. */
	if (EVP_DecodeBlock(der, (const unsigned char *)b64, PUB_B64) !=
		    (int)sizeof(der) ||
	    memcmp(der, ed25519_spki, sizeof(ed25519_spki)))
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
					   der + sizeof(ed25519_spki), 32);
}

static EVP_PKEY *read_pub(const char *path)
{
	char e[256], text[PUB_TEXT + 1];
	EVP_PKEY *pkey;
	size_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		pr_warn("patch: skipping trusted key %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	/* One byte more than the form, to tell a longer file. */
	len = fread(text, 1, sizeof(text), f);
	pkey = ferror(f) ? NULL : plain_ed25519_pub(text, len);
	if (!pkey) {
		rewind(f);
		pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	}
	fclose(f);
	if (!pkey) {
		pr_warn("patch: skipping trusted key %s: not a PEM public key (%s)\n",
			path, ssl_err(e, sizeof(e)));
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		pr_warn("patch: skipping trusted key %s: not an Ed25519 key\n",
			path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/*
 * The trusted key whose id is @id, from @dir; NULL with *@err set.  The
 * name of its file goes to @file for messages.
 */
static EVP_PKEY *find_key(const char *dir, const uint8_t *id, char *file,
			  size_t len, int *err)
{
	EVP_PKEY *pkey = NULL;
	uint8_t kid[KPL_KEY_ID_LEN];
	struct dirent *de;
	unsigned int seen = 0;
	char *path;
	DIR *d;

	*err = -KPL_E_SIGNATURE;
	d = opendir(dir);
	if (!d) {
		pr_warn("patch: cannot read the trusted keys in %s: %s\n", dir,
			strerror(errno));
		return NULL;
	}
	while (!pkey && (de = readdir(d))) {
		if (!is_pub(de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			*err = -ENOMEM;
			break;
		}
		pkey = read_pub(path);
		free(path);
		if (!pkey)
			continue;
		seen++;
		if (key_id(pkey, kid) || memcmp(kid, id, KPL_KEY_ID_LEN)) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
			continue;
		}
		snprintf(file, len, "%s", de->d_name);
	}
	closedir(d);
	if (!pkey && !seen && *err == -KPL_E_SIGNATURE)
		pr_warn("patch: no trusted key (*.pub) in %s\n", dir);
	return pkey;
}

/* Ed25519 over @msg; 1 verified, 0 not, <0 error. */
static int ed25519_verify(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
			  const uint8_t *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, KPL_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* @image with the signature field at @sig_off zeroed: a malloc'ed copy. */
static uint8_t *message(const uint8_t *image, size_t size, size_t sig_off)
{
	uint8_t *msg = malloc(size);

	if (!msg)
		return NULL;
	memcpy(msg, image, size);
	memset(msg + sig_off + SIG_FIELD, 0, KPL_SIG_LEN);
	return msg;
}

/*
 * The verdict is recorded in the patch so that kpl_target__apply() can
 * refuse a patch nobody verified.  The API keeps its const: the verdict
 * is bookkeeping, not the patch's contents.
 */
static void mark_verified(const struct kpl_patch *patch)
{
	((struct kpl_patch *)patch)->verified = true;
}

KPL_API int kpl_patch__verify(const struct kpl_patch *patch,
			      const struct kpl_verify_opts *opts)
{
	const char *dir = KPL_KEYS_DIR;
	char file[256], kid[2 * KPL_KEY_ID_SHORT + 1];
	struct kpl_sig_disk sig;
	EVP_PKEY *pkey = NULL;
	bool allow_unsigned = false;
	uint8_t *msg = NULL;
	int err, ok;

	if (!patch)
		return -EINVAL;
	if (!KPL_OPTS_VALID(opts, kpl_verify_opts, no_legacy_names))
		return -EINVAL;
	crypto_init(false, KPL_OPTS_GET(opts, no_legacy_names, false));
	if (KPL_OPTS_GET(opts, keys_dir, NULL))
		dir = opts->keys_dir;
	allow_unsigned = KPL_OPTS_GET(opts, allow_unsigned, false);

	err = read_sig(patch, &sig);
	if (err == -ENODATA) {
		if (allow_unsigned) {
			pr_warn("patch: %s is NOT signed: accepted only because unsigned patches are allowed\n",
				patch->id);
			mark_verified(patch);
			return 0;
		}
		pr_warn("patch: %s is not signed (kpl-build sign adds a signature)\n",
			patch->id);
		return -KPL_E_SIGNATURE;
	}
	if (err)
		return err;
	kpl_key_id_short(sig.key_id, kid);
	pkey = find_key(dir, sig.key_id, file, sizeof(file), &err);
	if (!pkey) {
		if (err == -KPL_E_SIGNATURE)
			pr_warn("patch: %s is signed by key %s, which is not among the trusted keys in %s\n",
				patch->id, kid, dir);
		return err;
	}
	msg = message(patch->image, patch->image_size, patch->sig_offset);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	ok = ed25519_verify(pkey, msg, patch->image_size, sig.signature);
	if (ok < 0) {
		err = ok;
	} else if (!ok) {
		pr_warn("patch: %s: the signature by key %s (%s/%s) does not verify: the file was changed after it was signed\n",
			patch->id, kid, dir, file);
		err = -KPL_E_SIGNATURE;
	} else {
		pr_info("patch: %s: signature by key %s (%s/%s) verified\n",
			patch->id, kid, dir, file);
		mark_verified(patch);
		err = 0;
	}
out:
	free(msg);
	EVP_PKEY_free(pkey);
	return err;
}

KPL_API int kpl_patch__open_verified(const char *path,
				     const struct kpl_verify_opts *opts,
				     struct kpl_patch **out)
{
	struct kpl_patch *p;
	int err;

	if (!out)
		return -EINVAL;
	err = kpl_patch__open(path, &p);
	if (err)
		return err;
	err = kpl_patch__verify(p, opts);
	if (err) {
		kpl_patch__free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* Write @pkey to a new file @path (mode @mode) as PEM. */
static int write_pem(const char *path, EVP_PKEY *pkey, bool priv, mode_t mode)
{
	char e[256];
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ok = priv ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) :
		    PEM_write_PUBKEY(f, pkey);
	if (fclose(f) || !ok) {
		pr_warn("sign: cannot write %s: %s\n", path,
			ok ? strerror(errno) : ssl_err(e, sizeof(e)));
		unlink(path);
		return -KPL_E_SIGNATURE;
	}
	return 0;
}

int kpl_sign__keygen(const char *priv_path, const char *pub_path,
		     uint8_t id[KPL_KEY_ID_LEN])
{
	EVP_PKEY *pkey;
	char e[256];
	int err;

	crypto_init(true, false);

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey) {
		pr_warn("sign: cannot make an Ed25519 key: %s\n",
			ssl_err(e, sizeof(e)));
		return -KPL_E_SIGNATURE;
	}
	err = key_id(pkey, id);
	if (!err)
		err = write_pem(priv_path, pkey, true, 0600);
	if (!err) {
		err = write_pem(pub_path, pkey, false, 0644);
		if (err)
			unlink(priv_path);
	}
	EVP_PKEY_free(pkey);
	return err;
}

static EVP_PKEY *read_priv(const char *path, int *err)
{
	EVP_PKEY *pkey;
	char e[256];
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		*err = -errno;
		pr_warn("sign: cannot open key %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	/* No passphrase callback: an encrypted key fails here, clearly. */
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	*err = -KPL_E_SIGNATURE;
	if (!pkey) {
		pr_warn("sign: %s is not an unencrypted PEM private key: %s\n",
			path, ssl_err(e, sizeof(e)));
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		pr_warn("sign: %s is not an Ed25519 key\n", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	*err = 0;
	return pkey;
}

int kpl_sign__image(uint8_t *image, size_t size, size_t sig_off,
		    const char *key_path, uint8_t id[KPL_KEY_ID_LEN])
{
	struct kpl_sig_disk sig = { 0 };
	uint8_t out[KPL_SIG_LEN];
	size_t out_len = sizeof(out);
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pkey;
	char e[256];
	int err;

	crypto_init(true, false);

	if (sig_off > size || size - sig_off < sizeof(sig))
		return -EINVAL;
	pkey = read_priv(key_path, &err);
	if (!pkey)
		return err;
	err = key_id(pkey, id);
	if (err)
		goto out;
	memcpy(sig.magic, KPL_SIG_MAGIC, sizeof(sig.magic));
	sig.algorithm = KPL_SIG_ED25519;
	memcpy(sig.key_id, id, KPL_KEY_ID_LEN);
	memcpy(image + sig_off, &sig, sizeof(sig));

	err = -ENOMEM;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	err = -KPL_E_SIGNATURE;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, out, &out_len, image, size) != 1 ||
	    out_len != sizeof(out)) {
		pr_warn("sign: Ed25519 signing failed: %s\n",
			ssl_err(e, sizeof(e)));
		goto out;
	}
	/* Check what was made with the verifier's own code. */
	if (ed25519_verify(pkey, image, size, out) != 1) {
		pr_warn("sign: the new signature does not verify\n");
		goto out;
	}
	memcpy(image + sig_off + SIG_FIELD, out, sizeof(out));
	err = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return err;
}
