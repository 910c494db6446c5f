/* record.c - encoder and decoder for every LMDB record (see record.h). */
#include <string.h>
#include <strings.h>

#include "record.h"
#include "vg_err.h"

#define V1 1

static int finish_dec(struct vg_rd *rd)
{
	if (rd->err || vg_rd_left(rd) != 0)
		return VG_EINTEGRITY;
	return 0;
}

static void rd_ver(struct vg_rd *rd)
{
	uint8_t v = 0;
	if (vg_rd_u8(rd, &v) == 0 && v != V1)
		rd->err = VG_EINTEGRITY;
}

static void rd_str(struct vg_rd *rd, char *dst, size_t dstsz)
{
	(void)vg_rd_str16(rd, dst, dstsz);
}

static void rd_blob16(struct vg_rd *rd, uint8_t *dst, size_t cap, uint16_t *len)
{
	if (vg_rd_u16(rd, len) == 0 && *len > cap) {
		rd->err = VG_EINTEGRITY;
		return;
	}
	if (!rd->err)
		(void)vg_rd_copy(rd, dst, *len);
}

#define U8(x) (void)vg_rd_u8(&rd, &(x))
#define U16(x) (void)vg_rd_u16(&rd, &(x))
#define U32(x) (void)vg_rd_u32(&rd, &(x))
#define U64(x) (void)vg_rd_u64(&rd, &(x))

int vr_vault_enc(struct vg_wr *wr, const struct vr_vault *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->id);
	vg_wr_u64(wr, v->created);
	vg_wr_u8(wr, v->state);
	vg_wr_u64(wr, v->deleted_at);
	vg_wr_u64(wr, v->purge_at);
	vg_wr_u8(wr, v->sd_state);
	vg_wr_u16(wr, v->sd_days);
	vg_wr_u8(wr, v->immut);
	vg_wr_str16(wr, v->guard);
	vg_wr_u32(wr, v->mua_excl);
	vg_wr_str16(wr, v->keyref);
	vg_wr_u16(wr, v->wrapped_len);
	vg_wr_bytes(wr, v->wrapped, v->wrapped_len);
	vg_wr_u8(wr, v->sd_alerted);
	vg_wr_u8(wr, v->infra);
	vg_wr_u16(wr, v->infra_wrapped_len);
	vg_wr_bytes(wr, v->infra_wrapped, v->infra_wrapped_len);
	return wr->err;
}

int vr_vault_dec(const void *p, size_t n, struct vr_vault *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->id);
	U64(v->created);
	U8(v->state);
	U64(v->deleted_at);
	U64(v->purge_at);
	U8(v->sd_state);
	U16(v->sd_days);
	U8(v->immut);
	rd_str(&rd, v->guard, sizeof(v->guard));
	U32(v->mua_excl);
	rd_str(&rd, v->keyref, sizeof(v->keyref));
	rd_blob16(&rd, v->wrapped, sizeof(v->wrapped), &v->wrapped_len);
	U8(v->sd_alerted);
	U8(v->infra);
	rd_blob16(&rd, v->infra_wrapped, sizeof(v->infra_wrapped), &v->infra_wrapped_len);
	if (v->state > VR_V_SOFTDELETED || v->sd_state > VR_SD_ALWAYS || v->immut > VR_IMM_LOCKED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

int vr_item_enc(struct vg_wr *wr, const struct vr_item *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->id);
	vg_wr_u64(wr, v->vault_id);
	vg_wr_u64(wr, v->created);
	vg_wr_str16(wr, v->kind);
	vg_wr_u8(wr, v->state);
	vg_wr_u64(wr, v->deleted_at);
	vg_wr_u64(wr, v->purge_at);
	vg_wr_str16(wr, v->owner);
	vg_wr_str16(wr, v->policy);
	vg_wr_u8(wr, v->sd_alerted);
	vg_wr_u64(wr, v->repo_point);
	vg_wr_u64(wr, v->last_success);
	vg_wr_u64(wr, v->last_failure);
	return wr->err;
}

