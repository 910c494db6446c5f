/* h_s3key.c - vaultd handlers for S3 access keys (s3key.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "s3key.h"
#include "server_int.h"
#include "vg_err.h"

int h_s3_key_create(struct conn *k, const struct vg_msg *m)
{
	char principal[VG_PRINCIPAL_NAME_MAX + 1], akid[VS3_AKID_LEN + 1],
		secret[VS3_SECRET_LEN + 1];
	struct vg_wr *w;
	int r;

	if (vg_msg_str(m, VG_TAG_PRINCIPAL, principal, sizeof(principal)))
		return send_err(k, VG_EINVAL, "s3.key.create needs a principal");
	if ((r = vs3key_create(k->c, &k->who, principal, akid, secret))) {
		audit_refusal(k, "s3.key.create", principal, r, r == VG_EDENIED ?
			"S3 keys are created by local root or an Owner" : NULL);
		return send_err(k, r, "%s: %s", principal, r == VG_EDENIED ?
			"S3 keys are created by local root or an Owner" : r == VG_ENOTFOUND ?
			"no such principal" : vg_strerror(r));
	}
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_ID, akid);
	vg_msgb_str(w, VG_TAG_TOKEN, secret);
	r = vg_send_frame(k->fd, w);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(k->out.p, k->out.len);
	return r;
}

static int list_cb(void *arg, const char *akid, const char *principal, uint64_t created)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_str(w, VG_TAG_ID, akid);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, principal);
	vg_msgb_u64(w, VG_TAG_TIME, created);
	return vg_send_frame(k->fd, w);
}

int h_s3_key_list(struct conn *k, const struct vg_msg *m)
{
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	int has, r;

	has = vg_msg_str(m, VG_TAG_PRINCIPAL, principal, sizeof(principal)) == 0;
	if (!vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "s3.key.list", has ? principal : "-", VG_EDENIED,
			"S3 keys are listed by local root or an Owner");
		return send_err(k, VG_EDENIED, "S3 keys are listed by local root or an Owner");
	}
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vs3key_list(k->c, has ? principal : NULL, list_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_s3_key_delete(struct conn *k, const struct vg_msg *m)
{
	char akid[64];
	int r;

	if (vg_msg_str(m, VG_TAG_ID, akid, sizeof(akid)))
		return send_err(k, VG_EINVAL, "s3.key.delete needs an access key id");
	if ((r = vs3key_delete(k->c, &k->who, akid))) {
		audit_refusal(k, "s3.key.delete", akid, r, NULL);
		return send_err(k, r, "%s: %s", akid, r == VG_EDENIED ?
			"S3 keys are deleted by local root or an Owner" : vg_strerror(r));
	}
	return vg_send_frame(k->fd, resp_ok(k));
}
