/* fuzz_wire.c - libFuzzer harness for the vaultd frame decoder
 * (common/wire.c): vg_frame_hdr_decode, vg_msg_decode and every field
 * accessor, on untrusted bytes.
 *
 * Input: a 12-byte frame header, then payload bytes. The header's length
 * is clamped to the bytes present, so every input decodes something.
 * Invariants: only the documented error codes; fields lie inside the
 * payload, have known and unique tags; a decoded control frame re-encodes
 * to exactly the same bytes; accessors agree with each other.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "vg_err.h"
#include "wire.h"

static void accessors(const struct vg_msg *m)
{
	static char small[2], mid[65], big[VG_WIRE_STR_MAX + 1];
	int st = vg_msg_status(m);

	FUZZ_CHECK(st == 0 || st == VG_EPROTO || (st >= VG_EBASE && st < VG_ELAST) ||
		(st < 0 && st >= -4095));
	for (uint16_t tag = 0; tag <= VG_TAG_MAX + 1; tag++) {
		const uint8_t *p;
		uint32_t n, u32;
		uint64_t u64;
		int has = vg_msg_has(m, tag);
		int rb = vg_msg_bytes(m, tag, &p, &n);
		int rs;

		FUZZ_CHECK(has == (rb == 0));
		if (!has) {
			FUZZ_CHECK(vg_msg_u32(m, tag, &u32) == VG_ENOTFOUND);
			FUZZ_CHECK(vg_msg_u64(m, tag, &u64) == VG_ENOTFOUND);
			FUZZ_CHECK(vg_msg_str(m, tag, big, sizeof(big)) == VG_ENOTFOUND);
			continue;
		}
		if (vg_msg_u32(m, tag, &u32) == 0)
			FUZZ_CHECK(n == 4 && u32 == vg_get_u32(p));
		if (vg_msg_u64(m, tag, &u64) == 0)
			FUZZ_CHECK(n == 8 && u64 == vg_get_u64(p));
		rs = vg_msg_str(m, tag, big, sizeof(big));
		if (rs == 0) {
			FUZZ_CHECK(strlen(big) == n && memcmp(big, p, n) == 0);
			for (uint32_t i = 0; i < n; i++)
				FUZZ_CHECK((uint8_t)big[i] >= 0x20 && (uint8_t)big[i] != 0x7f);
			rs = vg_msg_str(m, tag, small, sizeof(small));
			FUZZ_CHECK(n < sizeof(small) ? rs == 0 : rs == VG_ETOOBIG);
			rs = vg_msg_str(m, tag, mid, sizeof(mid));
			FUZZ_CHECK(n < sizeof(mid) ? rs == 0 : rs == VG_ETOOBIG);
		} else {
			FUZZ_CHECK(rs == VG_ENOTFOUND);  /* not a string tag */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_frame_hdr h;
	struct vg_msg m, m2;
	struct vg_wr wr;
	uint8_t *payload;
	size_t avail;
	int r;

	if (size < VG_WIRE_HDR)
		return 0;
	r = vg_frame_hdr_decode(data, &h);
	FUZZ_CHECK(vg_frame_type_name(data[2]) != NULL);
	if (r) {
		FUZZ_CHECK(r == VG_EPROTO || r == VG_ETOOBIG);
		return 0;
	}
	FUZZ_CHECK(h.type >= VG_F_HELLO && h.type <= VG_F_MAX);
	FUZZ_CHECK((h.flags & ~(uint8_t)VG_FL_KNOWN) == 0);
	FUZZ_CHECK(h.len <= (h.type == VG_F_DATA ? VG_WIRE_MAX_DATA : VG_WIRE_MAX_CTRL));
	avail = size - VG_WIRE_HDR;
	if (avail < h.len)
		h.len = (uint32_t)avail;  /* a cut frame: decode what arrived */

	/* An exact-size copy, so a sanitizer sees any read past the payload. */
	payload = malloc(h.len ? h.len : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + VG_WIRE_HDR, h.len);
	r = vg_msg_decode(&h, payload, &m);
	if (r) {
		FUZZ_CHECK(r == VG_EPROTO);
		free(payload);
		return 0;
	}
	FUZZ_CHECK(m.type == h.type && m.flags == h.flags && m.reqid == h.reqid);
	if (h.type == VG_F_DATA) {
		FUZZ_CHECK(h.len > 0 && m.data == payload && m.datalen == h.len && m.nfields == 0);
		free(payload);
		return 0;
	}
	FUZZ_CHECK(m.nfields <= VG_TAG_MAX);
	for (uint32_t i = 0; i < m.nfields; i++) {
		FUZZ_CHECK(m.f[i].tag >= 1 && m.f[i].tag <= VG_TAG_MAX);
		FUZZ_CHECK(m.f[i].val >= payload && m.f[i].len <= h.len &&
			(size_t)(m.f[i].val - payload) <= h.len - m.f[i].len);
		for (uint32_t j = 0; j < i; j++)
			FUZZ_CHECK(m.f[j].tag != m.f[i].tag);
	}
	accessors(&m);

	/* Canonical: re-encoding the fields in order gives the same frame. */
	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	vg_msgb_begin(&wr, h.type, h.flags, h.reqid);
	for (uint32_t i = 0; i < m.nfields; i++)
		vg_msgb_bytes(&wr, m.f[i].tag, m.f[i].val, m.f[i].len);
	FUZZ_CHECK(vg_msgb_end(&wr) == 0);
	FUZZ_CHECK(wr.len == VG_WIRE_HDR + h.len);
	FUZZ_CHECK(memcmp(wr.p, data, 8) == 0);
	FUZZ_CHECK(vg_get_u32(wr.p + 8) == h.len);
	FUZZ_CHECK(h.len == 0 || memcmp(wr.p + VG_WIRE_HDR, payload, h.len) == 0);
	FUZZ_CHECK(vg_msg_decode(&h, wr.p + VG_WIRE_HDR, &m2) == 0 && m2.nfields == m.nfields);
	vg_wr_free(&wr);
	free(payload);
	return 0;
}
