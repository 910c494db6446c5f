/* test_wire.c - common/wire.c: the vaultd framing, encoder and decoder,
 * and blocking frame I/O over a socketpair. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "names.h"
#include "suites.h"
#include "vg_err.h"
#include "wire.h"

/* ---- raw frame building (independent of the encoder under test) ---- */

struct raw {
	uint8_t b[VG_WIRE_HDR + 8192];
	size_t n;
};

static void raw_begin(struct raw *r, uint8_t type, uint8_t flags, uint32_t reqid)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = 'V';
	r->b[1] = 'G';
	r->b[2] = type;
	r->b[3] = flags;
	vg_put_u32(r->b + 4, reqid);
	r->n = VG_WIRE_HDR;
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	ck_assert_uint_le(r->n + n, sizeof(r->b));
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void raw_field(struct raw *r, uint16_t tag, uint32_t len, const void *val)
{
	uint8_t h[6];

	vg_put_u16(h, tag);
	vg_put_u32(h + 2, len);
	raw_bytes(r, h, 6);
	raw_bytes(r, val, len);
}

static void raw_u32(struct raw *r, uint16_t tag, uint32_t v)
{
	uint8_t b[4];
	vg_put_u32(b, v);
	raw_field(r, tag, 4, b);
}

static void raw_str(struct raw *r, uint16_t tag, const char *s)
{
	raw_field(r, tag, (uint32_t)strlen(s), s);
}

/* Patches the length and decodes the whole frame. The payload is copied to
 * a buffer of exactly its size so a sanitizer sees any overread; *keep
 * receives it (the message points into it). */
static int raw_decode(struct raw *r, struct vg_msg *m, uint8_t **keep)
{
	struct vg_frame_hdr h;
	size_t plen = r->n - VG_WIRE_HDR;
	int rc;

	vg_put_u32(r->b + 8, (uint32_t)plen);
	*keep = NULL;
	if ((rc = vg_frame_hdr_decode(r->b, &h)))
		return rc;
	ck_assert_uint_eq(h.len, plen);
	*keep = malloc(plen ? plen : 1);
	ck_assert_ptr_nonnull(*keep);
	memcpy(*keep, r->b + VG_WIRE_HDR, plen);
	return vg_msg_decode(&h, *keep, m);
}

static int raw_decode_free(struct raw *r)
{
	struct vg_msg m;
	uint8_t *keep;
	int rc = raw_decode(r, &m, &keep);

	free(keep);
	return rc;
}

static int hdr_of(uint8_t type, uint8_t flags, uint32_t len)
{
	uint8_t b[VG_WIRE_HDR] = {'V', 'G', type, flags};
	struct vg_frame_hdr h;

	vg_put_u32(b + 8, len);
	return vg_frame_hdr_decode(b, &h);
}

/* ---- encoder/decoder round trip ---- */

START_TEST(roundtrip_every_field_type)
{
	struct vg_wr wr;
	struct vg_frame_hdr h;
	struct vg_msg m;
	uint8_t sha[32], *payload;
	const uint8_t *p;
	uint32_t u32, plen;
	uint64_t u64;
	char s[64];

	for (int i = 0; i < 32; i++)
		sha[i] = (uint8_t)i;  /* includes a NUL: fine in a bytes field */
	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	vg_msgb_begin(&wr, VG_F_REQ, 0, 0x01020304);
	vg_msgb_u32(&wr, VG_TAG_OP, 5);
	vg_msgb_str(&wr, VG_TAG_VAULT, "v1");
	vg_msgb_u64(&wr, VG_TAG_SIZE, 0x1122334455667788ull);
	vg_msgb_bytes(&wr, VG_TAG_SHA256, sha, 32);
	vg_msgb_str(&wr, VG_TAG_MESSAGE, "");
	vg_msgb_str(&wr, VG_TAG_DETAIL, "utf-8 \xc3\xa9 is fine");
	ck_assert_int_eq(vg_msgb_end(&wr), 0);
	plen = (uint32_t)(wr.len - VG_WIRE_HDR);
	ck_assert_uint_eq(vg_get_u32(wr.p + 8), plen);

	ck_assert_int_eq(vg_frame_hdr_decode(wr.p, &h), 0);
	ck_assert_uint_eq(h.type, VG_F_REQ);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.reqid, 0x01020304);
	ck_assert_uint_eq(h.len, plen);
	payload = malloc(plen);
	memcpy(payload, wr.p + VG_WIRE_HDR, plen);
	ck_assert_int_eq(vg_msg_decode(&h, payload, &m), 0);
	ck_assert_uint_eq(m.nfields, 6);
	ck_assert_uint_eq(m.reqid, 0x01020304);

	ck_assert_int_eq(vg_msg_u32(&m, VG_TAG_OP, &u32), 0);
	ck_assert_uint_eq(u32, 5);
	ck_assert_int_eq(vg_msg_u64(&m, VG_TAG_SIZE, &u64), 0);
	ck_assert_uint_eq(u64, 0x1122334455667788ull);
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_VAULT, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "v1");
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_MESSAGE, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_DETAIL, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "utf-8 \xc3\xa9 is fine");
	ck_assert_int_eq(vg_msg_bytes(&m, VG_TAG_SHA256, &p, &u32), 0);
	ck_assert_uint_eq(u32, 32);
	ck_assert_mem_eq(p, sha, 32);
	ck_assert(vg_msg_has(&m, VG_TAG_VAULT));
	ck_assert(!vg_msg_has(&m, VG_TAG_ITEM));
	ck_assert_int_eq(vg_msg_status(&m), 0);
	free(payload);
	vg_wr_free(&wr);
}
END_TEST

