/* auth.c - see auth.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alerts.h"
#include "auth.h"
#include "buf.h"
#include "peer.h"
#include "clock.h"
#include "core_int.h"
#include "vg_err.h"
#include "window.h"

#define REG_VALIDITY (10ull * 86400)

const char *vauth_perm_name(enum vperm p)
{
	static const char *n[] = {"view", "protect", "backup", "restore", "policy", "stop",
		"pin", "security", "delete-vault"};
	return (unsigned)p < sizeof(n) / sizeof(n[0]) ? n[p] : "?";
}

static int make_token(char token[VAUTH_TOKEN_LEN + 1], uint8_t hash[VC_HASH_LEN])
{
	uint8_t raw[32];
	int r;

	if ((r = vc_random(raw, sizeof(raw))))
		return r;
	memcpy(token, "vg_", 3);
	vg_hex(token + 3, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	return vc_sha256(token, VAUTH_TOKEN_LEN, hash);
}

static size_t index_key(uint8_t *key, char kind, const uint8_t h[VC_HASH_LEN])
{
	key[0] = (uint8_t)kind;
	memcpy(key + 1, h, VC_HASH_LEN);
	return 1 + VC_HASH_LEN;
}

static size_t role_key(uint8_t *key, const char *principal, const char *vault)
{
	size_t a = strlen(principal), b = strlen(vault);

	memcpy(key, principal, a);
	key[a] = 0;
	memcpy(key + a + 1, vault, b);
	return a + 1 + b;
}

int vauth_principal_get(struct vcore *c, MDB_txn *txn, const char *name, struct vr_principal *p)
{
	MDB_val v;
	int r;

	if ((r = vg_name_check(name, VG_PRINCIPAL_NAME_MAX)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_PRINCIPALS, name, strlen(name), &v)))
		return r;
	return vr_principal_dec(v.mv_data, v.mv_size, p);
}

static int index_lookup(struct vcore *c, MDB_txn *txn, char kind, const uint8_t h[VC_HASH_LEN],
	char *name, size_t namesz)
{
	uint8_t key[1 + VC_HASH_LEN];
	MDB_val v;
	int r;

	if ((r = vdb_get(c->db, txn, VDB_TOKENS, key, index_key(key, kind, h), &v)))
		return r;
	if (v.mv_size == 0 || v.mv_size >= namesz)
		return VG_EINTEGRITY;
	memcpy(name, v.mv_data, v.mv_size);
	name[v.mv_size] = 0;
	return 0;
}

/* The certificate factor, checked after the token: a principal with bound
 * certificates must present one of them; a certificate bound to another
 * principal is refused; an unbound one adds nothing. */
static int cert_binding(struct vcore *c, MDB_txn *txn, const char *user,
	const struct vr_principal *p, const uint8_t *cert)
{
	char owner[VG_PRINCIPAL_NAME_MAX + 2];
	int i;

	if (!cert)
		return p->ncerts ? VG_EAUTH : 0;
	for (i = 0; i < p->ncerts; i++)
		if (CRYPTO_memcmp(p->certs[i], cert, 32) == 0)
			return 0;
	if (p->ncerts)
		return VG_EAUTH;
	if (index_lookup(c, txn, 'c', cert, owner, sizeof(owner)) == 0 && strcmp(owner, user) != 0)
		return VG_EAUTH;
	return 0;
}

