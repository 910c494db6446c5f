/* wire.c - encoder and decoder for the vaultd framing (see wire.h). */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "names.h"
#include "vg_err.h"
#include "wire.h"

/* Name fields are bounded by the name grammar itself (names.h): one source
 * of truth, so a name vaultd would refuse never travels, and one it
 * accepts always does. */
static const struct {
	uint8_t type;
	uint32_t max;
	const char *name;
} vg_tags[VG_TAG_MAX + 1] = {
	[VG_TAG_VERSION] = {VG_T_U32, 4, "version"},
	[VG_TAG_OP] = {VG_T_U32, 4, "op"},
	[VG_TAG_STATUS] = {VG_T_U32, 4, "status"},
	[VG_TAG_MESSAGE] = {VG_T_STR, 1024, "message"},
	[VG_TAG_VAULT] = {VG_T_STR, VG_VAULT_NAME_MAX, "vault"},
	[VG_TAG_ITEM] = {VG_T_STR, VG_ITEM_NAME_MAX, "item"},
	[VG_TAG_POINT] = {VG_T_STR, 64, "point"},
	[VG_TAG_OBJECT] = {VG_T_STR, VG_OBJECT_NAME_MAX, "object"},
	[VG_TAG_SIZE] = {VG_T_U64, 8, "size"},
	[VG_TAG_OFFSET] = {VG_T_U64, 8, "offset"},
	[VG_TAG_LENGTH] = {VG_T_U64, 8, "length"},
	[VG_TAG_SHA256] = {VG_T_BYTES, 32, "sha256"},
	[VG_TAG_TIME] = {VG_T_U64, 8, "time"},
	[VG_TAG_STATE] = {VG_T_STR, 64, "state"},
	[VG_TAG_AUTH_USER] = {VG_T_STR, VG_PRINCIPAL_NAME_MAX, "user"},
	[VG_TAG_AUTH_TOKEN] = {VG_T_STR, 256, "token"},
	[VG_TAG_AUTH_CERT] = {VG_T_BYTES, 32, "certificate"},
	[VG_TAG_PEER] = {VG_T_STR, 128, "peer"},
	[VG_TAG_CREDIT] = {VG_T_U32, 4, "credit"},
	[VG_TAG_SEQ] = {VG_T_U64, 8, "seq"},
	[VG_TAG_PRINCIPAL] = {VG_T_STR, VG_PRINCIPAL_NAME_MAX, "principal"},
	[VG_TAG_OPNAME] = {VG_T_STR, 64, "op name"},
	[VG_TAG_TARGET] = {VG_T_STR, 1024, "target"},
	[VG_TAG_RESULT] = {VG_T_STR, 64, "result"},
	[VG_TAG_REASON] = {VG_T_STR, 1024, "reason"},
	[VG_TAG_HASH] = {VG_T_BYTES, 32, "hash"},
	[VG_TAG_COUNT] = {VG_T_U64, 8, "count"},
	[VG_TAG_FLAGS] = {VG_T_U32, 4, "flags"},
	[VG_TAG_NAME] = {VG_T_STR, 255, "name"},
	[VG_TAG_VALUE] = {VG_T_STR, VG_WIRE_STR_MAX, "value"},
	[VG_TAG_ROLE] = {VG_T_STR, 64, "role"},
	[VG_TAG_KIND] = {VG_T_STR, 64, "kind"},
	[VG_TAG_TOKEN] = {VG_T_STR, 256, "token"},
	[VG_TAG_TIME2] = {VG_T_U64, 8, "time2"},
	[VG_TAG_ID] = {VG_T_STR, 128, "id"},
	[VG_TAG_SIZE2] = {VG_T_U64, 8, "size2"},
	[VG_TAG_PIN] = {VG_T_STR, 64, "pin"},
	[VG_TAG_GRANT] = {VG_T_STR, 128, "grant"},
	[VG_TAG_DETAIL] = {VG_T_STR, VG_WIRE_STR_MAX, "detail"},
	[VG_TAG_S3_CRED] = {VG_T_STR, 256, "s3 credential"},
	[VG_TAG_S3_DATE] = {VG_T_STR, 32, "s3 date"},
	[VG_TAG_S3_CANON] = {VG_T_BLOB, 16384, "s3 canonical request"},
	[VG_TAG_S3_SIG] = {VG_T_STR, 64, "s3 signature"},
	[VG_TAG_S3_KEY] = {VG_T_BLOB, 1024, "s3 key"},
	[VG_TAG_S3_KEY2] = {VG_T_BLOB, 1024, "s3 key2"},
	[VG_TAG_S3_META] = {VG_T_BLOB, 8192, "s3 metadata"},
};

const char *vg_frame_type_name(uint8_t type)
{
	static const char *names[] = {
		"?", "HELLO", "WELCOME", "REQ", "RESP", "DATA", "END", "WINDOW", "ROW",
	};
	return type <= VG_F_MAX ? names[type] : "?";
}

