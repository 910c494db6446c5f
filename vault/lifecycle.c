/* lifecycle.c - see lifecycle.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "lifecycle.h"
#include "s3.h"
#include "mua.h"
#include "pending.h"
#include "pin.h"
#include "policy.h"
#include "trusted_time.h"
#include "vg_err.h"
#include "window.h"

#define DAY 86400ull
#define WARN_AHEAD (48ull * 3600)
#define PENDING_MAX_AGE VCORE_DETACHED_MAX_AGE

#define WHY(...) snprintf(why, whysz, __VA_ARGS__)

static int unexpired(const struct vr_point *p, uint64_t now)
{
	return p->expiry == 0 || p->expiry > now;
}

static int immutable(const struct vr_vault *v)
{
	return v->immut != VR_IMM_DISABLED;
}

static uint64_t window_of(const struct vr_vault *v)
{
	return (uint64_t)(v->sd_state == VR_SD_OFF ? 0 : v->sd_days) * DAY;
}

static int put_vault(struct vcore *c, MDB_txn *txn, const char *name, const struct vr_vault *v)
{
	return vcore_put(c, txn, VDB_VAULTS, name, strlen(name), v, false);
}

/* The cooling-off period of a weakening change requested now (SPEC §11):
 * the vault's soft-delete window, and never less than the 14-day floor. */
static uint64_t cooling_off(const struct vr_vault *v)
{
	uint64_t w = window_of(v);

	return w > 14 * DAY ? w : 14 * DAY;
}

void vlife_outcome_str(const struct vlife_outcome *o, char *buf, size_t n)
{
	char ts[40];

	vg_time_iso(o->at, NULL, ts, sizeof(ts));
	switch (o->result) {
	case VLIFE_SOFT: snprintf(buf, n, "soft-deleted until %s", ts); break;
	case VLIFE_PERMANENT: snprintf(buf, n, "permanently deleted"); break;
	case VLIFE_PENDING: snprintf(buf, n, "pending until %s (id %s)", ts, o->id); break;
	default: snprintf(buf, n, "done"); break;
	}
}

static void outcome(struct vlife_outcome *o, enum vlife_result res, uint64_t at, const char *id)
{
	if (!o)
		return;
	memset(o, 0, sizeof(*o));
	o->result = res;
	o->at = at;
	if (id)
		snprintf(o->id, sizeof(o->id), "%s", id);
}

/* Stores a weakening change as pending (SPEC §11) inside txn, audits the
 * request and raises its alert at once. The change itself is applied by
 * the purger once it is due (vlife_pending_apply). */
static int hold_change(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, const struct vr_vault *v, uint8_t kind, const char *setting,
	const char *value, const char *old, const char *alert, const char *op, const char *target,
	struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vpend p;
	char detail[1400], ts[40], what[300];
	int r;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	snprintf(p.vault, sizeof(p.vault), "%s", vault);
	p.vault_id = v->id;
	snprintf(p.setting, sizeof(p.setting), "%s", setting);
	snprintf(p.value, sizeof(p.value), "%s", value);
	snprintf(p.old, sizeof(p.old), "%s", old);
	snprintf(p.requester, sizeof(p.requester), "%s", who->principal);
	snprintf(p.alert, sizeof(p.alert), "%s", alert);
	p.requested = vault_now();
	p.effective = p.requested + cooling_off(v);
	if ((r = vpend_add(c, txn, &p, why, whysz)))
		return r;
	vg_time_iso(p.effective, NULL, ts, sizeof(ts));
	vpend_what(&p, what, sizeof(what));
	snprintf(detail, sizeof(detail), "%s %s -> %s requested: pending %s, takes effect at %s "
		"unless cancelled (vaultctl pending cancel %s)", what, old, value, p.id, ts, p.id);
	if ((r = valert_raise(c, txn, alert, who, vault, target, detail)) ||
	    (r = vcore_audit_txn(c, txn, who, op, target, "pending", detail)))
		return r;
	outcome(out, VLIFE_PENDING, p.effective, p.id);
	return 0;
}

/* ---- mass deletion ---------------------------------------------------------- */

static void note_deletion(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault)
{
	if (vwin_hit(c->deletions, who->principal, vault_now()))
		(void)valert_raise(c, txn, "mass-deletion", who, vault, vault,
			"5 or more deletions by one principal within 10 minutes");
}

void vlife_note_deletion(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault)
{
	note_deletion(c, txn, who, vault);
}

/* ---- helpers over an item's points --------------------------------------- */

/* Does the item hold a live point that has not expired? */
static int has_unexpired(struct vcore *c, MDB_txn *txn, const struct vr_item *it, uint64_t now,
	int *yes)
{
	struct vr_point *pts;
	size_t n;
	int r = vcore_item_points(c, txn, it->id, &pts, &n);

	*yes = 0;
	for (size_t i = 0; !r && i < n; i++)
		if (pts[i].state == VR_P_ACTIVE && pts[i].kind != VR_PK_REPO && unexpired(&pts[i], now))
			*yes = 1;
	/* A restic repository holds data in its container point. */
	if (!r && strcmp(it->kind, "restic") == 0 && n > 0)
		for (size_t i = 0; i < n; i++)
			if (pts[i].kind == VR_PK_SNAPSHOT && pts[i].state == VR_P_ACTIVE)
				*yes = 1;
	free(pts);
	return r;
}

/* ---- vault settings ------------------------------------------------------------ */

static int set_soft_delete(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, struct vr_vault *v, const char *value, const char **weak, char *why,
	size_t whysz)
{
	int to, r;

	if (strcmp(value, "off") == 0)
		to = VR_SD_OFF;
	else if (strcmp(value, "on") == 0)
		to = VR_SD_ON;
	else if (strcmp(value, "always-on") == 0)
		to = VR_SD_ALWAYS;
	else {
		WHY("soft-delete %s: expected off, on or always-on", value);
		return VG_EINVAL;
	}
	if (v->sd_state == VR_SD_ALWAYS && to != VR_SD_ALWAYS) {
		WHY("vault %s: soft delete is always-on and cannot be changed", vault);
		return VG_EPOLICY;
	}
	if (to == VR_SD_OFF && v->sd_state != VR_SD_OFF) {
		if ((r = vmua_check(c, txn, who, v, VMUA_SOFT_DELETE_OFF, vault, why, whysz)))
			return r;
		*weak = "soft-delete-disabled";  /* pending; raised by hold_change */
		return 0;
	}
	v->sd_state = (uint8_t)to;
	return 0;
}

