/* keys.h - key providers: whatever holds the KEK that wraps a vault's DEK.
 *
 * Every provider implements the same operations; a vault record names its
 * provider and holds only the wrapped DEK. The DEK never reaches disk in
 * the clear, and the KEK never leaves its provider.
 *
 *   local   keys_local.c   the platform key file (32 random bytes, 0600)
 *
 * Wrapped DEK blobs are self-describing per provider; the aad binds them to
 * one vault so a wrapped DEK cannot be moved to another vault.
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

static inline void vk_free(struct vk_provider *p)
{
	if (p)
		p->ops->free(p);
}

#endif
