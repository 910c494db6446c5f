/* h_admin.c - vaultd request handlers for principals, roles, agent
 * registration, external events and alerts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alerts.h"
#include "clock.h"
#include "core_int.h"
#include "denials.h"
#include "enrol.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "peer.h"
#include "pin.h"
#include "server_int.h"
#include "vg_err.h"

/* A RESP was sent for a refusal: 1, or the I/O error that sending hit. */
static int refused(int send_rc)
{
	return send_rc ? send_rc : 1;
}

static int refuse(struct conn *k, const char *op, const char *target, int r, const char *why)
{
	if (vcore_audit(k->c, &k->who, op, target, vdeny_result(r), why ? why : vg_strerror(r)))
		log_warnx("audit append failed for %s %s", op, target);
	return send_err(k, r, "%s %s: %s", op, target, why ? why : vg_strerror(r));
}

static int admin_only(struct conn *k, const char *op, const char *target)
{
	if (vauth_is_admin(k->c, &k->who))
		return 0;
	return refused(refuse(k, op, target, VG_EDENIED, "only local root or a vault Owner may do this"));
}

/* Consumes the request's security PIN for vault in its own transaction. */
static int consume_pin(struct conn *k, const char *op, const char *target, const char *vault)
{
	char why[200] = "";
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(k->c->db, true, &txn)))
		return refused(send_err(k, r, NULL));
	r = vpin_consume(k->c, txn, &k->who, vault, why, sizeof(why));
	if (r) {
		vdb_abort(txn);
		return refused(refuse(k, op, target, r, *why ? why : NULL));
	}
	if ((r = vdb_commit(txn)))
		return refused(send_err(k, r, NULL));
	return 0;
}

static int send_token(struct conn *k, const char *token, uint64_t expires)
{
	struct vg_wr *w = resp_ok(k);
	int r;

	vg_msgb_str(w, VG_TAG_TOKEN, token);
	if (expires)
		vg_msgb_u64(w, VG_TAG_TIME2, expires);
	r = vg_send_frame(k->fd, w);
	OPENSSL_cleanse(w->p, w->len);
	return r;
}

int h_principal_add(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], kind[16], token[VAUTH_TOKEN_LEN + 1];
	const uint8_t *hash = NULL;
	uint32_t hl = 0;
	int r, kn;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)))
		return send_err(k, VG_EINVAL, "principal.add needs a name");
	if (vg_msg_str(m, VG_TAG_KIND, kind, sizeof(kind)))
		snprintf(kind, sizeof(kind), "user");
	if ((kn = vr_kind_parse(kind)) < 0)
		return send_err(k, VG_EINVAL, "principal kind %s: expected user, agent, monitor or auditor",
			kind);
	/* An auditor reads every vault's audit: only the console makes one. */
	if (kn == VR_K_AUDITOR && !k->who.root)
		return refuse(k, "principal.add", name, VG_EDENIED, "only local root adds auditor principals");
	if (vg_msg_bytes(m, VG_TAG_HASH, &hash, &hl) == 0 && hl != VC_HASH_LEN)
		return send_err(k, VG_EINVAL, "a token hash is 32 bytes");
	if ((r = vauth_principal_add_hash(k->c, &k->who, name, kn, hash, token)))
		return refuse(k, "principal.add", name, r, r == VG_EDENIED ? (hash ?
			"only local root may enrol a token by its hash" :
			"only local root or a vault Owner may add principals") : NULL);
	if (hash)
		return vg_send_frame(k->fd, resp_ok(k));
	r = send_token(k, token, 0);
	OPENSSL_cleanse(token, sizeof(token));
	return r;
}

/* What a caller who does not see across vaults may list (issue 12 item
 * 5): itself, and the principals holding a role on a vault it Owns. */
