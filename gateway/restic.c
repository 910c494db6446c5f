/* restic.c - see restic.h. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "fetch.h"
#include "proxy.h"
#include "reply.h"
#include "restic.h"
#include "restic_path.h"
#include "router.h"
#include "vg_err.h"

static void add_target(struct gw_rctx *x, struct vg_wr *w, const struct vg_restic_path *rp)
{
	vg_msgb_str(w, VG_TAG_VAULT, x->srv->cfg->restic_vault);
	vg_msgb_str(w, VG_TAG_ITEM, rp->item);
	if (rp->object[0])
		vg_msgb_str(w, VG_TAG_OBJECT, rp->object);
}

static void op_create(struct gw_rctx *x, struct vgc *v, const struct vg_restic_path *rp)
{
	struct vg_msg m;
	int r;

	add_target(x, vgc_req(v, VG_OP_RESTIC_CREATE), rp);
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	gw_reply_full(x, 200, NULL, NULL, 0, NULL);
}

static void target_fields(struct gw_rctx *x, struct vg_wr *w, const void *arg)
{
	add_target(x, w, arg);
}

static void op_fetch(struct gw_rctx *x, struct vgc *v, const struct vg_restic_path *rp)
{
	const struct gw_fetch f = {
		.get_op = VG_OP_RESTIC_GET,
		.stat_op = VG_OP_RESTIC_STAT,
		.target = target_fields,
		.arg = rp,
	};

	if (x->req->method == GW_M_HEAD)
		gw_fetch_head(x, v, &f);
	else
		gw_fetch_get(x, v, &f);
}

static void op_put(struct gw_rctx *x, struct vgc *v, const struct vg_restic_path *rp)
{
	uint64_t max = x->srv->cfg->max_body_restic;
	uint8_t sha[32];
	struct vg_msg m;
	struct vg_wr *w;
	bool link_ok;
	int st;

	w = vgc_req(v, VG_OP_RESTIC_PUT);
	add_target(x, w, rp);
	if (rp->kind == VG_RP_FILE) {
		if (vg_unhex(sha, sizeof(sha), rp->id)) {
			gw_reply_error(x, 400, "bad-name", "bad object id");
			return;
		}
		vg_msgb_bytes(w, VG_TAG_SHA256, sha, sizeof(sha));
	}
	if (x->req->body == GW_BODY_LENGTH)
		vg_msgb_u64(w, VG_TAG_SIZE, x->req->content_length);
	enum gw_up_result res = gw_proxy_upload(x, v, max, &m, &st, &link_ok);
	if (gw_upload_transport_failed(x, res, st, link_ok))
		return;
	switch (res) {
	case GW_UP_OK:
		x->link_bad = !link_ok;
		gw_reply_full(x, 200, NULL, NULL, 0, NULL);
		return;
	case GW_UP_CLIENT:
	case GW_UP_LINK:
		return;  /* answered above */
	case GW_UP_REFUSED:
		x->link_bad = !link_ok;
		break;
	}
	switch (st) {
	case VG_EEXISTS:
		/* restic: an existing file with another body is forbidden. */
		gw_reply_error(x, 403, "exists", "%s already exists with other contents", rp->object);
		return;
	case VG_EINVAL:
	case VG_EINTEGRITY:
		gw_reply_error(x, 400, "integrity",
			"the body's SHA-256 does not match its name %s", rp->object);
		return;
	case VG_ETOOBIG:
		gw_reply_error(x, 413, "too-big", "a restic file may be at most %llu bytes",
			(unsigned long long)max);
		return;
	default:
		if (st == VG_EAUTH)
			gw_auth_failed(x);
		gw_reply_vgerr(x, st, vgc_errmsg(v));
	}
}

static void op_delete(struct gw_rctx *x, struct vgc *v, const struct vg_restic_path *rp)
{
	struct vg_msg m;
	int r;

	char detail[128] = "deleted", body[160];
	int n;

	add_target(x, vgc_req(v, VG_OP_RESTIC_DELETE), rp);
	r = vgc_call(v, &m);
	if (r && r != VG_ENOTFOUND) {
		gw_reply_op_error(x, v, r);
		return;
	}
	/* What really happened, as vaultd decided it (SPEC §2): "soft-deleted
	 * until T" or "permanently deleted". restic reads only the status. */
	if (r == 0)
		(void)vg_msg_str(&m, VG_TAG_DETAIL, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "not found: nothing deleted");
	n = snprintf(body, sizeof(body), "%s\n", detail);
	gw_reply_full(x, 200, "text/plain", body, (size_t)n, NULL);
}

