/* keyring.c - the keys of each vault (see core.h): which provider holds
 * its KEK, the DEK cache, seals (key unavailable) and key moves.
 *
 * A seal is persisted in the meta database as
 *   "cmkout/" + 16 hex (vault id)  ->  u64 since || vault name
 * so that one outage raises one cmk-unavailable alert, even across a
 * restart of vaultd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "mua.h"
#include "vg_err.h"

#define SEAL_PREFIX "cmkout/"
#define INSTANCE_KEY "instance_id"
#define WHY(...) snprintf(why, whysz, __VA_ARGS__)

static const struct vcaller keyring_caller = {.principal = "system", .peer = "local"};

bool vcore_keyref_is_cmk(const char *keyref)
{
	return strncmp(keyref, VK_P11_PREFIX, sizeof(VK_P11_PREFIX) - 1) == 0;
}

static void vault_aad(uint64_t vault_id, uint8_t aad[14])
{
	memcpy(aad, "vault:", 6);
	vg_put_u64(aad + 6, vault_id);
}

static void infra_aad(uint64_t vault_id, uint8_t aad[14])
{
	memcpy(aad, "infra:", 6);
	vg_put_u64(aad + 6, vault_id);
}

static size_t seal_key(char *out, uint64_t vault_id)
{
	uint8_t b[8];

	vg_put_u64(b, vault_id);
	memcpy(out, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1);
	vg_hex(out + sizeof(SEAL_PREFIX) - 1, b, 8);
	return sizeof(SEAL_PREFIX) - 1 + 16;
}

/* ---- providers ----------------------------------------------------------------- */

