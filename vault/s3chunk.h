/* s3chunk.h - STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies (aws-chunked), decoded
 * and verified by vaultd as they stream in: every chunk is
 *   HEX-SIZE ";chunk-signature=" SIG \r\n DATA \r\n
 * ending with a chunk of size 0, and SIG is the HMAC, under the request's
 * signing key, of
 *   "AWS4-HMAC-SHA256-PAYLOAD" \n X-AMZ-DATE \n SCOPE \n PREVIOUS-SIG \n
 *   SHA256("") \n SHA256(DATA)
 * where the first PREVIOUS-SIG is the request's own signature. A chunk
 * whose signature does not verify stops the upload (VG_EAUTH) before the
 * version commits; so does a body that ends early or runs on. The gateway
 * only passes the encoded bytes through: the secret stays in vaultd. */
#ifndef VAULT_S3CHUNK_H
#define VAULT_S3CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct vs3_chunked {
	uint8_t key[32];
	char prev[65];
	char scope[160];
	char amzdate[17];
	int st;                 /* 0 size line, 1 data, 2 CRLF after data, 3 done */
	char line[256];
	size_t linelen;
	uint64_t left;
	char sig[65];
	bool last;
	EVP_MD_CTX *sha;
	char why[160];
};

/* From the request's S3 fields (the secret looked up again in vaultd). */
int vs3_chunked_init(struct vs3_chunked *c, struct vcore *core, const struct vg_msg *m);
/* Feeds n encoded bytes; decoded data goes to out(arg, p, n). 0 or an error
 * (VG_EAUTH: a chunk signature; VG_EINVAL: framing) with c->why set. */
int vs3_chunked_feed(struct vs3_chunked *c, const uint8_t *p, size_t n,
	int (*out)(void *arg, const uint8_t *p, size_t n), void *arg);
/* 0 when the body ended with its final chunk. */
int vs3_chunked_finish(struct vs3_chunked *c);
void vs3_chunked_free(struct vs3_chunked *c);

#endif