static int set_immutability(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, struct vr_vault *v, const char *value, const char **weak, char *why,
	size_t whysz)
{
	int to, r;

	if (strcmp(value, "disabled") == 0)
		to = VR_IMM_DISABLED;
	else if (strcmp(value, "enabled") == 0)
		to = VR_IMM_ENABLED;
	else if (strcmp(value, "locked") == 0)
		to = VR_IMM_LOCKED;
	else {
		WHY("immutability %s: expected disabled, enabled or locked", value);
		return VG_EINVAL;
	}
	if (to == v->immut)
		return 0;
	if (v->immut == VR_IMM_LOCKED) {
		WHY("vault %s: immutability is locked, which is irreversible", vault);
		return VG_EIMMUTABLE;
	}
	if (v->immut == VR_IMM_DISABLED && to == VR_IMM_LOCKED) {
		WHY("vault %s: immutability must be enabled before it can be locked", vault);
		return VG_EPOLICY;
	}
	if (to == VR_IMM_DISABLED) {
		if ((r = vmua_check(c, txn, who, v, VMUA_IMMUTABILITY_DISABLE, vault, why, whysz)))
			return r;
		*weak = "immutability-disabled";
		return 0;
	}
	v->immut = (uint8_t)to;
	return 0;
}

static int set_guard(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, struct vr_vault *v, const char *value, const char **weak, char *why,
	size_t whysz)
{
	struct vr_guard g;
	int r;

	if (strcmp(value, "none") != 0 && (r = vmua_guard_get(c, txn, value, &g))) {
		WHY("guard %s: %s", value, vg_strerror(r));
		return r;
	}
	if (*v->guard && strcmp(v->guard, value) != 0) {
		/* Unlinking (or switching) the guard is mandatory-critical. */
		if ((r = vmua_check(c, txn, who, v, VMUA_GUARD_UNLINK, vault, why, whysz)))
			return r;
		*weak = "mua-removed";
		return 0;
	}
	snprintf(v->guard, sizeof(v->guard), "%s", strcmp(value, "none") == 0 ? "" : value);
	return 0;
}

static const char *const sd_names[] = {"off", "on", "always-on"};
static const char *const imm_names[] = {"disabled", "enabled", "locked"};

/* The current value of a vault setting, for pending-change records. */
static void setting_now(const struct vr_vault *v, const char *setting, char *buf, size_t n)
{
	if (strcmp(setting, "soft-delete") == 0)
		snprintf(buf, n, "%s", v->sd_state < 3 ? sd_names[v->sd_state] : "?");
	else if (strcmp(setting, "soft-delete-days") == 0)
		snprintf(buf, n, "%u", v->sd_days);
	else if (strcmp(setting, "immutability") == 0)
		snprintf(buf, n, "%s", v->immut < 3 ? imm_names[v->immut] : "?");
	else
		snprintf(buf, n, "%s", *v->guard ? v->guard : "none");
}

int vlife_vault_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *setting, const char *value, struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	MDB_txn *txn;
	const char *weak = NULL;
	char reason[200], old[VG_VAULT_NAME_MAX + 16];
	int r;

	outcome(out, VLIFE_DONE, 0, NULL);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)))
		goto fail;
	setting_now(&v, setting, old, sizeof(old));
	if (strcmp(setting, "soft-delete") == 0) {
		r = set_soft_delete(c, txn, who, vault, &v, value, &weak, why, whysz);
	} else if (strcmp(setting, "soft-delete-days") == 0) {
		uint64_t d;
		if (vg_parse_u64(value, 0, 100000, &d) || d < 14 || d > 180) {
			WHY("soft-delete-days %s: must be between 14 and 180", value);
			r = VG_EPOLICY;
		} else if (d < v.sd_days) {
			weak = "retention-reduced";  /* a shorter window: SPEC §11 */
		} else {
			v.sd_days = (uint16_t)d;
		}
	} else if (strcmp(setting, "immutability") == 0) {
		r = set_immutability(c, txn, who, vault, &v, value, &weak, why, whysz);
	} else if (strcmp(setting, "guard") == 0) {
		r = set_guard(c, txn, who, vault, &v, value, &weak, why, whysz);
	} else {
		WHY("unknown setting %s (soft-delete, soft-delete-days, immutability, guard)", setting);
		r = VG_EINVAL;
	}
	if (r)
		goto fail;
	if (weak) {
		if ((r = hold_change(c, txn, who, vault, &v, VPEND_VAULT_SET, setting, value, old, weak,
			     "vault.set", vault, out, why, whysz)))
			goto fail;
		return vdb_commit(txn);
	}
	{
		struct vpend like = {.kind = VPEND_VAULT_SET, .vault_id = v.id};
		snprintf(like.vault, sizeof(like.vault), "%s", vault);
		snprintf(like.setting, sizeof(like.setting), "%s", setting);
		snprintf(like.value, sizeof(like.value), "%s", value);
		if ((r = vpend_supersede(c, txn, who, &like)))
			goto fail;
	}
	snprintf(reason, sizeof(reason), "%s=%s", setting, value);
	if ((r = put_vault(c, txn, vault, &v)) ||
	    (r = vcore_audit_txn(c, txn, who, "vault.set", vault, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- vault delete --------------------------------------------------------------- */

struct item_rec {
	char name[VG_ITEM_NAME_MAX + 1];
	struct vr_item it;
};

struct items_acc {
	struct item_rec *items;
	size_t n, cap;
};

static int items_acc_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct items_acc *a = arg;
	struct item_rec *ir;

	if (!(ir = vcore_push(&a->items, &a->n, &a->cap, sizeof(*ir))))
		return VG_EINTERNAL;
	if (vdb_key_name(k, 8, VG_ITEM_NAME_MAX, ir->name))
		return VG_EINTEGRITY;
	return vr_item_dec(v->mv_data, v->mv_size, &ir->it);
}

static int vault_items(struct vcore *c, MDB_txn *txn, uint64_t vault_id, struct item_rec **out,
	size_t *n)
{
	struct items_acc a = {0};
	uint8_t prefix[8];
	int r;

	vg_put_u64(prefix, vault_id);
	if ((r = vdb_each(c->db, txn, VDB_ITEMS, prefix, sizeof(prefix), items_acc_cb, &a))) {
		free(a.items);
		a.items = NULL;
		a.n = 0;
	}
	*out = a.items;
	*n = a.n;
	return r;
}

int vlife_vault_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct item_rec *items = NULL;
	uint64_t now = vault_now();
	size_t n = 0;
	MDB_txn *txn;
	char reason[128];
	int r, live;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)))
		goto fail;
	if (immutable(&v)) {
		if ((r = vault_items(c, txn, v.id, &items, &n)))
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (items[i].it.state == VR_I_SOFTDELETED)
				continue;
			if ((r = has_unexpired(c, txn, &items[i].it, now, &live)))
				goto fail;
			if (live) {
				WHY("vault %s is immutable and item %s holds unexpired recovery points",
					vault, items[i].name);
				r = VG_EIMMUTABLE;
				goto fail;
			}
		}
	}
	if ((r = vmua_check(c, txn, who, &v, VMUA_DELETE_DATA, vault, why, whysz)))
		goto fail;
	/* A vault is always soft-deleted first, with at least 14 days. */
	v.state = VR_V_SOFTDELETED;
	v.deleted_at = now;
	v.purge_at = now + (uint64_t)(v.sd_days >= 14 ? v.sd_days : 14) * DAY;
	v.sd_alerted = 0;
	snprintf(reason, sizeof(reason), "soft-deleted; purge after %llu",
		(unsigned long long)v.purge_at);
	if ((r = put_vault(c, txn, vault, &v)) ||
	    (r = vcore_audit_txn(c, txn, who, "vault.delete", vault, "ok", reason)) ||
	    (r = valert_raise(c, txn, "delete-backup-data", who, vault, vault,
		     "vault soft-deleted")))
		goto fail;
	note_deletion(c, txn, who, vault);
	free(items);
	if ((r = vdb_commit(txn)))
		return r;
	outcome(out, VLIFE_SOFT, v.purge_at, NULL);
	return 0;
