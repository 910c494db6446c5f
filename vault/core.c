/* core.c - see core.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "lockfile.h"
#include "log.h"
#include "alerts.h"
#include "auth.h"
#include "core_int.h"
#include "quota.h"
#include "denials.h"
#include "lifecycle.h"
#include "policy.h"
#include "vg_err.h"
#include "window.h"

#define MAPSIZE (16ull << 30)
#define RECORD_MAX 8192

/* ---- small helpers ------------------------------------------------------ */

void vcore_point_str(uint64_t id, char out[17])
{
	uint8_t b[8];

	vg_put_u64(b, id);
	vg_hex(out, b, 8);
}

int vcore_point_parse(const char *s, uint64_t *id)
{
	uint8_t b[8];

	if (!s || vg_unhex(b, sizeof(b), s))
		return VG_EINVAL;
	*id = vg_get_u64(b);
	return *id ? 0 : VG_EINVAL;
}

static int new_id(uint64_t *id)
{
	int r;

	do {
		if ((r = vc_random(id, sizeof(*id))))
			return r;
	} while (*id == 0);
	return 0;
}

static void target3(char *out, size_t n, const char *v, const char *i, uint64_t p)
{
	char ps[17];

	if (!p) {
		snprintf(out, n, "%s/%s", v, i ? i : "");
		return;
	}
	vcore_point_str(p, ps);
	snprintf(out, n, "%s/%s/%s", v, i, ps);
}

static int audit_ok(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *op, const char *target, const char *reason)
{
	struct va_entry e = {
		.principal = who->principal, .op = op, .target = target,
		.result = "ok", .reason = reason ? reason : "", .peer = who->peer,
	};
	return va_append(c->audit, c->db, txn, vault_now(), &e, NULL);
}

int vcore_audit(struct vcore *c, const struct vcaller *who, const char *op,
	const char *target, const char *result, const char *reason)
{
	struct va_entry e = {
		.principal = who->principal, .op = op, .target = target,
		.result = result, .reason = reason, .peer = who->peer,
	};
	MDB_txn *txn;
	unsigned d = VDENY_WRITE;
	int r;

	/* Refusals are throttled and aggregated (denials.h). */
	if (result && (strcmp(result, "denied") == 0 || strcmp(result, "failed") == 0)) {
		char detail[512];
		d = vdeny_note_result(who, op, result, target, reason);
		snprintf(detail, sizeof(detail), "%s %s refused: %s", op, target, reason ? reason : "");
		if (d & VDENY_FLOOD_ALERT)
			(void)valert_raise(c, NULL, "denial-flood", who, NULL, who->principal,
				"100 or more refused or failed requests within a minute; repeats are aggregated");
		if (d & VDENY_CRIT_ALERT)
			(void)valert_raise(c, NULL, "critical-op-denied", who, NULL, target, detail);
	}
	if (!(d & VDENY_WRITE))
		return 0;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = va_append(c->audit, c->db, txn, vault_now(), &e, NULL))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

/* ---- record access ------------------------------------------------------ */

int vcore_get_vault(struct vcore *c, MDB_txn *txn, const char *name, struct vr_vault *v)
{
	MDB_val val;
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_VAULTS, name, strlen(name), &val)))
		return r;
	return vr_vault_dec(val.mv_data, val.mv_size, v);
}

int vcore_get_item(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	struct vr_item *it)
{
	uint8_t key[8 + VG_ITEM_NAME_MAX];
	MDB_val val;
	int r;

	if ((r = vg_name_check(name, VG_ITEM_NAME_MAX)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_ITEMS, key, vr_key_id_name(key, vault_id, name), &val)))
		return r;
	return vr_item_dec(val.mv_data, val.mv_size, it);
}

int vcore_get_point(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t pid,
	struct vr_point *p)
{
	uint8_t key[16];
	MDB_val val;
	int r;

	if ((r = vdb_get(c->db, txn, VDB_POINTS, key, vr_key_id_id(key, item_id, pid), &val)))
		return r;
	return vr_point_dec(val.mv_data, val.mv_size, p);
}

/* Each named database holds one record type; put_rec encodes by database. */
int vcore_put(struct vcore *c, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn,
	const void *rec, bool no_overwrite)
{
	struct vg_wr w;
	int r;

	vg_wr_init(&w, RECORD_MAX);
	switch (d) {
	case VDB_VAULTS: r = vr_vault_enc(&w, rec); break;
	case VDB_ITEMS: r = vr_item_enc(&w, rec); break;
	case VDB_POINTS: r = vr_point_enc(&w, rec); break;
	case VDB_OBJECTS: r = vr_object_enc(&w, rec); break;
	case VDB_BLOBS: r = vr_blobref_enc(&w, rec); break;
	case VDB_PRINCIPALS: r = vr_principal_enc(&w, rec); break;
	case VDB_POLICIES: r = vr_policy_enc(&w, rec); break;
	case VDB_GUARDS: r = vr_guard_enc(&w, rec); break;
	case VDB_REQUESTS: r = vr_request_enc(&w, rec); break;
	case VDB_PINS: r = vr_pin_enc(&w, rec); break;
	case VDB_ALERTS: r = vr_alert_enc(&w, rec); break;
	case VDB_JOBS: r = vr_job_enc(&w, rec); break;
	default: r = VG_EINVAL; break;
	}
	if (!r)
		r = vdb_put(c->db, txn, d, k, kn, w.p, w.len, no_overwrite);
	vg_wr_free(&w);
	return r;
}

int vcore_put_point(struct vcore *c, MDB_txn *txn, const struct vr_point *p)
{
	uint8_t key[16];
	return vcore_put(c, txn, VDB_POINTS, key, vr_key_id_id(key, p->item_id, p->id), p, false);
}

int vcore_put_item(struct vcore *c, MDB_txn *txn, const char *name, const struct vr_item *it)
{
	uint8_t key[8 + VG_ITEM_NAME_MAX];
	return vcore_put(c, txn, VDB_ITEMS, key, vr_key_id_name(key, it->vault_id, name), it, false);
}

int vcore_audit_txn(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *op,
	const char *target, const char *result, const char *reason)
{
	struct va_entry e = {
		.principal = who->principal, .op = op, .target = target,
		.result = result, .reason = reason ? reason : "", .peer = who->peer,
	};
	return va_append(c->audit, c->db, txn, vault_now(), &e, NULL);
}

void *vcore_push(void *arrp, size_t *n, size_t *cap, size_t elsz)
{
	uint8_t **arr = arrp;
	void *slot;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *np = realloc(*arr, nc * elsz);
		if (!np)
			return NULL;
		*arr = np;
		*cap = nc;
	}
	slot = *arr + *n * elsz;
	memset(slot, 0, elsz);
	(*n)++;
	return slot;
}

struct points_acc {
	struct vr_point *pts;
	size_t n, cap;
};

static int points_acc_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct points_acc *a = arg;
	struct vr_point *p = vcore_push(&a->pts, &a->n, &a->cap, sizeof(*p));

	(void)k;
	if (!p)
		return -ENOMEM;
	return vr_point_dec(v->mv_data, v->mv_size, p);
}

int vcore_item_points(struct vcore *c, MDB_txn *txn, uint64_t item_id, struct vr_point **out,
	size_t *n)
{
	struct points_acc a = {0};
	uint8_t prefix[8];
	int r;

	vg_put_u64(prefix, item_id);
	if ((r = vdb_each(c->db, txn, VDB_POINTS, prefix, sizeof(prefix), points_acc_cb, &a))) {
		free(a.pts);
		a.pts = NULL;
		a.n = 0;
	}
	*out = a.pts;
	*n = a.n;
	return r;
}

/* Resolves vault and item, both active. */
int vcore_resolve(struct vcore *c, MDB_txn *txn, const char *vault, const char *item,
	struct vr_vault *v, struct vr_item *it)
{
	int r;

