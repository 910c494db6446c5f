/* restic.c - see restic.h. */
#include <stdio.h>
#include <string.h>

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "alerts.h"
#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "jobs.h"
#include "lifecycle.h"
#include "mua.h"
#include "policy.h"
#include "restic.h"
#include "restic_path.h"
#include "vg_err.h"

#define DAY 86400ull
#define DENY_ALERT_WINDOW 600   /* one restic-delete-denied alert per item per 10 min */
#define WHY(...) snprintf(why, whysz, __VA_ARGS__)

int vrestic_type_check(const char *type)
{
	enum vg_rp_type t;

	return vg_restic_type_parse(type, &t);
}

int vrestic_name_check(const char *name, char type[16])
{
	enum vg_rp_type t;
	char id[VG_RESTIC_ID_LEN + 1];

	if (vg_restic_object_parse(name, &t, id))
		return VG_ENAME;
	strcpy(type, t == VG_RT_NONE ? "config" : vg_restic_type_name(t));
	return 0;
}

int vrestic_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, int may_create, int *created)
{
	struct vr_item it;
	int r;

	*created = 0;
	r = vcore_item_get(c, vault, item, &it);
	if (r == 0)
		return strcmp(it.kind, "restic") == 0 ? 0 : VG_EEXISTS;
	if (r != VG_ENOTFOUND)
		return r;
	if (!may_create)
		return VG_EDENIED;
	r = vcore_item_create(c, who, vault, item, "restic", NULL);
	if (r == 0)
		*created = 1;
	return r == VG_EEXISTS ? 0 : r;  /* a concurrent init won the race */
}

struct rl {
	const char *prefix;
	size_t plen;
	int (*cb)(void *arg, const char *id, uint64_t size);
	void *arg;
};

static int rl_cb(void *arg, const char *name, const struct vr_object *o)
{
	struct rl *l = arg;

	if (strncmp(name, l->prefix, l->plen) != 0)
		return 0;
	return l->cb(l->arg, name + l->plen, o->size);
}

int vrestic_list(struct vcore *c, const char *vault, const char *item, const char *type,
	int (*cb)(void *arg, const char *id, uint64_t size), void *arg)
{
	struct vr_item it;
	char prefix[32];
	struct rl l = {prefix, 0, cb, arg};
	int r;

	if ((r = vrestic_type_check(type)))
		return r;
	if ((r = vcore_item_get(c, vault, item, &it)))
		return r;
	if (strcmp(it.kind, "restic") != 0)
		return VG_EBADSTATE;
	l.plen = (size_t)snprintf(prefix, sizeof(prefix), "%s:", type);
	/* object_list shows active objects only. */
	return vcore_object_list(c, vault, item, it.repo_point, rl_cb, &l);
}

/* ---- helpers ------------------------------------------------------------------ */

static int is_type(const char *object, const char *type)
{
	size_t n = strlen(type);

	return strncmp(object, type, n) == 0 && object[n] == ':';
}

/* The lock of every file of it under v's immutability: the item policy's
 * daily days (SPEC §3: upload time + the item's daily retention). */
static int lock_secs_txn(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, uint64_t *secs)
{
	struct vr_policy pol;
	int r;

	*secs = 0;
	if (v->immut == VR_IMM_DISABLED)
		return 0;
	if ((r = vpolicy_get(c, txn, v->id, it->policy, &pol)))
		return r;
	*secs = (uint64_t)pol.daily_days * DAY;
	return 0;
}

int vrestic_lock_secs(struct vcore *c, const char *vault, const char *item, uint64_t *secs)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	int r;

	*secs = 0;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)) && strcmp(it.kind, "restic") == 0)
		r = lock_secs_txn(c, txn, &v, &it, secs);
	vdb_abort(txn);
	return r;
}

static int get_file(struct vcore *c, MDB_txn *txn, const struct vr_item *it, const char *object,
	uint8_t *key, size_t *kn, struct vr_object *o)
{
	MDB_val val;
	int r;

	*kn = vr_key_id_name(key, it->repo_point, object);
	if ((r = vdb_get(c->db, txn, VDB_OBJECTS, key, *kn, &val)))
		return r;
	return vr_object_dec(val.mv_data, val.mv_size, o);
}