int vg_frame_hdr_decode(const uint8_t hdr[VG_WIRE_HDR], struct vg_frame_hdr *h)
{
	if (hdr[0] != 'V' || hdr[1] != 'G')
		return VG_EPROTO;
	h->type = hdr[2];
	h->flags = hdr[3];
	h->reqid = vg_get_u32(hdr + 4);
	h->len = vg_get_u32(hdr + 8);
	if (h->type < VG_F_HELLO || h->type > VG_F_MAX)
		return VG_EPROTO;
	if (h->flags & ~(uint8_t)VG_FL_KNOWN)
		return VG_EPROTO;
	if (h->flags && h->type != VG_F_END)
		return VG_EPROTO;
	if (h->len > (h->type == VG_F_DATA ? VG_WIRE_MAX_DATA : VG_WIRE_MAX_CTRL))
		return VG_ETOOBIG;
	return 0;
}

static int check_str(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return VG_EPROTO;
	return 0;
}

int vg_msg_decode(const struct vg_frame_hdr *h, const uint8_t *payload, struct vg_msg *m)
{
	struct vg_rd rd;
	uint64_t seen = 0;

	_Static_assert(VG_TAG_MAX < 64, "tag bitmap");
	m->nfields = 0;
	m->bad_tag = 0;
	m->bad_len = 0;
	m->data = NULL;
	m->datalen = 0;
	m->type = h->type;
	m->flags = h->flags;
	m->reqid = h->reqid;
	if (h->type == VG_F_DATA) {
		if (h->len == 0)
			return VG_EPROTO;  /* an empty DATA frame is never needed */
		m->data = payload;
		m->datalen = h->len;
		return 0;
	}
	vg_rd_init(&rd, payload, h->len);
	while (vg_rd_left(&rd) > 0) {
		uint16_t tag;
		uint32_t len;
		const uint8_t *val;
		int r;

		if ((r = vg_rd_u16(&rd, &tag)) || (r = vg_rd_u32(&rd, &len)))
			return VG_EPROTO;
		if (tag == 0 || tag > VG_TAG_MAX || vg_tags[tag].type == 0)
			return VG_EPROTO;
		if (seen & (1ull << tag))
			return VG_EPROTO;
		seen |= 1ull << tag;
		switch (vg_tags[tag].type) {
		case VG_T_U32:
		case VG_T_U64:
			if (len != vg_tags[tag].max)
				return VG_EPROTO;
			break;
		case VG_T_BYTES:
			if (len != vg_tags[tag].max)
				return VG_EPROTO;
			break;
		case VG_T_STR:
		case VG_T_BLOB:
			if (len > vg_tags[tag].max) {
				m->bad_tag = tag;
				m->bad_len = len;
				return VG_EPROTO;
			}
			break;
		}
		if (vg_rd_bytes(&rd, len, &val))
			return VG_EPROTO;
		if (vg_tags[tag].type == VG_T_STR && check_str(val, len))
			return VG_EPROTO;
		if (m->nfields == VG_WIRE_MAX_FIELDS)
			return VG_EPROTO;
		m->f[m->nfields].tag = tag;
		m->f[m->nfields].len = len;
		m->f[m->nfields].val = val;
		m->nfields++;
	}
	return 0;
}

static const struct vg_field *find(const struct vg_msg *m, uint16_t tag)
{
	for (uint32_t i = 0; i < m->nfields; i++)
		if (m->f[i].tag == tag)
			return &m->f[i];
	return NULL;
}

int vg_msg_has(const struct vg_msg *m, uint16_t tag)
{
	return find(m, tag) != NULL;
}

int vg_msg_u32(const struct vg_msg *m, uint16_t tag, uint32_t *v)
{
	const struct vg_field *f = find(m, tag);
	if (!f || f->len != 4)
		return VG_ENOTFOUND;
	*v = vg_get_u32(f->val);
	return 0;
}

int vg_msg_u64(const struct vg_msg *m, uint16_t tag, uint64_t *v)
{
	const struct vg_field *f = find(m, tag);
	if (!f || f->len != 8)
		return VG_ENOTFOUND;
	*v = vg_get_u64(f->val);
	return 0;
}

int vg_msg_status(const struct vg_msg *m)
{
	uint32_t v;
	int st;

	if (vg_msg_u32(m, VG_TAG_STATUS, &v))
		return 0;
	st = (int)(int32_t)v;
	/* Only our own negative codes or errno values cross the wire. */
	if (st > 0 || st < VG_EBASE || (st >= VG_ELAST && st < -4095))
		return VG_EPROTO;
	return st;
}

int vg_msg_str(const struct vg_msg *m, uint16_t tag, char *dst, size_t dstsz)
{
	const struct vg_field *f = find(m, tag);
	if (!f || vg_tags[tag].type != VG_T_STR)
		return VG_ENOTFOUND;
	if ((size_t)f->len >= dstsz)
		return VG_ETOOBIG;
	memcpy(dst, f->val, f->len);
	dst[f->len] = 0;
	return 0;
}