	if ((r = vcore_get_vault(c, txn, vault, v)))
		return r;
	if (v->state != VR_V_ACTIVE)
		return VG_ESOFTDELETED;
	if (!item)
		return 0;
	if ((r = vcore_get_item(c, txn, v->id, item, it)))
		return r;
	if (it->state == VR_I_SOFTDELETED)
		return VG_ESOFTDELETED;
	return 0;
}

/* ---- open / close ------------------------------------------------------- */

static int mkdir_p(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vcore_open(const char *dir, struct vcore **out, char *why, size_t whysz)
{
	char info[64];

	snprintf(info, sizeof(info), "pid %ld", (long)getpid());
	return vcore_open_ex(dir, 0, info, out, why, whysz);
}

/* Read-only: every file must already be there (nothing is created). */
static int ro_exists(const char *path, char *why, size_t whysz)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 0;
	snprintf(why, whysz, "%s: %s (not an initialised state directory: vaultd creates it at "
		"its first start)", path, strerror(errno));
	return -errno;
}

/* The store a state directory was created with is remembered (VDB_META
 * "store", and in the pool the owner object names the instance), so a
 * directory is never opened against another store and two instances
 * never share a pool: the recovery pass would delete the other's blobs. */
#define STORE_KEY "store"
static int store_bind(struct vcore *c, char *why, size_t whysz)
{
	const char *kind = vs_kind(c->store);
	MDB_txn *txn;
	MDB_val v;
	uint8_t *own = NULL;
	size_t ownn = 0;
	char desc[1400];
	int r;

	(void)vs_describe(c->store, desc, sizeof(desc));
	if ((r = vdb_begin(c->db, !c->readonly, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, STORE_KEY, strlen(STORE_KEY), &v);
	if (r == 0 && (v.mv_size != strlen(kind) || memcmp(v.mv_data, kind, v.mv_size) != 0)) {
		snprintf(why, whysz, "%s was created with the %.*s blob store, not %s: start vaultd "
			"with the same --store", c->dir, (int)(v.mv_size < 16 ? v.mv_size : 16),
			(char *)v.mv_data, kind);
		vdb_abort(txn);
		return VG_EBADSTATE;
	}
	if (r == VG_ENOTFOUND && !c->readonly)
		r = vdb_put(c->db, txn, VDB_META, STORE_KEY, strlen(STORE_KEY), kind, strlen(kind), false);
	else if (r == VG_ENOTFOUND)
		r = 0;
	if (r || (r = c->readonly ? (vdb_abort(txn), 0) : vdb_commit(txn))) {
		snprintf(why, whysz, "%s: %s", c->dir, vg_strerror(r));
		return r;
	}
	if (strcmp(kind, "dir") == 0)
		return 0;
	r = vs_meta_get(c->store, "owner", &own, &ownn);
	if (r == 0 && (ownn != 32 || memcmp(own, c->instance, 32) != 0)) {
		snprintf(why, whysz, "%s belongs to vaultgate instance %.32s, not to %s (instance "
			"%s): give each state directory its own pool", desc, ownn == 32 ? (char *)own :
			"(unreadable)", c->dir, c->instance);
		r = VG_EBADSTATE;
	} else if (r == VG_ENOTFOUND) {
		r = c->readonly ? 0 : vs_meta_put(c->store, "owner", (const uint8_t *)c->instance, 32);
		if (r)
			snprintf(why, whysz, "%s: cannot claim the pool: %s", desc, vg_strerror(r));
	} else if (r) {
		snprintf(why, whysz, "%s: %s", desc, vg_strerror(r));
	}
	free(own);
	return r;
}

/* Reads (and, read-write, updates) the state format marker; refuses a
 * directory a newer vaultgate wrote. */
static int state_format(struct vcore *c, char *why, size_t whysz)
{
	static const char key[] = "format";
	uint8_t buf[4];
	MDB_txn *txn;
	MDB_val v;
	int r;

	if ((r = vdb_begin(c->db, !c->readonly, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, key, sizeof(key) - 1, &v);
	if (r == VG_ENOTFOUND) {
		c->format_found = 1;
		r = 0;
	} else if (!r && v.mv_size != 4) {
		r = VG_EINTEGRITY;
		snprintf(why, whysz, "%s: the state format marker is damaged (%zu bytes)", c->dir,
			v.mv_size);
	} else if (!r) {
		c->format_found = vg_get_u32(v.mv_data);
	}
	if (!r && c->format_found > VCORE_FORMAT) {
		snprintf(why, whysz, "%s: state format %u was written by a newer vaultgate; this vaultd "
			"reads formats 1 to %u. Run the vaultgate release that wrote it (or a newer one): "
			"downgrades are not supported", c->dir, c->format_found, VCORE_FORMAT);
		r = VG_EVERSION;
	}
	if (!r && !c->readonly && c->format_found < VCORE_FORMAT) {
		vg_put_u32(buf, VCORE_FORMAT);
		r = vdb_put(c->db, txn, VDB_META, key, sizeof(key) - 1, buf, sizeof(buf), false);
	}
	if (r || c->readonly) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

int vcore_open_ex(const char *dir, unsigned flags, const char *lock_info, struct vcore **out,
	char *why, size_t whysz)
{
	return vcore_open_store(dir, flags, lock_info, NULL, out, why, whysz);
}

int vcore_open_store(const char *dir, unsigned flags, const char *lock_info,
	const struct vs_rados_conf *rados, struct vcore **out, char *why, size_t whysz)
{
	struct vcore *c;
	char path[2300], holder[256];
	bool ro = flags & VCORE_OPEN_READONLY;
	int r;

	*out = NULL;
	if (flags & ~(unsigned)VCORE_OPEN_READONLY)
		return VG_EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->lock_fd = -1;
	c->readonly = ro;
	pthread_mutex_init(&c->dek_lock, NULL);
	pthread_mutex_init(&c->ast.lock, NULL);
	if ((r = vwin_new(VAUTH_BRUTE_SLOTS, VAUTH_BRUTE_WINDOW, VAUTH_BRUTE_THRESHOLD, &c->authfail)) ||
	    (r = vwin_new(VLIFE_MASS_SLOTS, VLIFE_MASS_WINDOW, VLIFE_MASS_THRESHOLD, &c->deletions))) {
		snprintf(why, whysz, "alert counters: %s", vg_strerror(r));
		goto fail;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->ast.hwm_path, sizeof(c->ast.hwm_path), "%s/audit.hwm", dir);
#define SUB(name) (snprintf(path, sizeof(path), "%s/" name, dir) < (int)sizeof(path) ? 0 : -ENAMETOOLONG)
	if (ro) {
		if ((r = ro_exists(dir, why, whysz)) || (r = SUB("keys/platform.key")) ||
		    (r = ro_exists(path, why, whysz)) || (r = SUB("keys/audit.key")) ||
		    (r = ro_exists(path, why, whysz)) || (r = SUB("meta/data.mdb")) ||
		    (r = ro_exists(path, why, whysz)) ||
		    (!rados && ((r = SUB("blobs")) || (r = ro_exists(path, why, whysz)))))
			goto fail;
	} else {
		if ((r = mkdir_p(dir, 0700))) {
			snprintf(why, whysz, "%s: %s", dir, vg_strerror(r));
			goto fail;
		}
		/* One vaultd per state directory, decided before anything is
		 * read or repaired (recovery deletes what it thinks is stale). */
		if ((r = SUB("vaultd.lock")) ||
		    (r = vg_lock_acquire(path, lock_info, &c->lock_fd, holder, sizeof(holder)))) {
			if (r == -EBUSY)
				snprintf(why, whysz, "state directory %s is in use by %s%s; stop that "
					"vaultd first (vaultd --check looks at a live one read-only)", dir,
					*holder ? "vaultd " : "another vaultd", holder);
			else
				snprintf(why, whysz, "%s: cannot lock: %s", path, vg_strerror(r));
			goto fail;
		}
		if ((r = SUB("keys")) || (r = mkdir_p(path, 0700)) ||
		    (r = SUB("meta")) || (r = mkdir_p(path, 0700))) {
			snprintf(why, whysz, "%s: %s", path, vg_strerror(r));
			goto fail;
		}
	}
	SUB("keys/platform.key");
	if ((r = vk_local_open(path, &c->local, why, whysz)))
		goto fail;
	SUB("keys/audit.key");
	if ((r = va_open(path, &c->audit, why, whysz)))
		goto fail;
	SUB("meta");
	if ((r = (ro ? vdb_open_ro : vdb_open)(path, MAPSIZE, &c->db))) {
		snprintf(why, whysz, "%s: cannot open the metadata database%s: %s", path,
			ro ? " read-only" : "", vg_strerror(r));
		goto fail;
	}
	if (rados) {
		struct vs_rados_conf rc = *rados;
		rc.readonly = ro;
		if ((r = vs_open_rados(&rc, &c->store, why, whysz)))
			goto fail;
	} else {
		SUB("blobs");
		if ((r = vs_open(path, &c->store))) {
			snprintf(why, whysz, "%s: %s", path, vg_strerror(r));
			goto fail;
		}
	}
#undef SUB
	if ((r = state_format(c, why, whysz))) {
		if (!*why)
			snprintf(why, whysz, "%s: reading the state format: %s", dir, vg_strerror(r));
		goto fail;
	}
	if ((r = vcore_keyring_open(c, why, whysz))) {
		if (!*why)
			snprintf(why, whysz, "keys: %s", vg_strerror(r));
		goto fail;
	}
	if ((r = store_bind(c, why, whysz)))
		goto fail;
	*out = c;
	return 0;
fail:
	vcore_close(c);
	return r;
}

void vcore_close(struct vcore *c)
{
	if (!c)
		return;
	vcore_upload_unpark_all(c);
	vcore_keyring_close(c);
	vcore_ckpt_free(c);
	vs_close(c->store);
	vdb_close(c->db);
	va_free(c->audit);
	vk_free(c->local);
	vg_lock_release(c->lock_fd);
	pthread_mutex_destroy(&c->dek_lock);
	pthread_mutex_destroy(&c->ast.lock);
	vwin_free(c->authfail);
	vwin_free(c->deletions);
	free(c);
}

/* ---- vaults and items ---------------------------------------------------- */

int vcore_vault_create(struct vcore *c, const struct vcaller *who, const char *name)
{
	return vcore_vault_create_ex(c, who, name, 0);
}

int vcore_vault_create_ex(struct vcore *c, const struct vcaller *who, const char *name,
	uint32_t flags)
{
	struct vr_vault v;
	MDB_txn *txn = NULL;
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	if (flags & ~(uint32_t)VCORE_VAULT_KNOWN)
		return VG_EINVAL;
	memset(&v, 0, sizeof(v));
	if ((r = new_id(&v.id)))
		return r;
	v.created = vault_now();
	v.state = VR_V_ACTIVE;
	v.sd_state = VR_SD_ON;
	v.sd_days = 14;
	v.immut = VR_IMM_DISABLED;
	if ((r = vcore_keys_new_vault(c, &v, flags & VCORE_VAULT_INFRA)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_put(c, txn, VDB_VAULTS, name, strlen(name), &v, true)) ||
	    (r = audit_ok(c, txn, who, "vault.create", name,
		     (flags & VCORE_VAULT_INFRA) ? "infrastructure encryption" : "")))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vcore_vault_get(struct vcore *c, const char *name, struct vr_vault *out)
{
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vcore_get_vault(c, txn, name, out);
	vdb_abort(txn);
	return r;
}

struct vault_list {
	int (*cb)(void *arg, const char *name, const struct vr_vault *v);
	void *arg;
};

static int vault_list_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct vault_list *l = arg;
	struct vr_vault rec;
	char name[VG_VAULT_NAME_MAX + 1];
	int r;

	if ((r = vdb_key_name(k, 0, VG_VAULT_NAME_MAX, name)))
		return r;
	if ((r = vr_vault_dec(v->mv_data, v->mv_size, &rec)))
		return r;
	return l->cb(l->arg, name, &rec);
}

int vcore_vault_list(struct vcore *c,
	int (*cb)(void *arg, const char *name, const struct vr_vault *v), void *arg)
{
	struct vault_list l = {cb, arg};
	return vdb_each_ro(c->db, VDB_VAULTS, "", 0, vault_list_cb, &l);
}

int vcore_item_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *kind, const char *owner)
{
	struct vr_vault v;
	struct vr_item it;
	uint8_t key[8 + VG_ITEM_NAME_MAX];
	char target[256];
	MDB_txn *txn = NULL;
	int r;

	if ((r = vg_name_check(item, VG_ITEM_NAME_MAX)))
		return r;
	if (strcmp(kind, "files") != 0 && strcmp(kind, "restic") != 0 && strcmp(kind, "s3") != 0)
		return VG_EINVAL;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)))
		goto fail;
	if (owner && *owner) {
		struct vr_principal op;
		MDB_val pv;
		if ((r = vg_name_check(owner, VG_PRINCIPAL_NAME_MAX)) ||
		    (r = vdb_get(c->db, txn, VDB_PRINCIPALS, owner, strlen(owner), &pv)) ||
		    (r = vr_principal_dec(pv.mv_data, pv.mv_size, &op)))
			goto fail;
		if (op.kind != VR_K_AGENT) {
			r = VG_EINVAL;  /* items are given to agents only */
			goto fail;
		}
	}
	memset(&it, 0, sizeof(it));
	if ((r = new_id(&it.id)))
		goto fail;
	it.vault_id = v.id;
	it.created = vault_now();
	snprintf(it.kind, sizeof(it.kind), "%s", kind);
	it.state = VR_I_PROTECTED;
	snprintf(it.owner, sizeof(it.owner), "%s", owner && *owner ? owner : who->principal);
	snprintf(it.policy, sizeof(it.policy), "default");
	target3(target, sizeof(target), vault, item, 0);
	if (strcmp(kind, "restic") == 0) {
		/* A restic repository is one container point that stays active;
		 * each uploaded file is an object of it (PROTOCOLS.md §1). */
		struct vr_point rp;
		memset(&rp, 0, sizeof(rp));
		if ((r = new_id(&rp.id)))
			goto fail;
		rp.item_id = it.id;
		rp.state = VR_P_ACTIVE;
		rp.kind = VR_PK_REPO;
		rp.created = rp.committed = it.created;
		snprintf(rp.principal, sizeof(rp.principal), "%s", who->principal);
		it.repo_point = rp.id;
		if ((r = vcore_put_point(c, txn, &rp)))
			goto fail;
	}
	if ((r = vcore_put(c, txn, VDB_ITEMS, key, vr_key_id_name(key, v.id, item), &it, true)) ||
	    (r = audit_ok(c, txn, who, "item.create", target, kind)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vcore_item_set_owner(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *owner)
{
	struct vr_principal op;
	struct vr_vault v;
	struct vr_item it;
	char target[256], reason[2 * VG_PRINCIPAL_NAME_MAX + 40];
	MDB_txn *txn = NULL;
	MDB_val pv;
	int r;

	if ((r = vg_name_check(owner, VG_PRINCIPAL_NAME_MAX)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vdb_get(c->db, txn, VDB_PRINCIPALS, owner, strlen(owner), &pv)) ||
	    (r = vr_principal_dec(pv.mv_data, pv.mv_size, &op)))
		goto fail;
	if (op.kind != VR_K_AGENT) {
		r = VG_EINVAL;  /* items are given to agents only */
		goto fail;
	}
	snprintf(reason, sizeof(reason), "agent %s -> %s", it.owner, owner);
	snprintf(it.owner, sizeof(it.owner), "%s", owner);
	target3(target, sizeof(target), vault, item, 0);
	if ((r = vcore_put_item(c, txn, item, &it)) ||
	    (r = audit_ok(c, txn, who, "item.set", target, reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vcore_item_get(struct vcore *c, const char *vault, const char *item, struct vr_item *out)
{
	struct vr_vault v;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vcore_resolve(c, txn, vault, item, &v, out);
	vdb_abort(txn);
	return r;
}

struct item_list {
	int (*cb)(void *arg, const char *name, const struct vr_item *it);
	void *arg;
};

static int item_list_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct item_list *l = arg;
	struct vr_item it;
	char name[VG_ITEM_NAME_MAX + 1];
	int r;

	if ((r = vdb_key_name(k, 8, VG_ITEM_NAME_MAX, name)))
		return r;
	if ((r = vr_item_dec(v->mv_data, v->mv_size, &it)))
		return r;
	return l->cb(l->arg, name, &it);
}

int vcore_item_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *name, const struct vr_item *it), void *arg)
{
	struct item_list l = {cb, arg};
	struct vr_vault v;
	MDB_txn *txn;
	uint8_t prefix[8];
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, NULL, &v, NULL))) {
		vg_put_u64(prefix, v.id);
		r = vdb_each(c->db, txn, VDB_ITEMS, prefix, sizeof(prefix), item_list_cb, &l);
	}
	vdb_abort(txn);
	return r;
}

int vcore_meta_space(struct vcore *c, char *why, size_t whysz)
{
	static uint64_t last_log;
	char buf[400];
	uint64_t now = (uint64_t)time(NULL);
	int r = vdb_space_low(c->db, VCORE_META_RESERVE, buf, sizeof(buf));

	if (!r)
		return 0;
	if (now - __atomic_load_n(&last_log, __ATOMIC_RELAXED) >= 60) {
		__atomic_store_n(&last_log, now, __ATOMIC_RELAXED);
		log_warnx("%s", buf);
	}
	if (why)
		snprintf(why, whysz, "%s", buf);
	return r;
}

/* ---- points --------------------------------------------------------------- */

int vcore_point_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, bool detached, uint64_t *point)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	char target[256];
	MDB_txn *txn = NULL;
	int r;

	/* A backup starts only with the metadata reserve free, and if the
	 * vault's keys work now (for a CMK: a round trip to the token).
	 * Outside the write transaction: a failure seals the vault in its own. */
	if ((r = vcore_meta_space(c, NULL, 0)))
		return r;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vcore_resolve(c, txn, vault, item, &v, &it);
	vdb_abort(txn);
	txn = NULL;
	if (r || (r = vcore_key_check(c, vault, &v)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)))
		goto fail;
	if (it.state != VR_I_PROTECTED) {
		r = VG_EBADSTATE;  /* stopped: backups resume only after "item resume" */
		goto fail;
	}
	memset(&p, 0, sizeof(p));
	if ((r = new_id(&p.id)))
		goto fail;
	p.item_id = it.id;
	p.state = VR_P_PENDING;
	p.kind = VR_PK_BACKUP;
	p.created = vault_now();
	p.session = detached ? 0 : who->session;
	snprintf(p.principal, sizeof(p.principal), "%s", who->principal);
	target3(target, sizeof(target), vault, item, p.id);
	if ((r = vcore_put_point(c, txn, &p)) ||
	    (r = audit_ok(c, txn, who, "point.begin", target, "")))
		goto fail;
	if ((r = vdb_commit(txn)))
		return r;
	*point = p.id;
	return 0;