struct pscope {
	struct conn *k;
	bool all;
	char (*owned)[VG_VAULT_NAME_MAX + 1];
	size_t nowned, capowned;
	char (*names)[VG_PRINCIPAL_NAME_MAX + 1];
	size_t nnames, capnames;
};

static int owned_cb(void *arg, const char *principal, const char *vault, int role)
{
	struct pscope *s = arg;
	char (*slot)[VG_VAULT_NAME_MAX + 1];

	if (role != VR_R_OWNER || strcmp(principal, s->k->who.principal) != 0)
		return 0;
	if (!(slot = vcore_push(&s->owned, &s->nowned, &s->capowned, sizeof(*slot))))
		return -ENOMEM;
	snprintf(*slot, sizeof(*slot), "%s", vault);
	return 0;
}

static int member_cb(void *arg, const char *principal, const char *vault, int role)
{
	struct pscope *s = arg;
	char (*slot)[VG_PRINCIPAL_NAME_MAX + 1];

	(void)role;
	for (size_t i = 0; i < s->nowned; i++)
		if (strcmp(s->owned[i], vault) == 0) {
			if (!(slot = vcore_push(&s->names, &s->nnames, &s->capnames, sizeof(*slot))))
				return -ENOMEM;
			snprintf(*slot, sizeof(*slot), "%s", principal);
			return 0;
		}
	return 0;
}

static bool pscope_has(const struct pscope *s, const char *name)
{
	if (s->all || strcmp(name, s->k->who.principal) == 0)
		return true;
	for (size_t i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static int principal_row_cb(void *arg, const char *name, const struct vr_principal *p)
{
	struct pscope *s = arg;
	struct conn *k = s->k;
	struct vg_wr *w;

	if (!pscope_has(s, name))
		return 0;
	w = row(k);

	vg_msgb_str(w, VG_TAG_NAME, name);
	vg_msgb_str(w, VG_TAG_KIND, vr_kind_name(p->kind));
	vg_msgb_u64(w, VG_TAG_TIME, p->created);
	vg_msgb_u64(w, VG_TAG_COUNT, p->ncerts);
	vg_msgb_str(w, VG_TAG_STATE, p->disabled ? "disabled" :
		(p->reg_expires ? "registration-pending" : "active"));
	return vg_send_frame(k->fd, w);
}

int h_principal_list(struct conn *k, const struct vg_msg *m)
{
	struct pscope s = {.k = k, .all = vauth_sees_all(&k->who)};
	int r;

	(void)m;
	if ((r = admin_only(k, "principal.list", "-")))
		return r < 0 ? r : 0;
	if (!s.all && ((r = vauth_role_list(k->c, NULL, owned_cb, &s)) ||
		       (r = vauth_role_list(k->c, NULL, member_cb, &s)))) {
		r = send_err(k, r, NULL);
		goto out;
	}
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		goto out;
	r = vauth_principal_list(k->c, principal_row_cb, &s);
	if (r != VG_ECLOSED)
		r = end_stream(k, r);
out:
	free(s.owned);
	free(s.names);
	return r;
}

struct held {
	const char *name;
	struct conn *k;
	char why[300];
	int denied;
};

static int held_cb(void *arg, const char *principal, const char *vault, int role)
{
	struct held *h = arg;

	(void)role;
	if (!h->denied && strcmp(principal, h->name) == 0 &&
	    vauth_authorize(h->k->c, &h->k->who, vault, NULL, VP_SECURITY, h->why, sizeof(h->why)))
		h->denied = 1;
	return 0;
}

/* May the caller change name's credentials (token, client certificates)?
 * A principal may change its own, and local root anyone's. An agent's
 * credentials may also be changed by an Owner of every vault the agent
 * holds a role on. With pin set (rotating or removing an agent's
 * credential, SPEC §6; or adding one, except by local root setting an
 * agent up) it also takes --vault (a vault the agent belongs to) and a
 * security PIN of that vault.
 * 0: allowed (the PIN is spent); 1: refused (RESP sent); <0: I/O error. */
static int may_change_credential(struct conn *k, const char *op, const char *name,
	const struct vr_principal *p, const char *vault, bool pin, const char *needs)
{
	struct held h = {.name = name, .k = k};
	char why[300];
	MDB_txn *txn;
	int self = strcmp(name, k->who.principal) == 0, r, role;

	if (p->kind != VR_K_AGENT) {
		if (self || k->who.root)
			return 0;
		return refused(refuse(k, op, name, VG_EDENIED,
			"a user's credential is changed only by that user or by local root"));
	}
	if (pin && !*vault)
		return refused(refuse(k, op, name, VG_EPIN, needs));
	if (*vault) {
		if ((r = vdb_begin(k->c->db, false, &txn)))
			return refused(send_err(k, r, NULL));
		role = vauth_role_in(k->c, txn, name, vault);
		vdb_abort(txn);
		if (role != VR_R_AGENT) {
			snprintf(why, sizeof(why), "agent %s does not belong to vault %s", name, vault);
			return refused(refuse(k, op, name, VG_EDENIED, why));
		}
	}
	if (!self && !k->who.root) {
		if ((r = vauth_role_list(k->c, NULL, held_cb, &h)))
			return refused(send_err(k, r, NULL));
		if (h.denied)
			return refused(refuse(k, op, name, VG_EDENIED, h.why));
	}
	return pin ? consume_pin(k, op, name, vault) : 0;
}

int h_principal_rotate(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], vault[VG_VAULT_NAME_MAX + 1] = "";
	char token[VAUTH_TOKEN_LEN + 1];
	struct vr_principal p;
	MDB_txn *txn;
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)))
		return send_err(k, VG_EINVAL, "principal.rotate needs a name");
	(void)vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	if ((r = vdb_begin(k->c->db, false, &txn)))
		return send_err(k, r, NULL);
	r = vauth_principal_get(k->c, txn, name, &p);
	vdb_abort(txn);
	if (r)
		return send_err(k, r, "principal %s: %s", name, vg_strerror(r));
	if ((r = may_change_credential(k, "principal.rotate", name, &p, vault, true,
		     "rotating an agent's credential needs --vault VAULT and a security PIN")))
		return r < 0 ? r : 0;
	if ((r = vauth_principal_rotate(k->c, &k->who, name, token)))
		return refuse(k, "principal.rotate", name, r, NULL);
	r = send_token(k, token, 0);
	OPENSSL_cleanse(token, sizeof(token));
	return r;
}

