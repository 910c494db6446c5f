/* record.c - encoder and decoder for every LMDB record (see record.h). */
#include <string.h>

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
	vg_wr_u16(wr, v->keep_daily);
	vg_wr_u16(wr, v->keep_weekly);
	vg_wr_u16(wr, v->keep_monthly);
	vg_wr_u16(wr, v->keep_yearly);
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
	U16(v->keep_daily);
	U16(v->keep_weekly);
	U16(v->keep_monthly);
	U16(v->keep_yearly);
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
	if (v->seg_size == 0 || v->seg_size > (64u << 20) || v->state > VR_O_SOFTDELETED)
		rd.err = VG_EINTEGRITY;
	return finish_dec(&rd);
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
