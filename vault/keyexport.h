/* keyexport.h - the keys-off-the-box file (vaultctl keys export, vaultd
 * --import-keys): the platform, audit and (if made) infrastructure keys,
 * sealed under a passphrase. Encoder and decoder live in keyexport.c.
 *
 * A text file, so it can be printed and typed back:
 *
 *   vaultgate-keys 1\n                       format version
 *   kdf scrypt LOG2N R P\n                   LOG2N 14..20, R 1..16, P 1..4
 *   salt HEX32\n                             16 random bytes
 *   nonce HEX24\n                            12 random bytes
 *   sealed HEX\n                             AES-256-GCM(ciphertext || tag)
 *
 * key = scrypt(passphrase, salt, 2^LOG2N, R, P) (OpenSSL 3 EVP_PBE_scrypt),
 * aad = the four header lines exactly as stored, so no parameter can be
 * changed without the tag failing. The sealed plaintext is
 *
 *   platform HEX64\n audit HEX64\n [infra HEX64\n] created UNIX\n
 *
 * Written with LOG2N 17, R 8, P 1 (128 MiB, ~0.3 s). Anything else, a
 * missing or extra line, a wrong passphrase or one flipped bit is refused:
 * VG_EINVAL (format, with why) or VG_EINTEGRITY (passphrase or tampering:
 * the two cannot be told apart, by design). */
#ifndef VAULT_KEYEXPORT_H
#define VAULT_KEYEXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VKX_KEY_LEN 32
#define VKX_PASS_MIN 12
#define VKX_FILE_MAX 2048

struct vkx_keys {
	uint8_t platform[VKX_KEY_LEN];
	uint8_t audit[VKX_KEY_LEN];
	uint8_t infra[VKX_KEY_LEN];
	bool has_infra;
	uint64_t created;
};

/* Seals k under pass into out (text, as above). log2n 0 means the default. */
int vkx_seal(const struct vkx_keys *k, const char *pass, size_t passlen, unsigned log2n,
	struct vg_wr *out);

/* Opens a file's bytes; on any failure k is wiped. */
int vkx_open(const uint8_t *in, size_t n, const char *pass, size_t passlen, struct vkx_keys *k,
	char *why, size_t whysz);

void vkx_wipe(struct vkx_keys *k);

#endif