fail:
	vdb_abort(txn);
	return r;
}

/* A pending point belongs to its opener: only the principal that began
 * it may upload into it, commit it or abort it (local root may abort any:
 * with may_root_abort). A point bound to a connection is also usable only
 * by that connection; a detached one by its opener over any link. */
static int check_pending_as(const struct vr_point *p, const struct vcaller *who,
	bool may_root_abort)
{
	if (p->state != VR_P_PENDING)
		return VG_EBADSTATE;
	if (strcmp(p->principal, who->principal) != 0 && !(may_root_abort && who->root))
		return VG_EDENIED;
	if (p->session && p->session != who->session && !(may_root_abort && who->root))
		return VG_EBADSTATE;
	return 0;
}

static int check_pending(const struct vr_point *p, const struct vcaller *who)
{
	return check_pending_as(p, who, false);
}

struct obj_iter {
	uint64_t bytes;
	uint32_t count;
};

/* Walks the object records of one point. */
static int each_object(struct vcore *c, MDB_txn *txn, uint64_t pid,
	int (*cb)(void *arg, const char *name, const struct vr_object *o, MDB_cursor *cur),
	void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[8];
	int r;

	if ((r = vdb_cursor(c->db, txn, VDB_OBJECTS, &cur)))
		return r;
	vg_put_u64(prefix, pid);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &v, false)) {
		struct vr_object o;
		char name[VG_OBJECT_NAME_MAX + 1];
		if ((r = vdb_key_name(&k, 8, VG_OBJECT_NAME_MAX, name)))
			break;
		if ((r = vr_object_dec(v.mv_data, v.mv_size, &o)) || (r = cb(arg, name, &o, cur)))
			break;
	}
	mdb_cursor_close(cur);
	return r == VG_ENOTFOUND ? 0 : r;
}