/* The provider holding keyref. VG_EKEY with why if there is none. */
static int provider_for(struct vcore *c, const char *ref, struct vk_provider **out, char *why,
	size_t whysz)
{
	char token[VK_P11_TOKEN_MAX + 1], label[VK_P11_LABEL_MAX + 1];
	int r, slot = -1;

	*out = NULL;
	if (strcmp(ref, c->local->ref) == 0) {
		*out = c->local;
		return 0;
	}
	if (vk_p11_ref_parse(ref, token, label)) {
		WHY("unknown key reference \"%s\"", ref);
		return VG_EKEY;
	}
	if (!c->p11) {
		WHY("customer-managed key %s: no PKCS#11 token is configured (vaultd --pkcs11-config)",
			ref);
		return VG_EKEY;
	}
	if (strcmp(token, vk_p11_token(c->p11)) != 0) {
		WHY("customer-managed key %s is in token \"%s\", but vaultd is configured for token \"%s\"",
			ref, token, vk_p11_token(c->p11));
		return VG_EKEY;
	}
	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_CMK_SLOTS; i++) {
		if (c->cmk[i] && strcmp(c->cmk[i]->ref, ref) == 0) {
			*out = c->cmk[i];
			pthread_mutex_unlock(&c->dek_lock);
			return 0;
		}
		if (!c->cmk[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		pthread_mutex_unlock(&c->dek_lock);
		WHY("more than %d customer-managed keys are in use", VCORE_CMK_SLOTS);
		return VG_EKEY;
	}
	r = vk_p11_key(c->p11, label, &c->cmk[slot]);
	*out = c->cmk[slot];
	pthread_mutex_unlock(&c->dek_lock);
	if (r)
		WHY("customer-managed key %s: %s", ref, vg_strerror(r));
	return r ? VG_EKEY : 0;
}

/* The infrastructure key, opened (and created if create is set) on first need. */
static int infra_provider(struct vcore *c, bool create, struct vk_provider **out, char *why,
	size_t whysz)
{
	char path[2300];
	int r = 0;

	struct stat st;

	pthread_mutex_lock(&c->dek_lock);
	if (!c->infra) {
		snprintf(path, sizeof(path), "%s/keys/infra.key", c->dir);
		if (!create && stat(path, &st) < 0) {
			snprintf(why, whysz, "the infrastructure key keys/infra.key is missing");
			r = VG_EKEY;
		} else if ((r = vk_local_open(path, &c->infra, why, whysz)) == 0) {
			snprintf(c->infra->ref, sizeof(c->infra->ref), "infra");
		}
	}
	*out = c->infra;
	pthread_mutex_unlock(&c->dek_lock);
	return r ? VG_EKEY : 0;
}

/* ---- seals ---------------------------------------------------------------------- */

static void cache_wipe_locked(struct vcore *c, uint64_t vault_id)
{
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if ((c->deks[i].dek || c->deks[i].infra) && c->deks[i].vault_id == vault_id) {
			vc_secmem_free(c->deks[i].dek, VK_DEK_LEN);
			vc_secmem_free(c->deks[i].infra, VK_DEK_LEN);
			c->deks[i].dek = c->deks[i].infra = NULL;
			c->deks[i].vault_id = 0;
			c->deks[i].wrapped_len = c->deks[i].infra_len = 0;
		}
}

/* Marks vault sealed: wipes its cached keys and, once per outage, audits it
 * and raises cmk-unavailable (for a CMK). Best effort: the caller's error is
 * what matters. */
static void seal(struct vcore *c, const char *vault, const struct vr_vault *v, const char *why)
{
	char key[40], detail[512];
	uint8_t val[8 + VG_VAULT_NAME_MAX];
	MDB_txn *txn;
	MDB_val cur;
	size_t kn, nl = strlen(vault);
	int slot = -1, known = 0;

	pthread_mutex_lock(&c->dek_lock);
	cache_wipe_locked(c, v->id);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++) {
		if (c->sealed[i].vault_id == v->id) {
			snprintf(c->sealed[i].why, sizeof(c->sealed[i].why), "%s", why);
			known = 1;
			break;
		}
		if (!c->sealed[i].vault_id && slot < 0)
			slot = i;
	}
	if (!known && slot >= 0) {
		c->sealed[slot].vault_id = v->id;
		c->sealed[slot].since = vault_now();
		snprintf(c->sealed[slot].vault, sizeof(c->sealed[slot].vault), "%s", vault);
		snprintf(c->sealed[slot].why, sizeof(c->sealed[slot].why), "%s", why);
	}
	pthread_mutex_unlock(&c->dek_lock);
	if (known)
		return;
	kn = seal_key(key, v->id);
	if (vdb_begin(c->db, true, &txn))
		return;
	if (vdb_get(c->db, txn, VDB_META, key, kn, &cur) == 0) {
		vdb_abort(txn);  /* sealed in an earlier run: already alerted */
		return;
	}
	vg_put_u64(val, vault_now());
	memcpy(val + 8, vault, nl);
	snprintf(detail, sizeof(detail), "%s: %s", v->keyref, why);
	if (vdb_put(c->db, txn, VDB_META, key, kn, val, 8 + nl, false) ||
	    vcore_audit_txn(c, txn, &keyring_caller, "key.unavailable", vault, "failed", detail) ||
	    (vcore_keyref_is_cmk(v->keyref) &&
	     valert_raise(c, txn, "cmk-unavailable", &keyring_caller, vault, v->keyref, why))) {
		vdb_abort(txn);
		return;
	}
	(void)vdb_commit(txn);
}

static void unseal(struct vcore *c, const char *vault, const struct vr_vault *v)
{
	char key[40], reason[200];
	MDB_txn *txn;
	int found = 0, r;

	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if (c->sealed[i].vault_id == v->id) {
			memset(&c->sealed[i], 0, sizeof(c->sealed[i]));
			found = 1;
		}
	pthread_mutex_unlock(&c->dek_lock);
	if (!found || vdb_begin(c->db, true, &txn))
		return;
	snprintf(reason, sizeof(reason), "%s usable again", v->keyref);
	r = vdb_del(c->db, txn, VDB_META, key, seal_key(key, v->id));
	if ((r && r != VG_ENOTFOUND) ||
	    vcore_audit_txn(c, txn, &keyring_caller, "key.available", vault, "ok", reason)) {
		vdb_abort(txn);
		return;
	}
	(void)vdb_commit(txn);
}