int vr_item_dec(const void *p, size_t n, struct vr_item *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->id);
	U64(v->vault_id);
	U64(v->created);
	rd_str(&rd, v->kind, sizeof(v->kind));
	U8(v->state);
	U64(v->deleted_at);
	U64(v->purge_at);
	rd_str(&rd, v->owner, sizeof(v->owner));
	rd_str(&rd, v->policy, sizeof(v->policy));
	U8(v->sd_alerted);
	U64(v->repo_point);
	U64(v->last_success);
	U64(v->last_failure);
	if (v->state > VR_I_SOFTDELETED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

int vr_point_enc(struct vg_wr *wr, const struct vr_point *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->id);
	vg_wr_u64(wr, v->item_id);
	vg_wr_u8(wr, v->state);
	vg_wr_u8(wr, v->kind);
	vg_wr_u64(wr, v->created);
	vg_wr_u64(wr, v->committed);
	vg_wr_u64(wr, v->expiry);
	vg_wr_u64(wr, v->deleted_at);
	vg_wr_u64(wr, v->purge_at);
	vg_wr_u64(wr, v->bytes);
	vg_wr_u32(wr, v->objects);
	vg_wr_u64(wr, v->session);
	vg_wr_u8(wr, v->del_reason);
	vg_wr_u8(wr, v->sd_alerted);
	vg_wr_str16(wr, v->principal);
	vg_wr_str16(wr, v->ref);
	return wr->err;
}

int vr_point_dec(const void *p, size_t n, struct vr_point *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->id);
	U64(v->item_id);
	U8(v->state);
	U8(v->kind);
	U64(v->created);
	U64(v->committed);
	U64(v->expiry);
	U64(v->deleted_at);
	U64(v->purge_at);
	U64(v->bytes);
	U32(v->objects);
	U64(v->session);
	U8(v->del_reason);
	U8(v->sd_alerted);
	rd_str(&rd, v->principal, sizeof(v->principal));
	rd_str(&rd, v->ref, sizeof(v->ref));
	if (v->state > VR_P_SOFTDELETED || v->kind > VR_PK_SNAPSHOT)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

int vr_object_enc(struct vg_wr *wr, const struct vr_object *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_bytes(wr, v->blob, sizeof(v->blob));
	vg_wr_u64(wr, v->size);
	vg_wr_u32(wr, v->seg_size);
	vg_wr_bytes(wr, v->sha256, sizeof(v->sha256));
	vg_wr_u64(wr, v->created);
	vg_wr_u8(wr, v->state);
	vg_wr_u64(wr, v->deleted_at);
	vg_wr_u64(wr, v->purge_at);
	vg_wr_u8(wr, v->sd_alerted);
	if (v->deleted_by[0])
		vg_wr_str16(wr, v->deleted_by);
	return wr->err;
}

int vr_object_dec(const void *p, size_t n, struct vr_object *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	(void)vg_rd_copy(&rd, v->blob, sizeof(v->blob));
	U64(v->size);
	U32(v->seg_size);
	(void)vg_rd_copy(&rd, v->sha256, sizeof(v->sha256));
	U64(v->created);
	U8(v->state);
	U64(v->deleted_at);
	U64(v->purge_at);
	U8(v->sd_alerted);
	if (!rd.err && vg_rd_left(&rd) > 0)
		rd_str(&rd, v->deleted_by, sizeof(v->deleted_by));
	if (v->seg_size == 0 || v->seg_size > (64u << 20) || v->state > VR_O_SOFTDELETED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

int vr_principal_enc(struct vg_wr *wr, const struct vr_principal *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u8(wr, v->kind);
	vg_wr_u8(wr, v->disabled);
	vg_wr_u64(wr, v->created);
	vg_wr_bytes(wr, v->token_hash, sizeof(v->token_hash));
	vg_wr_u64(wr, v->reg_expires);
	vg_wr_bytes(wr, v->reg_hash, sizeof(v->reg_hash));
	vg_wr_u8(wr, v->ncerts);
	for (int i = 0; i < v->ncerts && i < VR_MAX_CERTS; i++)
		vg_wr_bytes(wr, v->certs[i], VC_HASH_LEN);
	vg_wr_str16(wr, v->created_by);
	return wr->err;
}

int vr_principal_dec(const void *p, size_t n, struct vr_principal *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U8(v->kind);
	U8(v->disabled);
	U64(v->created);
	(void)vg_rd_copy(&rd, v->token_hash, sizeof(v->token_hash));
	U64(v->reg_expires);
	(void)vg_rd_copy(&rd, v->reg_hash, sizeof(v->reg_hash));
	U8(v->ncerts);
	if (v->ncerts > VR_MAX_CERTS || v->kind > VR_K_LAST)
		rd.err = VG_EINTEGRITY;
	for (int i = 0; !rd.err && i < v->ncerts; i++)
		(void)vg_rd_copy(&rd, v->certs[i], VC_HASH_LEN);
	rd_str(&rd, v->created_by, sizeof(v->created_by));
	return finish_dec(&rd);
}

int vr_policy_enc(struct vg_wr *wr, const struct vr_policy *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u16(wr, v->daily_days);
	vg_wr_u16(wr, v->weekly_weeks);
	vg_wr_u16(wr, v->monthly_months);
	vg_wr_u16(wr, v->yearly_years);
	vg_wr_u64(wr, v->created);
	return wr->err;
}

int vr_policy_dec(const void *p, size_t n, struct vr_policy *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U16(v->daily_days);
	U16(v->weekly_weeks);
	U16(v->monthly_months);
	U16(v->yearly_years);
	U64(v->created);
	return finish_dec(&rd);
}

int vr_guard_enc(struct vg_wr *wr, const struct vr_guard *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->created);
	vg_wr_u32(wr, v->excluded);
	vg_wr_u8(wr, v->napprovers);
	for (int i = 0; i < v->napprovers && i < VR_MAX_APPROVERS; i++)
		vg_wr_str16(wr, v->approvers[i]);
	return wr->err;
}

int vr_guard_dec(const void *p, size_t n, struct vr_guard *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->created);
	U32(v->excluded);
	U8(v->napprovers);
	if (v->napprovers > VR_MAX_APPROVERS)
		rd.err = VG_EINTEGRITY;
	for (int i = 0; !rd.err && i < v->napprovers; i++)
		rd_str(&rd, v->approvers[i], sizeof(v->approvers[i]));
	return finish_dec(&rd);
}