fail:
	free(items);
	vdb_abort(txn);
	return r;
}

int vlife_vault_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	char *why, size_t whysz)
{
	struct vr_vault v;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_get_vault(c, txn, vault, &v)))
		goto fail;
	if (v.state != VR_V_SOFTDELETED) {
		WHY("vault %s is not soft-deleted", vault);
		r = VG_EBADSTATE;
		goto fail;
	}
	v.state = VR_V_ACTIVE;
	v.deleted_at = v.purge_at = 0;
	if ((r = put_vault(c, txn, vault, &v)) ||
	    (r = vcore_audit_txn(c, txn, who, "vault.undelete", vault, "ok", "")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- policies --------------------------------------------------------------------- */

static int apply_policy(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, const struct vr_vault *v, const char *only_item, const char *policy,
	const struct vr_policy *pol, uint32_t *cut, uint32_t *restored)
{
	struct item_rec *items;
	size_t n;
	int r;

	if ((r = vault_items(c, txn, v->id, &items, &n)))
		return r;
	for (size_t i = 0; !r && i < n; i++) {
		if (only_item ? strcmp(items[i].name, only_item) != 0 :
				strcmp(items[i].it.policy, policy) != 0)
			continue;
		r = vpolicy_apply_item(c, txn, v, &items[i].it, pol, vault_now(), cut, restored);
	}
	free(items);
	(void)who;
	(void)vault;
	return r;
}

/* Does a retention reduction touch any data: an active recovery point of
 * item (non-NULL), or of an item on policy? A reduction that touches none
 * weakens nothing today and takes effect at once; one that does waits out
 * the cooling-off (SPEC §11). */
static int touches_data(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const char *policy, const char *item, int *yes)
{
	struct item_rec *items;
	size_t n;
	int r;

	*yes = 0;
	if ((r = vault_items(c, txn, v->id, &items, &n)))
		return r;
	for (size_t i = 0; !r && !*yes && i < n; i++) {
		struct vr_point *pts;
		size_t np;
		if (item ? strcmp(items[i].name, item) != 0 : strcmp(items[i].it.policy, policy) != 0)
			continue;
		if ((r = vcore_item_points(c, txn, items[i].it.id, &pts, &np)))
			break;
		for (size_t j = 0; j < np; j++)
			*yes |= pts[j].state == VR_P_ACTIVE;
		free(pts);
	}
	free(items);
	return r;
}

/* Writes policy name of vault and applies it to its items (cuts and
 * restores), audited: the second half of a policy change, now or when a
 * pending reduction falls due. */
static int policy_write(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, const struct vr_vault *v, const char *name, struct vr_policy *pol,
	const struct vr_policy *old, const char *op)
{
	char reason[256], news[96], target[140];
	uint32_t cut = 0, restored = 0;
	int r;

	snprintf(target, sizeof(target), "%s/%s", vault, name);
	vpolicy_format(pol, news, sizeof(news));
	pol->created = old ? old->created : vault_now();
	if ((r = vpolicy_put(c, txn, v->id, name, pol)) ||
	    (r = apply_policy(c, txn, who, vault, v, NULL, name, pol, &cut, &restored)))
		return r;
	snprintf(reason, sizeof(reason), "%s; %u points cut to soft delete, %u restored", news, cut,
		restored);
	return vcore_audit_txn(c, txn, who, op, target, "ok", reason);
}

int vlife_policy_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *name, const char *spec, struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_policy old, pol;
	MDB_txn *txn;
	char olds[96], news[96], target[140];
	int r, exists, live = 0;

	outcome(out, VLIFE_DONE, 0, NULL);
	if ((r = vpolicy_parse(spec, &pol, why, whysz)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)))
		goto fail;
	r = vpolicy_get(c, txn, v.id, name, &old);
	exists = r == 0;
	if (r && r != VG_ENOTFOUND)
		goto fail;
	snprintf(target, sizeof(target), "%s/%s", vault, name);
	vpolicy_format(&pol, news, sizeof(news));
	if (exists && vpolicy_lowers(&old, &pol)) {
		vpolicy_format(&old, olds, sizeof(olds));
		if (immutable(&v)) {
			WHY("vault %s is immutable: policy %s cannot lower retention (%s -> %s)", vault,
				name, olds, news);
			r = VG_EIMMUTABLE;
			goto fail;
		}
		if ((r = vmua_check(c, txn, who, &v, VMUA_RETENTION_REDUCE, target, why, whysz)) ||
		    (r = touches_data(c, txn, &v, name, NULL, &live)))
			goto fail;
		/* A reduction that touches data waits out the cooling-off (SPEC §11). */
		if (live) {
			if ((r = hold_change(c, txn, who, vault, &v, VPEND_POLICY_SET, name, news, olds,
				     "retention-reduced", "policy.set", target, out, why, whysz)))
				goto fail;
			return vdb_commit(txn);
		}
		if ((r = valert_raise(c, txn, "retention-reduced", who, vault, target, news)))
			goto fail;
	}
	if ((r = policy_write(c, txn, who, vault, &v, name, &pol, exists ? &old : NULL,
		     exists ? "policy.modify" : "policy.create")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* Moves item to policy and applies it (the second half of item policy). */
static int item_policy_write(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault, const struct vr_vault *v, const char *item, struct vr_item *it,
	const char *policy, const struct vr_policy *pol)
{
	char target[200], reason[200];
	uint32_t cut = 0, restored = 0;
	int r;

	snprintf(target, sizeof(target), "%s/%s", vault, item);
	snprintf(it->policy, sizeof(it->policy), "%s", policy);
	if ((r = vcore_put_item(c, txn, item, it)) ||
	    (r = apply_policy(c, txn, who, vault, v, item, policy, pol, &cut, &restored)))
		return r;
	snprintf(reason, sizeof(reason), "policy %s; %u points cut, %u restored", policy, cut, restored);
	return vcore_audit_txn(c, txn, who, "item.policy", target, "ok", reason);
}

int vlife_item_set_policy(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *policy, struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_policy old, pol;
	MDB_txn *txn;
	char target[200];
	int r;

	outcome(out, VLIFE_DONE, 0, NULL);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vpolicy_get(c, txn, v.id, it.policy, &old)))
		goto fail;
	if ((r = vpolicy_get(c, txn, v.id, policy, &pol))) {
		WHY("policy %s does not exist in vault %s", policy, vault);
		goto fail;
	}
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	if (vpolicy_lowers(&old, &pol)) {
		if (immutable(&v)) {
			WHY("vault %s is immutable: moving %s from policy %s to the lower-retention "
				"policy %s is refused", vault, item, it.policy, policy);
			r = VG_EIMMUTABLE;
			goto fail;
		}
		int live;
		if ((r = vmua_check(c, txn, who, &v, VMUA_RETENTION_REDUCE, target, why, whysz)) ||
		    (r = touches_data(c, txn, &v, NULL, item, &live)))
			goto fail;
		if (live) {
			if ((r = hold_change(c, txn, who, vault, &v, VPEND_ITEM_POLICY, item, policy,
				     it.policy, "retention-reduced", "item.policy", target, out, why,
				     whysz)))
				goto fail;
			return vdb_commit(txn);
		}
		if ((r = valert_raise(c, txn, "retention-reduced", who, vault, target, policy)))
			goto fail;
	}
	if ((r = item_policy_write(c, txn, who, vault, &v, item, &it, policy, &pol)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- items ------------------------------------------------------------------------- */

static int purge_item_data(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	struct vcore_blobs *bl, struct vlife_purge_stats *st);

int vlife_item_stop(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, bool delete_data, struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vcore_blobs bl = {0};
	uint64_t now = vault_now();
	MDB_txn *txn;
	char target[200], reason[128];
	int r, live, hard = 0;

	outcome(out, VLIFE_DONE, 0, NULL);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto fail;
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	if (delete_data && immutable(&v)) {
		if ((r = has_unexpired(c, txn, &it, now, &live)))
			goto fail;
		if (live) {
			WHY("vault %s is immutable: %s holds unexpired recovery points, so stop "
				"protection with delete data is refused (stop with retain data instead)",
				vault, item);
			r = VG_EIMMUTABLE;
			goto fail;
		}
	}
	if (delete_data && who->kind == VR_K_AGENT && !who->root &&
	    (r = vpin_consume(c, txn, who, vault, why, whysz)))
		goto fail;
	if ((r = vmua_check(c, txn, who, &v, delete_data ? VMUA_DELETE_DATA : VMUA_STOP_PROTECTION,
		     target, why, whysz)))
		goto fail;
	if (delete_data) {
		/* Soft delete off (in effect after its cooling-off): the data goes
		 * now, in this transaction, unless the vault's key is unavailable
		 * (then the purger takes it once the key is back). */
		hard = v.sd_state == VR_SD_OFF && !vcore_key_sealed(c, v.id);
		it.state = VR_I_SOFTDELETED;
		it.deleted_at = now;
		it.purge_at = now + window_of(&v);  /* frozen: later setting changes don't move it */
		it.sd_alerted = 0;
		if (hard)
			snprintf(reason, sizeof(reason), "delete data; permanently deleted (soft delete is off)");
		else
			snprintf(reason, sizeof(reason), "delete data; soft-deleted, purge after %llu",
				(unsigned long long)it.purge_at);
		if ((r = valert_raise(c, txn, "delete-backup-data", who, vault, target,
			     hard ? "item permanently deleted (soft delete is off)" : "item soft-deleted")))
			goto fail;
		note_deletion(c, txn, who, vault);
	} else {
		if (it.state == VR_I_STOPPED) {
			WHY("%s is already stopped", target);
			r = VG_EBADSTATE;
			goto fail;
		}
		it.state = VR_I_STOPPED;
		snprintf(reason, sizeof(reason), "retain data");
	}
	if (hard) {
		struct vlife_purge_stats st = {0};
		uint8_t key[8 + VG_ITEM_NAME_MAX];
		if ((r = purge_item_data(c, txn, &it, &bl, &st)) ||
		    (r = vdb_del(c->db, txn, VDB_ITEMS, key, vr_key_id_name(key, v.id, item))))
			goto fail;
	} else if ((r = vcore_put_item(c, txn, item, &it))) {
		goto fail;
	}
	if ((r = vcore_audit_txn(c, txn, who, "item.stop", target, "ok", reason)))
		goto fail;
	if ((r = vdb_commit(txn))) {
		free(bl.ids);
		return r;
	}
	vcore_unlink_blobs(c, &bl);
	if (delete_data)
		outcome(out, hard ? VLIFE_PERMANENT : VLIFE_SOFT, hard ? 0 : it.purge_at, NULL);
	return 0;
fail:
	free(bl.ids);
	vdb_abort(txn);
	return r;
}

int vlife_item_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	char target[200];
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)) ||
	    (r = vcore_get_item(c, txn, v.id, item, &it)))
		goto fail;
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	if (it.state != VR_I_SOFTDELETED) {
		WHY("%s is not soft-deleted", target);
		r = VG_EBADSTATE;
		goto fail;
	}
	/* Backups do not resume by themselves: stopped-retain. */
	it.state = VR_I_STOPPED;
	it.deleted_at = it.purge_at = 0;
	if ((r = vcore_put_item(c, txn, item, &it)) ||
	    (r = vcore_audit_txn(c, txn, who, "item.undelete", target, "ok", "now stopped-retain")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vlife_item_resume(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point *pts = NULL;
	struct vcore_blobs bl = {0};
	uint64_t now = vault_now();
	size_t n = 0, newest = SIZE_MAX;
	uint32_t pruned = 0;
	MDB_txn *txn;
	char target[200], reason[96];
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto fail;
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	if (it.state != VR_I_STOPPED) {
		WHY("%s is %s, not stopped", target, vr_item_state_name(it.state));
		r = VG_EBADSTATE;
		goto fail;
	}
	/* Resume prunes the points that expired meanwhile (never the newest). */
	if ((r = vcore_item_points(c, txn, it.id, &pts, &n)))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (pts[i].state == VR_P_ACTIVE && pts[i].kind == VR_PK_BACKUP &&
		    (newest == SIZE_MAX || pts[i].committed >= pts[newest].committed))
			newest = i;
	for (size_t i = 0; i < n; i++) {
		if (i == newest || pts[i].state != VR_P_ACTIVE || pts[i].kind != VR_PK_BACKUP ||
		    unexpired(&pts[i], now))
			continue;
		if ((r = vcore_drop_point(c, txn, &pts[i], &bl)))
			goto fail;
		pruned++;
	}
	it.state = VR_I_PROTECTED;
	snprintf(reason, sizeof(reason), "%u expired points pruned", pruned);
	if ((r = vcore_put_item(c, txn, item, &it)) ||
	    (r = vcore_audit_txn(c, txn, who, "item.resume", target, "ok", reason)))
		goto fail;
	if ((r = vdb_commit(txn))) {
		free(bl.ids);
		free(pts);
		return r;
	}
	vcore_unlink_blobs(c, &bl);
	free(pts);
	return 0;
fail:
	vdb_abort(txn);
	free(bl.ids);
	free(pts);
	return r;
}

/* ---- points ------------------------------------------------------------------------ */

int vlife_point_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, struct vlife_outcome *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vcore_blobs bl = {0};
	uint64_t now = vault_now();
	MDB_txn *txn;
	char target[220], ps[17], reason[96];
	int r, hard;

	outcome(out, VLIFE_DONE, 0, NULL);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, it.id, pid, &p)))
		goto fail;
	vcore_point_str(pid, ps);
	snprintf(target, sizeof(target), "%s/%s/%s", vault, item, ps);
	if (p.state != VR_P_ACTIVE || p.kind == VR_PK_REPO) {
		WHY("point %s is %s", target, vr_point_state_name(p.state));
		r = p.state == VR_P_PENDING ? VG_ENOTFOUND : VG_EBADSTATE;
		goto fail;
	}
	if (immutable(&v) && unexpired(&p, now)) {
		WHY("vault %s is immutable: point %s has not expired", vault, target);
		r = VG_EIMMUTABLE;
		goto fail;
	}
	/* An S3 version under Object Lock (s3.h), by any route. */
	if (strcmp(it.kind, "s3") == 0 &&
	    (r = vs3_delete_guard(c, txn, it.id, pid, who, now, why, whysz)))
		goto fail;
	if ((r = vmua_check(c, txn, who, &v, VMUA_DELETE_DATA, target, why, whysz)))
		goto fail;
	/* Soft delete off (in effect after its cooling-off): gone now, in this
	 * transaction, unless the vault's key is unavailable. */
	hard = v.sd_state == VR_SD_OFF && !vcore_key_sealed(c, v.id);
	p.state = VR_P_SOFTDELETED;
	p.del_reason = VR_DEL_USER;
	p.deleted_at = now;
	p.purge_at = now + window_of(&v);
	p.sd_alerted = 0;
	if (hard)
		snprintf(reason, sizeof(reason), "permanently deleted (soft delete is off)");
	else
		snprintf(reason, sizeof(reason), "soft-deleted, purge after %llu",
			(unsigned long long)p.purge_at);
	/* The snapshot file goes with its point (SPEC §10); with the point
	 * gone for good, the file goes at the next purger pass. */
	if (p.kind == VR_PK_SNAPSHOT && (r = vcore_restic_point_moved(c, txn, &it, &p, who)))
		goto fail;
	if ((r = hard ? vcore_drop_point(c, txn, &p, &bl) : vcore_put_point(c, txn, &p)) ||
	    (r = vcore_audit_txn(c, txn, who, "point.delete", target, "ok", reason)) ||
	    (r = valert_raise(c, txn, "delete-backup-data", who, vault, target,
		     hard ? "recovery point permanently deleted (soft delete is off)" :
			    "recovery point soft-deleted")))
		goto fail;
	note_deletion(c, txn, who, vault);
	if ((r = vdb_commit(txn))) {
		free(bl.ids);
		return r;
	}
	vcore_unlink_blobs(c, &bl);
	outcome(out, hard ? VLIFE_PERMANENT : VLIFE_SOFT, hard ? 0 : p.purge_at, NULL);
	return 0;