/* Snapshot points of it whose file is object, in state from, to state to. */
static int move_points(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	const char *object, uint8_t from, const struct vr_object *o, unsigned *moved)
{
	struct vr_point *pts;
	size_t n;
	int r = vcore_item_points(c, txn, it->id, &pts, &n);

	*moved = 0;
	for (size_t i = 0; !r && i < n; i++) {
		struct vr_point *p = &pts[i];
		if (p->kind != VR_PK_SNAPSHOT || p->state != from || strcmp(p->ref, object) != 0)
			continue;
		if (from == VR_P_ACTIVE) {
			p->state = VR_P_SOFTDELETED;
			p->del_reason = VR_DEL_USER;
			p->deleted_at = o->deleted_at;
			p->purge_at = o->purge_at;
			p->sd_alerted = 0;
		} else {
			if (p->del_reason == VR_DEL_RETENTION)
				continue;  /* comes back with the policy, not with the file */
			p->state = VR_P_ACTIVE;
			p->del_reason = VR_DEL_NONE;
			p->deleted_at = p->purge_at = 0;
		}
		r = vcore_put_point(c, txn, p);
		(*moved)++;
	}
	free(pts);
	return r;
}

/* ---- new files ------------------------------------------------------------------ */

static int snapshot_point(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, const char *object, uint64_t size, const struct vcaller *who)
{
	struct vr_object none;
	struct vr_point p;
	unsigned moved;
	int r;

	/* The same snapshot file uploaded again after a soft delete: its
	 * point comes back rather than a second one. */
	memset(&none, 0, sizeof(none));
	if ((r = move_points(c, txn, it, object, VR_P_SOFTDELETED, &none, &moved)) || moved)
		return r;
	memset(&p, 0, sizeof(p));
	if ((r = vc_random(&p.id, sizeof(p.id))))
		return r;
	p.id |= 1;
	p.item_id = it->id;
	p.state = VR_P_ACTIVE;
	p.kind = VR_PK_SNAPSHOT;
	p.created = p.committed = vault_now();
	p.bytes = size;
	p.objects = 1;
	snprintf(p.principal, sizeof(p.principal), "%s", who->principal);
	snprintf(p.ref, sizeof(p.ref), "%s", object);
	if ((r = vpolicy_point_expiry(c, txn, v, it, &p)))
		return r;
	return vcore_put_point(c, txn, &p);
}

int vcore_restic_added(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const char *vault, const char *item, struct vr_item *it, const char *object,
	uint64_t size, const struct vcaller *who)
{
	char target[400];
	int r;

	snprintf(target, sizeof(target), "%s/%s/%s", vault, item, object);
	if (is_type(object, "snapshots")) {
		/* One source of truth: a new snapshot is the item's last
		 * successful backup (reports, metrics). */
		if ((r = snapshot_point(c, txn, v, it, object, size, who)) ||
		    (r = vcore_job_put(c, txn, who, vault, item, VR_JOB_BACKUP, VR_JOB_OK, 0, size,
			     "restic snapshot")))
			return r;
		it->last_success = vault_now();
		return vcore_put_item(c, txn, item, it);
	}
	if (is_type(object, "keys"))
		return valert_raise(c, txn, "restic-key-added", who, vault, target,
			"a restic key (repository password) was added");
	return 0;
}

int vcore_restic_point_moved(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	const struct vr_point *p, const struct vcaller *who)
{
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	struct vr_object o;
	size_t kn;
	int r;

	if (p->kind != VR_PK_SNAPSHOT || !it->repo_point || !*p->ref)
		return 0;
	r = get_file(c, txn, it, p->ref, key, &kn, &o);
	if (r == VG_ENOTFOUND)
		return p->state == VR_P_ACTIVE ? VG_EBADSTATE : 0;  /* its file is purged */
	if (r)
		return r;
	if (p->state == VR_P_ACTIVE) {
		o.state = VR_O_ACTIVE;
		o.deleted_at = o.purge_at = 0;
		o.sd_alerted = 0;
		o.deleted_by[0] = 0;
	} else if (o.state == VR_O_ACTIVE) {
		o.state = VR_O_SOFTDELETED;
		o.deleted_at = p->deleted_at;
		o.purge_at = p->purge_at;
		o.sd_alerted = 0;
		snprintf(o.deleted_by, sizeof(o.deleted_by), "%s", who->principal);
	}
	return vcore_put(c, txn, VDB_OBJECTS, key, kn, &o, false);
}