int h_principal_cert(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], vault[VG_VAULT_NAME_MAX + 1] = "";
	struct vr_principal p;
	const uint8_t *fp;
	uint32_t fl = 0, flags = 0;
	MDB_txn *txn;
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_bytes(m, VG_TAG_HASH, &fp, &fl) || fl != 32)
		return send_err(k, VG_EINVAL, "principal.cert needs a name and a SHA-256 fingerprint");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	(void)vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	if ((r = vdb_begin(k->c->db, false, &txn)))
		return send_err(k, r, NULL);
	r = vauth_principal_get(k->c, txn, name, &p);
	vdb_abort(txn);
	if (r)
		return send_err(k, r, "principal %s: %s", name, vg_strerror(r));
	if ((r = may_change_credential(k, "principal.cert", name, &p, vault,
		     (flags & 1) || !k->who.root,
		     "changing an agent's credential needs --vault VAULT and a security PIN")))
		return r < 0 ? r : 0;
	if ((r = vauth_principal_cert(k->c, &k->who, name, fp, !(flags & 1))))
		return refuse(k, "principal.cert", name, r, NULL);
	return vg_send_frame(k->fd, resp_ok(k));
}

/* A role change that found nothing: say which of the three was missing
 * (the principal, the vault, or the role being revoked). */