static void op_list(struct gw_rctx *x, struct vgc *v, const struct vg_restic_path *rp)
{
	bool v2 = strstr(x->req->accept, GW_RESTIC_V2) != NULL;
	char name[VG_RESTIC_ID_LEN + 1], item[VG_RESTIC_ID_LEN + 48];
	struct vg_msg m;
	struct vg_wr *w;
	uint64_t size;
	bool first = true;
	int r, n;

	w = vgc_req(v, VG_OP_RESTIC_LIST);
	add_target(x, w, rp);
	vg_msgb_str(w, VG_TAG_KIND, vg_restic_type_name(rp->type));
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (gw_reply_begin(x, 200, v2 ? GW_RESTIC_V2 : GW_RESTIC_V1, -1, NULL) ||
	    gw_reply_data(x, "[", 1)) {
		x->link_bad = true;
		return;
	}
	while ((r = vgc_stream_next(v, &m)) == 1) {
		if (m.type != VG_F_ROW || vg_msg_str(&m, VG_TAG_NAME, name, sizeof(name)) ||
		    vg_restic_id_check(name) ||
		    (v2 && vg_msg_u64(&m, VG_TAG_SIZE, &size))) {
			r = VG_EPROTO;
			x->link_bad = true;
			break;
		}
		if (v2)
			n = snprintf(item, sizeof(item), "%s{\"name\":\"%s\",\"size\":%llu}",
				first ? "" : ",", name, (unsigned long long)size);
		else
			n = snprintf(item, sizeof(item), "%s\"%s\"", first ? "" : ",", name);
		first = false;
		if (gw_reply_data(x, item, (size_t)n)) {
			x->link_bad = true;  /* the rows keep coming */
			return;
		}
	}
	if (r) {
		/* Cut: a truncated chunked body is an error the client sees. */
		if (gw_link_failed(v, r))
			x->link_bad = true;
		x->aborted = true;
		gw_metrics_add(GW_C_STREAM_ABORT, 1);
		return;
	}
	if (gw_reply_data(x, "]", 1) == 0)
		gw_reply_end(x);
}

void gw_restic_handle(struct gw_rctx *x)
{
	struct vg_restic_path rp;
	enum gw_method mt = x->req->method;
	char create[16];
	struct vgc *v;
	int r;

	r = vg_restic_path_parse(x->req->path, &rp);
	x->route = GW_R_OTHER;
	if (r == VG_ENOTFOUND) {
		gw_reply_error(x, 404, "not-found", "no such restic file type");
		return;
	}
	if (r) {
		gw_reply_error(x, 400, "bad-name", "path outside the restic grammar");
		return;
	}
	switch (rp.kind) {
	case VG_RP_ROOT:
		x->route = GW_R_RESTIC_CREATE;
		if (mt != GW_M_POST) {
			gw_reply_405(x, "POST");
			return;
		}
		if (gw_query_get(x->req->query, "create", create, sizeof(create)) != 1 ||
		    strcmp(create, "true") != 0) {
			gw_reply_error(x, 400, "invalid", "POST on a repository needs ?create=true");
			return;
		}
		break;
	case VG_RP_LIST:
		x->route = GW_R_RESTIC_LIST;
		if (mt != GW_M_GET) {
			gw_reply_405(x, "GET");
			return;
		}
		break;
	case VG_RP_CONFIG:
	case VG_RP_FILE:
		x->route = rp.kind == VG_RP_CONFIG ? GW_R_RESTIC_CONFIG : GW_R_RESTIC_FILE;
		if (mt != GW_M_GET && mt != GW_M_HEAD && mt != GW_M_POST && mt != GW_M_DELETE) {
			gw_reply_405(x, "GET, HEAD, POST, DELETE");
			return;
		}
		break;
	}
	if (mt == GW_M_POST && rp.kind != VG_RP_ROOT) {
		if (x->req->body == GW_BODY_LENGTH &&
		    x->req->content_length > x->srv->cfg->max_body_restic) {
			gw_reply_error(x, 413, "too-big", "a restic file may be at most %llu bytes",
				(unsigned long long)x->srv->cfg->max_body_restic);
			return;
		}
	} else if (gw_no_body(x)) {
		return;
	}
	if (gw_vaultd_open(x, &v))
		return;
	switch (rp.kind) {
	case VG_RP_ROOT:
		op_create(x, v, &rp);
		break;
	case VG_RP_LIST:
		op_list(x, v, &rp);
		break;
	case VG_RP_CONFIG:
	case VG_RP_FILE:
		if (mt == GW_M_HEAD || mt == GW_M_GET)
			op_fetch(x, v, &rp);
		else if (mt == GW_M_POST)
			op_put(x, v, &rp);
		else
			op_delete(x, v, &rp);
		break;
	}
	gw_vaultd_close(x, v);
}