START_TEST(empty_control_frame)
{
	struct raw r;
	struct vg_msg m;
	uint8_t *keep;

	raw_begin(&r, VG_F_WINDOW, 0, 1);
	ck_assert_int_eq(raw_decode(&r, &m, &keep), 0);
	ck_assert_uint_eq(m.nfields, 0);
	ck_assert_ptr_null(m.data);
	free(keep);
}
END_TEST

/* ---- header ---- */

START_TEST(hdr_bad_magic)
{
	uint8_t b[VG_WIRE_HDR] = {'V', 'G', VG_F_REQ, 0};
	struct vg_frame_hdr h;

	ck_assert_int_eq(vg_frame_hdr_decode(b, &h), 0);
	b[0] = 'v';
	ck_assert_int_eq(vg_frame_hdr_decode(b, &h), VG_EPROTO);
	b[0] = 'V';
	b[1] = 'H';
	ck_assert_int_eq(vg_frame_hdr_decode(b, &h), VG_EPROTO);
	b[0] = 'G';
	b[1] = 'V';
	ck_assert_int_eq(vg_frame_hdr_decode(b, &h), VG_EPROTO);
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(vg_frame_hdr_decode(b, &h), VG_EPROTO);
}
END_TEST

START_TEST(hdr_types)
{
	for (int t = 0; t < 256; t++) {
		int want = t >= VG_F_HELLO && t <= VG_F_MAX ? 0 : VG_EPROTO;
		ck_assert_msg(hdr_of((uint8_t)t, 0, 0) == want, "type %d", t);
	}
}
END_TEST

START_TEST(hdr_bad_flags)
{
	/* Unknown bits are refused on every type. */
	for (int t = VG_F_HELLO; t <= VG_F_MAX; t++)
		for (int bit = 1; bit < 8; bit++)
			ck_assert_int_eq(hdr_of((uint8_t)t, (uint8_t)(1u << bit), 0), VG_EPROTO);
	/* ABORT means something only on END. */
	for (int t = VG_F_HELLO; t <= VG_F_MAX; t++)
		ck_assert_int_eq(hdr_of((uint8_t)t, VG_FL_ABORT, 0), t == VG_F_END ? 0 : VG_EPROTO);
	ck_assert_int_eq(hdr_of(VG_F_END, 0xff, 0), VG_EPROTO);
}
END_TEST

START_TEST(hdr_oversized_lengths)
{
	for (int t = VG_F_HELLO; t <= VG_F_MAX; t++) {
		uint32_t max = t == VG_F_DATA ? VG_WIRE_MAX_DATA : VG_WIRE_MAX_CTRL;
		ck_assert_int_eq(hdr_of((uint8_t)t, 0, max), 0);
		ck_assert_int_eq(hdr_of((uint8_t)t, 0, max + 1), VG_ETOOBIG);
		ck_assert_int_eq(hdr_of((uint8_t)t, 0, UINT32_MAX), VG_ETOOBIG);
		ck_assert_int_eq(hdr_of((uint8_t)t, 0, 0x80000000u), VG_ETOOBIG);
	}
}
END_TEST

