/* crypto.h - the vault's cryptographic primitives, all OpenSSL 3 EVP.
 *
 *   object key  = HKDF-SHA-256(ikm = DEK, salt = blob id, info = "vaultgate/object/v1")
 *   segment     = AES-256-GCM(object key, nonce = 0^4 || u64be(index), aad)
 *   audit chain = HMAC-SHA-256(audit key, prev || entry)
 *
 * Secrets live in vg_secmem: pages locked in RAM, excluded from core dumps,
 * and wiped with OPENSSL_cleanse before they are released.
 */
#ifndef VAULT_CRYPTO_H
#define VAULT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define VC_KEY_LEN 32
#define VC_TAG_LEN 16
#define VC_NONCE_LEN 12
#define VC_HASH_LEN 32
#define VC_BLOBID_LEN 16

int vc_random(void *p, size_t n);
int vc_sha256(const void *p, size_t n, uint8_t out[VC_HASH_LEN]);
int vc_hmac_sha256(const uint8_t key[VC_KEY_LEN], const void *a, size_t an,
	const void *b, size_t bn, uint8_t out[VC_HASH_LEN]);
int vc_hkdf(const uint8_t ikm[VC_KEY_LEN], const void *salt, size_t saltlen,
	const char *info, uint8_t out[VC_KEY_LEN]);

/* A reusable AES-256-GCM context bound to one key. */
struct vc_aead;
int vc_aead_new(const uint8_t key[VC_KEY_LEN], struct vc_aead **out);
void vc_aead_free(struct vc_aead *a);
/* out receives n ciphertext bytes then the 16-byte tag. */
int vc_aead_seal(struct vc_aead *a, const uint8_t nonce[VC_NONCE_LEN],
	const void *aad, size_t aadlen, const void *in, size_t n, uint8_t *out);
/* in is n ciphertext bytes followed by the tag; VG_EINTEGRITY on a bad tag
 * (and out is wiped). */
int vc_aead_open(struct vc_aead *a, const uint8_t nonce[VC_NONCE_LEN],
	const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out);

/* Secret memory: mlock'd, MADV_DONTDUMP, wiped on free. */
void *vc_secmem_alloc(size_t n);
void vc_secmem_free(void *p, size_t n);

#endif
