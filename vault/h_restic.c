/* h_restic.c - vaultd request handlers for restic repositories
 * (PROTOCOLS.md §1, restic.h). vaultd checks the object name grammar and
 * that a body hashes to its ID itself: the gateway is not trusted to. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "restic.h"
#include "server_int.h"
#include "vg_err.h"

static int sent(int send_rc)
{
	return send_rc ? send_rc : 1;
}

static int object_args(struct conn *k, const struct vg_msg *m, const char *op, struct args *a,
	char type[16])
{
	int r;

	if (get_args(m, A_VAULT | A_ITEM | A_OBJECT, a))
		return sent(send_err(k, VG_EINVAL, "%s needs a vault, an item and an object", op));
	if ((r = vrestic_name_check(a->object, type))) {
		audit_refusal(k, op, a->target, r, "not a restic file name");
		return sent(send_err(k, r, "%s: not a restic file name (config or TYPE:64-hex-id)",
			a->object));
	}
	return 0;
}

int h_restic_create(struct conn *k, const struct vg_msg *m)
{
	struct vr_item it;
	struct args a;
	int r, created;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "restic.create needs a vault and an item");
	if (vcore_item_get(k->c, a.vault, a.item, &it) == 0)
		NEED("restic.create", a.vault, a.item, VP_BACKUP);
	else
		NEED("restic.create", a.vault, NULL, VP_PROTECT);
	r = vrestic_create(k->c, &k->who, a.vault, a.item, 1, &created);
	if (r) {
		audit_fail(k, "restic.create", a.target, r, true);
		return send_err(k, r, "%s: %s", a.target, r == VG_EEXISTS ?
			"an item of another kind has this name" : vg_strerror(r));
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

int h_restic_put(struct conn *k, const struct vg_msg *m)
{
	struct vcore_upload *u = NULL;
	struct args a;
	char type[16];
	uint8_t id[VC_HASH_LEN];
	uint64_t size = UINT64_MAX, limit;
	int r, isconfig;

	if ((r = object_args(k, m, "restic.put", &a, type)))
		return r < 0 ? r : 0;
	NEED("restic.put", a.vault, a.item, VP_BACKUP);
	(void)vg_msg_u64(m, VG_TAG_SIZE, &size);
	isconfig = strcmp(type, "config") == 0;
	/* Every file but config is named by the SHA-256 of its bytes. */
	if (!isconfig)
		vg_unhex(id, sizeof(id), strchr(a.object, ':') + 1);
	/* Lock files pass quotas and the floor, as they pass the metadata
	 * reserve: forget and prune need them to free space. */
	limit = UINT64_MAX;
	if (strcmp(type, "locks") != 0 &&
	    (r = upload_admit(k, "restic.put", a.vault, a.item, a.target, size, &limit)))
		return r < 0 ? r : 0;
	if ((r = vcore_upload_begin(k->c, &k->who, a.vault, a.item, 0, a.object,
		     isconfig ? NULL : id, size, &u))) {
		char sw0[400];
		audit_refusal(k, "restic.put", a.target, r, space_why(k, r, sw0, sizeof(sw0)));
		if (r == VG_EKEY)
			return send_key_err(k, a.target, a.vault);
		char sw[400];
		return send_err(k, r, "%s: %s", a.target, r == VG_EEXISTS ?
			"already exists" : space_why(k, r, sw, sizeof(sw)));
	}
	vcore_upload_limit(u, limit);
	return stream_upload(k, u, "restic.put", a.target);
}

int h_restic_get(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	struct args a;
	char type[16];
	uint64_t off = 0, len = UINT64_MAX;
	int r;

	if ((r = object_args(k, m, "restic.get", &a, type)))
		return r < 0 ? r : 0;
	NEED("restic.get", a.vault, a.item, VP_RESTORE);
	(void)vg_msg_u64(m, VG_TAG_OFFSET, &off);
	(void)vg_msg_u64(m, VG_TAG_LENGTH, &len);
	if ((r = vcore_download_open(k->c, a.vault, a.item, 0, a.object, &d, &o))) {
		if (r == VG_EINTEGRITY)
			integrity_failed(k, "restic.get", a.target);  /* a damaged blob header */
		audit_fail(k, "restic.get", a.target, r, false);
		if (r == VG_EKEY)
			return send_key_err(k, a.target, a.vault);
		return send_err(k, r, "%s: %s", a.target, vg_strerror(r));
	}
	return stream_download(k, d, &o, off, len, "restic.get", a.target);
}

int h_restic_stat(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	struct args a;
	struct vg_wr *w;
	char type[16];
	int r;

	if ((r = object_args(k, m, "restic.stat", &a, type)))
		return r < 0 ? r : 0;
	NEED("restic.stat", a.vault, a.item, VP_VIEW);
	if ((r = vcore_download_open(k->c, a.vault, a.item, 0, a.object, &d, &o)))
		return send_err(k, r, "%s: %s", a.target, vg_strerror(r));
	vcore_download_free(d);
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SIZE, o.size);
	vg_msgb_bytes(w, VG_TAG_SHA256, o.sha256, VC_HASH_LEN);
	return vg_send_frame(k->fd, w);
}