fail:
	free(bl.ids);
	vdb_abort(txn);
	return r;
}

int vlife_point_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	MDB_txn *txn;
	char target[220], ps[17];
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, it.id, pid, &p)))
		goto fail;
	vcore_point_str(pid, ps);
	snprintf(target, sizeof(target), "%s/%s/%s", vault, item, ps);
	if (p.state != VR_P_SOFTDELETED) {
		WHY("point %s is not soft-deleted", target);
		r = VG_EBADSTATE;
		goto fail;
	}
	if (p.del_reason == VR_DEL_RETENTION) {
		WHY("point %s was cut by retention: raise the policy's retention to bring it back",
			target);
		r = VG_EPOLICY;
		goto fail;
	}
	p.state = VR_P_ACTIVE;
	p.del_reason = VR_DEL_NONE;
	p.deleted_at = p.purge_at = 0;
	if (p.kind == VR_PK_SNAPSHOT && (r = vcore_restic_point_moved(c, txn, &it, &p, who)))
		goto fail;  /* and comes back with it */
	if ((r = vcore_put_point(c, txn, &p)) ||
	    (r = vcore_audit_txn(c, txn, who, "point.undelete", target, "ok", "")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- the purger ----------------------------------------------------------------------- */

struct vault_rec {
	char name[VG_VAULT_NAME_MAX + 1];
	struct vr_vault v;
};

struct vaults_acc {
	struct vault_rec *vaults;
	size_t n, cap;
};

static int vaults_acc_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct vaults_acc *a = arg;
	struct vault_rec *vr;

	if (!(vr = vcore_push(&a->vaults, &a->n, &a->cap, sizeof(*vr))))
		return VG_EINTERNAL;
	if (vdb_key_name(k, 0, VG_VAULT_NAME_MAX, vr->name))
		return VG_EINTEGRITY;
	return vr_vault_dec(v->mv_data, v->mv_size, &vr->v);
}

static int all_vaults(struct vcore *c, MDB_txn *txn, struct vault_rec **out, size_t *n)
{
	struct vaults_acc a = {0};
	int r = vdb_each(c->db, txn, VDB_VAULTS, "", 0, vaults_acc_cb, &a);

	if (r) {
		free(a.vaults);
		a.vaults = NULL;
		a.n = 0;
	}
	*out = a.vaults;
	*n = a.n;
	return r;
}

static const struct vcaller purger = {.principal = "purger", .peer = "local"};

/* Upcoming-purge warning (once) or the purge itself, for one deletion. */
/* Nothing is purged without its upcoming-purge warning first (SPEC §2,
 * §11): a deletion whose purge_at passed with no warning (vaultd was down,
 * or a clock jump was accepted) is warned now and purged 48 hours later. */
static int due(struct vcore *c, MDB_txn *txn, const char *vault, const char *target,
	uint64_t *purge_at, uint8_t *alerted, uint64_t now, struct vlife_purge_stats *st)
{
	char detail[160];

	if (*purge_at <= now && *alerted)
		return 1;
	if (*purge_at <= now) {
		*purge_at = now + WARN_AHEAD;
		snprintf(detail, sizeof(detail), "purge at %llu (postponed 48 hours: it was due with no "
			"upcoming-purge warning given)", (unsigned long long)*purge_at);
		*alerted = 1;
		st->warned++;
		if (valert_raise(c, txn, "upcoming-purge", &purger, vault, target, detail))
			return -1;
		return 2;
	}
	if (!*alerted && *purge_at - now <= WARN_AHEAD) {
		snprintf(detail, sizeof(detail), "purge at %llu", (unsigned long long)*purge_at);
		*alerted = 1;
		st->warned++;
		if (valert_raise(c, txn, "upcoming-purge", &purger, vault, target, detail))
			return -1;
		return 2;  /* record changed */
	}
	return 0;
}

static int purge_item_data(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	struct vcore_blobs *bl, struct vlife_purge_stats *st)
{
	struct vr_point *pts;
	size_t n;
	int r = vcore_item_points(c, txn, it->id, &pts, &n);

	for (size_t i = 0; !r && i < n; i++) {
		r = vcore_drop_point(c, txn, &pts[i], bl);
		st->points++;
	}
	free(pts);
	return r;
}

static int purge_objects(struct vcore *c, MDB_txn *txn, const char *vault, const char *item,
	const struct vr_item *it, uint64_t now, struct vcore_blobs *bl, struct vlife_purge_stats *st)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[8];
	uint32_t purged = 0, warned = 0;
	char target[200];
	int r;

	if (!it->repo_point)
		return 0;
	if ((r = vdb_cursor(c->db, txn, VDB_OBJECTS, &cur)))
		return r;
	vg_put_u64(prefix, it->repo_point);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &v, false)) {
		struct vr_object o;
		if ((r = vr_object_dec(v.mv_data, v.mv_size, &o)))
			break;
		if (o.state != VR_O_SOFTDELETED)
			continue;
		if (o.purge_at <= now) {
			if ((r = vdb_err(mdb_cursor_del(cur, 0))) ||
			    ((r = vdb_del(c->db, txn, VDB_BLOBS, o.blob, VC_BLOBID_LEN)) && r != VG_ENOTFOUND))
				break;
			if (bl->n == bl->cap) {
				void *np = realloc(bl->ids, (bl->cap = bl->cap ? bl->cap * 2 : 16) * VC_BLOBID_LEN);
				if (!np) {
					r = VG_EINTERNAL;
					break;
				}
				bl->ids = np;
			}
			memcpy(bl->ids[bl->n++], o.blob, VC_BLOBID_LEN);
			purged++;
		} else if (!o.sd_alerted && o.purge_at - now <= WARN_AHEAD) {
			MDB_val nv;
			struct vg_wr w;
			o.sd_alerted = 1;
			warned++;
			vg_wr_init(&w, 512);
			vr_object_enc(&w, &o);
			nv.mv_size = w.len;
			nv.mv_data = w.p;
			r = w.err ? w.err : vdb_err(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT));
			vg_wr_free(&w);
			if (r)
				break;
		}
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	if (!r && warned) {
		char d[64];
		snprintf(d, sizeof(d), "%u restic files purge within 48 hours", warned);
		st->warned++;
		r = valert_raise(c, txn, "upcoming-purge", &purger, vault, target, d);
	}
	if (!r && purged) {
		char d[64];
		snprintf(d, sizeof(d), "%u restic files purged", purged);
		st->objects += purged;
		if (!(r = vcore_audit_txn(c, txn, &purger, "purge", target, "ok", d)))
			r = valert_raise(c, txn, "purge-complete", &purger, vault, target, d);
	}
	return r;
}

