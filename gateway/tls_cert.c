/* tls_cert.c - the server certificate: configured, or generated on first
 * start (ECDSA P-256, self-signed, SAN = the listen addresses + tls_san). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "vg_err.h"

#define CERT_DAYS 3650

static int is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

static int is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* "IP:a,DNS:b,..." from the listen addresses and tls_san. */
static int build_san(const struct gw_config *cfg, char *out, size_t n)
{
	size_t o = 0;
	int w;

#define ADD(kind, v)                                                                   \
	do {                                                                           \
		w = snprintf(out + o, n - o, "%s%s:%s", o ? "," : "", kind, v);        \
		if (w < 0 || (size_t)w >= n - o)                                       \
			return VG_ETOOBIG;                                             \
		o += (size_t)w;                                                        \
	} while (0)

	out[0] = 0;
	for (int i = 0; i < cfg->nlisten; i++)
		if (!is_wildcard(cfg->listen[i].host))
			ADD("IP", cfg->listen[i].host);
	if (cfg->tls_san) {
		char *copy = strdup(cfg->tls_san), *save = NULL, *tok;
		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			for (const char *c = tok; *c; c++)
				if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') ||
					    (*c >= '0' && *c <= '9') || strchr(".-:*", *c))) {
					free(copy);
					return VG_EINVAL;
				}
			if (is_ip(tok))
				ADD("IP", tok);
			else
				ADD("DNS", tok);
		}
		free(copy);
	}
	if (o == 0) {
		char host[256];
		if (gethostname(host, sizeof(host)) == 0 && host[0])
			ADD("DNS", host);
		ADD("DNS", "localhost");
	}
#undef ADD
	return 0;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static int write_pem(const char *path, int (*fn)(BIO *, void *), void *obj)
{
	char tmp[2100];
	BIO *bio = NULL;
	FILE *f = NULL;
	int fd, r = VG_EINTERNAL;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return VG_ETOOBIG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		goto out;
	}
	if (!(bio = BIO_new_fp(f, BIO_NOCLOSE)) || fn(bio, obj) != 1 || BIO_flush(bio) != 1)
		goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		r = -errno;
		goto out;
	}
	if (rename(tmp, path) != 0) {
		r = -errno;
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	if (f)
		fclose(f);
	if (r)
		(void)unlink(tmp);
	return r;
}

static int pem_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static int generate(const struct gw_config *cfg, const char *cert, const char *key, char *why,
	size_t whysz)
{
	char san[2048], cn[96], e[256];
	unsigned char serial[16];
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	int r;

	if ((r = build_san(cfg, san, sizeof(san)))) {
		snprintf(why, whysz, "tls_san '%s': not a list of host names and addresses",
			cfg->tls_san ? cfg->tls_san : "");
		return r;
	}
	r = VG_EINTERNAL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto ossl;
	serial[0] &= 0x7f;
	snprintf(cn, sizeof(cn), "vaultgate gateway %s", cfg->listen[0].host);
	if (!(pk = EVP_EC_gen("P-256")) || !(x = X509_new()) || X509_set_version(x, 2) != 1 ||
	    !(bn = BN_bin2bn(serial, sizeof(serial), NULL)) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) ||
	    X509_set_pubkey(x, pk) != 1 || !(name = X509_get_subject_name(x)) ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"vaultgate",
		    -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
		    0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto ossl;
	/* Self-signed and pinned by agents (--cacert): it is its own anchor. */
	if (add_ext(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, NID_subject_key_identifier, "hash") ||
	    add_ext(x, NID_authority_key_identifier, "keyid:always") ||
	    add_ext(x, NID_subject_alt_name, san) || X509_sign(x, pk, EVP_sha256()) <= 0)
		goto ossl;
	if ((r = write_pem(key, pem_key, pk))) {
		snprintf(why, whysz, "%s: %s", key, vg_strerror(r));
		goto out;
	}
	if ((r = write_pem(cert, pem_cert, x))) {
		snprintf(why, whysz, "%s: %s", cert, vg_strerror(r));
		(void)unlink(key);
		goto out;
	}
	r = 0;
	goto out;
ossl:
	gw_tls_errstr(e, sizeof(e));
	snprintf(why, whysz, "generating the server certificate: %s", e);
out:
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

static int mkdir_p(const char *dir)
{
	char p[1024];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		p[i] = i < n ? '/' : 0;
	}
	return 0;
}

int gw_tls_cert_ensure(const struct gw_config *cfg, char *cert, size_t certsz, char *key,
	size_t keysz, bool *created, char *why, size_t whysz)
{
	struct stat st;
	bool hc, hk;
	int r;

	*created = false;
	if (cfg->tls_cert) {
		if ((size_t)snprintf(cert, certsz, "%s", cfg->tls_cert) >= certsz ||
		    (size_t)snprintf(key, keysz, "%s", cfg->tls_key) >= keysz)
			return VG_ETOOBIG;
		return 0;
	}
	if ((size_t)snprintf(cert, certsz, "%s/server.crt", cfg->tls_dir) >= certsz ||
	    (size_t)snprintf(key, keysz, "%s/server.key", cfg->tls_dir) >= keysz) {
		snprintf(why, whysz, "tls_dir %s: path too long", cfg->tls_dir);
		return VG_ETOOBIG;
	}
	if ((r = mkdir_p(cfg->tls_dir))) {
		snprintf(why, whysz, "tls_dir %s: %s", cfg->tls_dir, vg_strerror(r));
		return r;
	}
	if (stat(cfg->tls_dir, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whysz, "tls_dir %s: writable by group or others", cfg->tls_dir);
		return -EPERM;
	}
	hc = stat(cert, &st) == 0;
	hk = stat(key, &st) == 0;
	if (hc && hk)
		return 0;
	if (hc != hk) {
		snprintf(why, whysz, "%s holds only one of server.crt and server.key; "
				     "refusing to replace it", cfg->tls_dir);
		return VG_EINVAL;
	}
	if ((r = generate(cfg, cert, key, why, whysz)))
		return r;
	*created = true;
	return 0;
}