/* ---- deletes --------------------------------------------------------------------- */

static struct {
	uint64_t item_id;
	uint64_t last;          /* vault_now() of the last alert */
	unsigned suppressed;    /* denials since, not alerted */
} denied[64];
static pthread_mutex_t denied_lock = PTHREAD_MUTEX_INITIALIZER;

/* Should this denial on item raise an alert? 0, or the denials it sums up. */
static unsigned deny_alert_due(uint64_t item_id)
{
	uint64_t now = vault_now();
	unsigned n = 0;
	int slot = -1, oldest = 0;

	pthread_mutex_lock(&denied_lock);
	for (int i = 0; i < 64; i++) {
		if (denied[i].item_id == item_id) {
			slot = i;
			break;
		}
		if (denied[i].last < denied[oldest].last)
			oldest = i;
	}
	if (slot < 0) {
		slot = oldest;
		denied[slot].item_id = item_id;
		denied[slot].last = 0;
		denied[slot].suppressed = 0;
	}
	if (denied[slot].last == 0 || now < denied[slot].last ||
	    now - denied[slot].last >= DENY_ALERT_WINDOW) {
		n = denied[slot].suppressed + 1;
		denied[slot].last = now ? now : 1;
		denied[slot].suppressed = 0;
	} else {
		denied[slot].suppressed++;
	}
	pthread_mutex_unlock(&denied_lock);
	return n;
}