/* ---- control payloads ---- */

START_TEST(truncated_fields)
{
	struct raw full, r;

	raw_begin(&full, VG_F_REQ, 0, 9);
	raw_u32(&full, VG_TAG_OP, 1);
	raw_str(&full, VG_TAG_VAULT, "abc");
	ck_assert_int_eq(raw_decode_free(&full), 0);
	/* Every cut that is not at a field boundary is refused. */
	for (size_t cut = VG_WIRE_HDR + 1; cut < full.n; cut++) {
		int want = cut == VG_WIRE_HDR + 10 ? 0 : VG_EPROTO;
		r = full;
		r.n = cut;
		ck_assert_msg(raw_decode_free(&r) == want, "cut at %zu", cut - VG_WIRE_HDR);
	}
}
END_TEST

START_TEST(field_length_beyond_payload)
{
	struct raw r;
	uint8_t h[6];

	/* A string claiming 4 GiB in a 10-byte payload. */
	raw_begin(&r, VG_F_REQ, 0, 1);
	vg_put_u16(h, VG_TAG_VAULT);
	vg_put_u32(h + 2, UINT32_MAX);
	raw_bytes(&r, h, 6);
	raw_bytes(&r, "abcd", 4);
	ck_assert_int_eq(raw_decode_free(&r), VG_EPROTO);
	/* A bytes field claiming its exact size, but the payload ends first. */
	raw_begin(&r, VG_F_REQ, 0, 1);
	vg_put_u16(h, VG_TAG_SHA256);
	vg_put_u32(h + 2, 32);
	raw_bytes(&r, h, 6);
	raw_bytes(&r, "0123456789abcdef0123456789abcde", 31);
	ck_assert_int_eq(raw_decode_free(&r), VG_EPROTO);
}
END_TEST

START_TEST(unknown_tags)
{
	static const uint16_t bad[] = {0, VG_TAG_MAX + 1, 64, 0x7fff, 0xffff};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct raw r;
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_u32(&r, VG_TAG_OP, 1);
		raw_field(&r, bad[i], 4, "abcd");
		ck_assert_msg(raw_decode_free(&r) == VG_EPROTO, "tag %u", bad[i]);
	}
	for (uint16_t t = 1; t <= VG_TAG_MAX; t++) {
		/* Every known tag with a well-formed value is accepted. */
		struct raw r;
		uint8_t v[32] = {0};
		raw_begin(&r, VG_F_RESP, 0, 1);
		switch (t) {
		case VG_TAG_VERSION: case VG_TAG_OP: case VG_TAG_STATUS: case VG_TAG_CREDIT:
		case VG_TAG_FLAGS:
			raw_field(&r, t, 4, v);
			break;
		case VG_TAG_SIZE: case VG_TAG_OFFSET: case VG_TAG_LENGTH: case VG_TAG_TIME:
		case VG_TAG_SEQ: case VG_TAG_COUNT: case VG_TAG_TIME2: case VG_TAG_SIZE2:
			raw_field(&r, t, 8, v);
			break;
		case VG_TAG_SHA256: case VG_TAG_AUTH_CERT: case VG_TAG_HASH:
			raw_field(&r, t, 32, v);
			break;
		default:
			raw_str(&r, t, "x");
			break;
		}
		ck_assert_msg(raw_decode_free(&r) == 0, "tag %u", t);
	}
}
END_TEST

START_TEST(duplicate_tags)
{
	struct raw r;

	raw_begin(&r, VG_F_REQ, 0, 1);
	raw_str(&r, VG_TAG_VAULT, "a");
	raw_str(&r, VG_TAG_VAULT, "a");
	ck_assert_int_eq(raw_decode_free(&r), VG_EPROTO);
	/* Not adjacent, different values. */
	raw_begin(&r, VG_F_REQ, 0, 1);
	raw_u32(&r, VG_TAG_OP, 1);
	raw_str(&r, VG_TAG_VAULT, "a");
	raw_str(&r, VG_TAG_ITEM, "b");
	raw_u32(&r, VG_TAG_OP, 2);
	ck_assert_int_eq(raw_decode_free(&r), VG_EPROTO);
}
END_TEST

