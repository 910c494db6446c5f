/* keys.h - key providers: whatever holds the KEK that wraps a vault's DEK.
 *
 * Every provider implements the same operations; a vault record names its
 * provider and holds only the wrapped DEK. The DEK never reaches disk in
 * the clear, and the KEK never leaves its provider.
 *
 *   local   keys_local.c   the platform key file (32 random bytes, 0600)
 *   pkcs11  keys_pkcs11.c  a customer-managed key (CMK) in a PKCS#11 token,
 *                          selected by label; the KEK never leaves the token
 *                          (keys_pkcs11_none.c in builds without p11-kit's
 *                          pkcs11.h: every call says "not built in")
 *
 * Wrapped DEK blobs are self-describing per provider; the aad binds them to
 * one vault so a wrapped DEK cannot be moved to another vault.
 *
 * A provider answers VG_EKEY when its key cannot be used right now (token
 * absent, PIN refused, key deleted or disabled, wrapped DEK does not open
 * under it); vk_p11_last_error() says why, for the operator. The PKCS#11
 * provider's wrap also answers VG_EPOLICY for a key that could leave its
 * token (not sensitive, or extractable): a KEK must not.
 */
#ifndef VAULT_KEYS_H
#define VAULT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define VK_DEK_LEN 32
#define VK_WRAPPED_MAX 128

struct vk_provider;

struct vk_ops {
	const char *name;
	int (*wrap)(struct vk_provider *p, const uint8_t dek[VK_DEK_LEN],
		const void *aad, size_t aadlen, uint8_t *out, size_t *outlen);
	int (*unwrap)(struct vk_provider *p, const uint8_t *in, size_t inlen,
		const void *aad, size_t aadlen, uint8_t dek[VK_DEK_LEN]);
	void (*free)(struct vk_provider *p);
};

struct vk_provider {
	const struct vk_ops *ops;
	char ref[128];   /* what a vault record stores, e.g. "local" */
};

/* The local provider: the platform key at path, created on first use. */
int vk_local_open(const char *path, struct vk_provider **out, char *why, size_t whysz);

/* ---- PKCS#11 (keys_pkcs11.c, configuration in p11conf.c) ----------------
 *
 * The key-provider configuration file (vaultd --pkcs11-config FILE):
 *
 *   # comment
 *   module   = /usr/lib/softhsm/libsofthsm2.so   the PKCS#11 module (absolute)
 *   token    = vaultgate                         the token label (1..32 chars)
 *   pin_file = /etc/vaultgate/pkcs11.pin         the user PIN, one line
 *
 * Every key is required once; unknown keys and duplicates are refused with
 * FILE:LINE. The configuration file and the module must be owned by root
 * or the running user and not group/world writable; the PIN file must also
 * not be group/world readable (check_file_secrecy). The PIN is read at each
 * login and wiped at once; it is never logged.
 *
 * A vault's key reference is "pkcs11:token=TOKEN;object=LABEL". The DEK is
 * wrapped inside the token with CKM_AES_GCM (C_Encrypt/C_Decrypt under the
 * AES key LABEL; see vault/README.md for why not CKM_AES_KEY_WRAP_KWP):
 *
 *   wrapped = 0x01 || iv(12) || AES-256-GCM(KEK, iv, aad = "vaultgate/dek/pkcs11/v1" || aad)(DEK) || tag(16)
 */
#define VK_P11_TOKEN_MAX 32
#define VK_P11_LABEL_MAX 64
#define VK_P11_PREFIX "pkcs11:"

struct vk_p11_config {
	char module[1024];
	char token[VK_P11_TOKEN_MAX + 1];
	char pin_file[1024];
};

/* p11conf.c: strict parse of the file above. VG_EINVAL or VG_EKEYFILE, with
 * "FILE:LINE: ..." in why. */
int vk_p11_config_load(const char *path, struct vk_p11_config *cfg, char *why, size_t whysz);
int vk_p11_config_parse(const char *name, const char *text, size_t len,
	struct vk_p11_config *cfg, char *why, size_t whysz);
/* relayd's check_file_secrecy: fd is path opened; refused (VG_EKEYFILE) if
 * not a regular file, owned by someone other than root or the running
 * user, group/world writable, or (secret) group/world readable. */
int vk_file_secrecy(const char *path, int fd, int secret, char *why, size_t whysz);
/* Key labels: 1..64 of [A-Za-z0-9._-]. */
int vk_p11_label_check(const char *label);

struct vk_p11;
/* Loads the module (dlopen) and initializes it. The token need not be
 * present: sessions are opened (and re-opened) on use. */
int vk_p11_open(const struct vk_p11_config *cfg, struct vk_p11 **out, char *why, size_t whysz);
void vk_p11_close(struct vk_p11 *t);
const char *vk_p11_token(const struct vk_p11 *t);
/* A provider for the AES key labelled label; it borrows t (free it first).
 * Its ref is "pkcs11:token=T;object=LABEL". */
int vk_p11_key(struct vk_p11 *t, const char *label, struct vk_provider **out);
/* Splits a "pkcs11:token=T;object=L" ref. VG_EINVAL if it is not one. */
int vk_p11_ref_parse(const char *ref, char token[VK_P11_TOKEN_MAX + 1],
	char label[VK_P11_LABEL_MAX + 1]);
/* Why the last failed call on t failed (never a PIN or key bytes). */
void vk_p11_last_error(struct vk_p11 *t, char *buf, size_t n);

static inline void vk_free(struct vk_provider *p)
{
	if (p)
		p->ops->free(p);
}

#endif