static void role_missing(struct conn *k, const char *name, const char *vault, char *why, size_t n)
{
	struct vr_principal p;
	struct vr_vault v;
	MDB_txn *txn;

	snprintf(why, n, "principal %s holds no role on vault %s", name, vault);
	if (vdb_begin(k->c->db, false, &txn))
		return;
	if (vauth_principal_get(k->c, txn, name, &p) == VG_ENOTFOUND)
		snprintf(why, n, "no principal \"%s\" (vaultctl principal list shows them)", name);
	else if (vcore_get_vault(k->c, txn, vault, &v) == VG_ENOTFOUND)
		snprintf(why, n, "no vault \"%s\"", vault);
	vdb_abort(txn);
}

int h_role_set(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], vault[VG_VAULT_NAME_MAX + 1], role[32], target[140];
	int r, rn;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)) ||
	    vg_msg_str(m, VG_TAG_ROLE, role, sizeof(role)))
		return send_err(k, VG_EINVAL, "role.set needs a principal, a vault and a role");
	rn = strcmp(role, "none") == 0 ? VR_R_NONE : vr_role_parse(role);
	if (rn < 0)
		return send_err(k, VG_EINVAL,
			"role %s: expected reader, agent, operator, contributor, owner or none", role);
	snprintf(target, sizeof(target), "%s/%s", vault, name);
	if ((r = need(k, "role.set", vault, NULL, VP_SECURITY)))
		return r < 0 ? r : 0;
	if ((r = vauth_role_set(k->c, &k->who, name, vault, rn))) {
		char why[200];
		if (r == VG_EINVAL)
			snprintf(why, sizeof(why), "agents hold only the agent role, monitors and auditors hold none");
		else if (r == VG_ENOTFOUND)
			role_missing(k, name, vault, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", vg_strerror(r));
		/* Audited under the operation's name; answered in the CLI's words. A
		 * role the principal's kind may not hold (VG_EINVAL) is refused. */
		if (vcore_audit(k->c, &k->who, rn == VR_R_NONE ? "role.revoke" : "role.grant", target,
			    r == VG_EINVAL ? "denied" : vdeny_result(r), why))
			log_warnx("audit append failed for role change %s", target);
		return send_err(k, r, "role %s %s on vault %s: %s", rn == VR_R_NONE ? "revoke" : "grant",
			name, vault, why);
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

static int role_row_cb(void *arg, const char *principal, const char *vault, int role)
{
	struct conn *k = arg;
	struct vg_wr *w;
	char why[8];

	if (!vauth_sees_all(&k->who) &&
	    vauth_authorize(k->c, &k->who, vault, NULL, VP_VIEW, why, sizeof(why)))
		return 0;  /* not a vault this caller may view */
	w = row(k);

	vg_msgb_str(w, VG_TAG_NAME, principal);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ROLE, vr_role_name((uint8_t)role));
	return vg_send_frame(k->fd, w);
}

int h_role_list(struct conn *k, const struct vg_msg *m)
{
	char vault[VG_VAULT_NAME_MAX + 1];
	int r, have = vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)) == 0;

	/* With a vault: a role on it (SPEC §1 view). Without: the assignments
	 * of the vaults the caller may view (all of them: vauth_sees_all). */
	if (have && !vauth_sees_all(&k->who) && (r = need(k, "role.list", vault, NULL, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vauth_role_list(k->c, have ? vault : NULL, role_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_agent_register(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], vault[VG_VAULT_NAME_MAX + 1], target[140];
	char token[VAUTH_TOKEN_LEN + 1];
	uint64_t expires = 0;
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)))
		return send_err(k, VG_EINVAL, "agent.register needs a vault and an agent name");
	snprintf(target, sizeof(target), "%s/%s", vault, name);
	if ((r = need(k, "agent.register", vault, NULL, VP_PROTECT)))
		return r < 0 ? r : 0;
	if ((r = vauth_agent_register(k->c, &k->who, vault, name, token, &expires)))
		return refuse(k, "agent.register", target, r, NULL);
	r = send_token(k, token, expires);
	OPENSSL_cleanse(token, sizeof(token));
	return r;
}