START_TEST(wrong_fixed_lengths)
{
	static const struct { uint16_t tag; uint32_t len; } bad[] = {
		{VG_TAG_OP, 0}, {VG_TAG_OP, 3}, {VG_TAG_OP, 5}, {VG_TAG_OP, 8},
		{VG_TAG_SIZE, 0}, {VG_TAG_SIZE, 4}, {VG_TAG_SIZE, 7}, {VG_TAG_SIZE, 9},
		{VG_TAG_SHA256, 0}, {VG_TAG_SHA256, 31}, {VG_TAG_SHA256, 33},
		{VG_TAG_AUTH_CERT, 16}, {VG_TAG_HASH, 64},
	};
	uint8_t zeros[64] = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct raw r;
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, bad[i].tag, bad[i].len, zeros);
		ck_assert_msg(raw_decode_free(&r) == VG_EPROTO, "tag %u len %u", bad[i].tag, bad[i].len);
	}
}
END_TEST

START_TEST(string_length_bounds)
{
	/* Name tags are bounded by the name grammar (names.h), nothing else. */
	static const struct { uint16_t tag; uint32_t max; } lim[] = {
		{VG_TAG_VAULT, VG_VAULT_NAME_MAX}, {VG_TAG_ITEM, VG_ITEM_NAME_MAX},
		{VG_TAG_OBJECT, VG_OBJECT_NAME_MAX}, {VG_TAG_AUTH_USER, VG_PRINCIPAL_NAME_MAX},
		{VG_TAG_PRINCIPAL, VG_PRINCIPAL_NAME_MAX},
		{VG_TAG_MESSAGE, 1024}, {VG_TAG_AUTH_TOKEN, 256}, {VG_TAG_DETAIL, VG_WIRE_STR_MAX},
	};
	char *s = malloc(VG_WIRE_STR_MAX + 2);

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct raw r;
		memset(s, 'a', lim[i].max + 1);
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, lim[i].tag, lim[i].max, s);
		ck_assert_msg(raw_decode_free(&r) == 0, "tag %u at its max", lim[i].tag);
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, lim[i].tag, lim[i].max + 1, s);
		ck_assert_msg(raw_decode_free(&r) == VG_EPROTO, "tag %u over its max", lim[i].tag);
		ck_assert_uint_eq(vg_tag_max(lim[i].tag), lim[i].max);
	}
	free(s);
	ck_assert_uint_eq(VG_ITEM_NAME_MAX, 128);
	ck_assert_uint_eq(VG_PRINCIPAL_NAME_MAX, 64);
}
END_TEST

/* The encoder refuses a name over its limit and says which field; the
 * decoder does the same for a frame that carries one anyway. */
START_TEST(over_limit_field_is_named)
{
	char item[VG_ITEM_NAME_MAX + 2];
	uint8_t buf[VG_WIRE_MAX_CTRL];
	struct vg_frame_hdr h;
	struct vg_msg m;
	struct vg_wr wr;

	memset(item, 'a', sizeof(item) - 1);
	item[sizeof(item) - 1] = 0;
	vg_wr_init(&wr, 0);
	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);
	vg_msgb_str(&wr, VG_TAG_VAULT, "v1");
	vg_msgb_str(&wr, VG_TAG_ITEM, item);
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);
	ck_assert_uint_eq(wr.refused, VG_TAG_ITEM);
	ck_assert_str_eq(vg_tag_name(wr.refused), "item");
	ck_assert_str_eq(vg_tag_name(VG_TAG_AUTH_USER), "user");
	ck_assert_str_eq(vg_tag_name(0), "unknown");
	vg_msgb_begin(&wr, VG_F_REQ, 0, 2);
	ck_assert_uint_eq(wr.refused, 0);
	/* The same field, framed by hand, through the decoder. */
	h.type = VG_F_REQ;
	h.flags = 0;
	h.reqid = 1;
	h.len = 6 + VG_ITEM_NAME_MAX + 1;
	vg_put_u16(buf, VG_TAG_ITEM);
	vg_put_u32(buf + 2, VG_ITEM_NAME_MAX + 1);
	memcpy(buf + 6, item, VG_ITEM_NAME_MAX + 1);
	ck_assert_int_eq(vg_msg_decode(&h, buf, &m), VG_EPROTO);
	ck_assert_uint_eq(m.bad_tag, VG_TAG_ITEM);
	ck_assert_uint_eq(m.bad_len, VG_ITEM_NAME_MAX + 1);
	h.len--;
	vg_put_u32(buf + 2, VG_ITEM_NAME_MAX);
	ck_assert_int_eq(vg_msg_decode(&h, buf, &m), 0);
	ck_assert_uint_eq(m.bad_tag, 0);
	vg_wr_free(&wr);
}
END_TEST

