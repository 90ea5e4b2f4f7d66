// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build keygen and kpl-build sign.  The cryptography is libkpl's
 * (userland/lib/sign.c), so the signer and the verifier in kpl agree on
 * the signed bytes by construction.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpl-build.h"
#include "kpl/errors.h"
#include "kpl/patch.h"
#include "patch.h"
#include "sign.h"

static const char keygen_usage[] =
	"usage: kpl-build keygen -o DIR/NAME\n"
	"\n"
	"Make an Ed25519 key pair for signing patches:\n"
	"  DIR/NAME.key   the private key (PEM PKCS#8, mode 0600): keep it on\n"
	"                 the build machine, give it to 'build', 'pack' and\n"
	"                 'sign' with --key\n"
	"  DIR/NAME.pub   the public key (PEM): install it on every machine\n"
	"                 that applies the patches, in /etc/kpatch-lite/keys/\n"
	"                 (or the directory given to 'kpl apply --keys')\n"
	"Neither file may exist; DIR is made (mode 0700) if it does not.\n"
	"The key id printed is the first 8 bytes of the SHA-256 of the raw\n"
	"public key; 'kpl info' shows the id of the key that signed a patch.\n"
	"\n"
	"Keys made by OpenSSL work too:\n"
	"  openssl genpkey -algorithm ed25519 -out NAME.key\n"
	"  openssl pkey -in NAME.key -pubout -out NAME.pub\n"
	"\n"
	"  -o, --output DIR/NAME   where to write the pair\n"
	"  -h, --help              show this help\n";

static const char sign_usage[] =
	"usage: kpl-build sign --key KEY [-o OUT.kpl] PATCH.kpl\n"
	"\n"
	"Sign PATCH (made by 'pack' or 'build') with the Ed25519 private key\n"
	"KEY, in place or into OUT.  A signature already there is replaced.\n"
	"The signature covers the whole file; see docs/patch-format.md.\n"
	"\n"
	"  -k, --key KEY           the private key (PEM)\n"
	"  -o, --output OUT.kpl    write the signed patch here instead\n"
	"  -h, --help              show this help\n";

/* The directory that will hold the keys: made (0700) when missing. */
static int make_parent(const char *base)
{
	char *dir = strdup(base), *slash;
	int err = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			err = -errno;
	}
	free(dir);
	return err;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *priv = NULL, *pub = NULL, kid[2 * KPL_KEY_ID_SHORT + 1];
	uint8_t id[KPL_KEY_ID_LEN];
	const char *base = NULL;
	int c, err;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			base = optarg;
			break;
		case 'h':
			fputs(keygen_usage, stdout);
			return 0;
		default:
			kb_err("keygen: bad option '%s' (see kpl-build keygen --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (!base || !*base || optind != argc) {
		kb_err("keygen needs -o DIR/NAME (see kpl-build keygen --help)");
		return 2;
	}
	if (asprintf(&priv, "%s.key", base) < 0 ||
	    asprintf(&pub, "%s.pub", base) < 0) {
		kb_err("out of memory");
		free(priv);
		return 1;
	}
	err = make_parent(base);
	if (!err)
		err = kpl_sign__keygen(priv, pub, id);
	if (err == -EEXIST)
		kb_err("keygen: %s or %s already exists: not overwriting a key",
		       priv, pub);
	else if (err)
		kb_err("keygen: cannot write %s and %s: %s", priv, pub,
		       kpl_strerror(err));
	else {
		kpl_key_id_short(id, kid);
		printf("key %s: private %s, public %s\n", kid, priv, pub);
	}
	free(priv);
	free(pub);
	return err ? 1 : 0;
}

/* Copy @src to a new temporary file next to @out; its name in *@tmp. */
static int copy_tmp(const char *src, const char *out, char **tmp)
{
	char buf[65536];
	int in, fd, ret = 1;
	ssize_t n;

	*tmp = NULL;
	if (asprintf(tmp, "%s.XXXXXX", out) < 0) {
		*tmp = NULL;
		kb_err("out of memory");
		return 1;
	}
	fd = mkstemp(*tmp);
	if (fd < 0) {
		kb_err("cannot create %s: %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return 1;
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		kb_err("cannot open %s: %s", src, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			break;
	if (n) {
		kb_err("cannot copy %s to %s: %s", src, *tmp, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (close(fd) < 0 && !ret) {
		kb_err("cannot write %s: %s", *tmp, strerror(errno));
		ret = 1;
	}
	return ret;
}

/* A patch that has a .kpl.sig: re-sign a copy, rename it over @out. */
static int resign(const char *path, const char *out, const char *key)
{
	mode_t mask = umask(0);
	char *tmp;
	int err = 1;

	umask(mask);
	if (copy_tmp(path, out, &tmp))
		goto out;
	if (kb_sign_file(tmp, key))
		goto out;
	if (chmod(tmp, 0666 & ~mask) < 0)
		kb_err("warning: cannot chmod %s: %s", tmp, strerror(errno));
	if (rename(tmp, out) < 0) {
		kb_err("cannot rename %s to %s: %s", tmp, out, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	err = 0;
out:
	if (tmp)
		unlink(tmp);
	free(tmp);
	return err;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key = NULL, *out = NULL, *path;
	struct kpl_patch *p;
	bool has_sig;
	int c, err;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(sign_usage, stdout);
			return 0;
		default:
			kb_err("sign: bad option '%s' (see kpl-build sign --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (!key || optind != argc - 1) {
		kb_err("sign needs --key KEY and one patch (see kpl-build sign --help)");
		return 2;
	}
	path = argv[optind];
	if (!out)
		out = path;
	err = kpl_patch__open(path, &p);
	if (err) {
		kb_err("cannot sign %s: %s", path, kpl_strerror(err));
		return 1;
	}
	has_sig = p->sig_size != 0;
	kpl_patch__free(p);
	/*
	 * A patch with a .kpl.sig is signed in place (on a copy); one
	 * without gets the section from objcopy first, like pack --key.
	 */
	if (has_sig)
		return resign(path, out, key);
	return kb_emit(path, out, NULL, 0, key);
}
