/* keys_pkcs11_none.c - the PKCS#11 provider in a build without p11-kit's
 * pkcs11.h (meson picks this file instead of keys_pkcs11.c): configuring a
 * token fails with a clear reason, and no CMK can be used. */
#include <stdio.h>

#include "keys.h"
#include "vg_err.h"

int vk_p11_open(const struct vk_p11_config *cfg, struct vk_p11 **out, char *why, size_t whysz)
{
	(void)cfg;
	*out = NULL;
	snprintf(why, whysz, "this vaultd was built without PKCS#11 support (p11-kit-1 headers)");
	return VG_EKEY;
}

void vk_p11_close(struct vk_p11 *t)
{
	(void)t;
}

const char *vk_p11_token(const struct vk_p11 *t)
{
	(void)t;
	return "";
}

int vk_p11_key(struct vk_p11 *t, const char *label, struct vk_provider **out)
{
	(void)t;
	(void)label;
	*out = NULL;
	return VG_EKEY;
}

void vk_p11_last_error(struct vk_p11 *t, char *buf, size_t n)
{
	(void)t;
	snprintf(buf, n, "built without PKCS#11 support");
}