int vauth_authenticate(struct vcore *c, uid_t peer_uid, const struct vg_msg *m, struct vcaller *who)
{
	char user[VG_PRINCIPAL_NAME_MAX + 2] = "", token[300] = "";
	struct vr_principal p;
	uint8_t h[VC_HASH_LEN];
	const uint8_t *cert;
	uint32_t certlen;
	MDB_txn *txn;
	int has_user, has_token, has_cert, r;

	who->root = false;
	who->kind = VR_K_USER;
	has_user = vg_msg_str(m, VG_TAG_AUTH_USER, user, sizeof(user)) == 0;
	has_token = vg_msg_str(m, VG_TAG_AUTH_TOKEN, token, sizeof(token)) == 0;
	has_cert = vg_msg_bytes(m, VG_TAG_AUTH_CERT, &cert, &certlen) == 0 && certlen == 32;
	if (!has_user && !has_token && !has_cert) {
		if (peer_uid != 0)
			return VG_EAUTH;
		snprintf(who->principal, sizeof(who->principal), "root@local");
		who->root = true;
		return 0;
	}
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (has_token) {
		if ((r = vc_sha256(token, strlen(token), h)))
			goto out;
		if (!has_user) {
			/* Bearer: find the principal by the token's hash. */
			r = index_lookup(c, txn, 't', h, user, sizeof(user));
			if (r) {
				r = r == VG_ENOTFOUND ? VG_EAUTH : r;
				goto out;
			}
		}
		r = vauth_principal_get(c, txn, user, &p);
		if (r) {
			r = (r == VG_ENOTFOUND || r == VG_ENAME) ? VG_EAUTH : r;
			goto out;
		}
		if (CRYPTO_memcmp(p.token_hash, h, VC_HASH_LEN) != 0) {
			r = VG_EAUTH;
			goto out;
		}
	} else {
		/* A name without a token, or a certificate fingerprint alone.
		 * Fingerprints are public (certificates, the audit log), and
		 * whoever holds this socket (the gateway, or whoever took it
		 * over) can send any: a certificate adds to a token, never
		 * replaces it. */
		r = VG_EAUTH;
		goto out;
	}
	if (p.disabled || (r = cert_binding(c, txn, user, &p, has_cert ? cert : NULL))) {
		r = VG_EAUTH;
		goto out;
	}
	snprintf(who->principal, sizeof(who->principal), "%s", user);
	who->kind = p.kind;
	r = 0;
out:
	vdb_abort(txn);
	OPENSSL_cleanse(token, sizeof(token));
	return r;
}

int vauth_role_in(struct vcore *c, MDB_txn *txn, const char *principal, const char *vault)
{
	uint8_t key[2 * 130];
	MDB_val v;

	if (vdb_get(c->db, txn, VDB_ROLES, key, role_key(key, principal, vault), &v) ||
	    v.mv_size != 1)
		return VR_R_NONE;
	return ((uint8_t *)v.mv_data)[0];
}

int vauth_role(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault)
{
	if (who->root)
		return VR_R_OWNER;
	return vauth_role_in(c, txn, who->principal, vault);
}

/* The SPEC §1 matrix, one row per role. The auditor (a principal kind,
 * not a role: VR_K_AUDITOR) holds no role on any vault, so every row below
 * refuses it; what it may read (every vault's audit entries, alerts and
 * reports) is granted by vauth_sees_all(), and nothing else is. */
static int role_allows(int role, enum vperm p)
{
	switch (role) {
	case VR_R_OWNER:
		return 1;
	case VR_R_CONTRIBUTOR:
		return p != VP_SECURITY && p != VP_DELETE_VAULT;
	case VR_R_OPERATOR:
		return p == VP_VIEW || p == VP_PROTECT || p == VP_BACKUP || p == VP_RESTORE;
	case VR_R_READER:
		return p == VP_VIEW;
	case VR_R_AGENT:
		return p == VP_VIEW || p == VP_BACKUP || p == VP_RESTORE;
	case VR_R_REPLICATOR:
		return p == VP_VIEW || p == VP_RESTORE;
	default:
		return 0;
	}
}

int vauth_authorize(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, enum vperm p, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	int role, r = 0;

	if (who->root)
		return 0;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	role = vauth_role(c, txn, who, vault);
	/* No such vault: say so to those who may create vaults (it is then a
	 * configuration mistake, e.g. vaultgw's restic_vault); to anyone else
	 * it stays a plain denial, so vault names do not leak. */
	if (role == VR_R_NONE && vcore_get_vault(c, txn, vault, &v) == VG_ENOTFOUND &&
	    vauth_is_admin(c, who)) {
		snprintf(why, whysz, "no vault \"%s\" (vaultctl vault list shows them; for restic, "
			"vaultgw.conf's restic_vault names it)", vault);
		r = VG_ENOTFOUND;
		goto out;
	}
	if (!role_allows(role, p)) {
		snprintf(why, whysz, "principal %s (%s) may not %s on vault %s", who->principal,
			role ? vr_role_name((uint8_t)role) : "no role", vauth_perm_name(p), vault);
		r = VG_EDENIED;
		goto out;
	}
	/* Agents act only on the items they were given. */
	if (role == VR_R_AGENT && item) {
		if (vcore_get_vault(c, txn, vault, &v) || vcore_get_item(c, txn, v.id, item, &it) ||
		    strcmp(it.owner, who->principal) != 0) {
			snprintf(why, whysz, "agent %s may act only on its own items, not %s/%s",
				who->principal, vault, item);
			r = VG_EDENIED;
		}
	}
out:
	vdb_abort(txn);
	return r;
}