void vcore_keys_forget(struct vcore *c, uint64_t vault_id)
{
	pthread_mutex_lock(&c->dek_lock);
	cache_wipe_locked(c, vault_id);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if (c->sealed[i].vault_id == vault_id)
			memset(&c->sealed[i], 0, sizeof(c->sealed[i]));
	pthread_mutex_unlock(&c->dek_lock);
}

bool vcore_key_sealed(struct vcore *c, uint64_t vault_id)
{
	bool s = false;

	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if (c->sealed[i].vault_id == vault_id)
			s = true;
	pthread_mutex_unlock(&c->dek_lock);
	return s;
}

void vcore_key_why(struct vcore *c, const char *vault, char *buf, size_t n)
{
	buf[0] = 0;
	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if (c->sealed[i].vault_id && strcmp(c->sealed[i].vault, vault) == 0) {
			snprintf(buf, n, "%s", c->sealed[i].why);
			break;
		}
	pthread_mutex_unlock(&c->dek_lock);
}

/* ---- the keys of a vault ---------------------------------------------------------- */

static bool same_wrapping(const uint16_t *len, const uint8_t *cached, uint16_t vlen,
	const uint8_t *rec)
{
	return *len == vlen && memcmp(cached, rec, vlen) == 0;
}

void vcore_keys_wipe(struct vcore_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int vcore_keys_get(struct vcore *c, const char *vault, const struct vr_vault *v,
	struct vcore_keys *k)
{
	struct vk_provider *p;
	bool cmk = vcore_keyref_is_cmk(v->keyref), need_dek = true, need_infra = v->infra != 0;
	char why[300] = "";
	uint8_t aad[14];
	int r = 0, slot = -1;

	memset(k, 0, sizeof(*k));
	k->has_infra = v->infra != 0;
	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++)
		if ((c->deks[i].dek || c->deks[i].infra) && c->deks[i].vault_id == v->id) {
			if (!same_wrapping(&c->deks[i].wrapped_len, c->deks[i].wrapped, v->wrapped_len,
				    v->wrapped) ||
			    !same_wrapping(&c->deks[i].infra_len, c->deks[i].infra_wrapped,
				    v->infra_wrapped_len, v->infra_wrapped)) {
				cache_wipe_locked(c, v->id);  /* stale: the record changed */
				break;
			}
			if (c->deks[i].dek && !cmk) {
				memcpy(k->dek, c->deks[i].dek, VK_DEK_LEN);
				need_dek = false;
			}
			if (c->deks[i].infra && need_infra) {
				memcpy(k->infra, c->deks[i].infra, VK_DEK_LEN);
				need_infra = false;
			}
			break;
		}
	pthread_mutex_unlock(&c->dek_lock);
	if (!need_dek && !need_infra)
		return 0;
	if (need_infra) {
		infra_aad(v->id, aad);
		if (!(r = infra_provider(c, false, &p, why, sizeof(why)))) {
			r = p->ops->unwrap(p, v->infra_wrapped, v->infra_wrapped_len, aad, sizeof(aad),
				k->infra);
			if (r)
				snprintf(why, sizeof(why), "the infrastructure key keys/infra.key does not "
					"open this vault's infrastructure DEK");
		}
	}
	if (!r && need_dek) {
		vault_aad(v->id, aad);
		if (!(r = provider_for(c, v->keyref, &p, why, sizeof(why)))) {
			r = p->ops->unwrap(p, v->wrapped, v->wrapped_len, aad, sizeof(aad), k->dek);
			if (r && cmk)
				vk_p11_last_error(c->p11, why, sizeof(why));
			else if (r)
				snprintf(why, sizeof(why), "the platform key keys/platform.key does not open "
					"this vault's DEK");
		}
	}
	if (r == VG_EKEY || r == VG_EINTEGRITY || r == VG_EKEYFILE) {
		vcore_keys_wipe(k);
		seal(c, vault, v, why);
		return VG_EKEY;
	}
	if (r) {
		vcore_keys_wipe(k);
		return r;
	}
	/* Cache what may be cached: never a CMK-wrapped DEK. */
	pthread_mutex_lock(&c->dek_lock);
	for (int i = 0; i < VCORE_DEK_SLOTS; i++) {
		if ((c->deks[i].dek || c->deks[i].infra) && c->deks[i].vault_id == v->id) {
			slot = i;
			break;
		}
		if (!c->deks[i].dek && !c->deks[i].infra && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		c->deks[slot].vault_id = v->id;
		c->deks[slot].wrapped_len = v->wrapped_len;
		memcpy(c->deks[slot].wrapped, v->wrapped, v->wrapped_len);
		c->deks[slot].infra_len = v->infra_wrapped_len;
		memcpy(c->deks[slot].infra_wrapped, v->infra_wrapped, v->infra_wrapped_len);
		if (!cmk && !c->deks[slot].dek && (c->deks[slot].dek = vc_secmem_alloc(VK_DEK_LEN)))
			memcpy(c->deks[slot].dek, k->dek, VK_DEK_LEN);
		if (k->has_infra && !c->deks[slot].infra &&
		    (c->deks[slot].infra = vc_secmem_alloc(VK_DEK_LEN)))
			memcpy(c->deks[slot].infra, k->infra, VK_DEK_LEN);
	}
	pthread_mutex_unlock(&c->dek_lock);
	if (vcore_key_sealed(c, v->id))
		unseal(c, vault, v);
	return 0;
}

int vcore_key_check(struct vcore *c, const char *vault, const struct vr_vault *v)
{
	struct vcore_keys k;
	int r = vcore_keys_get(c, vault, v, &k);

	vcore_keys_wipe(&k);
	return r;
}

int vcore_keys_new_vault(struct vcore *c, struct vr_vault *v, bool infra)
{
	struct vk_provider *ip;
	uint8_t dek[VK_DEK_LEN], aad[14];
	size_t wl = sizeof(v->wrapped);
	char why[300];
	int r;

	snprintf(v->keyref, sizeof(v->keyref), "%s", c->local->ref);
	if ((r = vc_random(dek, sizeof(dek))))
		return r;
	vault_aad(v->id, aad);
	r = c->local->ops->wrap(c->local, dek, aad, sizeof(aad), v->wrapped, &wl);
	OPENSSL_cleanse(dek, sizeof(dek));
	if (r)
		return r;
	v->wrapped_len = (uint16_t)wl;
	if (!infra)
		return 0;
	if ((r = infra_provider(c, true, &ip, why, sizeof(why))) || (r = vc_random(dek, sizeof(dek))))
		return r;
	infra_aad(v->id, aad);
	wl = sizeof(v->infra_wrapped);
	r = ip->ops->wrap(ip, dek, aad, sizeof(aad), v->infra_wrapped, &wl);
	OPENSSL_cleanse(dek, sizeof(dek));
	if (r)
		return r;
	v->infra = 1;
	v->infra_wrapped_len = (uint16_t)wl;
	return 0;
}

/* ---- key moves ----------------------------------------------------------------------- */

int vcore_vault_key(struct vcore *c, const struct vcaller *who, const char *vault, bool to_cmk,
	const char *label, char newref[128], char *why, size_t whysz)
{
	struct vr_vault v, cur;
	struct vk_provider *oldp, *newp;
	uint8_t dek[VK_DEK_LEN], check[VK_DEK_LEN], aad[14], wrapped[VK_WRAPPED_MAX];
	size_t wl = sizeof(wrapped);
	char ref[128], reason[400], perr[300] = "";
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vcore_resolve(c, txn, vault, NULL, &v, NULL);
	vdb_abort(txn);
	if (r) {
		WHY("vault %s: %s", vault, vg_strerror(r));
		return r;
	}
	if (!to_cmk) {
		if (vcore_keyref_is_cmk(v.keyref)) {
			WHY("vault %s uses the customer-managed key %s: moving back to the platform key "
				"is refused (a vault under a CMK stays under customer control)", vault,
				v.keyref);
			return VG_EPOLICY;
		}
		WHY("vault %s already uses the platform key", vault);
		return VG_EINVAL;
	}
	if (!label || vk_p11_label_check(label)) {
		WHY("key label \"%s\": expected 1 to 64 of A-Z a-z 0-9 . _ -", label ? label : "");
		return VG_ENAME;
	}
	if (!c->p11) {
		WHY("no PKCS#11 token is configured (vaultd --pkcs11-config FILE)");
		return VG_EKEY;
	}
	snprintf(ref, sizeof(ref), VK_P11_PREFIX "token=%s;object=%s", vk_p11_token(c->p11), label);
	if (strcmp(ref, v.keyref) == 0) {
		WHY("vault %s already uses %s", vault, ref);
		return VG_EINVAL;
	}
	if ((r = provider_for(c, v.keyref, &oldp, why, whysz)) ||
	    (r = provider_for(c, ref, &newp, why, whysz)))
		return r;
	/* Unwrap with the old KEK, wrap with the new, and check the new
	 * wrapping opens, all before anything is written. */
	vault_aad(v.id, aad);
	if ((r = oldp->ops->unwrap(oldp, v.wrapped, v.wrapped_len, aad, sizeof(aad), dek))) {
		if (vcore_keyref_is_cmk(v.keyref))
			vk_p11_last_error(c->p11, perr, sizeof(perr));
		WHY("vault %s: its current key %s cannot unwrap the DEK%s%s", vault, v.keyref,
			*perr ? ": " : "", perr);
		return r == VG_EINTEGRITY ? VG_EKEY : r;
	}
	r = newp->ops->wrap(newp, dek, aad, sizeof(aad), wrapped, &wl);
	if (!r && !(r = newp->ops->unwrap(newp, wrapped, wl, aad, sizeof(aad), check)) &&
	    CRYPTO_memcmp(dek, check, VK_DEK_LEN) != 0)
		r = VG_EINTERNAL;
	OPENSSL_cleanse(dek, sizeof(dek));
	OPENSSL_cleanse(check, sizeof(check));
	if (r) {
		vk_p11_last_error(c->p11, perr, sizeof(perr));
		WHY("vault %s: the new key %s cannot wrap the DEK: %s", vault, ref, perr);
		return r == VG_EPOLICY ? r : VG_EKEY;
	}
	vault_test_point("key-change:wrapped");

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &cur, NULL)))
		goto fail;
	if (cur.id != v.id || strcmp(cur.keyref, v.keyref) != 0 || cur.wrapped_len != v.wrapped_len ||
	    memcmp(cur.wrapped, v.wrapped, v.wrapped_len) != 0) {
		WHY("vault %s: its key changed while this request ran; try again", vault);
		r = VG_EBADSTATE;
		goto fail;
	}
	if ((r = vmua_check(c, txn, who, &cur, VMUA_KEY_CHANGE, vault, why, whysz)))
		goto fail;
	snprintf(reason, sizeof(reason), "%s -> %s (DEK re-wrapped, data not re-encrypted)",
		cur.keyref, ref);
	snprintf(cur.keyref, sizeof(cur.keyref), "%s", ref);
	memcpy(cur.wrapped, wrapped, wl);
	cur.wrapped_len = (uint16_t)wl;
	if ((r = vcore_put(c, txn, VDB_VAULTS, vault, strlen(vault), &cur, false)) ||
	    (r = vcore_audit_txn(c, txn, who, "vault.key", vault, "ok", reason)))
		goto fail;
	if ((r = vdb_commit(txn)))
		return r;
	pthread_mutex_lock(&c->dek_lock);
	cache_wipe_locked(c, v.id);
	pthread_mutex_unlock(&c->dek_lock);
	if (vcore_key_sealed(c, v.id))
		unseal(c, vault, &cur);
	snprintf(newref, 128, "%s", ref);
	return 0;