int vr_request_enc(struct vg_wr *wr, const struct vr_request *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_str16(wr, v->guard);
	vg_wr_str16(wr, v->op);
	vg_wr_str16(wr, v->target);
	vg_wr_str16(wr, v->requester);
	vg_wr_str16(wr, v->approver);
	vg_wr_u8(wr, v->state);
	vg_wr_u64(wr, v->created);
	vg_wr_u64(wr, v->approved_at);
	vg_wr_u64(wr, v->expires);
	return wr->err;
}

int vr_request_dec(const void *p, size_t n, struct vr_request *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	rd_str(&rd, v->guard, sizeof(v->guard));
	rd_str(&rd, v->op, sizeof(v->op));
	rd_str(&rd, v->target, sizeof(v->target));
	rd_str(&rd, v->requester, sizeof(v->requester));
	rd_str(&rd, v->approver, sizeof(v->approver));
	U8(v->state);
	U64(v->created);
	U64(v->approved_at);
	U64(v->expires);
	if (v->state > VR_RQ_DENIED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

int vr_pin_enc(struct vg_wr *wr, const struct vr_pin *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_bytes(wr, v->hash, sizeof(v->hash));
	vg_wr_u64(wr, v->expires);
	vg_wr_u8(wr, v->used);
	vg_wr_str16(wr, v->vault);
	vg_wr_str16(wr, v->creator);
	return wr->err;
}

int vr_pin_dec(const void *p, size_t n, struct vr_pin *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	(void)vg_rd_copy(&rd, v->hash, sizeof(v->hash));
	U64(v->expires);
	U8(v->used);
	rd_str(&rd, v->vault, sizeof(v->vault));
	rd_str(&rd, v->creator, sizeof(v->creator));
	return finish_dec(&rd);
}

int vr_alert_enc(struct vg_wr *wr, const struct vr_alert *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->seq);
	vg_wr_u64(wr, v->time);
	vg_wr_str16(wr, v->name);
	vg_wr_str16(wr, v->severity);
	vg_wr_str16(wr, v->principal);
	vg_wr_str16(wr, v->vault);
	vg_wr_str16(wr, v->target);
	vg_wr_str16(wr, v->detail);
	return wr->err;
}

int vr_alert_dec(const void *p, size_t n, struct vr_alert *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->seq);
	U64(v->time);
	rd_str(&rd, v->name, sizeof(v->name));
	rd_str(&rd, v->severity, sizeof(v->severity));
	rd_str(&rd, v->principal, sizeof(v->principal));
	rd_str(&rd, v->vault, sizeof(v->vault));
	rd_str(&rd, v->target, sizeof(v->target));
	rd_str(&rd, v->detail, sizeof(v->detail));
	return finish_dec(&rd);
}

int vr_job_enc(struct vg_wr *wr, const struct vr_job *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->seq);
	vg_wr_u64(wr, v->time);
	vg_wr_u8(wr, v->kind);
	vg_wr_u8(wr, v->result);
	vg_wr_u64(wr, v->bytes);
	vg_wr_u64(wr, v->point);
	vg_wr_str16(wr, v->vault);
	vg_wr_str16(wr, v->item);
	vg_wr_str16(wr, v->principal);
	vg_wr_str16(wr, v->detail);
	return wr->err;
}

int vr_job_dec(const void *p, size_t n, struct vr_job *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->seq);
	U64(v->time);
	U8(v->kind);
	U8(v->result);
	U64(v->bytes);
	U64(v->point);
	rd_str(&rd, v->vault, sizeof(v->vault));
	rd_str(&rd, v->item, sizeof(v->item));
	rd_str(&rd, v->principal, sizeof(v->principal));
	rd_str(&rd, v->detail, sizeof(v->detail));
	if (v->kind > VR_JOB_SCRUB || v->result > VR_JOB_FAILED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
}