int vauth_sees_all(const struct vcaller *who)
{
	return who->root || who->kind == VR_K_AUDITOR;
}

int vauth_is_admin(struct vcore *c, const struct vcaller *who)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t pl = strlen(who->principal);
	uint8_t prefix[VG_PRINCIPAL_NAME_MAX + 2];
	int r, found = 0;

	if (who->root)
		return 1;
	if (vdb_begin(c->db, false, &txn))
		return 0;
	memcpy(prefix, who->principal, pl);
	prefix[pl] = 0;
	if (vdb_cursor(c->db, txn, VDB_ROLES, &cur) == 0) {
		for (r = vdb_seek_prefix(cur, prefix, pl + 1, &k, &v, true); r == 0 && !found;
		     r = vdb_seek_prefix(cur, prefix, pl + 1, &k, &v, false))
			found = v.mv_size == 1 && ((uint8_t *)v.mv_data)[0] == VR_R_OWNER;
		mdb_cursor_close(cur);
	}
	vdb_abort(txn);
	return found;
}

static int put_principal(struct vcore *c, MDB_txn *txn, const char *name,
	const struct vr_principal *p, bool create)
{
	return vcore_put(c, txn, VDB_PRINCIPALS, name, strlen(name), p, create);
}

static int put_index(struct vcore *c, MDB_txn *txn, char kind, const uint8_t h[VC_HASH_LEN],
	const char *name)
{
	uint8_t key[1 + VC_HASH_LEN];
	return vdb_put(c->db, txn, VDB_TOKENS, key, index_key(key, kind, h), name, strlen(name), true);
}

static int del_index(struct vcore *c, MDB_txn *txn, char kind, const uint8_t h[VC_HASH_LEN])
{
	uint8_t key[1 + VC_HASH_LEN];
	int r = vdb_del(c->db, txn, VDB_TOKENS, key, index_key(key, kind, h));
	return r == VG_ENOTFOUND ? 0 : r;
}

int vauth_principal_add(struct vcore *c, const struct vcaller *who, const char *name,
	int kind, char token[VAUTH_TOKEN_LEN + 1])
{
	return vauth_principal_add_hash(c, who, name, kind, NULL, token);
}

