/* keys_local.c - the platform-key provider.
 *
 * wrapped = nonce(12) || AES-256-GCM(KEK, nonce, aad = "vaultgate/dek/v1" || aad)(DEK) || tag(16)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "keyfile.h"
#include "keys.h"
#include "vg_err.h"

struct vk_local {
	struct vk_provider base;
	uint8_t *kek;  /* secmem */
};

#define LOCAL_WRAPPED_LEN (VC_NONCE_LEN + VK_DEK_LEN + VC_TAG_LEN)
static const char local_label[] = "vaultgate/dek/v1";

static int local_aad(const void *aad, size_t aadlen, uint8_t *out, size_t outsz)
{
	if (sizeof(local_label) + aadlen > outsz)
		return VG_EINVAL;
	memcpy(out, local_label, sizeof(local_label));
	if (aadlen)  /* aad may be NULL when empty */
		memcpy(out + sizeof(local_label), aad, aadlen);
	return (int)(sizeof(local_label) + aadlen);
}

static int local_wrap(struct vk_provider *p, const uint8_t dek[VK_DEK_LEN],
	const void *aad, size_t aadlen, uint8_t *out, size_t *outlen)
{
	struct vk_local *l = (struct vk_local *)p;
	struct vc_aead *a;
	uint8_t fullaad[256];
	int n, r;

	if ((n = local_aad(aad, aadlen, fullaad, sizeof(fullaad))) < 0)
		return n;
	if (*outlen < LOCAL_WRAPPED_LEN)
		return VG_EINVAL;
	if ((r = vc_random(out, VC_NONCE_LEN)) || (r = vc_aead_new(l->kek, &a)))
		return r;
	r = vc_aead_seal(a, out, fullaad, (size_t)n, dek, VK_DEK_LEN, out + VC_NONCE_LEN);
	vc_aead_free(a);
	if (!r)
		*outlen = LOCAL_WRAPPED_LEN;
	return r;
}

static int local_unwrap(struct vk_provider *p, const uint8_t *in, size_t inlen,
	const void *aad, size_t aadlen, uint8_t dek[VK_DEK_LEN])
{
	struct vk_local *l = (struct vk_local *)p;
	struct vc_aead *a;
	uint8_t fullaad[256];
	int n, r;

	if (inlen != LOCAL_WRAPPED_LEN)
		return VG_EINTEGRITY;
	if ((n = local_aad(aad, aadlen, fullaad, sizeof(fullaad))) < 0)
		return n;
	if ((r = vc_aead_new(l->kek, &a)))
		return r;
	r = vc_aead_open(a, in, fullaad, (size_t)n, in + VC_NONCE_LEN, VK_DEK_LEN, dek);
	vc_aead_free(a);
	return r;
}

static void local_free(struct vk_provider *p)
{
	struct vk_local *l = (struct vk_local *)p;

	vc_secmem_free(l->kek, VK_DEK_LEN);
	free(l);
}

static const struct vk_ops local_ops = {
	.name = "local",
	.wrap = local_wrap,
	.unwrap = local_unwrap,
	.free = local_free,
};

int vk_local_open(const char *path, struct vk_provider **out, char *why, size_t whysz)
{
	struct vk_local *l = calloc(1, sizeof(*l));
	int r;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->kek = vc_secmem_alloc(VK_DEK_LEN);
	if (!l->kek) {
		free(l);
		return -ENOMEM;
	}
	if ((r = vk_keyfile_load(path, true, l->kek, why, whysz))) {
		local_free(&l->base);
		return r;
	}
	l->base.ops = &local_ops;
	strcpy(l->base.ref, "local");
	*out = &l->base;
	return 0;
}