START_TEST(strings_with_nul_or_control_bytes)
{
	for (int c = 0; c < 256; c++) {
		struct raw r;
		char v[3] = {'a', (char)c, 'b'};
		int want = (c < 0x20 || c == 0x7f) ? VG_EPROTO : 0;

		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, VG_TAG_OBJECT, 3, v);
		ck_assert_msg(raw_decode_free(&r) == want, "byte 0x%02x inside a string", c);
		/* Leading and trailing positions too. */
		v[0] = (char)c;
		v[1] = 'a';
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, VG_TAG_VAULT, 3, v);
		ck_assert_msg(raw_decode_free(&r) == want, "leading byte 0x%02x", c);
		v[0] = 'a';
		v[2] = (char)c;
		raw_begin(&r, VG_F_REQ, 0, 1);
		raw_field(&r, VG_TAG_ITEM, 3, v);
		ck_assert_msg(raw_decode_free(&r) == want, "trailing byte 0x%02x", c);
	}
}
END_TEST

/* ---- DATA frames ---- */

START_TEST(data_frames)
{
	struct raw r;
	struct vg_msg m;
	uint8_t *keep;
	static const uint8_t body[] = {0, 1, 0xff, 0, '\n'};

	raw_begin(&r, VG_F_DATA, 0, 3);
	ck_assert_int_eq(raw_decode(&r, &m, &keep), VG_EPROTO);  /* empty DATA */
	free(keep);
	raw_begin(&r, VG_F_DATA, 0, 3);
	raw_bytes(&r, body, sizeof(body));
	ck_assert_int_eq(raw_decode(&r, &m, &keep), 0);
	ck_assert_uint_eq(m.type, VG_F_DATA);
	ck_assert_uint_eq(m.datalen, sizeof(body));
	ck_assert_mem_eq(m.data, body, sizeof(body));
	ck_assert_uint_eq(m.nfields, 0);
	free(keep);
	/* Bytes that would be a bad field in a control frame are just data. */
	raw_begin(&r, VG_F_DATA, 0, 3);
	raw_field(&r, 0xffff, 1, "x");
	ck_assert_int_eq(raw_decode_free(&r), 0);
}
END_TEST

/* ---- accessors ---- */

START_TEST(status_field)
{
	static const struct { int32_t v; int want; } cases[] = {
		{0, 0}, {VG_EINTEGRITY, VG_EINTEGRITY}, {VG_EBASE, VG_EBASE},
		{VG_ELAST - 1, VG_ELAST - 1}, {-EIO, -EIO}, {-4095, -4095},
		{1, VG_EPROTO}, {INT32_MAX, VG_EPROTO}, {VG_ELAST, VG_EPROTO},
		{-5000, VG_EPROTO}, {VG_EBASE - 1, VG_EPROTO}, {INT32_MIN, VG_EPROTO},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct raw r;
		struct vg_msg m;
		uint8_t *keep;
		raw_begin(&r, VG_F_RESP, 0, 1);
		raw_u32(&r, VG_TAG_STATUS, (uint32_t)cases[i].v);
		ck_assert_int_eq(raw_decode(&r, &m, &keep), 0);
		ck_assert_msg(vg_msg_status(&m) == cases[i].want, "status %d", cases[i].v);
		free(keep);
	}
}
END_TEST