/* How many recovery points one purger pass may still remove from one vault
 * (SPEC §11): a bounded share, unless the previous pass raised mass-purge
 * for it (then the rest goes now). */
#define MASS_PURGE_FLOOR 10u     /* always allowed per vault and pass */
#define MASS_PURGE_SHARE 4u      /* else at most 1/4 of the vault's points */
struct budget {
	uint64_t left;
	bool unlimited, over;
	uint64_t wanted;             /* what was due this pass */
	uint64_t total;              /* the vault's recovery points */
};

/* May n more points go in this pass? Counts what was due either way. */
static bool take(struct budget *b, uint64_t n)
{
	b->wanted += n;
	if (b->unlimited)
		return true;
	if (n > b->left) {
		b->over = true;
		return false;
	}
	b->left -= n;
	return true;
}

static int purge_points(struct vcore *c, MDB_txn *txn, const char *vault, const char *item,
	const struct vr_item *it, uint64_t now, struct vcore_blobs *bl, struct vlife_purge_stats *st,
	struct budget *b)
{
	struct vr_point *pts;
	size_t n, newest = SIZE_MAX;
	char target[220], ps[17];
	int r = vcore_item_points(c, txn, it->id, &pts, &n);

	for (size_t i = 0; !r && i < n; i++)
		if (pts[i].state == VR_P_ACTIVE && pts[i].kind == VR_PK_BACKUP &&
		    (newest == SIZE_MAX || pts[i].committed >= pts[newest].committed))
			newest = i;
	for (size_t i = 0; !r && i < n; i++) {
		struct vr_point *p = &pts[i];
		vcore_point_str(p->id, ps);
		snprintf(target, sizeof(target), "%s/%s/%s", vault, item, ps);
		if (p->state == VR_P_PENDING && p->session == 0 && p->created + PENDING_MAX_AGE <= now) {
			/* an upload left open (detached, S3 multipart): reaped, audited */
			r = vcore_drop_point(c, txn, p, bl);
			if (!r && strcmp(it->kind, "s3") == 0)
				r = vs3_forget_point(c, txn, it->id, p->id);
			if (!r)
				r = vcore_audit_txn(c, txn, &purger, "upload.reap", target, "ok",
					"an upload left open over a day: dropped");
			st->aborted++;
		} else if (p->state == VR_P_SOFTDELETED) {
			int d = due(c, txn, vault, target, &p->purge_at, &p->sd_alerted, now, st);
			if (d < 0)
				r = VG_EINTERNAL;
			else if (d == 1 && !take(b, 1))
				continue;  /* waits for the next pass (mass-purge) */
			else if (d == 1) {
				if (!(r = vcore_drop_point(c, txn, p, bl)) &&
				    !(r = vcore_audit_txn(c, txn, &purger, "purge", target, "ok", "point purged")))
					r = valert_raise(c, txn, "purge-complete", &purger, vault, target,
						"recovery point purged");
				st->points++;
			} else if (d == 2) {
				r = vcore_put_point(c, txn, p);
			}
		} else if (p->state == VR_P_ACTIVE && p->kind == VR_PK_BACKUP && i != newest &&
			   it->state == VR_I_PROTECTED && !unexpired(p, now)) {
			/* Expired under the policy: pruned. The newest point stays. */
			if (!take(b, 1))
				continue;
			if (!(r = vcore_drop_point(c, txn, p, bl)))
				r = vcore_audit_txn(c, txn, &purger, "point.expire", target, "ok", "expired");
			st->expired++;
		}
	}
	free(pts);
	return r;
}

