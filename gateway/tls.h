/* tls.h - the gateway's TLS server context (OpenSSL 3).
 *
 *   - TLS 1.3, and TLS 1.2 with ECDHE and AEAD suites only;
 *   - no compression, no renegotiation, no 0-RTT;
 *   - stateless session tickets under keys that rotate (gw_tls_rotate, from
 *     the event loop's timer); the previous key still decrypts for one
 *     period, so tickets live at most two periods;
 *   - optional mTLS: a client certificate is requested, and verified against
 *     tls_client_ca when one is sent; its SHA-256 goes to vaultd, which maps
 *     it to a principal;
 *   - ALPN: http/1.1 only.
 *
 * The certificate and key come from the configuration, or tls_cert.c
 * generates them on first start.
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"

#define GW_FPR_LEN (32 * 3)   /* "AB:CD:...": 95 chars + NUL */

struct gw_tls;

/* Loads cert_path/key_path into a new server context. */
int gw_tls_new(const struct gw_config *cfg, const char *cert_path, const char *key_path,
	struct gw_tls **out, char *why, size_t whysz);
void gw_tls_free(struct gw_tls *t);
SSL_CTX *gw_tls_ctx(struct gw_tls *t);
/* The server certificate's SHA-256 fingerprint, "AB:CD:..." */
const char *gw_tls_fingerprint(const struct gw_tls *t);
/* New ticket key; the current one becomes the previous one. */
int gw_tls_rotate(struct gw_tls *t);
/* 1 and the SHA-256 of the client certificate's DER if the peer sent one
 * and it verified; 0 otherwise. */
int gw_tls_peer_cert(SSL *ssl, uint8_t out[32]);

/* Turns the OpenSSL error queue into one line (and clears it). */
void gw_tls_errstr(char *buf, size_t n);

/* tls_cert.c: the configured cert/key, or DIR/server.{crt,key}, generated
 * (ECDSA P-256, self-signed, SAN = listen addresses + tls_san, both files
 * 0600) when absent. *created tells the caller to print the fingerprint. */
int gw_tls_cert_ensure(const struct gw_config *cfg, char *cert, size_t certsz, char *key,
	size_t keysz, bool *created, char *why, size_t whysz);
/* SHA-256 of a PEM certificate file, "AB:CD:..." */
int gw_tls_file_fingerprint(const char *path, char out[GW_FPR_LEN]);

#endif