static int sum_cb(void *arg, const char *name, const struct vr_object *o, MDB_cursor *cur)
{
	struct obj_iter *it = arg;

	(void)name;
	(void)cur;
	it->bytes += o->size;
	it->count++;
	return 0;
}

int vcore_point_commit(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, struct vr_point *out)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct obj_iter sum = {0};
	char target[256], reason[64];
	MDB_txn *txn = NULL;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, it.id, pid, &p)) ||
	    (r = check_pending(&p, who)) ||
	    (r = each_object(c, txn, pid, sum_cb, &sum)))
		goto fail;
	p.state = VR_P_ACTIVE;
	p.committed = vault_now();
	p.bytes = sum.bytes;
	p.objects = sum.count;
	p.session = 0;
	if ((r = vpolicy_point_expiry(c, txn, &v, &it, &p)))
		goto fail;
	it.last_success = p.committed;
	target3(target, sizeof(target), vault, item, pid);
	snprintf(reason, sizeof(reason), "%u objects, %llu bytes", sum.count,
		(unsigned long long)sum.bytes);
	{
		uint8_t key[8 + VG_ITEM_NAME_MAX];
		if ((r = vcore_put_point(c, txn, &p)) ||
		    (r = vcore_put(c, txn, VDB_ITEMS, key, vr_key_id_name(key, v.id, item), &it, false)) ||
		    (r = audit_ok(c, txn, who, "point.commit", target, reason)) ||
		    (r = vcore_job_put(c, txn, who, vault, item, VR_JOB_BACKUP, VR_JOB_OK, pid,
			     sum.bytes, reason)))
			goto fail;
	}
	if ((r = vdb_commit(txn)))
		return r;
	/* On RADOS, name the point in the pool's journal, so a rebuild from
	 * an older checkpoint can say it was lost (checkpoint.h). */
	vcore_journal_point(c, vault, item, pid, p.committed);
	if (out)
		*out = p;
	return 0;
fail:
	vdb_abort(txn);
	return r;
}


static int collect_del_cb(void *arg, const char *name, const struct vr_object *o, MDB_cursor *cur)
{
	struct vcore_blobs *bl = arg;
	int r;

	(void)name;
	if (bl->n == bl->cap) {
		size_t cap = bl->cap ? bl->cap * 2 : 16;
		void *p = realloc(bl->ids, cap * VC_BLOBID_LEN);
		if (!p)
			return -ENOMEM;
		bl->ids = p;
		bl->cap = cap;
	}
	memcpy(bl->ids[bl->n++], o->blob, VC_BLOBID_LEN);
	if ((r = vdb_err(mdb_cursor_del(cur, 0))))
		return r;
	return 0;
}

/* Deletes a pending point's records inside txn; the blob ids to unlink
 * after commit are collected in bl. */