/* agent.activate needs no credential: over the network (vaultgw's POST
 * /v1/agents/activate) it is the one operation anybody may try. Failed
 * attempts are counted per source and per agent (enrol.h); at the limit
 * every attempt is refused, audited, and the agent's limit raises
 * auth-bruteforce naming the agent. */
int h_agent_activate(struct conn *k, const struct vg_msg *m)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], reg[300], token[VAUTH_TOKEN_LEN + 1], why[200];
	char src[sizeof(k->who.peer)];
	uint64_t retry = 0, now = vault_now();
	struct vg_peer np;
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) || vg_name_check(name, VG_PRINCIPAL_NAME_MAX) ||
	    vg_msg_str(m, VG_TAG_TOKEN, reg, sizeof(reg))) {
		OPENSSL_cleanse(reg, sizeof(reg));
		return send_err(k, VG_EINVAL, "agent.activate needs the agent name and its registration token");
	}
	snprintf(k->who.principal, sizeof(k->who.principal), "%s", name);
	/* One source per IPv4 address or IPv6 /64 (peer.h). */
	snprintf(src, sizeof(src), "%s", vg_peer_parse(k->who.peer, &np) == 0 ? np.source : k->who.peer);
	if (venrol_check(src, name, now, &retry, why, sizeof(why))) {
		OPENSSL_cleanse(reg, sizeof(reg));
		if (vcore_audit(k->c, &k->who, "agent.activate", name, "denied", why))
			log_warnx("audit append failed for agent.activate %s", name);
		return send_err(k, VG_ELIMIT, "agent.activate %s: %s", name, why);
	}
	r = vauth_agent_activate(k->c, &k->who, name, reg, token);
	OPENSSL_cleanse(reg, sizeof(reg));
	if (r == VG_EAUTH || r == VG_EPOLICY || r == VG_ENOTFOUND) {
		char source[VG_PEER_ADDR_MAX + 4];
		if (venrol_failed(src, name, now)) {
			snprintf(why, sizeof(why), "%d failed activations of agent %s within %d minutes",
				VENROL_PER_AGENT, name, VENROL_WINDOW / 60);
			(void)valert_raise(k->c, NULL, "auth-bruteforce", &k->who, NULL, name, why);
		}
		if (vauth_note_failure(k->c, k->who.peer, source, sizeof(source)))
			(void)valert_raise(k->c, NULL, "auth-bruteforce", &k->who, NULL, source,
				"10 or more failed authentications within 5 minutes");
	}
	if (r == VG_EPOLICY)
		return send_err(k, VG_EAUTH, "agent %s: the registration credential expired (valid 10 days)", name);
	if (r)
		return refuse(k, "agent.activate", name, r == VG_ENOTFOUND ? VG_EAUTH : r,
			r == VG_EAUTH || r == VG_ENOTFOUND ?
				"the registration credential is wrong or already used" : NULL);
	r = send_token(k, token, 0);
	OPENSSL_cleanse(token, sizeof(token));
	return r;
}

