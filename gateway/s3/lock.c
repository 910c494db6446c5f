/* lock.c - Object Lock and versioning (s3.h): the XML bodies are parsed
 * here (xml.c, expat) and their values sent to vaultd, which decides
 * (vault/h_s3lock.c: COMPLIANCE never weakened, GOVERNANCE bypass by an
 * Owner with a grant, legal hold). */
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "reply.h"
#include "s3.h"
#include "vg_err.h"
#include "xml.h"

static int read_body(struct s3_req *r, char *buf, size_t cap, size_t *len)
{
	int e = gw_body_read_all(r->x, (uint8_t *)buf, cap, len);

	if (e) {
		r->x->close_after = true;
		s3_reply_error(r, 400, e == VG_ETOOBIG ? "MaxMessageLengthExceeded" : "IncompleteBody",
			"the request body could not be read");
	}
	return e;
}

/* "2026-12-08T20:00:00Z", with optional fraction, "Z" or "+00:00". */
static int iso_parse(const char *s, uint64_t *out)
{
	char d[17];
	const char *p;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return VG_EINVAL;
	snprintf(d, sizeof(d), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", s, s + 5, s + 8, s + 11, s + 14, s + 17);
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return VG_EINVAL;
	return vg_sigv4_parse_amzdate(d, out);
}

static void ok_empty(struct s3_req *r)
{
	char extra[96];

	snprintf(extra, sizeof(extra), "x-amz-request-id: %s\r\n", r->reqid);
	gw_reply_full(r->x, 200, "application/xml", NULL, 0, extra);
}

void s3_put_lockcfg(struct s3_req *r)
{
	struct s3x_lockcfg cfg;
	struct vg_msg m;
	struct vg_wr *w;
	char body[16384];
	const char *code = NULL;
	size_t len;
	int e;

	if (read_body(r, body, sizeof(body), &len))
		return;
	if (s3x_parse_lockcfg(body, len, &cfg, &code)) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad ObjectLockConfiguration");
		return;
	}
	w = s3_call_begin(r, true);
	vg_msgb_u32(w, VG_TAG_FLAGS, cfg.enabled ? 1u : 0);
	if (cfg.mode != S3X_NONE) {
		vg_msgb_str(w, VG_TAG_STATE, cfg.mode == S3X_COMPLIANCE ? "COMPLIANCE" : "GOVERNANCE");
		vg_msgb_u64(w, VG_TAG_SIZE, cfg.days ? cfg.days : (uint64_t)cfg.years * 365u);
	}
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	ok_empty(r);
}

void s3_get_lockcfg(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	char mode[16] = "";
	uint64_t days = 0;
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	vg_wr_init(&d, 4096);
	s3x_doc(&d, "ObjectLockConfiguration");
	s3x_elem(&d, "ObjectLockEnabled", "Enabled");
	if (vg_msg_str(&m, VG_TAG_STATE, mode, sizeof(mode)) == 0 &&
	    vg_msg_u64(&m, VG_TAG_SIZE, &days) == 0) {
		s3x_open(&d, "Rule");
		s3x_open(&d, "DefaultRetention");
		s3x_elem(&d, "Mode", mode);
		s3x_elemf(&d, "Days", "%llu", (unsigned long long)days);
		s3x_close(&d, "DefaultRetention");
		s3x_close(&d, "Rule");
	}
	s3x_close(&d, "ObjectLockConfiguration");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_put_retention(struct s3_req *r)
{
	struct s3x_retention ret;
	struct vg_msg m;
	struct vg_wr *w;
	char body[16384];
	const char *code = NULL;
	uint64_t until = 0;
	size_t len;
	int e;

	if (read_body(r, body, sizeof(body), &len))
		return;
	if (s3x_parse_retention(body, len, &ret, &code)) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad Retention");
		return;
	}
	if (ret.mode != S3X_NONE && iso_parse(ret.until, &until)) {
		s3_reply_error(r, 400, "InvalidArgument", "RetainUntilDate is not an ISO 8601 UTC time");
		return;
	}
	w = s3_call_begin(r, true);
	if (ret.mode != S3X_NONE) {
		vg_msgb_str(w, VG_TAG_STATE, ret.mode == S3X_COMPLIANCE ? "COMPLIANCE" : "GOVERNANCE");
		vg_msgb_u64(w, VG_TAG_TIME2, until);
	}
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	ok_empty(r);
}

void s3_get_retention(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	char mode[16] = "", ts[40];
	uint64_t until = 0;
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_STATE, mode, sizeof(mode));
	(void)vg_msg_u64(&m, VG_TAG_TIME2, &until);
	s3_iso_time(until, ts, sizeof(ts));
	vg_wr_init(&d, 4096);
	s3x_doc(&d, "Retention");
	s3x_elem(&d, "Mode", mode);
	s3x_elem(&d, "RetainUntilDate", ts);
	s3x_close(&d, "Retention");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_put_hold(struct s3_req *r)
{
	struct s3x_hold h;
	struct vg_msg m;
	struct vg_wr *w;
	char body[4096];
	const char *code = NULL;
	size_t len;
	int e;

	if (read_body(r, body, sizeof(body), &len))
		return;
	if (s3x_parse_hold(body, len, &h, &code)) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad LegalHold");
		return;
	}
	w = s3_call_begin(r, true);
	vg_msgb_u32(w, VG_TAG_FLAGS, h.on ? 1u : 0);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	ok_empty(r);
}

void s3_get_hold(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	uint32_t fl = 0;
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_u32(&m, VG_TAG_FLAGS, &fl);
	vg_wr_init(&d, 1024);
	s3x_doc(&d, "LegalHold");
	s3x_elem(&d, "Status", fl & 1 ? "ON" : "OFF");
	s3x_close(&d, "LegalHold");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_versioning(struct s3_req *r, bool put)
{
	struct s3x_versioning v = {0};
	struct vg_msg m;
	struct vg_wr *w, d;
	char body[4096];
	const char *code = NULL;
	size_t len;
	int e;

	if (put) {
		if (read_body(r, body, sizeof(body), &len))
			return;
		if (s3x_parse_versioning(body, len, &v, &code)) {
			s3_reply_error(r, 400, code ? code : "MalformedXML", "bad VersioningConfiguration");
			return;
		}
	}
	w = s3_call_begin(r, put);
	if (v.suspended)
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	if (put) {
		ok_empty(r);
		return;
	}
	vg_wr_init(&d, 1024);
	s3x_doc(&d, "VersioningConfiguration");
	s3x_elem(&d, "Status", "Enabled");
	s3x_close(&d, "VersioningConfiguration");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}
