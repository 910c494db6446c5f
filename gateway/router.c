/* router.c - see router.h. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "limit.h"
#include "metrics.h"
#include "auth.h"
#include "proxy.h"
#include "reply.h"
#include "restic.h"
#include "s3/s3.h"
#include "router.h"
#include "share.h"
#include "ui.h"
#include "vg_err.h"

/* The link's claim on the fair share, once vaultd has named the principal:
 * nobody holds more than its share, and uploads leave reads and admins a
 * reserve (share.h). */
static int claim_link(struct gw_rctx *x)
{
	struct gw_conn *c = x->c;
	bool write = x->req->method != GW_M_GET && x->req->method != GW_M_HEAD;

	switch (gw_share_claim(x->srv->share, c->principal, c->admin, write)) {
	case GW_SHARE_OK:
		break;
	case GW_SHARE_PRINCIPAL:
		gw_metrics_add(GW_C_LINK_SHARE, 1);
		gw_reply_retry(x, 429, 1, "limit",
			"principal %s holds its share of vaultd links (%llu); retry when one ends",
			c->principal, (unsigned long long)x->srv->cfg->vaultd_links_per_principal);
		return 429;
	case GW_SHARE_RESERVE:
		gw_metrics_add(GW_C_LINK_SHARE, 1);
		gw_reply_retry(x, 503, 1, "vaultd",
			"vaultd links busy: the free ones are reserved for %s; retry shortly",
			write ? "reads and admins" : "admins");
		return 503;
	}
	x->claimed = true;
	x->claim_admin = c->admin;
	x->claim_write = write;
	memcpy(x->claim_principal, c->principal, sizeof(x->claim_principal));
	return 0;
}

/* A link from the pool, or the 503 answered (returned). */
static int pool_get(struct gw_rctx *x, struct vgc **v)
{
	int r;

	if ((r = gw_pool_get(x->srv->pool, v))) {
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		return gw_reply_error(x, 503, "vaultd", "vaultd unavailable: %s",
			       r == VG_ELIMIT ? "all links busy" : vg_strerror(r)),
		       503;
	}
	x->link_bad = false;
	return 0;
}

int gw_vaultd_open(struct gw_rctx *x, struct vgc **v)
{
	int r;

	*v = NULL;
	if ((r = pool_get(x, v)))
		return r;
	if ((r = gw_auth_request(x, *v)) || (r = claim_link(x))) {
		gw_vaultd_close(x, *v);
		*v = NULL;
		return r;
	}
	return 0;
}

int gw_vaultd_open_anon(struct gw_rctx *x, struct vgc **v)
{
	struct gw_conn *c = x->c;
	int r;

	*v = NULL;
	if (gw_rl_blocked(x->srv->rl, &c->akey, gw_now_ms())) {
		gw_metrics_add(GW_C_AUTH_LIMITED, 1);
		gw_reply_error(x, 429, "limit", "too many failed authentication attempts from %s",
			c->source);
		return 429;
	}
	if ((r = pool_get(x, v)))
		return r;
	memset(&x->auth, 0, sizeof(x->auth));
	x->auth.peer = c->peer;
	vgc_set_auth(*v, &x->auth);
	/* Anonymous requests share one principal's worth of links and never
	 * the reserve: they cannot crowd out agents or admins. */
	switch (gw_share_claim(x->srv->share, GW_ANON_PRINCIPAL, false, true)) {
	case GW_SHARE_OK:
		break;
	default:
		gw_metrics_add(GW_C_LINK_SHARE, 1);
		gw_pool_put(x->srv->pool, *v, true);
		*v = NULL;
		gw_reply_error(x, 429, "limit", "too many anonymous requests in progress; retry shortly");
		return 429;
	}
	x->claimed = true;
	x->claim_admin = false;
	x->claim_write = true;
	snprintf(x->claim_principal, sizeof(x->claim_principal), "%s", GW_ANON_PRINCIPAL);
	return 0;
}

void gw_vaultd_close(struct gw_rctx *x, struct vgc *v)
{
	if (x->claimed) {
		gw_share_release(x->srv->share, x->claim_principal, x->claim_admin, x->claim_write);
		x->claimed = false;
	}
	if (!v)
		return;
	gw_pool_put(x->srv->pool, v, !x->link_bad);
}