int vcore_drop_point(struct vcore *c, MDB_txn *txn, const struct vr_point *p,
	struct vcore_blobs *bl)
{
	uint8_t key[16];
	size_t first = bl->n;
	int r;

	if ((r = each_object(c, txn, p->id, collect_del_cb, bl)))
		return r;
	for (size_t i = first; i < bl->n; i++)
		if ((r = vdb_del(c->db, txn, VDB_BLOBS, bl->ids[i], VC_BLOBID_LEN)) &&
		    r != VG_ENOTFOUND)
			return r;
	return vdb_del(c->db, txn, VDB_POINTS, key, vr_key_id_id(key, p->item_id, p->id));
}

void vcore_unlink_blobs(struct vcore *c, struct vcore_blobs *bl)
{
	for (size_t i = 0; i < bl->n; i++)
		(void)vs_unlink(c->store, bl->ids[i]);
	free(bl->ids);
	memset(bl, 0, sizeof(*bl));
}

int vcore_point_abort(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vcore_blobs bl = {0};
	char target[256];
	MDB_txn *txn = NULL;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, it.id, pid, &p)) ||
	    (r = check_pending_as(&p, who, true)) ||
	    (r = vcore_drop_point(c, txn, &p, &bl)))
		goto fail;
	target3(target, sizeof(target), vault, item, pid);
	if ((r = audit_ok(c, txn, who, "point.abort", target, "")) || (r = vdb_commit(txn))) {
		txn = NULL;
		goto fail;
	}
	vcore_unlink_blobs(c, &bl);
	return 0;
fail:
	vdb_abort(txn);
	free(bl.ids);
	return r;
}

int vcore_point_list(struct vcore *c, const char *vault, const char *item, bool all,
	int (*cb)(void *arg, const struct vr_point *p), void *arg)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point *pts = NULL;
	size_t n = 0, k = 0;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)))
		r = vcore_item_points(c, txn, it.id, &pts, &n);
	vdb_abort(txn);
	/* A restic container is not itself a recovery point. */
	for (size_t i = 0; !r && i < n; i++)
		if (pts[i].state != VR_P_PENDING && pts[i].kind != VR_PK_REPO &&
		    (all || pts[i].state == VR_P_ACTIVE))
			pts[k++] = pts[i];
	/* Oldest first; ties by id. Callbacks run outside the transaction. */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && (pts[j - 1].committed > pts[j].committed ||
		     (pts[j - 1].committed == pts[j].committed && pts[j - 1].id > pts[j].id)); j--) {
			struct vr_point t = pts[j];
			pts[j] = pts[j - 1];
			pts[j - 1] = t;
		}
	for (size_t i = 0; !r && i < k; i++)
		r = cb(arg, &pts[i]);
	free(pts);
	return r;
}

struct olist {
	int (*cb)(void *arg, const char *name, const struct vr_object *o);
	void *arg;
};

static int olist_cb(void *arg, const char *name, const struct vr_object *o, MDB_cursor *cur)
{
	struct olist *ol = arg;
	(void)cur;
	if (o->state != VR_O_ACTIVE)
		return 0;  /* soft-deleted restic files are not listed */
	return ol->cb(ol->arg, name, o);
}

int vcore_object_list(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	int (*cb)(void *arg, const char *name, const struct vr_object *o), void *arg)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct olist ol = {cb, arg};
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, it.id, pid, &p)))
		goto out;
	if (p.state != VR_P_ACTIVE) {
		r = p.state == VR_P_PENDING ? VG_ENOTFOUND : VG_ESOFTDELETED;
		goto out;
	}
	r = each_object(c, txn, pid, olist_cb, &ol);
out:
	vdb_abort(txn);
	return r;
}

/* ---- uploads -------------------------------------------------------------- */

struct vcore_upload {
	struct vcore *c;
	struct vcaller who;
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
	uint64_t vault_id, item_id, point_id;
	uint8_t blob[VC_BLOBID_LEN];
	uint8_t want_sha[VC_HASH_LEN];
	int have_sha;
	uint64_t want_size;
	int repo;                 /* into a restic item's container point */
	int duplicate;            /* repo: an identical object was already stored */
	int have_old;
	uint8_t old_blob[VC_BLOBID_LEN];
	struct vs_writer *w;
	uint64_t limit;           /* bytes a quota still allows (quota.h) */
	int repair;               /* vcore_repair_begin: rewrites an object's blob */
	uint8_t rep_old[VC_BLOBID_LEN];
	uint32_t rep_seg;
	char why[512];            /* why a write was refused (VG_ENOSPACE) */
};

static int object_key(uint8_t *key, uint64_t pid, const char *name)
{
	return (int)vr_key_id_name(key, pid, name);
}

int vcore_upload_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, const char *object, const uint8_t *want_sha,
	uint64_t want_size, struct vcore_upload **out)
{
	struct vcore_upload *u;
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vs_ctx ctx;
	struct vcore_keys keys;
	struct vs_keys vk;
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	MDB_val val;
	MDB_txn *txn;
	uint64_t avail;
	int r, repo = 0;

	*out = NULL;
	if ((r = vg_name_check(object, VG_OBJECT_NAME_MAX)))
		return r;
	/* restic lock files pass the reserve: forget and prune need them to
	 * free space. */
	if (!(pid == 0 && strncmp(object, "locks:", 6) == 0) && (r = vcore_meta_space(c, NULL, 0)))
		return r;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)) && pid == 0) {
		/* pid 0: the item's restic container point. */
		if (strcmp(it.kind, "restic") != 0 || !it.repo_point)
			r = VG_EBADSTATE;
		else
			pid = it.repo_point;
		repo = 1;
	}
	if (!r && !(r = vcore_get_point(c, txn, it.id, pid, &p)) &&
	    !(r = repo ? (p.kind == VR_PK_REPO && p.state == VR_P_ACTIVE ? 0 : VG_EBADSTATE) :
		      check_pending(&p, who))) {
		r = vdb_get(c->db, txn, VDB_OBJECTS, key, (size_t)object_key(key, pid, object), &val);
		if (r == 0 && repo && strcmp(object, "config") != 0)
			r = 0;  /* a retry or a re-upload: settled at finish */
		else
			r = r == 0 ? VG_EEXISTS : (r == VG_ENOTFOUND ? 0 : r);
	}
	vdb_abort(txn);
	if (r)
		return r;
	/* Fail early when the declared size cannot fit above the disk floor
	 * (quota.h; the handlers ask vquota_admit first, for the reason). */
	if (want_size != UINT64_MAX && vs_free_bytes(c->store, &avail) == 0) {
		uint64_t need = want_size + want_size / 100 + vquota_floor();
		if (need > avail)
			return VG_ENOSPACE;
	}
	if (!(u = calloc(1, sizeof(*u))))
		return -ENOMEM;
	u->c = c;
	u->who = *who;
	snprintf(u->vault, sizeof(u->vault), "%s", vault);
	snprintf(u->item, sizeof(u->item), "%s", item);
	snprintf(u->object, sizeof(u->object), "%s", object);
	u->vault_id = v.id;
	u->item_id = it.id;
	u->point_id = pid;
	u->want_size = want_size;
	u->limit = UINT64_MAX;
	u->repo = repo;
	if (want_sha) {
		memcpy(u->want_sha, want_sha, VC_HASH_LEN);
		u->have_sha = 1;
	}
	if ((r = vc_random(u->blob, sizeof(u->blob))) || (r = vcore_keys_get(c, vault, &v, &keys)))
		goto fail;
	ctx.vault_id = v.id;
	ctx.item_id = it.id;
	ctx.point_id = pid;
	memcpy(ctx.blob, u->blob, sizeof(ctx.blob));
	vk.dek = keys.dek;
	vk.infra = keys.has_infra ? keys.infra : NULL;
	r = vs_writer_new_keys(c->store, &vk, &ctx, VS_SEG_SIZE, &u->w);
	vcore_keys_wipe(&keys);
	if (r)
		goto fail;
	*out = u;
	return 0;
