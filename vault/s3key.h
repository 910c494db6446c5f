/* s3key.h - S3 access keys (issue 16). SigV4 needs the secret on the
 * verifying side, so unlike tokens it cannot be kept as a hash: vaultd keeps
 * it wrapped by the platform key (the KEK of keys_local.c, AES-256-GCM, aad
 * "vaultgate/s3key/v1:" || access key id) and checks signatures itself
 * (s3auth.h); the gateway never sees a secret.
 *
 * Record: meta "s3key/<ACCESS KEY ID>" ->
 *   u8 version (1) | str16 principal | u64 created | u16 n | wrapped[n]
 * The access key id is "VGAK" + 16 of [A-Z2-7]; the secret is 40 base64
 * characters made from 30 of the 32 random bytes that are wrapped.
 *
 * Creating, listing and deleting keys: local root or an Owner of some vault
 * (who may add principals and rotate tokens). Each is audited; a secret is
 * shown once, at creation, and never logged.
 */
#ifndef VAULT_S3KEY_H
#define VAULT_S3KEY_H

#include "core.h"

#define VS3_AKID_LEN 20
#define VS3_SECRET_LEN 40

int vs3key_create(struct vcore *c, const struct vcaller *who, const char *principal,
	char akid[VS3_AKID_LEN + 1], char secret[VS3_SECRET_LEN + 1]);
int vs3key_delete(struct vcore *c, const struct vcaller *who, const char *akid);
/* Keys of principal (NULL: all), in id order. */
int vs3key_list(struct vcore *c, const char *principal,
	int (*cb)(void *arg, const char *akid, const char *principal, uint64_t created), void *arg);
/* The principal and secret of akid (VG_ENOTFOUND if none). The caller
 * wipes secret. */
int vs3key_secret(struct vcore *c, const char *akid, char *principal, size_t plen,
	char secret[VS3_SECRET_LEN + 1]);

#endif