int gw_reply_op_error(struct gw_rctx *x, struct vgc *v, int err)
{
	if (gw_link_failed(v, err)) {
		x->link_bad = true;
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		gw_reply_error(x, 502, "vaultd", "vaultd link failed: %s", vg_strerror(err));
		return 502;
	}
	if (err == VG_EAUTH)
		gw_auth_failed(x);
	gw_reply_vgerr(x, err, vgc_errmsg(v));
	return gw_status_of(err);
}

int gw_no_body(struct gw_rctx *x)
{
	/* Not drained: reading a body nobody asked for would let a client
	 * (authenticated or not) hold a worker by trickling it. Answering and
	 * closing costs nothing. */
	if (x->body_done)
		return 0;
	gw_reply_error(x, 413, "too-big", "this request takes no body");
	return 413;
}

int gw_query_get(const char *query, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t vl = len - kl - 1;
			const char *v = p + kl + 1;
			if (vl >= n || memchr(v, '%', vl) || memchr(v, '+', vl))
				return VG_EINVAL;
			memcpy(out, v, vl);
			out[vl] = 0;
			return 1;
		}
		if (len == kl && strncmp(p, key, kl) == 0) {
			if (n == 0)
				return VG_EINVAL;
			out[0] = 0;
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

#define METRICS_MAX (16u << 20)

/* vaultd's families (VG_OP_METRICS: RESP {SIZE}, DATA..., END) appended to
 * wr; 0, or an error after which no body is sent. */
static int vaultd_metrics(struct gw_rctx *x, struct vgc *v, struct vg_wr *wr)
{
	struct vg_msg m;
	uint64_t size = 0;
	int r;

	(void)vgc_req(v, VG_OP_METRICS);
	if ((r = vgc_call(v, &m))) {
		x->link_bad = gw_link_failed(v, r);
		return r;
	}
	(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
	if (size > METRICS_MAX) {
		x->link_bad = true;  /* its DATA frames are still coming */
		return VG_ETOOBIG;
	}
	while ((r = vgc_stream_next(v, &m)) == 1) {
		if (m.type != VG_F_DATA) {
			x->link_bad = true;
			return VG_EPROTO;
		}
		vg_wr_bytes(wr, m.data, m.datalen);
	}
	if (r)
		x->link_bad = gw_link_failed(v, r);
	return r ? r : wr->err;
}

/* /metrics: the gateway's counters, then vaultd's, for monitoring
 * principals only (the kind comes from vaultd's WHOAMI; vaultd checks the
 * METRICS operation again itself). */
static void metrics_route(struct gw_rctx *x)
{
	struct vg_wr wr;
	struct vgc *v;
	int r;

	x->route = GW_R_METRICS;
	if (x->req->method != GW_M_GET && x->req->method != GW_M_HEAD) {
		gw_reply_405(x, "GET, HEAD");
		return;
	}
	if (gw_no_body(x) || gw_vaultd_open(x, &v))
		return;
	if (strcmp(x->c->kind, "monitor") != 0) {
		gw_vaultd_close(x, v);
		gw_reply_error(x, 403, "forbidden",
			"/metrics is for monitoring principals only (%s is %s)", x->c->principal,
			x->c->kind[0] ? x->c->kind : "of no known kind");
		return;
	}
	vg_wr_init(&wr, METRICS_MAX + (1u << 20));
	gw_metrics_render(&wr);
	r = vaultd_metrics(x, v, &wr);
	if (r == VG_EAUTH || r == VG_EDENIED)
		gw_reply_op_error(x, v, r);
	else if (r)
		gw_reply_error(x, 503, "vaultd", "vaultd's metrics are unavailable: %s", vg_strerror(r));
	else
		gw_reply_full(x, 200, "text/plain; version=0.0.4", wr.p, wr.len, NULL);
	gw_vaultd_close(x, v);
	vg_wr_free(&wr);
}

void gw_route(struct gw_rctx *x)
{
	const char *path = x->req->path;

	if (x->c->s3) {
		gw_s3_handle(x);
		return;
	}
	if (strncmp(path, "/restic/", 8) == 0) {
		gw_restic_handle(x);
		return;
	}
	if (strcmp(path, "/v1") == 0 || strncmp(path, "/v1/", 4) == 0) {
		gw_api_handle(x);
		return;
	}
	if (strcmp(path, "/ui") == 0 || strncmp(path, "/ui/", 4) == 0) {
		gw_ui_handle(x);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		metrics_route(x);
		return;
	}
	x->route = GW_R_OTHER;
	gw_reply_error(x, 404, "not-found", "no such route");
}