/* ---- pending weakening changes (SPEC §11) ------------------------------------- */

/* Applies one due pending change inside the purger's transaction. A change
 * overtaken meanwhile (the vault gone or replaced, soft delete made
 * always-on, immutability locked, the policy or item gone) is dropped,
 * audited as "moot". */
static int apply_one(struct vcore *c, MDB_txn *txn, const struct vpend *p)
{
	struct vr_vault v;
	char what[300], detail[1400], target[200];
	const char *moot = NULL;
	int r;

	vpend_what(p, what, sizeof(what));
	snprintf(target, sizeof(target), "%s", p->vault);
	r = vcore_get_vault(c, txn, p->vault, &v);
	if (r == VG_ENOTFOUND || (!r && (v.id != p->vault_id || v.state != VR_V_ACTIVE)))
		moot = "the vault is gone or deleted";
	else if (r)
		return r;
	if (!moot && p->kind == VPEND_VAULT_SET) {
		if (strcmp(p->setting, "soft-delete") == 0) {
			if (v.sd_state == VR_SD_ALWAYS)
				moot = "soft delete is always-on now";
			else
				v.sd_state = VR_SD_OFF;
		} else if (strcmp(p->setting, "soft-delete-days") == 0) {
			uint64_t d;
			if (vg_parse_u64(p->value, 14, 180, &d))
				return VG_EINTEGRITY;
			v.sd_days = (uint16_t)d;
		} else if (strcmp(p->setting, "immutability") == 0) {
			if (v.immut != VR_IMM_ENABLED)
				moot = "immutability is no longer enabled (locked)";
			else
				v.immut = VR_IMM_DISABLED;
		} else if (strcmp(p->setting, "guard") == 0) {
			snprintf(v.guard, sizeof(v.guard), "%.*s", VG_VAULT_NAME_MAX,
				strcmp(p->value, "none") == 0 ? "" : p->value);
		} else {
			return VG_EINTEGRITY;
		}
		if (!moot && (r = put_vault(c, txn, p->vault, &v)))
			return r;
	} else if (!moot && p->kind == VPEND_POLICY_SET) {
		struct vr_policy old, pol;
		char why[300];
		snprintf(target, sizeof(target), "%s/%s", p->vault, p->setting);
		if (vpolicy_parse(p->value, &pol, why, sizeof(why)))
			return VG_EINTEGRITY;
		if ((r = vpolicy_get(c, txn, v.id, p->setting, &old)) == VG_ENOTFOUND)
			moot = "the policy is gone";
		else if (r)
			return r;
		else if (v.immut != VR_IMM_DISABLED)
			moot = "the vault is immutable now";
		else if ((r = policy_write(c, txn, &purger, p->vault, &v, p->setting, &pol, &old,
				  "policy.modify")))
			return r;
	} else if (!moot) {
		struct vr_item it;
		struct vr_policy pol;
		snprintf(target, sizeof(target), "%s/%s", p->vault, p->setting);
		if ((r = vcore_get_item(c, txn, v.id, p->setting, &it)) == VG_ENOTFOUND ||
		    (!r && it.state == VR_I_SOFTDELETED))
			moot = "the item is gone or deleted";
		else if (r)
			return r;
		else if ((r = vpolicy_get(c, txn, v.id, p->value, &pol)) == VG_ENOTFOUND)
			moot = "the policy is gone";
		else if (r)
			return r;
		else if (v.immut != VR_IMM_DISABLED)
			moot = "the vault is immutable now";
		else if ((r = item_policy_write(c, txn, &purger, p->vault, &v, p->setting, &it, p->value,
				  &pol)))
			return r;
	}
	if ((r = vpend_del(c, txn, p->id)))
		return r;
	if (moot) {
		snprintf(detail, sizeof(detail), "pending %s: %s -> %s requested by %s dropped: %s", p->id,
			what, p->value, p->requester, moot);
		return vcore_audit_txn(c, txn, &purger, "pending.apply", target, "moot", detail);
	}
	snprintf(detail, sizeof(detail), "pending %s: %s %s -> %s requested by %s is now in effect",
		p->id, what, p->old, p->value, p->requester);
	if ((r = vcore_audit_txn(c, txn, &purger, "pending.apply", target, "ok", detail)))
		return r;
	return valert_raise(c, txn, p->alert, &purger, p->vault, target, detail);
}

