/* s3key.c - see s3key.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "s3key.h"
#include "vg_err.h"

#define PREFIX "s3key/"
#define AAD "vaultgate/s3key/v1:"

static int akid_ok(const char *a)
{
	if (strlen(a) != VS3_AKID_LEN || strncmp(a, "VGAK", 4) != 0)
		return 0;
	for (int i = 4; i < VS3_AKID_LEN; i++)
		if (!((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '2' && a[i] <= '7')))
			return 0;
	return 1;
}

static void secret_of(const uint8_t raw[VK_DEK_LEN], char secret[VS3_SECRET_LEN + 1])
{
	unsigned char b64[48];

	EVP_EncodeBlock(b64, raw, 30);  /* 40 characters */
	memcpy(secret, b64, VS3_SECRET_LEN);
	secret[VS3_SECRET_LEN] = 0;
	OPENSSL_cleanse(b64, sizeof(b64));
}

static size_t aad_of(const char *akid, char *aad, size_t n)
{
	return (size_t)snprintf(aad, n, AAD "%s", akid);
}

int vs3key_create(struct vcore *c, const struct vcaller *who, const char *principal,
	char akid[VS3_AKID_LEN + 1], char secret[VS3_SECRET_LEN + 1])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t raw[VK_DEK_LEN], rnd[16], wrapped[VK_WRAPPED_MAX];
	char key[64], aad[64];
	size_t wl = sizeof(wrapped);
	struct vr_principal p;
	struct vg_wr w;
	MDB_txn *txn;
	int r;

	if (!vauth_is_admin(c, who))
		return VG_EDENIED;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vauth_principal_get(c, txn, principal, &p)))
		goto abort;
	if ((r = vc_random(rnd, sizeof(rnd))) || (r = vc_random(raw, sizeof(raw))))
		goto abort;
	memcpy(akid, "VGAK", 4);
	for (int i = 0; i < 16; i++)
		akid[4 + i] = b32[rnd[i] & 31];
	akid[VS3_AKID_LEN] = 0;
	if ((r = c->local->ops->wrap(c->local, raw, aad, aad_of(akid, aad, sizeof(aad)), wrapped,
		     &wl)))
		goto abort;
	vg_wr_init(&w, 1024);
	vg_wr_u8(&w, 1);
	vg_wr_str16(&w, principal);
	vg_wr_u64(&w, vault_now());
	vg_wr_u16(&w, (uint16_t)wl);
	vg_wr_bytes(&w, wrapped, wl);
	snprintf(key, sizeof(key), PREFIX "%s", akid);
	r = w.err ? w.err : vdb_put(c->db, txn, VDB_META, key, strlen(key), w.p, w.len, true);
	vg_wr_free(&w);
	if (r == 0)
		r = vcore_audit_txn(c, txn, who, "s3.key.create", principal, "ok", akid);
	if (r)
		goto abort;
	if ((r = vdb_commit(txn)))
		goto out;
	secret_of(raw, secret);
	goto out;
abort:
	vdb_abort(txn);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

struct krec {
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	uint64_t created;
	uint16_t wl;
	const uint8_t *wrapped;
};

static int krec_dec(const void *p, size_t n, struct krec *k)
{
	struct vg_rd rd;
	uint8_t ver = 0;

	vg_rd_init(&rd, p, n);
	vg_rd_u8(&rd, &ver);
	vg_rd_str16(&rd, k->principal, sizeof(k->principal));
	vg_rd_u64(&rd, &k->created);
	vg_rd_u16(&rd, &k->wl);
	vg_rd_bytes(&rd, k->wl, &k->wrapped);
	if (rd.err || ver != 1 || vg_rd_left(&rd) != 0 || k->wl > VK_WRAPPED_MAX)
		return VG_EINTEGRITY;
	return 0;
}

int vs3key_delete(struct vcore *c, const struct vcaller *who, const char *akid)
{
	char key[64];
	MDB_txn *txn;
	MDB_val v;
	struct krec k;
	int r;

	if (!vauth_is_admin(c, who))
		return VG_EDENIED;
	if (!akid_ok(akid))
		return VG_ENOTFOUND;
	snprintf(key, sizeof(key), PREFIX "%s", akid);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &v)) ||
	    (r = krec_dec(v.mv_data, v.mv_size, &k)) ||
	    (r = vdb_del(c->db, txn, VDB_META, key, strlen(key))) ||
	    (r = vcore_audit_txn(c, txn, who, "s3.key.delete", k.principal, "ok", akid))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

struct list_arg {
	const char *principal;
	int (*cb)(void *arg, const char *akid, const char *principal, uint64_t created);
	void *arg;
};

static int list_one(void *arg, const MDB_val *kv, const MDB_val *v)
{
	struct list_arg *a = arg;
	char akid[VS3_AKID_LEN + 1];
	struct krec k;
	size_t pl = sizeof(PREFIX) - 1;

	if (kv->mv_size != pl + VS3_AKID_LEN || krec_dec(v->mv_data, v->mv_size, &k))
		return 0;
	memcpy(akid, (const char *)kv->mv_data + pl, VS3_AKID_LEN);
	akid[VS3_AKID_LEN] = 0;
	if (a->principal && strcmp(a->principal, k.principal) != 0)
		return 0;
	return a->cb(a->arg, akid, k.principal, k.created);
}

int vs3key_list(struct vcore *c, const char *principal,
	int (*cb)(void *arg, const char *akid, const char *principal, uint64_t created), void *arg)
{
	struct list_arg a = {principal, cb, arg};
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vdb_each(c->db, txn, VDB_META, PREFIX, sizeof(PREFIX) - 1, list_one, &a);
	vdb_abort(txn);
	return r == VG_ENOTFOUND ? 0 : r;
}

int vs3key_secret(struct vcore *c, const char *akid, char *principal, size_t plen,
	char secret[VS3_SECRET_LEN + 1])
{
	uint8_t raw[VK_DEK_LEN];
	char key[64], aad[64];
	MDB_txn *txn;
	MDB_val v;
	struct krec k;
	uint8_t wrapped[VK_WRAPPED_MAX];
	int r;

	if (!akid_ok(akid))
		return VG_ENOTFOUND;
	snprintf(key, sizeof(key), PREFIX "%s", akid);
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &v);
	if (r == 0 && (r = krec_dec(v.mv_data, v.mv_size, &k)) == 0) {
		memcpy(wrapped, k.wrapped, k.wl);
		snprintf(principal, plen, "%s", k.principal);
	}
	vdb_abort(txn);
	if (r)
		return r;
	if ((r = c->local->ops->unwrap(c->local, wrapped, k.wl, aad, aad_of(akid, aad, sizeof(aad)),
		     raw)))
		return r;
	secret_of(raw, secret);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}