static int list_cb(void *arg, const char *id, uint64_t size)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_str(w, VG_TAG_NAME, id);
	vg_msgb_u64(w, VG_TAG_SIZE, size);
	return vg_send_frame(k->fd, w);
}

int h_restic_list(struct conn *k, const struct vg_msg *m)
{
	struct vr_item it;
	struct args a;
	int r;

	if (get_args(m, A_VAULT | A_ITEM, &a) || vg_msg_str(m, VG_TAG_KIND, a.kind, sizeof(a.kind)))
		return send_err(k, VG_EINVAL, "restic.list needs a vault, an item and a type");
	if ((r = vrestic_type_check(a.kind)))
		return send_err(k, VG_ENOTFOUND, "%s: not a restic file type", a.kind);
	NEED("restic.list", a.vault, a.item, VP_VIEW);
	if ((r = vcore_item_get(k->c, a.vault, a.item, &it)))
		return send_err(k, r, "%s: %s", a.target, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vrestic_list(k->c, a.vault, a.item, a.kind, list_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_restic_delete(struct conn *k, const struct vg_msg *m)
{
	struct vrestic_del out;
	struct args a;
	struct vg_wr *w;
	char type[16], why[400] = "", detail[96];
	int r;

	if ((r = object_args(k, m, "restic.delete", &a, type)))
		return r < 0 ? r : 0;
	NEED("restic.delete", a.vault, a.item, VP_BACKUP);
	if ((r = vrestic_delete(k->c, &k->who, a.vault, a.item, a.object, &out, why, sizeof(why)))) {
		/* Refusals with a reason are audited where they were decided. */
		if (!*why)
			audit_fail(k, "restic.delete", a.target, r, true);
		return send_err(k, r, "%s: %s", a.target, *why ? why : vg_strerror(r));
	}
	switch (out.outcome) {
	case VRESTIC_DEL_SOFT: {
		char ts[32];
		time_t tt = (time_t)out.purge_at;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(detail, sizeof(detail), "soft-deleted until %s", ts);
		break;
	}
	case VRESTIC_DEL_PERMANENT:
	case VRESTIC_DEL_LOCK:
		snprintf(detail, sizeof(detail), "permanently deleted");
		break;
	default:
		snprintf(detail, sizeof(detail), "not found: nothing deleted");
		break;
	}
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_DETAIL, detail);
	if (out.outcome == VRESTIC_DEL_SOFT)
		vg_msgb_u64(w, VG_TAG_TIME, out.purge_at);
	return vg_send_frame(k->fd, w);
}

/* VG_OP_RESTIC_DELETED: VAULT ITEM -> ROW {OBJECT SIZE TIME(deleted at)
 * TIME2(purge at) OFFSET(lock until, 0: none) PRINCIPAL(deleted by)}. */
struct dl_arg {
	struct conn *k;
};

static int deleted_cb(void *arg, const struct vrestic_deleted *d)
{
	struct dl_arg *x = arg;
	struct vg_wr *w = row(x->k);

	vg_msgb_str(w, VG_TAG_OBJECT, d->name);
	vg_msgb_u64(w, VG_TAG_SIZE, d->size);
	vg_msgb_u64(w, VG_TAG_TIME, d->deleted_at);
	vg_msgb_u64(w, VG_TAG_TIME2, d->purge_at);
	vg_msgb_u64(w, VG_TAG_OFFSET, d->lock_until);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, d->deleted_by);
	return vg_send_frame(x->k->fd, w);
}

int h_restic_deleted(struct conn *k, const struct vg_msg *m)
{
	struct dl_arg x = {k};
	struct vr_item it;
	struct args a;
	int r;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "restic.deleted needs a vault and an item");
	NEED("restic.deleted", a.vault, a.item, VP_VIEW);
	if ((r = vcore_item_get(k->c, a.vault, a.item, &it)))
		return send_err(k, r, "%s: %s", a.target, vg_strerror(r));
	if (strcmp(it.kind, "restic") != 0)
		return send_err(k, VG_EBADSTATE, "%s is not a restic repository", a.target);
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vrestic_deleted_list(k->c, a.vault, a.item, deleted_cb, &x);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

/* VG_OP_RESTIC_UNDELETE: VAULT ITEM (OBJECT | TIME since, 0 = all) -> COUNT. */
int h_restic_undelete(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	struct vg_wr *w;
	uint64_t since = 0;
	uint32_t n = 0;
	char why[300] = "";
	int r, named;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "restic.undelete needs a vault and an item");
	named = vg_msg_str(m, VG_TAG_OBJECT, a.object, sizeof(a.object)) == 0;
	if (!named && vg_msg_u64(m, VG_TAG_TIME, &since))
		return send_err(k, VG_EINVAL, "restic.undelete needs a file name or a time (0: all)");
	/* Bringing data back is for those who may delete it. */
	NEED("restic.undelete", a.vault, a.item, VP_STOP);
	if ((r = vrestic_undelete(k->c, &k->who, a.vault, a.item, named ? a.object : NULL, since,
		     &n, why, sizeof(why)))) {
		audit_refusal(k, "restic.undelete", a.target, r, *why ? why : NULL);
		return send_err(k, r, "%s", *why ? why : vg_strerror(r));
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_COUNT, n);
	return vg_send_frame(k->fd, w);
}