START_TEST(accessor_refusals)
{
	struct raw r;
	struct vg_msg m;
	uint8_t *keep;
	const uint8_t *p;
	uint32_t u32, n;
	uint64_t u64;
	char s4[4], s5[5];

	raw_begin(&r, VG_F_RESP, 0, 1);
	raw_str(&r, VG_TAG_VAULT, "abcd");
	raw_u32(&r, VG_TAG_OP, 7);
	ck_assert_int_eq(raw_decode(&r, &m, &keep), 0);
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_VAULT, s4, sizeof(s4)), VG_ETOOBIG);
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_VAULT, s5, sizeof(s5)), 0);
	ck_assert_str_eq(s5, "abcd");
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_ITEM, s5, sizeof(s5)), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_OP, s5, sizeof(s5)), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_u32(&m, VG_TAG_CREDIT, &u32), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_u64(&m, VG_TAG_OP, &u64), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_u64(&m, VG_TAG_SIZE, &u64), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_bytes(&m, VG_TAG_SHA256, &p, &n), VG_ENOTFOUND);
	ck_assert_int_eq(vg_msg_bytes(&m, VG_TAG_VAULT, &p, &n), 0);
	ck_assert_uint_eq(n, 4);
	free(keep);
}
END_TEST

/* ---- encoder refusals ---- */

START_TEST(encoder_refusals)
{
	struct vg_wr wr;
	char big[VG_WIRE_STR_MAX + 1];

	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);
	vg_msgb_str(&wr, VG_TAG_VAULT, "a\nb");
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);

	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);  /* begin resets the poison */
	ck_assert_int_eq(wr.err, 0);
	vg_msgb_str(&wr, VG_TAG_VAULT, "a\x7f");
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);

	memset(big, 'a', 65);
	big[65] = 0;
	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);
	vg_msgb_str(&wr, VG_TAG_VAULT, big);  /* max 64 */
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);

	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);
	vg_msgb_u32(&wr, 0, 1);
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);
	vg_msgb_begin(&wr, VG_F_REQ, 0, 1);
	vg_msgb_u32(&wr, VG_TAG_MAX + 1, 1);
	ck_assert_int_eq(vg_msgb_end(&wr), VG_EINVAL);

	/* Over the control frame limit: the writer's cap trips first. */
	memset(big, 'v', VG_WIRE_STR_MAX);
	big[VG_WIRE_STR_MAX] = 0;
	vg_msgb_begin(&wr, VG_F_RESP, 0, 1);
	for (int i = 0; i < 17; i++)
		vg_msgb_str(&wr, VG_TAG_VALUE, big);
	ck_assert_int_eq(vg_msgb_end(&wr), VG_ETOOBIG);
	vg_wr_free(&wr);

	/* Without a cap on the writer, vg_msgb_end itself refuses. */
	vg_wr_init(&wr, 0);
	vg_msgb_begin(&wr, VG_F_RESP, 0, 1);
	for (int i = 0; i < 17; i++)
		vg_msgb_str(&wr, VG_TAG_VALUE, big);
	ck_assert_int_eq(wr.err, 0);
	ck_assert_int_eq(vg_msgb_end(&wr), VG_ETOOBIG);
	vg_wr_free(&wr);
}
END_TEST

/* ---- socket I/O ---- */

static void pair(int sv[2])
{
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

START_TEST(send_recv_roundtrip)
{
	int sv[2];
	struct vg_wr wr;
	struct vg_msg m;
	uint8_t *buf = malloc(VG_WIRE_MAX_DATA), *data = malloc(VG_WIRE_MAX_DATA);
	char s[16];
	pid_t pid;
	int st;

	pair(sv);
	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	vg_msgb_begin(&wr, VG_F_HELLO, 0, 42);
	vg_msgb_u32(&wr, VG_TAG_VERSION, VG_WIRE_VERSION);
	vg_msgb_str(&wr, VG_TAG_PEER, "10.0.0.1");
	ck_assert_int_eq(vg_send_frame(sv[0], &wr), 0);
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), 0);
	ck_assert_uint_eq(m.type, VG_F_HELLO);
	ck_assert_uint_eq(m.reqid, 42);
	ck_assert_int_eq(vg_msg_str(&m, VG_TAG_PEER, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "10.0.0.1");

	/* A full-size DATA frame arrives whole (the socket buffer may split it). */
	for (uint32_t i = 0; i < VG_WIRE_MAX_DATA; i++)
		data[i] = (uint8_t)(i * 13);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[1]);
		_exit(vg_send_data(sv[0], 43, data, VG_WIRE_MAX_DATA) ? 1 : 0);
	}
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_uint_eq(m.type, VG_F_DATA);
	ck_assert_uint_eq(m.datalen, VG_WIRE_MAX_DATA);
	ck_assert_mem_eq(m.data, data, VG_WIRE_MAX_DATA);

	ck_assert_int_eq(vg_send_data(sv[0], 1, data, 0), VG_EINVAL);
	ck_assert_int_eq(vg_send_data(sv[0], 1, data, VG_WIRE_MAX_DATA + 1), VG_EINVAL);
	close(sv[0]);
	close(sv[1]);
	vg_wr_free(&wr);
	free(buf);
	free(data);
}
END_TEST

