/* test_tls.c - the server TLS context (gateway/tls.c, tls_cert.c), driven
 * in memory through a BIO pair: the generated certificate, the protocol and
 * suite policy, and session tickets across key rotations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "suites.h"
#include "tls.h"
#include "vg_err.h"

static char dir[64];
static struct gw_config cfg;
static struct gw_tls *T;
static char cert[1100], key[1100];

static void setup(void)
{
	char why[512];
	bool created;

	strcpy(dir, "/tmp/gwtls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(gw_config_defaults(&cfg), 0);
	ck_assert_int_eq(gw_config_parse("t", "listen = 127.0.0.1:8443\n", 24, &cfg, why, sizeof(why)), 0);
	free(cfg.tls_dir);
	cfg.tls_dir = strdup(dir);
	ck_assert_int_eq(gw_tls_cert_ensure(&cfg, cert, sizeof(cert), key, sizeof(key), &created,
				 why, sizeof(why)), 0);
	ck_assert(created);
	ck_assert_int_eq(gw_tls_new(&cfg, cert, key, &T, why, sizeof(why)), 0);
}

static void teardown(void)
{
	gw_tls_free(T);
	T = NULL;
	unlink(cert);
	unlink(key);
	rmdir(dir);
	gw_config_free(&cfg);
}

static SSL_CTX *client_ctx(int maxver, const char *ciphers)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(c, cert, NULL), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(c, 0);
	SSL_CTX_set_security_level(c, 0);
	if (maxver)
		SSL_CTX_set_max_proto_version(c, maxver);
	if (ciphers)
		ck_assert_int_eq(SSL_CTX_set_cipher_list(c, ciphers), 1);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);
	return c;
}

/* One handshake over a BIO pair, then a byte each way (so TLS 1.3 tickets
 * reach the client). Returns 1 on success; *sess gets the client session. */
static int connect_once(SSL_CTX *cctx, SSL_SESSION *resume, SSL_SESSION **sess, int *reused)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(gw_tls_ctx(T));
	BIO *bc, *bs;
	int ok = 0;
	char b;

	BIO_new_bio_pair(&bc, 0, &bs, 0);
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set_tlsext_host_name(c, "127.0.0.1");
	SSL_set1_host(c, "127.0.0.1");
	if (resume)
		SSL_set_session(c, resume);
	for (int i = 0; i < 50; i++) {
		int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
		if (rc == 1 && rs == 1) {
			ok = 1;
			break;
		}
		if ((rc <= 0 && SSL_get_error(c, rc) == SSL_ERROR_SSL) ||
		    (rs <= 0 && SSL_get_error(s, rs) == SSL_ERROR_SSL))
			break;
	}
	if (ok) {
		ok = SSL_write(s, "x", 1) == 1 && SSL_read(c, &b, 1) == 1 &&
		     SSL_write(c, "y", 1) == 1 && SSL_read(s, &b, 1) == 1;
		if (reused)
			*reused = SSL_session_reused(c);
		/* A session ends cleanly (close_notify) or is not resumable. */
		(void)SSL_shutdown(c);
		(void)SSL_shutdown(s);
		if (sess)
			*sess = SSL_get1_session(c);
	}
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	return ok;
}

START_TEST(generated_certificate)
{
	struct stat st;
	char why[256], c2[1100], k2[1100], fpr[GW_FPR_LEN];
	bool created;

	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(cert, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(strlen(gw_tls_fingerprint(T)), 95);
	ck_assert_int_eq(gw_tls_file_fingerprint(cert, fpr), 0);
	ck_assert_str_eq(fpr, gw_tls_fingerprint(T));
	/* A second start keeps it. */
	ck_assert_int_eq(gw_tls_cert_ensure(&cfg, c2, sizeof(c2), k2, sizeof(k2), &created, why,
				 sizeof(why)), 0);
	ck_assert(!created);
	/* Half a pair is not silently replaced. */
	unlink(cert);
	ck_assert_int_eq(gw_tls_cert_ensure(&cfg, c2, sizeof(c2), k2, sizeof(k2), &created, why,
				 sizeof(why)), VG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "refusing to replace"));
	ck_assert_int_eq(gw_tls_cert_ensure(&cfg, c2, sizeof(c2), k2, sizeof(k2), &created, why,
				 sizeof(why)), VG_EINVAL);
}
END_TEST

START_TEST(key_too_open)
{
	struct gw_tls *t2 = NULL;
	char why[512];

	chmod(key, 0644);
	ck_assert_int_eq(gw_tls_new(&cfg, cert, key, &t2, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "too open"));
	chmod(key, 0600);
}
END_TEST

START_TEST(policy)
{
	SSL_CTX *c;

	c = client_ctx(0, NULL);
	ck_assert_int_eq(connect_once(c, NULL, NULL, NULL), 1);
	SSL_CTX_free(c);
	c = client_ctx(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256");
	ck_assert_int_eq(connect_once(c, NULL, NULL, NULL), 1);
	SSL_CTX_free(c);
	c = client_ctx(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA");
	ck_assert_int_eq(connect_once(c, NULL, NULL, NULL), 0);   /* CBC */
	SSL_CTX_free(c);
	c = client_ctx(TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0");
	ck_assert_int_eq(connect_once(c, NULL, NULL, NULL), 0);
	SSL_CTX_free(c);
	c = client_ctx(TLS1_VERSION, "DEFAULT:@SECLEVEL=0");
	ck_assert_int_eq(connect_once(c, NULL, NULL, NULL), 0);
	SSL_CTX_free(c);
}
END_TEST

static void tickets(int ver)
{
	SSL_CTX *c = client_ctx(ver, NULL);
	SSL_SESSION *s0 = NULL, *copy[3];
	int reused = -1;

	ck_assert_int_eq(connect_once(c, NULL, &s0, &reused), 1);
	ck_assert_int_eq(reused, 0);
	ck_assert(SSL_SESSION_has_ticket(s0));
	/* Copies: a TLS 1.3 client spends a session when it resumes it. */
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(copy[i] = SSL_SESSION_dup(s0));
	ck_assert_int_eq(connect_once(c, copy[0], NULL, &reused), 1);
	ck_assert_int_eq(reused, 1);                 /* current key */
	ck_assert_int_eq(gw_tls_rotate(T), 0);
	ck_assert_int_eq(connect_once(c, copy[1], NULL, &reused), 1);
	ck_assert_int_eq(reused, 1);                 /* the previous key still opens it */
	ck_assert_int_eq(gw_tls_rotate(T), 0);
	ck_assert_int_eq(connect_once(c, copy[2], NULL, &reused), 1);
	ck_assert_int_eq(reused, 0);                 /* its key is gone: full handshake */
	SSL_SESSION_free(s0);
	for (int i = 0; i < 3; i++)
		SSL_SESSION_free(copy[i]);
	SSL_CTX_free(c);
}

START_TEST(tickets_tls13)
{
	tickets(TLS1_3_VERSION);
}
END_TEST

START_TEST(tickets_tls12)
{
	tickets(TLS1_2_VERSION);
}
END_TEST

Suite *gw_tls_suite(void)
{
	Suite *s = suite_create("gw_tls");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, generated_certificate);
	tcase_add_test(t, key_too_open);
	tcase_add_test(t, policy);
	tcase_add_test(t, tickets_tls13);
	tcase_add_test(t, tickets_tls12);
	tcase_set_timeout(t, 20);
	suite_add_tcase(s, t);
	return s;
}