struct due_acc {
	struct vpend *v;
	size_t n, cap;
	uint64_t now;
};

static int due_cb(void *arg, const struct vpend *p)
{
	struct due_acc *a = arg;
	struct vpend *d;

	if (p->effective > a->now)
		return 0;
	if (!(d = vcore_push(&a->v, &a->n, &a->cap, sizeof(*d))))
		return VG_EINTERNAL;
	*d = *p;
	return 0;
}

static int apply_pending(struct vcore *c, MDB_txn *txn, uint64_t now, struct vlife_purge_stats *st)
{
	struct due_acc a = {.now = now};
	int r = vpend_list(c, txn, NULL, due_cb, &a);

	for (size_t i = 0; !r && i < a.n; i++) {
		r = apply_one(c, txn, &a.v[i]);
		st->applied++;
	}
	free(a.v);
	return r;
}

int vlife_pending_apply(struct vcore *c, const struct vcaller *who, const char *id, char *why,
	size_t whysz)
{
	struct vpend p;
	MDB_txn *txn;
	int r;

	if (vault_clock_advance(0)) {
		WHY("only the test daemon can end a cooling-off early");
		return VG_EDENIED;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vpend_get(c, txn, id, &p))) {
		WHY("no pending change %s", id);
		goto fail;
	}
	if ((r = vcore_audit_txn(c, txn, who, "pending.expedite", p.vault, "ok", id)) ||
	    (r = apply_one(c, txn, &p)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* ---- the mass-purge bound (SPEC §11) --------------------------------------------- */

static void mass_key(char *k, size_t n, uint64_t vault_id)
{
	snprintf(k, n, "masspurge/%016llx", (unsigned long long)vault_id);
}

/* The budget of vault v for this pass: unlimited if the previous pass
 * raised mass-purge for it. */
static int budget_begin(struct vcore *c, MDB_txn *txn, const struct vr_vault *v, struct budget *b)
{
	struct item_rec *items;
	char key[40];
	MDB_val val;
	size_t n;
	int r;

	memset(b, 0, sizeof(*b));
	mass_key(key, sizeof(key), v->id);
	r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &val);
	if (r == 0) {
		b->unlimited = true;
		return 0;
	}
	if (r != VG_ENOTFOUND)
		return r;
	if ((r = vault_items(c, txn, v->id, &items, &n)))
		return r;
	for (size_t i = 0; !r && i < n; i++) {
		struct vr_point *pts;
		size_t np;
		if (!(r = vcore_item_points(c, txn, items[i].it.id, &pts, &np))) {
			for (size_t j = 0; j < np; j++)
				b->total += pts[j].kind != VR_PK_REPO && pts[j].state != VR_P_PENDING;
			free(pts);
		}
	}
	free(items);
	b->left = b->total / MASS_PURGE_SHARE > MASS_PURGE_FLOOR ? b->total / MASS_PURGE_SHARE :
								     MASS_PURGE_FLOOR;
	return r;
}

/* After the vault's pass: over budget raises mass-purge and lets the next
 * pass take the rest; a pass that ran unlimited consumes the marker. */
static int budget_end(struct vcore *c, MDB_txn *txn, const char *vault, const struct vr_vault *v,
	const struct budget *b)
{
	char key[40], detail[200];
	uint8_t one = 1;

	mass_key(key, sizeof(key), v->id);
	if (b->unlimited) {
		int r = vdb_del(c->db, txn, VDB_META, key, strlen(key));
		return r == VG_ENOTFOUND ? 0 : r;
	}
	if (!b->over)
		return 0;
	snprintf(detail, sizeof(detail), "more recovery points are due for purge or expiry than one "
		"pass removes (%llu due); the rest waits for the next pass", (unsigned long long)b->wanted);
	int r = vdb_put(c->db, txn, VDB_META, key, strlen(key), &one, 1, false);
	if (!r)
		r = vcore_audit_txn(c, txn, &purger, "purge.bound", vault, "held", detail);
	return r ? r : valert_raise(c, txn, "mass-purge", &purger, vault, vault, detail);
}

/* Drops every role assignment on vault (keys "principal\0vault"), so that a
 * later vault of the same name starts with none. */
static int drop_roles(struct vcore *c, MDB_txn *txn, const char *vault)
{
	MDB_cursor *cur;
	MDB_val k, v;
	size_t vl = strlen(vault);
	int r;

	if ((r = vdb_cursor(c->db, txn, VDB_ROLES, &cur)))
		return r;
	for (r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST)); r == 0;
	     r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_NEXT))) {
		const uint8_t *kp = k.mv_data;
		const uint8_t *nul = memchr(kp, 0, k.mv_size);
		if (!nul || (size_t)(kp + k.mv_size - nul - 1) != vl || memcmp(nul + 1, vault, vl) != 0)
			continue;
		if ((r = vdb_err(mdb_cursor_del(cur, 0))))
			break;
	}
	mdb_cursor_close(cur);
	return r == VG_ENOTFOUND ? 0 : r;
}