int h_event_record(struct conn *k, const struct vg_msg *m)
{
	char op[65], target[1025], reason[1025] = "", kind[65] = "", vault[VG_VAULT_NAME_MAX + 1] = "";
	char fullop[80];
	int r;

	if (!k->who.root)
		return refuse(k, "event.record", "-", VG_EDENIED, "only local root may record events");
	if (vg_msg_str(m, VG_TAG_OPNAME, op, sizeof(op)) ||
	    vg_msg_str(m, VG_TAG_TARGET, target, sizeof(target)))
		return send_err(k, VG_EINVAL, "event.record needs an operation name and a target");
	(void)vg_msg_str(m, VG_TAG_REASON, reason, sizeof(reason));
	(void)vg_msg_str(m, VG_TAG_KIND, kind, sizeof(kind));
	(void)vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	if (*kind && !valert_known(kind))
		return send_err(k, VG_EINVAL, "unknown alert %s", kind);
	snprintf(fullop, sizeof(fullop), "%s", op);
	if ((r = vcore_audit(k->c, &k->who, fullop, target, "ok", reason)))
		return send_err(k, r, NULL);
	if (strcmp(op, "firewall.drops") == 0) {
		/* vaultnet: reason = "N packets to port(s) ..."; counted for /metrics. */
		char num[24];
		uint64_t n;
		size_t l = strspn(reason, "0123456789");
		if (l > 0 && l < sizeof(num)) {
			memcpy(num, reason, l);
			num[l] = 0;
			if (vg_parse_u64(num, 0, UINT64_MAX, &n) == 0 &&
			    (r = vmetrics_count(k->c, "fw_drops_total", n)))
				log_warnx("counting firewall drops: %s", vg_strerror(r));
		}
	}
	if (*kind && (r = valert_raise(k->c, NULL, kind, &k->who, *vault ? vault : NULL, target, reason)))
		return send_err(k, r, NULL);
	return vg_send_frame(k->fd, resp_ok(k));
}

/* The item an alert's target names ("vault/item[/...]"), or "" if none. */
static void alert_item(const struct vr_alert *a, char *item, size_t itemsz)
{
	size_t vl = strlen(a->vault), il;
	const char *p = a->target + vl + 1, *end;

	*item = 0;
	if (strncmp(a->target, a->vault, vl) != 0 || a->target[vl] != '/')
		return;
	end = strchr(p, '/');
	il = end ? (size_t)(end - p) : strlen(p);
	if (il == 0 || il >= itemsz)
		return;
	memcpy(item, p, il);
	item[il] = 0;
}

static int alert_row_cb(void *arg, const struct vr_alert *a)
{
	struct conn *k = arg;
	struct vg_wr *w;
	char why[8], item[VG_ITEM_NAME_MAX + 1] = "";

	/* Anchors are records sent off the box, not alerts (anchor.h). */
	if (a->seq > VALERT_INFO_SEQ_BASE)
		return 0;
	/* Agents see only the alerts about their own items (SPEC §1: "own"). */
	if (*a->vault && k->who.kind == VR_K_AGENT && !k->who.root) {
		alert_item(a, item, sizeof(item));
		if (!*item)
			return 0;
	}
	if (*a->vault && !vauth_sees_all(&k->who) &&
	    vauth_authorize(k->c, &k->who, a->vault, *item ? item : NULL, VP_VIEW, why, sizeof(why)))
		return 0;
	if (!*a->vault && !vauth_sees_all(&k->who) && !vauth_is_admin(k->c, &k->who))
		return 0;
	w = row(k);
	vg_msgb_u64(w, VG_TAG_SEQ, a->seq);
	vg_msgb_u64(w, VG_TAG_TIME, a->time);
	vg_msgb_str(w, VG_TAG_NAME, a->name);
	vg_msgb_str(w, VG_TAG_STATE, a->severity);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, a->principal);
	vg_msgb_str(w, VG_TAG_VAULT, a->vault);
	vg_msgb_str(w, VG_TAG_TARGET, a->target);
	vg_msgb_str(w, VG_TAG_DETAIL, a->detail);
	return vg_send_frame(k->fd, w);
}

int h_alert_list(struct conn *k, const struct vg_msg *m)
{
	char vault[VG_VAULT_NAME_MAX + 1];
	uint64_t from = 1;
	int r, have = vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)) == 0;

	(void)vg_msg_u64(m, VG_TAG_SEQ, &from);
	if (have && !vauth_sees_all(&k->who) && (r = need(k, "alert.list", vault, NULL, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = valert_list(k->c, have ? vault : NULL, from, alert_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}