fail:
	vcore_upload_free(u);
	return r;
}

void vcore_upload_limit(struct vcore_upload *u, uint64_t limit)
{
	u->limit = limit;
}

const char *vcore_upload_why(const struct vcore_upload *u)
{
	return u->why[0] ? u->why : NULL;
}

/* The store itself refused a write for lack of space (a RADOS pool that
 * filled during the upload): say where. */
static int store_full(struct vcore_upload *u, int r)
{
	char desc[1400];

	if (r == VG_ENOSPACE && !u->why[0] && vs_describe(u->c->store, desc, sizeof(desc)) == 0)
		snprintf(u->why, sizeof(u->why), "storage full: %.300s refused the write: out of space; "
			"free space (delete or purge points) and retry", desc);
	return r;
}

int vcore_upload_write(struct vcore_upload *u, const void *p, size_t n)
{
	uint64_t had = vs_writer_size(u->w);

	if (u->want_size != UINT64_MAX && had + n > u->want_size)
		return VG_ETOOBIG;
	if (had + n > u->limit) {
		snprintf(u->why, sizeof(u->why), "quota reached after %llu bytes of this upload",
			(unsigned long long)u->limit);
		return VG_ENOSPACE;
	}
	/* At each new segment: stop before the disk floor is crossed. */
	if (had / VS_SEG_SIZE != (had + n) / VS_SEG_SIZE &&
	    vquota_disk_check(u->c, UINT64_MAX, u->why, sizeof(u->why)))
		return VG_ENOSPACE;
	return store_full(u, vs_writer_write(u->w, p, n));
}

/* ---- repair: a good copy replaces a damaged blob (issue 14) ------------------ */

int vcore_repair_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, const char *object, struct vcore_upload **out)
{
	struct vcore_upload *u;
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vr_object o;
	struct vs_ctx ctx;
	struct vcore_keys keys;
	struct vs_keys vk;
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	MDB_val val;
	MDB_txn *txn;
	int r;

	*out = NULL;
	if ((r = vg_name_check(object, VG_OBJECT_NAME_MAX)))
		return r;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)) && pid == 0) {
		if (strcmp(it.kind, "restic") != 0 || !it.repo_point)
			r = VG_EBADSTATE;
		else
			pid = it.repo_point;
	}
	if (!r && !(r = vcore_get_point(c, txn, it.id, pid, &p))) {
		if (p.state == VR_P_PENDING)
			r = VG_EBADSTATE;
		else if (!(r = vdb_get(c->db, txn, VDB_OBJECTS, key,
				   (size_t)object_key(key, pid, object), &val)))
			r = vr_object_dec(val.mv_data, val.mv_size, &o);
	}
	vdb_abort(txn);
	if (r)
		return r;
	if (!(u = calloc(1, sizeof(*u))))
		return -ENOMEM;
	u->c = c;
	u->who = *who;
	snprintf(u->vault, sizeof(u->vault), "%s", vault);
	snprintf(u->item, sizeof(u->item), "%s", item);
	snprintf(u->object, sizeof(u->object), "%s", object);
	u->vault_id = v.id;
	u->item_id = it.id;
	u->point_id = pid;
	u->want_size = o.size;
	u->limit = UINT64_MAX;
	memcpy(u->want_sha, o.sha256, VC_HASH_LEN);
	u->have_sha = 1;
	u->repair = 1;
	u->rep_seg = o.seg_size;
	memcpy(u->rep_old, o.blob, VC_BLOBID_LEN);
	if ((r = vc_random(u->blob, sizeof(u->blob))) || (r = vcore_keys_get(c, vault, &v, &keys)))
		goto fail;
	ctx.vault_id = v.id;
	ctx.item_id = it.id;
	ctx.point_id = pid;
	memcpy(ctx.blob, u->blob, sizeof(ctx.blob));
	vk.dek = keys.dek;
	vk.infra = keys.has_infra ? keys.infra : NULL;
	r = vs_writer_new_keys(c->store, &vk, &ctx, o.seg_size, &u->w);
	vcore_keys_wipe(&keys);
	if (r)
		goto fail;
	*out = u;
	return 0;
fail:
	vcore_upload_free(u);
	return r;
}

/* The new blob holds the recorded bytes (size and SHA-256 checked): it
 * takes the damaged one's place in one transaction, audited; then the old
 * file goes. */
static int repair_finish(struct vcore_upload *u, uint64_t size, const uint8_t *sha)
{
	struct vcore *c = u->c;
	struct vr_object o;
	struct vr_blobref br;
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	char target[600], reason[200], oldh[33], newh[33], hex[65];
	MDB_val val;
	MDB_txn *txn = NULL;
	size_t kn = (size_t)object_key(key, u->point_id, u->object);
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_OBJECTS, key, kn, &val)) ||
	    (r = vr_object_dec(val.mv_data, val.mv_size, &o)))
		goto fail;
	if (memcmp(o.blob, u->rep_old, VC_BLOBID_LEN) != 0 || o.size != size ||
	    CRYPTO_memcmp(o.sha256, sha, VC_HASH_LEN) != 0) {
		r = VG_EBADSTATE;  /* changed meanwhile */
		goto fail;
	}
	memcpy(o.blob, u->blob, VC_BLOBID_LEN);
	memset(&br, 0, sizeof(br));
	br.vault_id = u->vault_id;
	br.item_id = u->item_id;
	br.point_id = u->point_id;
	snprintf(br.object, sizeof(br.object), "%s", u->object);
	{
		char ps[17];
		vcore_point_str(u->point_id, ps);
		snprintf(target, sizeof(target), "%s/%s/%s/%s", u->vault, u->item, ps, u->object);
	}
	vg_hex(oldh, u->rep_old, VC_BLOBID_LEN);
	vg_hex(newh, u->blob, VC_BLOBID_LEN);
	vg_hex(hex, sha, VC_HASH_LEN);
	snprintf(reason, sizeof(reason), "blob %s -> %s, %llu bytes sha256 %s", oldh, newh,
		(unsigned long long)size, hex);
	if ((r = vcore_put(c, txn, VDB_OBJECTS, key, kn, &o, false)) ||
	    ((r = vdb_del(c->db, txn, VDB_BLOBS, u->rep_old, VC_BLOBID_LEN)) && r != VG_ENOTFOUND) ||
	    (r = vcore_put(c, txn, VDB_BLOBS, u->blob, VC_BLOBID_LEN, &br, true)) ||
	    (r = audit_ok(c, txn, &u->who, "object.repair", target, reason)))
		goto fail;
	if ((r = vdb_commit(txn)))
		return r;
	vs_writer_free(u->w, 1);
	u->w = NULL;
	(void)vs_unlink(c->store, u->rep_old);
	return 0;
fail:
	vdb_abort(txn);
	return r;
}

