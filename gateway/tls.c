/* tls.c - see tls.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "buf.h"
#include "tls.h"
#include "vg_err.h"

#define TLS12_CIPHERS                                                                 \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                  \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                  \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
#define GROUPS "X25519:P-256:P-384"

struct ticket_key {
	uint8_t name[16];
	uint8_t aes[32];
	uint8_t hmac[32];
	bool valid;
};

/* Kept on its own page: out of core dumps, locked in memory when allowed. */
struct ticket_keys {
	struct ticket_key cur, prev;
};

struct gw_tls {
	SSL_CTX *ctx;
	pthread_mutex_t lock;
	struct ticket_keys *keys;
	size_t keys_sz;
	char fpr[GW_FPR_LEN];
};

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void gw_tls_errstr(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (!e) {
		snprintf(buf, n, "unknown TLS library error");
		return;
	}
	ERR_error_string_n(e, buf, n);
	ERR_clear_error();
}

static int fail(char *why, size_t whysz, const char *what)
{
	char e[256];

	gw_tls_errstr(e, sizeof(e));
	snprintf(why, whysz, "%s: %s", what, e);
	return VG_EINVAL;
}

static int new_ticket_key(struct ticket_key *k)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 || RAND_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return VG_EINTERNAL;
	k->valid = true;
	return 0;
}

static int set_hmac(EVP_MAC_CTX *hctx, const struct ticket_key *k)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
		sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/* OpenSSL's ticket key callback: enc=1 seals a new ticket under the current
 * key; enc=0 finds the key by name: 1 = current, 2 = previous (re-issue),
 * 0 = unknown (full handshake). */