int vg_msg_bytes(const struct vg_msg *m, uint16_t tag, const uint8_t **p, uint32_t *len)
{
	const struct vg_field *f = find(m, tag);
	if (!f)
		return VG_ENOTFOUND;
	*p = f->val;
	*len = f->len;
	return 0;
}

void vg_msgb_begin(struct vg_wr *wr, uint8_t type, uint8_t flags, uint32_t reqid)
{
	uint8_t hdr[VG_WIRE_HDR] = {'V', 'G', type, flags};

	vg_wr_reset(wr);
	vg_put_u32(hdr + 4, reqid);
	vg_wr_bytes(wr, hdr, sizeof(hdr));
}

static void put_field(struct vg_wr *wr, uint16_t tag, const void *p, uint32_t n)
{
	if (tag == 0 || tag > VG_TAG_MAX || n > vg_tags[tag].max) {
		if (!wr->err && tag && tag <= VG_TAG_MAX)
			wr->refused = tag;
		wr->err = VG_EINVAL;
		return;
	}
	vg_wr_u16(wr, tag);
	vg_wr_u32(wr, n);
	vg_wr_bytes(wr, p, n);
}

void vg_msgb_u32(struct vg_wr *wr, uint16_t tag, uint32_t v)
{
	uint8_t b[4];
	vg_put_u32(b, v);
	put_field(wr, tag, b, 4);
}

void vg_msgb_u64(struct vg_wr *wr, uint16_t tag, uint64_t v)
{
	uint8_t b[8];
	vg_put_u64(b, v);
	put_field(wr, tag, b, 8);
}

void vg_msgb_str(struct vg_wr *wr, uint16_t tag, const char *s)
{
	size_t n = strlen(s);
	if (n > UINT32_MAX || check_str((const uint8_t *)s, (uint32_t)n)) {
		wr->err = VG_EINVAL;
		return;
	}
	put_field(wr, tag, s, (uint32_t)n);
}

void vg_msgb_bytes(struct vg_wr *wr, uint16_t tag, const void *p, uint32_t n)
{
	put_field(wr, tag, p, n);
}

int vg_msgb_end(struct vg_wr *wr)
{
	if (wr->err)
		return wr->err;
	if (wr->len < VG_WIRE_HDR || wr->len - VG_WIRE_HDR > VG_WIRE_MAX_CTRL)
		return VG_ETOOBIG;
	vg_put_u32(wr->p + 8, (uint32_t)(wr->len - VG_WIRE_HDR));
	return 0;
}

static int send_iov(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t w = writev(fd, iov, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? VG_ECLOSED : -errno;
		}
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int vg_send_frame(int fd, struct vg_wr *wr)
{
	struct iovec iov;
	int r = vg_msgb_end(wr);

	if (r)
		return r;
	iov.iov_base = wr->p;
	iov.iov_len = wr->len;
	return send_iov(fd, &iov, 1);
}

int vg_send_data(int fd, uint32_t reqid, const void *p, uint32_t n)
{
	uint8_t hdr[VG_WIRE_HDR] = {'V', 'G', VG_F_DATA, 0};
	struct iovec iov[2];

	if (n == 0 || n > VG_WIRE_MAX_DATA)
		return VG_EINVAL;
	vg_put_u32(hdr + 4, reqid);
	vg_put_u32(hdr + 8, n);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = n;
	return send_iov(fd, iov, 2);
}

static int recv_full(int fd, uint8_t *p, size_t n, int eof_ok)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				return VG_ECLOSED;
			return -errno;
		}
		if (r == 0)
			return got == 0 && eof_ok ? VG_ECLOSED : (got == 0 ? VG_ECLOSED : VG_EPROTO);
		got += (size_t)r;
	}
	return 0;
}

int vg_recv_msg(int fd, uint8_t *buf, struct vg_msg *m)
{
	uint8_t hdr[VG_WIRE_HDR];
	struct vg_frame_hdr h;
	int r;

	m->bad_tag = 0;
	m->bad_len = 0;
	if ((r = recv_full(fd, hdr, sizeof(hdr), 1)))
		return r;
	if ((r = vg_frame_hdr_decode(hdr, &h)))
		return r;
	if (h.len && (r = recv_full(fd, buf, h.len, 0)))
		return r == VG_ECLOSED ? VG_EPROTO : r;
	return vg_msg_decode(&h, buf, m);
}

const char *vg_tag_name(uint16_t tag)
{
	return tag && tag <= VG_TAG_MAX && vg_tags[tag].name ? vg_tags[tag].name : "unknown";
}

uint32_t vg_tag_max(uint16_t tag)
{
	return tag && tag <= VG_TAG_MAX ? vg_tags[tag].max : 0;
}