int vcore_upload_finish(struct vcore_upload *u, uint64_t *size, uint8_t sha[VC_HASH_LEN])
{
	struct vcore *c = u->c;
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vr_object o;
	struct vr_blobref br;
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	char target[600], reason[128], hex[65];
	MDB_txn *txn = NULL;
	int r;

	if (u->want_size != UINT64_MAX && vs_writer_size(u->w) != u->want_size)
		return VG_EINVAL;  /* short body */
	if ((r = vs_writer_finish(u->w, size, sha)))
		return store_full(u, r);
	if (u->have_sha && CRYPTO_memcmp(sha, u->want_sha, VC_HASH_LEN) != 0)
		return VG_EINVAL;
	if (u->repair)
		return repair_finish(u, *size, sha);
	memset(&o, 0, sizeof(o));
	memcpy(o.blob, u->blob, sizeof(o.blob));
	o.size = *size;
	o.seg_size = VS_SEG_SIZE;
	memcpy(o.sha256, sha, VC_HASH_LEN);
	o.created = vault_now();
	o.state = VR_O_ACTIVE;
	memset(&br, 0, sizeof(br));
	br.vault_id = u->vault_id;
	br.item_id = u->item_id;
	br.point_id = u->point_id;
	snprintf(br.object, sizeof(br.object), "%s", u->object);

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	/* Re-check under the write lock: the point may have been aborted. */
	if ((r = vcore_resolve(c, txn, u->vault, u->item, &v, &it)) ||
	    (r = vcore_get_point(c, txn, u->item_id, u->point_id, &p)) ||
	    (r = u->repo ? (p.state == VR_P_ACTIVE ? 0 : VG_EBADSTATE) : check_pending(&p, &u->who)))
		goto fail;
	if (v.id != u->vault_id || it.id != u->item_id) {
		r = VG_EBADSTATE;
		goto fail;
	}
	if (u->repo) {
		struct vr_object old;
		MDB_val ov;
		r = vdb_get(c->db, txn, VDB_OBJECTS, key, (size_t)object_key(key, u->point_id, u->object), &ov);
		if (r == 0) {
			if ((r = vr_object_dec(ov.mv_data, ov.mv_size, &old)))
				goto fail;
			if (old.state == VR_O_ACTIVE) {
				/* Same name, same bytes: a safe retry. Else refused. */
				r = CRYPTO_memcmp(old.sha256, sha, VC_HASH_LEN) == 0 ? 0 : VG_EEXISTS;
				vdb_abort(txn);
				u->duplicate = r == 0;
				return r;
			}
			/* A soft-deleted object uploaded again: the new body replaces it. */
			if ((r = vdb_del(c->db, txn, VDB_BLOBS, old.blob, VC_BLOBID_LEN)) && r != VG_ENOTFOUND)
				goto fail;
			memcpy(u->old_blob, old.blob, VC_BLOBID_LEN);
			u->have_old = 1;
		} else if (r != VG_ENOTFOUND) {
			goto fail;
		}
		if ((r = vcore_restic_added(c, txn, &v, u->vault, u->item, &it, u->object, *size,
			     &u->who)))
			goto fail;
	}
	if ((r = vcore_put(c, txn, VDB_OBJECTS, key, (size_t)object_key(key, u->point_id, u->object), &o, !u->repo)) ||
	    (r = vcore_put(c, txn, VDB_BLOBS, u->blob, VC_BLOBID_LEN, &br, true)))
		goto fail;
	{
		char ps[17];
		vcore_point_str(u->point_id, ps);
		snprintf(target, sizeof(target), "%s/%s/%s/%s", u->vault, u->item, ps, u->object);
	}
	vg_hex(hex, sha, VC_HASH_LEN);
	snprintf(reason, sizeof(reason), "%llu bytes sha256 %s", (unsigned long long)*size, hex);
	if ((r = audit_ok(c, txn, &u->who, "object.put", target, reason)))
		goto fail;
	if ((r = vdb_commit(txn)))
		return r;
	/* On RADOS, a restic snapshot file is named in the pool's journal, so a
	 * rebuild from an older checkpoint can name it as lost (checkpoint.h). */
	if (u->repo)
		vcore_journal_object(c, u->vault, u->item, u->point_id, o.created, u->object);
	vs_writer_free(u->w, 1);
	u->w = NULL;
	if (u->have_old)
		(void)vs_unlink(c->store, u->old_blob);
	vquota_after(c, &u->who, u->vault, u->item);
	return 0;
fail:
	vdb_abort(txn);
	return r;
}

void vcore_upload_free(struct vcore_upload *u)
{
	if (!u)
		return;
	vs_writer_free(u->w, 0);  /* unlinks an unfinished or uncommitted blob */
	free(u);
}

/* ---- parked (resumable) uploads ---------------------------------------------- */

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct parked {
	struct vcore_upload *u;
	time_t at;
} parked[VCORE_PARK_MAX];

uint64_t vcore_upload_size(const struct vcore_upload *u)
{
	return vs_writer_size(u->w);
}

int vcore_upload_park(struct vcore_upload *u)
{
	struct vcore_upload *drop = NULL;
	size_t i, slot = VCORE_PARK_MAX, oldest = 0;
	time_t now = time(NULL);

	if (!u || u->repo || u->repair || !u->have_sha || u->want_size == UINT64_MAX ||
	    vs_writer_size(u->w) == 0)
		return VG_EINVAL;
	pthread_mutex_lock(&park_lock);
	for (i = 0; i < VCORE_PARK_MAX; i++) {
		if (!parked[i].u) {
			if (slot == VCORE_PARK_MAX)
				slot = i;
		} else if (parked[i].at < parked[oldest].at || !parked[oldest].u) {
			oldest = i;
		}
	}
	if (slot == VCORE_PARK_MAX) {
		drop = parked[oldest].u;
		slot = oldest;
	}
	parked[slot].u = u;
	parked[slot].at = now;
	pthread_mutex_unlock(&park_lock);
	vcore_upload_free(drop);
	return 0;
}

int vcore_upload_unpark(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, const char *object, const uint8_t *want_sha,
	uint64_t want_size, struct vcore_upload **out)
{
	struct vcore_upload *u = NULL, *stale[VCORE_PARK_MAX];
	size_t nstale = 0;
	time_t now = time(NULL);

	*out = NULL;
	if (!want_sha || want_size == UINT64_MAX)
		return VG_ENOTFOUND;
	pthread_mutex_lock(&park_lock);
	for (size_t i = 0; i < VCORE_PARK_MAX; i++) {
		struct vcore_upload *p = parked[i].u;

		if (!p)
			continue;
		if ((uint64_t)(now - parked[i].at) > VCORE_DETACHED_MAX_AGE) {
			stale[nstale++] = p;
			parked[i].u = NULL;
			continue;
		}
		if (!u && p->c == c && p->point_id == pid && p->want_size == want_size &&
		    p->who.root == who->root && strcmp(p->who.principal, who->principal) == 0 &&
		    strcmp(p->vault, vault) == 0 && strcmp(p->item, item) == 0 &&
		    strcmp(p->object, object) == 0 && memcmp(p->want_sha, want_sha, VC_HASH_LEN) == 0) {
			u = p;
			parked[i].u = NULL;
		}
	}
	pthread_mutex_unlock(&park_lock);
	for (size_t i = 0; i < nstale; i++)
		vcore_upload_free(stale[i]);
	if (!u)
		return VG_ENOTFOUND;
	/* Only into the point it was cut from, while that point is still
	 * pending: an aborted (or committed, or purged) point leaves nothing
	 * to resume, and the caller starts over in a new point. */
	{
		struct vr_vault vv;
		struct vr_item it;
		struct vr_point pt;
		MDB_txn *txn;
		int r = vdb_begin(c->db, false, &txn);

		if (r == 0) {
			r = vcore_resolve(c, txn, vault, item, &vv, &it);
			if (r == 0)
				r = vcore_get_point(c, txn, it.id, pid, &pt);
			if (r == 0 && pt.state != VR_P_PENDING)
				r = VG_ENOTFOUND;
			vdb_abort(txn);
		}
		if (r) {
			vcore_upload_free(u);
			return VG_ENOTFOUND;
		}
	}
	u->who = *who;   /* this request's caller (same principal) */
	*out = u;
	return 0;
}

void vcore_upload_unpark_all(struct vcore *c)
{
	struct vcore_upload *drop[VCORE_PARK_MAX];
	size_t n = 0;

	pthread_mutex_lock(&park_lock);
	for (size_t i = 0; i < VCORE_PARK_MAX; i++) {
		if (parked[i].u && parked[i].u->c == c) {
			drop[n++] = parked[i].u;
			parked[i].u = NULL;
		}
	}
	pthread_mutex_unlock(&park_lock);
	for (size_t i = 0; i < n; i++)
		vcore_upload_free(drop[i]);
}

/* ---- downloads ------------------------------------------------------------ */

struct vcore_download {
	struct vs_reader *r;
	struct vr_object obj;
	uint8_t *seg;
};