static int ticket_cb(SSL *s, unsigned char key_name[16], unsigned char *iv,
	EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct gw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), ex_index);
	const struct ticket_key *k = NULL;
	int ret = -1;

	if (!t)
		return -1;
	pthread_mutex_lock(&t->lock);
	if (enc) {
		k = &t->keys->cur;
		if (!k->valid || RAND_bytes(iv, 16) != 1)
			goto out;
		memcpy(key_name, k->name, sizeof(k->name));
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 ||
		    set_hmac(hctx, k))
			goto out;
		ret = 1;
		goto out;
	}
	if (t->keys->cur.valid && memcmp(key_name, t->keys->cur.name, 16) == 0) {
		k = &t->keys->cur;
		ret = 1;
	} else if (t->keys->prev.valid && memcmp(key_name, t->keys->prev.name, 16) == 0) {
		k = &t->keys->prev;
		ret = 2;
	} else {
		ret = 0;
		goto out;
	}
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 || set_hmac(hctx, k))
		ret = -1;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int gw_tls_rotate(struct gw_tls *t)
{
	struct ticket_key k;
	int r;

	if ((r = new_ticket_key(&k)))
		return r;
	pthread_mutex_lock(&t->lock);
	OPENSSL_cleanse(&t->keys->prev, sizeof(t->keys->prev));
	t->keys->prev = t->keys->cur;
	t->keys->cur = k;
	pthread_mutex_unlock(&t->lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	struct vg_rd rd;

	(void)s;
	(void)arg;
	vg_rd_init(&rd, in, inlen);
	while (vg_rd_left(&rd) > 0) {
		const uint8_t *p;
		uint8_t n;
		if (vg_rd_u8(&rd, &n) || vg_rd_bytes(&rd, n, &p))
			break;
		if (n == 8 && memcmp(p, "http/1.1", 8) == 0) {
			*out = p;
			*outlen = n;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static void fingerprint_hex(const uint8_t *md, unsigned n, char out[GW_FPR_LEN])
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (unsigned i = 0; i < n && o + 3 <= GW_FPR_LEN; i++) {
		out[o++] = hx[md[i] >> 4];
		out[o++] = hx[md[i] & 15];
		out[o++] = i + 1 < n ? ':' : 0;
	}
}

int gw_tls_file_fingerprint(const char *path, char out[GW_FPR_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	X509 *x = NULL;
	FILE *f = fopen(path, "re");
	int r = VG_EINVAL;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32) {
		fingerprint_hex(md, n, out);
		r = 0;
	}
	X509_free(x);
	ERR_clear_error();
	return r;
}

/* Key and certificate files: owned by root or us, never writable by others;
 * a private key is not readable by others either. */
static int check_file(const char *path, bool is_key, char *why, size_t whysz)
{
	struct stat st;
	mode_t bad = S_IWGRP | S_IWOTH | (is_key ? S_IROTH : 0);

	if (stat(path, &st) < 0) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "%s: not a regular file", path);
		return VG_EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whysz, "%s: owned by uid %u, not root", path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & bad) {
		snprintf(why, whysz, "%s: mode %04o is too open", path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int gw_tls_new(const struct gw_config *cfg, const char *cert_path, const char *key_path,
	struct gw_tls **out, char *why, size_t whysz)
{
	struct gw_tls *t;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	X509 *leaf;
	long pg = sysconf(_SC_PAGESIZE);
	int r;

	*out = NULL;
	pthread_once(&ex_once, ex_init);
	if ((r = check_file(cert_path, false, why, whysz)) ||
	    (r = check_file(key_path, true, why, whysz)) ||
	    (cfg->tls_client_ca && (r = check_file(cfg->tls_client_ca, false, why, whysz))))
		return r;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->keys_sz = (size_t)(pg > 0 ? pg : 4096);
	t->keys = mmap(NULL, t->keys_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->keys == MAP_FAILED) {
		t->keys = NULL;
		r = -ENOMEM;
		goto fail;
	}
	(void)madvise(t->keys, t->keys_sz, MADV_DONTDUMP);
	(void)mlock(t->keys, t->keys_sz);
	if ((r = new_ticket_key(&t->keys->cur))) {
		snprintf(why, whysz, "no randomness for ticket keys");
		goto fail;
	}
	if (!(t->ctx = SSL_CTX_new(TLS_server_method()))) {
		r = fail(why, whysz, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_ex_data(t->ctx, ex_index, t);
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
		SSL_OP_CIPHER_SERVER_PREFERENCE |
		SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_clear_options(t->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_cipher_list(t->ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(t->ctx, TLS13_SUITES) != 1 ||
	    SSL_CTX_set1_groups_list(t->ctx, GROUPS) != 1) {
		r = fail(why, whysz, "cipher configuration");
		goto fail;
	}
	/* Read ahead into a buffer of several records: one read(2) brings up
	 * to 64 KiB instead of a header and a record at a time. Released
	 * with the other buffers whenever the connection goes quiet. */
	SSL_CTX_set_read_ahead(t->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(t->ctx, 64 * 1024);
	SSL_CTX_set_max_early_data(t->ctx, 0);
	SSL_CTX_set_num_tickets(t->ctx, 1);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(t->ctx, (long)(2 * cfg->tls_ticket_rotate));
	SSL_CTX_set_session_id_context(t->ctx, (const unsigned char *)"vaultgw", 7);
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(t->ctx, ticket_cb) != 1) {
		r = fail(why, whysz, "ticket key callback");
		goto fail;
	}
	SSL_CTX_set_alpn_select_cb(t->ctx, alpn_cb, NULL);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_path) != 1) {
		r = fail(why, whysz, cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		r = fail(why, whysz, key_path);
		goto fail;
	}
	if (cfg->tls_client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls_client_ca);
		if (!names || SSL_CTX_load_verify_locations(t->ctx, cfg->tls_client_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			r = fail(why, whysz, cfg->tls_client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(t->ctx, names);
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify_depth(t->ctx, 4);
	}
	leaf = SSL_CTX_get0_certificate(t->ctx);
	if (!leaf || X509_digest(leaf, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		r = fail(why, whysz, "certificate fingerprint");
		goto fail;
	}
	fingerprint_hex(md, mdlen, t->fpr);
	*out = t;
	return 0;
fail:
	gw_tls_free(t);
	return r;
}

void gw_tls_free(struct gw_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	if (t->keys) {
		OPENSSL_cleanse(t->keys, sizeof(*t->keys));
		munmap(t->keys, t->keys_sz);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

SSL_CTX *gw_tls_ctx(struct gw_tls *t)
{
	return t->ctx;
}

const char *gw_tls_fingerprint(const struct gw_tls *t)
{
	return t->fpr;
}

int gw_tls_peer_cert(SSL *ssl, uint8_t out[32])
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	unsigned n = 0;

	if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
		return 0;
	if (X509_digest(x, EVP_sha256(), out, &n) != 1 || n != 32) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}