/* An append-only principal tried to delete: audit, count, maybe alert. */
static int deny_append_only(struct vcore *c, const struct vcaller *who, const char *vault,
	const struct vr_item *it, const char *target, const char *why)
{
	char detail[512];
	unsigned n = deny_alert_due(it->id);
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_audit_txn(c, txn, who, "restic.delete", target, "denied", why)))
		goto fail;
	vlife_note_deletion(c, txn, who, vault);
	if (n) {
		snprintf(detail, sizeof(detail), "%s%s", why,
			n > 1 ? " (and earlier denials on this item since the last alert)" : "");
		if ((r = valert_raise(c, txn, "restic-delete-denied", who, vault, target, detail)))
			goto fail;
	}
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vrestic_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *object, struct vrestic_del *out, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_object o;
	struct vcore_blobs bl = {0};
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	uint64_t now = vault_now(), lock = 0;
	char type[16], target[450], reason[200], ts[32];
	size_t kn;
	MDB_txn *txn;
	int r, role, permanent;

	memset(out, 0, sizeof(*out));
	if ((r = vrestic_name_check(object, type)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto fail;
	if (strcmp(it.kind, "restic") != 0 || !it.repo_point) {
		r = VG_EBADSTATE;
		goto fail;
	}
	snprintf(target, sizeof(target), "%s/%s/%s", vault, item, object);
	role = vauth_role(c, txn, who, vault);
	if (strcmp(type, "locks") != 0 && role != VR_R_CONTRIBUTOR && role != VR_R_OWNER) {
		/* Append-only, always (SPEC §1, §10): whatever the vault's settings. */
		WHY("%s is append-only on restic repositories: it may create, read and list files "
			"and delete locks, but not delete %s (a Contributor or Owner can)",
			who->principal, strcmp(type, "config") == 0 ? "config" : type);
		vdb_abort(txn);
		if ((r = deny_append_only(c, who, vault, &it, target, why)))
			return r;
		return VG_EDENIED;
	}
	r = get_file(c, txn, &it, object, key, &kn, &o);
	if (r == VG_ENOTFOUND || (r == 0 && o.state != VR_O_ACTIVE)) {
		vdb_abort(txn);
		return 0;  /* nothing live by that name: VRESTIC_DEL_ABSENT */
	}
	if (r)
		goto fail;
	if (strcmp(type, "locks") == 0) {
		/* restic locks: removed at once, always allowed (SPEC §3). */
		if ((r = vdb_del(c->db, txn, VDB_OBJECTS, key, kn)) ||
		    ((r = vdb_del(c->db, txn, VDB_BLOBS, o.blob, VC_BLOBID_LEN)) && r != VG_ENOTFOUND) ||
		    (r = vcore_audit_txn(c, txn, who, "restic.delete", target, "ok", "lock removed")))
			goto fail;
		if ((r = vdb_commit(txn)))
			return r;
		(void)vs_unlink(c->store, o.blob);
		out->outcome = VRESTIC_DEL_LOCK;
		return 0;
	}
	if ((r = lock_secs_txn(c, txn, &v, &it, &lock)))
		goto fail;
	if (lock && o.created + lock > now) {
		vg_time_iso(o.created + lock, NULL, ts, sizeof(ts));
		WHY("retention lock until %s: vault %s is immutable and %s is younger than its "
			"item's %llu-day retention", ts, vault, object, (unsigned long long)(lock / DAY));
		r = VG_EIMMUTABLE;
		goto refuse;
	}
	if ((r = vmua_check(c, txn, who, &v, VMUA_DELETE_DATA, target, why, whysz)))
		goto refuse;
	/* Soft delete off: only pack and index files go at once; config,
	 * keys and snapshots always keep a window (the repository must be
	 * recoverable from a changed password or a forgotten history). */
	permanent = v.sd_state == VR_SD_OFF && (strcmp(type, "data") == 0 || strcmp(type, "index") == 0);
	if (permanent) {
		if ((r = vdb_del(c->db, txn, VDB_OBJECTS, key, kn)) ||
		    ((r = vdb_del(c->db, txn, VDB_BLOBS, o.blob, VC_BLOBID_LEN)) && r != VG_ENOTFOUND))
			goto fail;
		if (!(bl.ids = malloc(VC_BLOBID_LEN))) {
			r = VG_EINTERNAL;
			goto fail;
		}
		memcpy(bl.ids[0], o.blob, VC_BLOBID_LEN);
		bl.n = bl.cap = 1;
		out->outcome = VRESTIC_DEL_PERMANENT;
		snprintf(reason, sizeof(reason), "permanently deleted (soft delete is off)");
	} else {
		uint64_t days = v.sd_state == VR_SD_OFF ? (v.sd_days > 14 ? v.sd_days : 14) : v.sd_days;
		o.state = VR_O_SOFTDELETED;
		o.deleted_at = now;
		o.purge_at = now + days * DAY;
		o.sd_alerted = 0;
		snprintf(o.deleted_by, sizeof(o.deleted_by), "%s", who->principal);
		if ((r = vcore_put(c, txn, VDB_OBJECTS, key, kn, &o, false)))
			goto fail;
		out->outcome = VRESTIC_DEL_SOFT;
		out->purge_at = o.purge_at;
		vg_time_iso(o.purge_at, NULL, ts, sizeof(ts));
		snprintf(reason, sizeof(reason), "soft-deleted until %s", ts);
	}
	if (strcmp(type, "snapshots") == 0) {
		/* The recovery point this snapshot started goes with it. */
		unsigned moved;
		if (permanent)
			o.purge_at = now;
		if ((r = move_points(c, txn, &it, object, VR_P_ACTIVE, &o, &moved)) ||
		    (r = valert_raise(c, txn, "delete-backup-data", who, vault, target,
			     "restic snapshot deleted")))
			goto fail;
		vlife_note_deletion(c, txn, who, vault);
	} else if (strcmp(type, "keys") == 0) {
		/* A changed or removed repository password: critical. */
		if ((r = valert_raise(c, txn, "restic-key-removed", who, vault, target,
			     "a restic key (repository password) was removed; "
			     "`vaultctl restic undelete` brings it back")))
			goto fail;
	} else if (strcmp(type, "config") == 0) {
		if ((r = valert_raise(c, txn, "delete-backup-data", who, vault, target,
			     "restic repository config deleted")))
			goto fail;
		vlife_note_deletion(c, txn, who, vault);
	}
	if ((r = vcore_audit_txn(c, txn, who, "restic.delete", target, "ok", reason)) ||
	    (r = vdb_commit(txn))) {
		free(bl.ids);
		return r;
	}
	vcore_unlink_blobs(c, &bl);
	return 0;
refuse:
	vdb_abort(txn);
	(void)vcore_audit(c, who, "restic.delete", target, "denied", why);
	return r;
fail:
	vdb_abort(txn);
	free(bl.ids);
	return r;
}

/* ---- soft-deleted files: list and undelete --------------------------------------- */

int vrestic_deleted_list(struct vcore *c, const char *vault, const char *item,
	int (*cb)(void *arg, const struct vrestic_deleted *d), void *arg)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, val;
	uint8_t prefix[8];
	uint64_t lock = 0;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto out;
	if (strcmp(it.kind, "restic") != 0 || !it.repo_point) {
		r = VG_EBADSTATE;
		goto out;
	}
	if ((r = lock_secs_txn(c, txn, &v, &it, &lock)) ||
	    (r = vdb_cursor(c->db, txn, VDB_OBJECTS, &cur)))
		goto out;
	vg_put_u64(prefix, it.repo_point);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &val, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &val, false)) {
		char name[VG_OBJECT_NAME_MAX + 1];
		struct vr_object o;
		struct vrestic_deleted d;
		if ((r = vdb_key_name(&k, 8, VG_OBJECT_NAME_MAX, name)) ||
		    (r = vr_object_dec(val.mv_data, val.mv_size, &o)))
			break;
		if (o.state != VR_O_SOFTDELETED)
			continue;
		d.name = name;
		d.size = o.size;
		d.created = o.created;
		d.deleted_at = o.deleted_at;
		d.purge_at = o.purge_at;
		d.lock_until = lock ? o.created + lock : 0;
		d.deleted_by = *o.deleted_by ? o.deleted_by : "-";
		if ((r = cb(arg, &d)))
			break;
	}
	if (r == VG_ENOTFOUND)
		r = 0;
