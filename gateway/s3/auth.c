/* auth.c - the SigV4 credential of an S3 request (s3.h). The gateway only
 * reads it and builds the canonical request; vaultd, which holds the
 * secrets, decides (vault/s3auth.c). The checks here are the ones that
 * need no secret, so that clients get S3's own error codes early: the
 * shape, the region, the service, and the time against this machine's
 * clock (vaultd checks the time again against its trusted clock). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "s3.h"
#include "vg_err.h"

static bool payload_ok(const char *p)
{
	if (strcmp(p, "UNSIGNED-PAYLOAD") == 0 || strncmp(p, "STREAMING-", 10) == 0)
		return true;
	if (strlen(p) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

int s3_auth_prepare(struct s3_req *r)
{
	struct gw_rctx *x = r->x;
	struct gw_http_req *req = x->req;
	uint64_t t, now = (uint64_t)time(NULL);
	int e;

	if (req->authorization[0]) {
		if (strncmp(req->authorization, VG_SIGV4_ALGO " ", sizeof(VG_SIGV4_ALGO)) != 0) {
			s3_reply_error(r, 400, "InvalidRequest",
				"The authorization mechanism you have provided is not supported. "
				"Please use AWS4-HMAC-SHA256.");
			return 1;
		}
		if (vg_sigv4_parse_authz(req->authorization, &r->sa)) {
			s3_reply_error(r, 400, "AuthorizationHeaderMalformed",
				"The authorization header is malformed");
			return 1;
		}
		if (s3_header(r, "x-amz-date", r->sa.amz_date, sizeof(r->sa.amz_date)) != 1) {
			s3_reply_error(r, 403, "AccessDenied", "x-amz-date is required");
			return 1;
		}
		if (s3_header(r, "x-amz-content-sha256", r->payload, sizeof(r->payload)) != 1) {
			s3_reply_error(r, 400, "InvalidRequest",
				"Missing required header for this request: x-amz-content-sha256");
			return 1;
		}
		if (!payload_ok(r->payload)) {
			s3_reply_error(r, 400, "InvalidArgument",
				"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a SHA-256");
			return 1;
		}
	} else {
		e = vg_sigv4_parse_query(req->query, &r->sa);
		if (e == VG_ENOTFOUND && s3_query(r, "AWSAccessKeyId", (char[4]){0}, 0) != 0) {
			s3_reply_error(r, 400, "InvalidRequest",
				"The authorization mechanism you have provided is not supported. "
				"Please use AWS4-HMAC-SHA256.");
			return 1;
		}
		if (e == VG_ENOTFOUND) {
			s3_reply_error(r, 403, "AccessDenied", "Anonymous access is not allowed");
			return 1;
		}
		if (e) {
			s3_reply_error(r, 400, "AuthorizationQueryParametersError",
				"The presigned URL's X-Amz-* parameters are malformed");
			return 1;
		}
		snprintf(r->payload, sizeof(r->payload), "UNSIGNED-PAYLOAD");
	}
	if (strcmp(r->sa.region, x->srv->cfg->s3_region) != 0) {
		s3_reply_error(r, 400, "AuthorizationHeaderMalformed",
			"the region '%s' is wrong; expecting '%s'", r->sa.region,
			x->srv->cfg->s3_region);
		return 1;
	}
	if (strcmp(r->sa.service, "s3") != 0) {
		s3_reply_error(r, 400, "AuthorizationHeaderMalformed",
			"the service '%s' is wrong; expecting 's3'", r->sa.service);
		return 1;
	}
	if (vg_sigv4_parse_amzdate(r->sa.amz_date, &t) || strncmp(r->sa.amz_date, r->sa.date8, 8)) {
		s3_reply_error(r, 400, "AuthorizationHeaderMalformed",
			"x-amz-date is malformed or not the credential's date");
		return 1;
	}
	if (r->sa.presigned) {
		if (now > t + r->sa.expires) {
			s3_reply_error(r, 403, "AccessDenied", "Request has expired");
			return 1;
		}
	} else if (t > now + VG_SIGV4_SKEW || now > t + VG_SIGV4_SKEW) {
		s3_reply_error(r, 403, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.");
		return 1;
	}
	vg_wr_init(&r->canon, VG_SIGV4_CANON_MAX + 1);
	e = vg_sigv4_canonical(&(struct vg_sigv4_req){
		.method = gw_method_name(req->method),
		.raw_path = req->path,
		.raw_query = req->query,
		.head = x->head ? x->head : "",
		.headlen = x->head ? x->headlen : 0,
		.signed_headers = r->sa.signed_headers,
		.payload_hash = r->payload,
		.presigned = r->sa.presigned,
	}, &r->canon);
	if (e) {
		s3_reply_error(r, 403, "SignatureDoesNotMatch",
			"The request cannot be canonicalised (%s)", vg_strerror(e));
		return 1;
	}
	return 0;
}