const char *vr_job_kind_name(uint8_t k)
{
	return k == VR_JOB_BACKUP ? "backup" : k == VR_JOB_RESTORE ? "restore" :
	       k == VR_JOB_SCRUB ? "scrub" : "?";
}

static const char *const kind_names[] = {"user", "agent", "monitor", "auditor"};
static const char *const role_names[] = {"none", "reader", "agent", "operator", "contributor", "owner",
	"replicator"};

const char *vr_kind_name(uint8_t k)
{
	return k <= VR_K_LAST ? kind_names[k] : "?";
}

int vr_kind_parse(const char *s)
{
	for (int i = 0; i <= VR_K_LAST; i++)
		if (strcasecmp(s, kind_names[i]) == 0)
			return i;
	return VG_EINVAL;
}

const char *vr_role_name(uint8_t r)
{
	return r <= VR_R_MAX ? role_names[r] : "?";
}

int vr_role_parse(const char *s)
{
	for (int i = VR_R_READER; i <= VR_R_MAX; i++)
		if (strcasecmp(s, role_names[i]) == 0)
			return i;
	return VG_EINVAL;
}

int vr_blobref_enc(struct vg_wr *wr, const struct vr_blobref *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->vault_id);
	vg_wr_u64(wr, v->item_id);
	vg_wr_u64(wr, v->point_id);
	vg_wr_str16(wr, v->object);
	return wr->err;
}

int vr_blobref_dec(const void *p, size_t n, struct vr_blobref *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->vault_id);
	U64(v->item_id);
	U64(v->point_id);
	rd_str(&rd, v->object, sizeof(v->object));
	return finish_dec(&rd);
}

int vr_audit_body(struct vg_wr *wr, const struct vr_audit *v)
{
	vg_wr_u8(wr, V1);
	vg_wr_u64(wr, v->seq);
	vg_wr_u64(wr, v->time);
	vg_wr_str16(wr, v->principal);
	vg_wr_str16(wr, v->op);
	vg_wr_str16(wr, v->target);
	vg_wr_str16(wr, v->result);
	vg_wr_str16(wr, v->reason);
	vg_wr_str16(wr, v->peer);
	vg_wr_bytes(wr, v->prev, sizeof(v->prev));
	return wr->err;
}

int vr_audit_enc(struct vg_wr *wr, const struct vr_audit *v)
{
	vr_audit_body(wr, v);
	vg_wr_bytes(wr, v->hash, sizeof(v->hash));
	return wr->err;
}

int vr_audit_dec(const void *p, size_t n, struct vr_audit *v)
{
	struct vg_rd rd;

	memset(v, 0, sizeof(*v));
	vg_rd_init(&rd, p, n);
	rd_ver(&rd);
	U64(v->seq);
	U64(v->time);
	rd_str(&rd, v->principal, sizeof(v->principal));
	rd_str(&rd, v->op, sizeof(v->op));
	rd_str(&rd, v->target, sizeof(v->target));
	rd_str(&rd, v->result, sizeof(v->result));
	rd_str(&rd, v->reason, sizeof(v->reason));
	rd_str(&rd, v->peer, sizeof(v->peer));
	(void)vg_rd_copy(&rd, v->prev, sizeof(v->prev));
	(void)vg_rd_copy(&rd, v->hash, sizeof(v->hash));
	return finish_dec(&rd);
}

size_t vr_key_id_name(uint8_t *buf, uint64_t id, const char *name)
{
	size_t n = strlen(name);

	vg_put_u64(buf, id);
	memcpy(buf + 8, name, n);
	return 8 + n;
}

size_t vr_key_id_id(uint8_t *buf, uint64_t a, uint64_t b)
{
	vg_put_u64(buf, a);
	vg_put_u64(buf + 8, b);
	return 16;
}

const char *vr_sd_name(uint8_t s)
{
	static const char *n[] = {"off", "on", "always-on"};
	return s <= VR_SD_ALWAYS ? n[s] : "?";
}

const char *vr_immut_name(uint8_t s)
{
	static const char *n[] = {"disabled", "enabled", "locked"};
	return s <= VR_IMM_LOCKED ? n[s] : "?";
}

const char *vr_item_state_name(uint8_t s)
{
	static const char *n[] = {"protected", "stopped-retain", "soft-deleted"};
	return s <= VR_I_SOFTDELETED ? n[s] : "?";
}

const char *vr_point_state_name(uint8_t s)
{
	static const char *n[] = {"pending", "active", "soft-deleted"};
	return s <= VR_P_SOFTDELETED ? n[s] : "?";
}