out:
	if (cur)
		mdb_cursor_close(cur);
	vdb_abort(txn);
	return r;
}

int vrestic_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *name, uint64_t since, uint32_t *count, char *why,
	size_t whysz)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, val;
	uint8_t prefix[8];
	char target[450], reason[200], type[16];
	uint32_t keys = 0, snaps = 0;
	int r;

	*count = 0;
	if (name && (r = vrestic_name_check(name, type))) {
		WHY("%s: not a restic file name (config or TYPE:64-hex-id)", name);
		return r;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto fail;
	if (strcmp(it.kind, "restic") != 0 || !it.repo_point) {
		WHY("%s/%s is not a restic repository", vault, item);
		r = VG_EBADSTATE;
		goto fail;
	}
	if ((r = vdb_cursor(c->db, txn, VDB_OBJECTS, &cur)))
		goto fail;
	vg_put_u64(prefix, it.repo_point);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &val, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &val, false)) {
		char oname[VG_OBJECT_NAME_MAX + 1];
		struct vr_object o;
		uint8_t kbuf[8 + VG_OBJECT_NAME_MAX];
		struct vg_wr w;
		MDB_val nv, kk;
		unsigned moved;
		if ((r = vdb_key_name(&k, 8, VG_OBJECT_NAME_MAX, oname)))
			break;
		if ((r = vr_object_dec(val.mv_data, val.mv_size, &o)))
			break;
		if (o.state != VR_O_SOFTDELETED || (name && strcmp(oname, name) != 0) ||
		    (!name && o.deleted_at < since))
			continue;
		o.state = VR_O_ACTIVE;
		o.deleted_at = o.purge_at = 0;
		o.sd_alerted = 0;
		o.deleted_by[0] = 0;
		/* The record shrinks (deleted_by goes): LMDB deletes and re-adds
		 * the node, so the key must not point into the page. */
		memcpy(kbuf, k.mv_data, k.mv_size);
		kk.mv_size = k.mv_size;
		kk.mv_data = kbuf;
		vg_wr_init(&w, 512);
		vr_object_enc(&w, &o);
		nv.mv_size = w.len;
		nv.mv_data = w.p;
		r = w.err ? w.err : vdb_err(mdb_cursor_put(cur, &kk, &nv, MDB_CURRENT));
		vg_wr_free(&w);
		if (r)
			break;
		if (is_type(oname, "snapshots")) {
			if ((r = move_points(c, txn, &it, oname, VR_P_SOFTDELETED, &o, &moved)))
				break;
			snaps++;
		}
		keys += is_type(oname, "keys");
		(*count)++;
	}
	mdb_cursor_close(cur);
	if (r && r != VG_ENOTFOUND)
		goto fail;
	snprintf(target, sizeof(target), "%s/%s%s%s", vault, item, name ? "/" : "", name ? name : "");
	if (name && *count == 0) {
		WHY("%s is not soft-deleted", target);
		r = VG_ENOTFOUND;
		goto fail;
	}
	snprintf(reason, sizeof(reason), "%u files restored (%u snapshots with their points, %u keys)",
		*count, snaps, keys);
	if ((r = vcore_audit_txn(c, txn, who, "restic.undelete", target, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}