int vauth_principal_add_hash(struct vcore *c, const struct vcaller *who, const char *name,
	int kind, const uint8_t *token_hash, char token[VAUTH_TOKEN_LEN + 1])
{
	struct vr_principal p;
	MDB_txn *txn;
	char reason[64];
	int r;

	if ((r = vg_name_check(name, VG_PRINCIPAL_NAME_MAX)))
		return r;
	if (strchr(name, '@'))
		return VG_ENAME;  /* "x@local" names are reserved for local peers */
	if (kind < 0 || kind > VR_K_LAST)
		return VG_EINVAL;
	if (!vauth_is_admin(c, who))
		return VG_EDENIED;
	/* Only the console may enrol a token it never sees (first-boot seeds). */
	if (token_hash && !who->root)
		return VG_EDENIED;
	memset(&p, 0, sizeof(p));
	p.kind = (uint8_t)kind;
	p.created = vault_now();
	snprintf(p.created_by, sizeof(p.created_by), "%s", who->principal);
	if (token_hash) {
		memcpy(p.token_hash, token_hash, VC_HASH_LEN);
		token[0] = 0;
	} else if ((r = make_token(token, p.token_hash))) {
		return r;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	snprintf(reason, sizeof(reason), "kind %s%s", vr_kind_name((uint8_t)kind),
		token_hash ? ", token given as its SHA-256" : "");
	if ((r = put_principal(c, txn, name, &p, true)) ||
	    (r = put_index(c, txn, 't', p.token_hash, name)) ||
	    (r = vcore_audit_txn(c, txn, who, "principal.add", name, "ok", reason))) {
		vdb_abort(txn);
		OPENSSL_cleanse(token, VAUTH_TOKEN_LEN + 1);
		return r;
	}
	return vdb_commit(txn);
}

int vauth_principal_rotate(struct vcore *c, const struct vcaller *who, const char *name,
	char token[VAUTH_TOKEN_LEN + 1])
{
	struct vr_principal p;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vauth_principal_get(c, txn, name, &p)))
		goto fail;
	if ((r = del_index(c, txn, 't', p.token_hash)) || (r = make_token(token, p.token_hash)) ||
	    (r = put_principal(c, txn, name, &p, false)) ||
	    (r = put_index(c, txn, 't', p.token_hash, name)) ||
	    (r = vcore_audit_txn(c, txn, who, "principal.rotate", name, "ok", "token replaced")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	OPENSSL_cleanse(token, VAUTH_TOKEN_LEN + 1);
	return r;
}

int vauth_principal_cert(struct vcore *c, const struct vcaller *who, const char *name,
	const uint8_t fp[32], bool add)
{
	struct vr_principal p;
	MDB_txn *txn;
	char hex[65];
	int r, i;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vauth_principal_get(c, txn, name, &p)))
		goto fail;
	for (i = 0; i < p.ncerts && CRYPTO_memcmp(p.certs[i], fp, 32) != 0; i++)
		;
	if (add) {
		if (i < p.ncerts) {
			r = VG_EEXISTS;
			goto fail;
		}
		if (p.ncerts == VR_MAX_CERTS) {
			r = VG_ELIMIT;
			goto fail;
		}
		memcpy(p.certs[p.ncerts++], fp, 32);
		r = put_index(c, txn, 'c', fp, name);
	} else {
		if (i == p.ncerts) {
			r = VG_ENOTFOUND;
			goto fail;
		}
		memmove(p.certs[i], p.certs[i + 1], (size_t)(p.ncerts - i - 1) * 32);
		p.ncerts--;
		r = del_index(c, txn, 'c', fp);
	}
	vg_hex(hex, fp, 32);
	if (r || (r = put_principal(c, txn, name, &p, false)) ||
	    (r = vcore_audit_txn(c, txn, who, add ? "principal.cert.add" : "principal.cert.remove",
		     name, "ok", hex)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

struct principal_list {
	int (*cb)(void *arg, const char *name, const struct vr_principal *p);
	void *arg;
};

static int principal_list_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct principal_list *l = arg;
	struct vr_principal p;
	char name[VG_PRINCIPAL_NAME_MAX + 1];
	int r;

	if ((r = vdb_key_name(k, 0, VG_PRINCIPAL_NAME_MAX, name)))
		return r;
	if ((r = vr_principal_dec(v->mv_data, v->mv_size, &p)))
		return r;
	return l->cb(l->arg, name, &p);
}

int vauth_principal_list(struct vcore *c,
	int (*cb)(void *arg, const char *name, const struct vr_principal *p), void *arg)
{
	struct principal_list l = {cb, arg};
	return vdb_each_ro(c->db, VDB_PRINCIPALS, "", 0, principal_list_cb, &l);
}

int vauth_role_set(struct vcore *c, const struct vcaller *who, const char *name,
	const char *vault, int role)
{
	struct vr_principal p;
	struct vr_vault v;
	uint8_t key[2 * 130], rb = (uint8_t)role;
	char target[160];
	MDB_txn *txn;
	int r;

	if (role < VR_R_NONE || role > VR_R_MAX)
		return VG_EINVAL;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vauth_principal_get(c, txn, name, &p)) ||
	    (r = vcore_get_vault(c, txn, vault, &v)))
		goto fail;
	if (vauth_role(c, txn, who, vault) != VR_R_OWNER) {
		r = VG_EDENIED;
		goto fail;
	}
	/* An agent principal can hold only the Agent role, and only agents can. */
	if (role != VR_R_NONE && (p.kind == VR_K_AGENT) != (role == VR_R_AGENT)) {
		r = VG_EINVAL;
		goto fail;
	}
	if ((p.kind == VR_K_MONITOR || p.kind == VR_K_AUDITOR) && role != VR_R_NONE) {
		r = VG_EINVAL;
		goto fail;
	}
	snprintf(target, sizeof(target), "%s/%s", vault, name);
	if (role == VR_R_NONE)
		r = vdb_del(c->db, txn, VDB_ROLES, key, role_key(key, name, vault));
	else
		r = vdb_put(c->db, txn, VDB_ROLES, key, role_key(key, name, vault), &rb, 1, false);
	if (r || (r = vcore_audit_txn(c, txn, who, role ? "role.grant" : "role.revoke", target,
		     "ok", vr_role_name((uint8_t)role))))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vauth_role_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *principal, const char *vault, int role), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_ROLES, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		char buf[2 * 130], *sep;
		if (k.mv_size >= sizeof(buf) || v.mv_size != 1) {
			r = VG_EINTEGRITY;
			break;
		}
		memcpy(buf, k.mv_data, k.mv_size);
		buf[k.mv_size] = 0;
		sep = buf + strlen(buf);
		if ((size_t)(sep - buf) >= k.mv_size)
			continue;
		if (vault && strcmp(sep + 1, vault) != 0)
			continue;
		if ((r = cb(arg, buf, sep + 1, ((uint8_t *)v.mv_data)[0])))
			break;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