fail:
	vdb_abort(txn);
	return r;
}

/* ---- open / close ------------------------------------------------------------------------ */

int vcore_set_pkcs11(struct vcore *c, const struct vk_p11_config *cfg, char *why, size_t whysz)
{
	if (c->p11)
		return VG_EBADSTATE;
	return vk_p11_open(cfg, &c->p11, why, whysz);
}

int vcore_keyring_open(struct vcore *c, char *why, size_t whysz)
{
	char path[2300];
	struct stat st;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r, n = 0;

	snprintf(path, sizeof(path), "%s/keys/infra.key", c->dir);
	if (stat(path, &st) == 0) {
		if ((r = vk_local_open(path, &c->infra, why, whysz)))
			return r;
		snprintf(c->infra->ref, sizeof(c->infra->ref), "infra");
	}
	if ((r = vdb_begin(c->db, !c->readonly, &txn)))
		return r;
	/* The instance id names this vault in webhook deliveries. A read-only
	 * open leaves a missing one missing. */
	if ((r = vdb_get(c->db, txn, VDB_META, INSTANCE_KEY, strlen(INSTANCE_KEY), &v)) == 0 &&
	    v.mv_size == 32) {
		memcpy(c->instance, v.mv_data, 32);
	} else if (!c->readonly) {
		uint8_t id[16];
		if ((r = vc_random(id, sizeof(id))))
			goto fail;
		vg_hex(c->instance, id, sizeof(id));
		if ((r = vdb_put(c->db, txn, VDB_META, INSTANCE_KEY, strlen(INSTANCE_KEY), c->instance,
			     32, false)))
			goto fail;
	}
	c->instance[32] = 0;
	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		goto fail;
	for (r = vdb_seek_prefix(cur, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1, &k, &v, true);
	     r == 0 && n < VCORE_DEK_SLOTS;
	     r = vdb_seek_prefix(cur, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1, &k, &v, false)) {
		uint8_t id[8];
		char hex[17];
		size_t nl;
		if (k.mv_size != sizeof(SEAL_PREFIX) - 1 + 16 || v.mv_size < 8 ||
		    (nl = v.mv_size - 8) > VG_VAULT_NAME_MAX)
			continue;
		memcpy(hex, (char *)k.mv_data + sizeof(SEAL_PREFIX) - 1, 16);
		hex[16] = 0;
		if (vg_unhex(id, sizeof(id), hex))
			continue;
		c->sealed[n].vault_id = vg_get_u64(id);
		c->sealed[n].since = vg_get_u64(v.mv_data);
		memcpy(c->sealed[n].vault, (uint8_t *)v.mv_data + 8, nl);
		c->sealed[n].vault[nl] = 0;
		snprintf(c->sealed[n].why, sizeof(c->sealed[n].why), "key unavailable since an earlier run");
		n++;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND || r == 0)
		r = 0;
	if (r)
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

void vcore_keyring_close(struct vcore *c)
{
	for (int i = 0; i < VCORE_DEK_SLOTS; i++) {
		vc_secmem_free(c->deks[i].dek, VK_DEK_LEN);
		vc_secmem_free(c->deks[i].infra, VK_DEK_LEN);
		c->deks[i].dek = c->deks[i].infra = NULL;
	}
	for (int i = 0; i < VCORE_CMK_SLOTS; i++) {
		vk_free(c->cmk[i]);
		c->cmk[i] = NULL;
	}
	vk_free(c->infra);
	c->infra = NULL;
	vk_p11_close(c->p11);
	c->p11 = NULL;
}