static int download_open(struct vcore *c, const struct vcaller *pending_who, const char *vault,
	const char *item, uint64_t pid, const char *object, struct vcore_download **out,
	struct vr_object *obj);

int vcore_download_open(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	const char *object, struct vcore_download **out, struct vr_object *obj)
{
	return download_open(c, NULL, vault, item, pid, object, out, obj);
}

int vcore_download_open_pending(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, const char *object, struct vcore_download **out,
	struct vr_object *obj)
{
	return download_open(c, who, vault, item, pid, object, out, obj);
}

static int download_open(struct vcore *c, const struct vcaller *pending_who, const char *vault,
	const char *item, uint64_t pid, const char *object, struct vcore_download **out,
	struct vr_object *obj)
{
	struct vcore_download *d;
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	struct vs_ctx ctx;
	struct vcore_keys keys;
	struct vs_keys vk;
	uint8_t key[8 + VG_OBJECT_NAME_MAX];
	MDB_val val;
	MDB_txn *txn;
	int r;

	*out = NULL;
	if ((r = vg_name_check(object, VG_OBJECT_NAME_MAX)))
		return r;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	if ((r = vdb_begin(c->db, false, &txn)))
		goto fail;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)) && pid == 0) {
		if (strcmp(it.kind, "restic") != 0 || !it.repo_point)
			r = VG_EBADSTATE;
		pid = it.repo_point;
	}
	if (!r && !(r = vcore_get_point(c, txn, it.id, pid, &p))) {
		if (pending_who)
			r = check_pending(&p, pending_who);
		else if (p.state != VR_P_ACTIVE)
			r = p.state == VR_P_PENDING ? VG_ENOTFOUND : VG_ESOFTDELETED;
		if (!r && !(r = vdb_get(c->db, txn, VDB_OBJECTS, key,
				   (size_t)object_key(key, pid, object), &val)))
			r = vr_object_dec(val.mv_data, val.mv_size, &d->obj);
	}
	vdb_abort(txn);
	if (r)
		goto fail;
	if (d->obj.state != VR_O_ACTIVE) {
		r = VG_ESOFTDELETED;
		goto fail;
	}
	if ((r = vcore_keys_get(c, vault, &v, &keys)))
		goto fail;
	ctx.vault_id = v.id;
	ctx.item_id = it.id;
	ctx.point_id = pid;
	memcpy(ctx.blob, d->obj.blob, sizeof(ctx.blob));
	vk.dek = keys.dek;
	vk.infra = keys.has_infra ? keys.infra : NULL;
	r = vs_reader_open_keys(c->store, &vk, &ctx, d->obj.size, d->obj.seg_size, &d->r);
	vcore_keys_wipe(&keys);
	if (r)
		goto fail;
	if (!(d->seg = malloc(d->obj.seg_size))) {
		r = -ENOMEM;
		goto fail;
	}
	*obj = d->obj;
	*out = d;
	return 0;
fail:
	vcore_download_free(d);
	return r;
}

int vcore_download_read(struct vcore_download *d, uint64_t off, uint64_t len,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg)
{
	uint64_t end, seg;
	size_t n;
	int r;

	if (off > d->obj.size || len > d->obj.size - off)
		return VG_ERANGE;
	if (len == 0)
		return 0;
	end = off + len;
	for (seg = off / d->obj.seg_size; seg * d->obj.seg_size < end; seg++) {
		uint64_t sbeg = seg * d->obj.seg_size, a, b;
		if ((r = vs_reader_seg(d->r, seg, d->seg, &n)))
			return r;
		a = off > sbeg ? off - sbeg : 0;
		b = end - sbeg < n ? end - sbeg : n;
		if ((r = sink(arg, d->seg + a, (size_t)(b - a))))
			return r;
	}
	return 0;
}

void vcore_download_free(struct vcore_download *d)
{
	if (!d)
		return;
	vs_reader_free(d->r);
	if (d->seg)
		OPENSSL_cleanse(d->seg, d->obj.seg_size);
	free(d->seg);
	free(d);
}

/* ---- start-up recovery ------------------------------------------------------ */

struct orphan_scan {
	struct vcore *c;
	MDB_txn *txn;
	struct vcore_recovery *st;
	bool dry;            /* vcore_survey: count, remove nothing */
	int err;
};

static int orphan_cb(void *arg, const uint8_t *blob, const char *sub, const char *name)
{
	struct orphan_scan *os = arg;
	MDB_val v;
	int r;

	if (!blob) {
		os->st->stray_files++;
		return os->dry ? 0 : vs_unlink_name(os->c->store, sub, name);
	}
	r = vdb_get(os->c->db, os->txn, VDB_BLOBS, blob, VC_BLOBID_LEN, &v);
	if (r == VG_ENOTFOUND) {
		os->st->orphan_blobs++;
		return os->dry ? 0 : vs_unlink(os->c->store, blob);
	}
	return r;
}

/* One pass for both: DRY counts what recovery would remove and changes
 * nothing (a read transaction only), so --check and a real start agree. */
static int recover(struct vcore *c, bool dry, struct vcore_recovery *st)
{
	struct vcaller sys = {.principal = "system", .peer = "local", .session = 0};
	struct vcore_blobs bl = {0};
	struct orphan_scan os;
	MDB_txn *txn = NULL;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	memset(st, 0, sizeof(*st));
	/* 1. Pending points never committed: drop them and their objects.
	 * Collect first, then delete, so no cursor walks a changing tree. */
	struct vr_point *pend = NULL;
	size_t npend = 0, cap = 0;

	if ((r = vdb_begin(c->db, !dry, &txn)) || (r = vdb_cursor(c->db, txn, VDB_POINTS, &cur)))
		goto fail;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		struct vr_point p;
		if ((r = vr_point_dec(v.mv_data, v.mv_size, &p)))
			break;
		if (p.state != VR_P_PENDING)
			continue;
		/* A detached upload outlives the link, and so a restart, until
		 * the purger's day is up: the client resumes it over a new link.
		 * An attached one died with its connection. */
		if (p.session == 0 && p.created + VCORE_DETACHED_MAX_AGE > vault_now()) {
			st->kept_detached++;
			continue;
		}
		if (npend == cap) {
			void *np = realloc(pend, (cap = cap ? cap * 2 : 16) * sizeof(*pend));
			if (!np) {
				r = -ENOMEM;
				break;
			}
			pend = np;
		}
		pend[npend++] = p;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
	if (dry && !r)
		st->pending_points = npend;
	for (size_t i = 0; !dry && !r && i < npend; i++)
		if (!(r = vcore_drop_point(c, txn, &pend[i], &bl)))
			st->pending_points++;
	free(pend);
	if (r)
		goto fail;
	if (dry) {
		vdb_abort(txn);
		txn = NULL;
		goto scan;
	}
	if (st->pending_points) {
		char reason[96];
		snprintf(reason, sizeof(reason), "%llu uncommitted points removed at start-up",
			(unsigned long long)st->pending_points);
		if ((r = audit_ok(c, txn, &sys, "recovery", "*", reason)))
			goto fail;
	}
	if ((r = vdb_commit(txn))) {
		txn = NULL;
		goto fail;
	}
	txn = NULL;
	free(bl.ids);
	bl.ids = NULL;
scan:
	/* 2. Blobs that no committed record references (this also covers the
	 * blobs of the points just dropped). */
	if ((r = vdb_begin(c->db, false, &txn)))
		goto fail;
	os.c = c;
	os.txn = txn;
	os.st = st;
	os.dry = dry;
	os.err = 0;
	r = vs_scan(c->store, orphan_cb, &os);
	vdb_abort(txn);
	return r;
fail:
	vdb_abort(txn);
	free(bl.ids);
	return r;
}

int vcore_recover(struct vcore *c, struct vcore_recovery *st)
{
	return c->readonly ? VG_EBADSTATE : recover(c, false, st);
}

int vcore_survey(struct vcore *c, struct vcore_recovery *st)
{
	return recover(c, true, st);
}