int vlife_purge(struct vcore *c, struct vlife_purge_stats *st)
{
	struct vault_rec *vaults = NULL;
	struct vcore_blobs bl = {0};
	uint64_t now = vault_now(), *sealed = NULL, *purged = NULL;
	size_t nv = 0, nsealed = 0;
	MDB_txn *txn;
	int r;

	memset(st, 0, sizeof(*st));
	/* After a clock jump nothing time-driven happens until it is accepted
	 * (SPEC §11): no purge, no expiry, no pending change takes effect. */
	(void)vtime_sync(c);
	if (vtime_held(NULL, 0)) {
		st->held = 1;
		return 0;
	}
	/* Which vaults can be touched: a purge needs the vault's key as much as
	 * a backup does (checked outside the write transaction: sealing writes
	 * its own). */
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = all_vaults(c, txn, &vaults, &nv);
	vdb_abort(txn);
	if (r)
		return r;
	if (nv && !(sealed = calloc(nv, sizeof(*sealed)))) {
		free(vaults);
		return VG_EINTERNAL;
	}
	for (size_t i = 0; i < nv; i++) {
		if (vcore_key_check(c, vaults[i].name, &vaults[i].v) != VG_EKEY)
			continue;
		sealed[nsealed++] = vaults[i].v.id;
		if (!st->sealed++)
			snprintf(st->sealed_vault, sizeof(st->sealed_vault), "%s", vaults[i].name);
	}
	free(vaults);
	vaults = NULL;
	if ((r = vdb_begin(c->db, true, &txn))) {
		free(sealed);
		return r;
	}
	if ((r = all_vaults(c, txn, &vaults, &nv)))
		goto fail;
	if (nv && !(purged = calloc(nv, sizeof(*purged)))) {
		r = VG_EINTERNAL;
		goto fail;
	}
	for (size_t i = 0; i < nv; i++) {
		struct vault_rec *vr = &vaults[i];
		struct item_rec *items = NULL;
		struct budget b;
		size_t ni = 0;
		int vd = 0, skip = 0;

		for (size_t s = 0; s < nsealed; s++)
			skip |= sealed[s] == vr->v.id;
		if (skip)
			continue;

		if (vr->v.state == VR_V_SOFTDELETED) {
			vd = due(c, txn, vr->name, vr->name, &vr->v.purge_at, &vr->v.sd_alerted, now, st);
			if (vd < 0) {
				r = VG_EINTERNAL;
				goto fail;
			}
			if (vd == 2 && (r = put_vault(c, txn, vr->name, &vr->v)))
				goto fail;
			if (vd != 1)
				continue;  /* a soft-deleted vault waits whole */
		}
		if ((r = budget_begin(c, txn, &vr->v, &b)))
			goto fail;
		if (vd == 1 && !take(&b, b.total)) {
			/* Too much at once: mass-purge, and the next pass. */
			if ((r = budget_end(c, txn, vr->name, &vr->v, &b)))
				goto fail;
			continue;
		}
		if ((r = vault_items(c, txn, vr->v.id, &items, &ni)))
			goto fail;
		for (size_t j = 0; !r && j < ni; j++) {
			struct item_rec *ir = &items[j];
			char target[200];
			snprintf(target, sizeof(target), "%s/%s", vr->name, ir->name);
			if (vd == 1 || ir->it.state == VR_I_SOFTDELETED) {
				int d = vd == 1 ? 1 : due(c, txn, vr->name, target, &ir->it.purge_at,
						       &ir->it.sd_alerted, now, st);
				struct vr_point *ip = NULL;
				size_t nip = 0;
				if (d == 1 && vd != 1) {
					if ((r = vcore_item_points(c, txn, ir->it.id, &ip, &nip)))
						break;
					free(ip);
					if (!take(&b, nip))
						continue;  /* the item waits for the next pass */
				}
				if (d < 0) {
					r = VG_EINTERNAL;
				} else if (d == 1) {
					uint8_t key[8 + VG_ITEM_NAME_MAX];
					if (!(r = purge_item_data(c, txn, &ir->it, &bl, st)) &&
					    !(r = vdb_del(c->db, txn, VDB_ITEMS, key,
						      vr_key_id_name(key, vr->v.id, ir->name))) &&
					    !(r = vcore_audit_txn(c, txn, &purger, "purge", target, "ok",
						      "item purged")) && vd != 1)
						r = valert_raise(c, txn, "purge-complete", &purger, vr->name,
							target, "item purged");
					st->items++;
				} else if (d == 2) {
					r = vcore_put_item(c, txn, ir->name, &ir->it);
				}
				continue;
			}
			if (!(r = purge_points(c, txn, vr->name, ir->name, &ir->it, now, &bl, st, &b)))
				r = purge_objects(c, txn, vr->name, ir->name, &ir->it, now, &bl, st);
		}
		free(items);
		if (r || (r = budget_end(c, txn, vr->name, &vr->v, &b)))
			goto fail;
		if (vd == 1) {
			if ((r = vdb_del(c->db, txn, VDB_VAULTS, vr->name, strlen(vr->name))) ||
			    (r = drop_roles(c, txn, vr->name)) ||
			    (r = vcore_audit_txn(c, txn, &purger, "purge", vr->name, "ok", "vault purged")) ||
			    (r = valert_raise(c, txn, "purge-complete", &purger, vr->name, vr->name,
				     "vault purged")))
				goto fail;
			purged[st->vaults] = vr->v.id;  /* its cached keys go after the commit */
			st->vaults++;
		}
	}
	/* Grants that expired unused since the last pass (SPEC §5: audited). */
	if ((r = vmua_expire(c, txn, &purger, now)))
		goto fail;
	/* Weakening changes whose cooling-off is over (SPEC §11), after this
	 * pass's purges: a change never takes effect on data in the same pass. */
	if ((r = apply_pending(c, txn, now, st)) || (r = vtime_persist(c, txn)))
		goto fail;
	free(vaults);
	if ((r = vdb_commit(txn))) {
		free(purged);
		free(sealed);
		free(bl.ids);
		return r;
	}
	for (uint32_t i = 0; i < st->vaults; i++)
		vcore_keys_forget(c, purged[i]);
	free(purged);
	free(sealed);
	vcore_unlink_blobs(c, &bl);
	return 0;
fail:
	free(vaults);
	free(purged);
	free(sealed);
	free(bl.ids);
	vdb_abort(txn);
	return r;
}
