/* pin.c - see pin.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "pin.h"
#include "vg_err.h"

static size_t pin_key(uint8_t key[VC_HASH_LEN], const char *vault, const char *pin)
{
	uint8_t buf[VG_VAULT_NAME_MAX + 1 + VPIN_DIGITS + 1];
	size_t a = strlen(vault), b = strlen(pin);

	memcpy(buf, vault, a);
	buf[a] = '/';
	memcpy(buf + a + 1, pin, b);
	vc_sha256(buf, a + 1 + b, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	return VC_HASH_LEN;
}

int vpin_generate(struct vcore *c, const struct vcaller *who, const char *vault,
	char pin[VPIN_DIGITS + 1], uint64_t *expires)
{
	struct vr_vault v;
	struct vr_pin p;
	uint8_t key[VC_HASH_LEN];
	uint32_t rnd;
	MDB_txn *txn;
	int r;

	memset(&p, 0, sizeof(p));
	do {
		if ((r = vc_random(&rnd, sizeof(rnd))))
			return r;
	} while (rnd >= 4200000000u);  /* no modulo bias */
	snprintf(pin, VPIN_DIGITS + 1, "%08u", rnd % 100000000u);
	p.expires = vault_now() + VPIN_VALIDITY;
	snprintf(p.vault, sizeof(p.vault), "%s", vault);
	snprintf(p.creator, sizeof(p.creator), "%s", who->principal);
	pin_key(key, vault, pin);
	memcpy(p.hash, key, sizeof(key));
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)) ||
	    (r = vcore_put(c, txn, VDB_PINS, key, sizeof(key), &p, true)) ||
	    (r = vcore_audit_txn(c, txn, who, "pin.generate", vault, "ok", "valid 5 minutes, once"))) {
		vdb_abort(txn);
		OPENSSL_cleanse(pin, VPIN_DIGITS + 1);
		return r;
	}
	*expires = p.expires;
	return vdb_commit(txn);
}

int vpin_consume(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault,
	char *why, size_t whysz)
{
	struct vr_pin p;
	uint8_t key[VC_HASH_LEN];
	MDB_val v;
	int r;

	if (!*who->pin) {
		snprintf(why, whysz, "this operation needs a security PIN (vaultctl pin generate %s)", vault);
		return VG_EPIN;
	}
	if (strlen(who->pin) != VPIN_DIGITS || strspn(who->pin, "0123456789") != VPIN_DIGITS) {
		snprintf(why, whysz, "security PIN is wrong");
		return VG_EPIN;
	}
	pin_key(key, vault, who->pin);
	r = vdb_get(c->db, txn, VDB_PINS, key, sizeof(key), &v);
	if (r == VG_ENOTFOUND) {
		snprintf(why, whysz, "security PIN is wrong");
		return VG_EPIN;
	}
	if (r || (r = vr_pin_dec(v.mv_data, v.mv_size, &p)))
		return r;
	if (p.used) {
		snprintf(why, whysz, "security PIN was already used");
		return VG_EPIN;
	}
	if (vault_now() > p.expires) {
		snprintf(why, whysz, "security PIN expired (valid 5 minutes)");
		return VG_EPIN;
	}
	p.used = 1;
	return vcore_put(c, txn, VDB_PINS, key, sizeof(key), &p, false);
}