START_TEST(recv_truncated_and_closed)
{
	int sv[2];
	struct vg_msg m;
	uint8_t *buf = malloc(VG_WIRE_MAX_DATA);
	uint8_t hdr[VG_WIRE_HDR] = {'V', 'G', VG_F_REQ, 0, 0, 0, 0, 1, 0, 0, 0, 20};

	/* Closed before any byte: a clean close. */
	pair(sv);
	close(sv[0]);
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), VG_ECLOSED);
	close(sv[1]);

	/* Closed inside the header. */
	pair(sv);
	ck_assert_int_eq(write(sv[0], hdr, 5), 5);
	close(sv[0]);
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), VG_EPROTO);
	close(sv[1]);

	/* Closed inside the payload. */
	pair(sv);
	ck_assert_int_eq(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(write(sv[0], "\0\5\0\0\0", 5), 5);
	close(sv[0]);
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), VG_EPROTO);
	close(sv[1]);

	/* An oversized length is refused from the header alone. */
	pair(sv);
	vg_put_u32(hdr + 8, VG_WIRE_MAX_CTRL + 1);
	ck_assert_int_eq(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), VG_ETOOBIG);
	close(sv[0]);
	close(sv[1]);

	/* Bad magic. */
	pair(sv);
	hdr[0] = 'X';
	ck_assert_int_eq(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(vg_recv_msg(sv[1], buf, &m), VG_EPROTO);
	close(sv[0]);
	close(sv[1]);

	/* Sending to a closed peer. */
	pair(sv);
	close(sv[1]);
	ck_assert_int_eq(vg_send_data(sv[0], 1, "x", 1), VG_ECLOSED);
	close(sv[0]);
	free(buf);
}
END_TEST

START_TEST(frame_type_names)
{
	ck_assert_str_eq(vg_frame_type_name(VG_F_HELLO), "HELLO");
	ck_assert_str_eq(vg_frame_type_name(VG_F_ROW), "ROW");
	ck_assert_str_eq(vg_frame_type_name(0), "?");
	ck_assert_str_eq(vg_frame_type_name(VG_F_MAX + 1), "?");
	ck_assert_str_eq(vg_frame_type_name(255), "?");
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *codec = tcase_create("codec"), *hdr = tcase_create("header"),
	      *neg = tcase_create("refusals"), *io = tcase_create("io");

	tcase_add_test(codec, roundtrip_every_field_type);
	tcase_add_test(codec, empty_control_frame);
	tcase_add_test(codec, data_frames);
	tcase_add_test(codec, status_field);
	tcase_add_test(codec, accessor_refusals);
	tcase_add_test(codec, frame_type_names);
	tcase_add_test(hdr, hdr_bad_magic);
	tcase_add_test(hdr, hdr_types);
	tcase_add_test(hdr, hdr_bad_flags);
	tcase_add_test(hdr, hdr_oversized_lengths);
	tcase_add_test(neg, truncated_fields);
	tcase_add_test(neg, field_length_beyond_payload);
	tcase_add_test(neg, unknown_tags);
	tcase_add_test(neg, duplicate_tags);
	tcase_add_test(neg, wrong_fixed_lengths);
	tcase_add_test(neg, string_length_bounds);
	tcase_add_test(neg, over_limit_field_is_named);
	tcase_add_test(neg, strings_with_nul_or_control_bytes);
	tcase_add_test(neg, encoder_refusals);
	tcase_add_test(io, send_recv_roundtrip);
	tcase_add_test(io, recv_truncated_and_closed);
	suite_add_tcase(s, codec);
	suite_add_tcase(s, hdr);
	suite_add_tcase(s, neg);
	suite_add_tcase(s, io);
	return s;
}