out:
	vdb_abort(txn);
	return r;
}

int vauth_agent_register(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *name, char regtoken[VAUTH_TOKEN_LEN + 1], uint64_t *expires)
{
	struct vr_principal p;
	struct vr_vault v;
	uint8_t key[2 * 130], rb = VR_R_AGENT;
	char target[160];
	MDB_txn *txn;
	int r;

	if ((r = vg_name_check(name, VG_PRINCIPAL_NAME_MAX)))
		return r;
	if (strchr(name, '@'))
		return VG_ENAME;
	memset(&p, 0, sizeof(p));
	p.kind = VR_K_AGENT;
	p.created = vault_now();
	p.reg_expires = p.created + REG_VALIDITY;
	snprintf(p.created_by, sizeof(p.created_by), "%s", who->principal);
	/* No working token until the agent activates its registration. */
	if ((r = vc_random(p.token_hash, sizeof(p.token_hash))) || (r = make_token(regtoken, p.reg_hash)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	snprintf(target, sizeof(target), "%s/%s", vault, name);
	if ((r = vcore_get_vault(c, txn, vault, &v)) ||
	    (r = put_principal(c, txn, name, &p, true)) ||
	    (r = vdb_put(c->db, txn, VDB_ROLES, key, role_key(key, name, vault), &rb, 1, false)) ||
	    (r = vcore_audit_txn(c, txn, who, "agent.register", target, "ok",
		     "registration credential valid 10 days")))
		goto fail;
	if ((r = vdb_commit(txn)))
		return r;
	*expires = p.reg_expires;
	return 0;
fail:
	vdb_abort(txn);
	OPENSSL_cleanse(regtoken, VAUTH_TOKEN_LEN + 1);
	return r;
}

int vauth_agent_activate(struct vcore *c, const struct vcaller *who, const char *name,
	const char *regtoken, char token[VAUTH_TOKEN_LEN + 1])
{
	struct vr_principal p;
	uint8_t h[VC_HASH_LEN];
	MDB_txn *txn;
	int r;

	if ((r = vc_sha256(regtoken, strlen(regtoken), h)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vauth_principal_get(c, txn, name, &p))) {
		r = r == VG_ENOTFOUND ? VG_EAUTH : r;
		goto fail;
	}
	if (p.kind != VR_K_AGENT || !p.reg_expires ||
	    CRYPTO_memcmp(p.reg_hash, h, VC_HASH_LEN) != 0) {
		r = VG_EAUTH;
		goto fail;
	}
	if (vault_now() > p.reg_expires) {
		r = VG_EAUTH;
		vdb_abort(txn);
		vcore_audit(c, who, "agent.activate", name, "denied",
			"registration credential expired (valid 10 days)");
		return VG_EPOLICY;
	}
	p.reg_expires = 0;
	memset(p.reg_hash, 0, sizeof(p.reg_hash));
	if ((r = make_token(token, p.token_hash)) || (r = put_principal(c, txn, name, &p, false)) ||
	    (r = put_index(c, txn, 't', p.token_hash, name)) ||
	    (r = vcore_audit_txn(c, txn, who, "agent.activate", name, "ok", "")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- brute-force detection (in memory, per source: window.h) ------------- */

int vauth_note_failure(struct vcore *c, const char *peer, char *source, size_t sourcesz)
{
	char src[64];
	struct vg_peer np;

	snprintf(src, sizeof(src), "%s", vg_peer_parse(peer, &np) == 0 ? np.source : peer);
	snprintf(source, sourcesz, "%s", src);
	return vwin_hit(c->authfail, src, vault_now());
}
