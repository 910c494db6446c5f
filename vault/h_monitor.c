/* h_monitor.c - vaultd request handlers for keys and monitoring: moving a
 * vault's key, /metrics, reports, and the alert outbox that vaultnotify
 * drains; plus the job bookkeeping shared by the data-path handlers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "anchor.h"
#include "clock.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "firewall.h"
#include "quota.h"
#include "running.h"
#include "server_int.h"
#include "stats.h"
#include "vg_err.h"

#define REPORT_DEFAULT_DAYS 30

/* ---- shared by the data path ----------------------------------------------------- */

const char *key_detail(struct conn *k, const char *vault, char *buf, size_t n)
{
	char why[300];

	vcore_key_why(k->c, vault, why, sizeof(why));
	snprintf(buf, n, "key unavailable: %s", *why ? why : "the vault's key cannot be used");
	return buf;
}

int send_key_err(struct conn *k, const char *what, const char *vault)
{
	char why[300];

	vcore_key_why(k->c, vault, why, sizeof(why));
	return send_err(k, VG_EKEY, "%s: key unavailable: %s", what,
		*why ? why : "the vault's key cannot be used");
}

void job_begin(struct conn *k, uint8_t kind, const char *vault, const char *item, uint64_t point)
{
	k->job.active = true;
	k->job.kind = kind;
	if (k->run < 0)
		k->run = vrun_begin(kind == VR_JOB_RESTORE ? "restore" : "backup", vault, item, NULL,
			k->who.principal, 0);
	k->job.point = point;
	snprintf(k->job.vault, sizeof(k->job.vault), "%s", vault);
	snprintf(k->job.item, sizeof(k->job.item), "%s", item);
}

void job_done(struct conn *k, int r, uint64_t bytes, const char *detail)
{
	int e;

	if (!k->job.active)
		return;
	k->job.active = false;
	if (r == 0 && k->job.kind == VR_JOB_RESTORE)
		e = vjob_restored(k->c, &k->who, k->job.vault, k->job.item, k->job.point, bytes,
			detail);
	else if (r && vjob_is_failure(r))
		e = vjob_failed(k->c, &k->who, k->job.vault, k->job.item, k->job.kind, k->job.point,
			detail && *detail ? detail : vg_strerror(r));
	else
		return;
	if (e)
		log_warnx("job record for %s/%s: %s", k->job.vault, k->job.item, vg_strerror(e));
}

struct run_scope {
	struct conn *k;
	int err;
};

/* A running job is shown to whoever may view its vault (no audit entry
 * for the rows left out: listing is not a refused request), to local
 * root and auditors, and always to the principal that runs it. */
static int running_row(void *arg, const struct vrun_job *j)
{
	struct run_scope *sc = arg;
	struct conn *k = sc->k;
	struct vg_wr *w;
	char id[24];

	if (!vauth_sees_all(&k->who) && strcmp(j->principal, k->who.principal) != 0 &&
	    (strcmp(j->vault, "*") == 0 ||
	     vauth_authorize(k->c, &k->who, j->vault, NULL, VP_VIEW, NULL, 0)))
		return 0;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)j->id);
	w = row(k);
	vg_msgb_str(w, VG_TAG_ID, id);
	vg_msgb_str(w, VG_TAG_KIND, j->kind);
	vg_msgb_str(w, VG_TAG_VAULT, j->vault);
	vg_msgb_str(w, VG_TAG_ITEM, j->item);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, j->principal);
	vg_msgb_u64(w, VG_TAG_SIZE, j->done);
	vg_msgb_u64(w, VG_TAG_SIZE2, j->total);
	vg_msgb_u64(w, VG_TAG_TIME, j->started);
	return (sc->err = vg_send_frame(k->fd, w));
}

int h_job_running(struct conn *k, const struct vg_msg *m)
{
	struct run_scope sc = {.k = k};
	int r;

	(void)m;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vrun_each(running_row, &sc);
	if (sc.err)
		return sc.err;
	return end_stream(k, r);
}

/* VG_OP_FIREWALL: the firewall as vaultnet reads it (firewall.h), for
 * those who see the appliance as a whole: local root, auditors, monitors
 * and vault Owners. Others are refused, and the refusal audited. */
int h_firewall(struct conn *k, const struct vg_msg *m)
{
	char what[16] = "", src[64] = "", port[16] = "", *out = NULL;
	size_t len = 0;
	int r, st = 0, ps;
	struct vg_wr *w;

	if (!vauth_sees_all(&k->who) && k->who.kind != VR_K_MONITOR && !vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "firewall.view", "-", VG_EDENIED,
			"the firewall is for local root, auditors, monitors and vault Owners");
		return send_err(k, VG_EDENIED, "the firewall is for local root, auditors, monitors and "
			"vault Owners");
	}
	if (vg_msg_str(m, VG_TAG_KIND, what, sizeof(what)))
		return send_err(k, VG_EINVAL, "firewall: show, verify, export or explain");
	(void)vg_msg_str(m, VG_TAG_VALUE, src, sizeof(src));
	ps = vg_msg_str(m, VG_TAG_NAME, port, sizeof(port));
	r = vfw_run(what, *src ? src : NULL, ps == 0 && *port ? port : NULL, &out, &len, &st);
	if (r == VG_EBADSTATE)
		return send_err(k, r, "the firewall is not known here: vaultd runs without "
			"--vaultnet-config");
	if (r == VG_EINVAL)
		return send_err(k, r, "firewall %s: expected show, verify, export, or explain with an "
			"IPv4/IPv6 source and a port (1-65535) or ping", what);
	if (r)
		return send_err(k, r, "firewall %s: vaultnet did not answer: %s", what, vg_strerror(r));
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_COUNT, (uint64_t)st);
	vg_msgb_u64(w, VG_TAG_SIZE, len);
	if ((r = vg_send_frame(k->fd, w)))
		goto out;
	for (size_t off = 0; off < len && !r;) {
		uint32_t chunk = len - off > VG_WIRE_MAX_DATA ? VG_WIRE_MAX_DATA : (uint32_t)(len - off);
		r = vg_send_data(k->fd, k->reqid, out + off, chunk);
		off += chunk;
	}
	if (!r)
		r = end_stream(k, 0);
out:
	free(out);
	return r;
}

static bool monitor(const struct conn *k)
{
	return k->who.root || k->who.kind == VR_K_MONITOR;
}

static int refuse_monitor(struct conn *k, const char *op)
{
	audit_refusal(k, op, "-", VG_EDENIED, "only local root or a monitor principal");
	return send_err(k, VG_EDENIED, "%s is for local root and monitor principals", op);
}

/* ---- keys ----------------------------------------------------------------------------- */

int h_vault_key(struct conn *k, const struct vg_msg *m)
{
	char kind[16], label[VK_P11_LABEL_MAX + 2] = "", why[600] = "", ref[128];
	struct args a;
	struct vg_wr *w;
	bool cmk;
	int r;

	if (get_args(m, A_VAULT, &a) || vg_msg_str(m, VG_TAG_KIND, kind, sizeof(kind)))
		return send_err(k, VG_EINVAL, "vault.key needs a vault and a key kind (cmk or platform)");
	cmk = strcmp(kind, "cmk") == 0;
	if (!cmk && strcmp(kind, "platform") != 0)
		return send_err(k, VG_EINVAL, "vault.key: key kind %s: expected cmk or platform", kind);
	if (cmk && vg_msg_str(m, VG_TAG_NAME, label, sizeof(label)))
		return send_err(k, VG_EINVAL, "vault.key cmk needs the key's label in the token");
	if ((r = need(k, "vault.key", a.vault, NULL, VP_SECURITY)))
		return r < 0 ? r : 0;
	if ((r = vcore_vault_key(k->c, &k->who, a.vault, cmk, label, ref, why, sizeof(why)))) {
		audit_refusal(k, "vault.key", a.vault, r, *why ? why : NULL);
		if (r == VG_EKEY && *why)
			return send_err(k, r, "key unavailable: %s", why);
		return send_err(k, r, "%s", *why ? why : vg_strerror(r));
	}
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_KIND, ref);
	return vg_send_frame(k->fd, w);
}

/* ---- /metrics ---------------------------------------------------------------------------- */

int h_metrics(struct conn *k, const struct vg_msg *m)
{
	struct vg_wr body;
	struct vg_wr *w;
	int r;

	(void)m;
	if (!monitor(k))
		return refuse_monitor(k, "metrics");
	vg_wr_init(&body, 64u << 20);
	if ((r = vmetrics_render(k->c, &body))) {
		vg_wr_free(&body);
		return send_err(k, r, "metrics: %s", vg_strerror(r));
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SIZE, body.len);
	if ((r = vg_send_frame(k->fd, w)))
		goto out;
	for (size_t off = 0; off < body.len;) {
		uint32_t n = body.len - off > VG_WIRE_MAX_DATA ? VG_WIRE_MAX_DATA : (uint32_t)(body.len - off);
		if ((r = vg_send_data(k->fd, k->reqid, body.p + off, n)))
			goto out;
		off += n;
	}
	r = end_stream(k, 0);
out:
	vg_wr_free(&body);
	return r;
}

/* ---- reports ------------------------------------------------------------------------------- */

struct report {
	struct conn *k;
	const struct vstats *st;
	bool *visible;            /* per vault */
};

static int vault_visible(struct report *rp, const char *vault)
{
	for (size_t i = 0; i < rp->st->nvaults; i++)
		if (strcmp(rp->st->vaults[i].name, vault) == 0)
			return rp->visible[i];
	return 0;
}

static int job_row_cb(void *arg, const struct vr_job *j)
{
	struct report *rp = arg;
	struct vg_wr *w;
	char ps[17] = "";

	if (!vault_visible(rp, j->vault))
		return 0;
	if (j->point)
		vcore_point_str(j->point, ps);
	w = row(rp->k);
	vg_msgb_str(w, VG_TAG_KIND, "job");
	vg_msgb_str(w, VG_TAG_VAULT, j->vault);
	vg_msgb_str(w, VG_TAG_ITEM, j->item);
	vg_msgb_u64(w, VG_TAG_TIME, j->time);
	vg_msgb_str(w, VG_TAG_NAME, vr_job_kind_name(j->kind));
	vg_msgb_str(w, VG_TAG_RESULT, j->result == VR_JOB_OK ? "ok" : "failed");
	vg_msgb_u64(w, VG_TAG_SIZE, j->bytes);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	vg_msgb_str(w, VG_TAG_DETAIL, j->detail);
	return vg_send_frame(rp->k->fd, w);
}

static int report_rows(struct report *rp)
{
	const struct vstats *st = rp->st;
	struct conn *k = rp->k;
	struct vg_wr *w;
	char d[400], ps[17];
	int r;

	for (size_t i = 0; i < st->nvaults; i++) {
		const struct vr_vault *v = &st->vaults[i].v;
		if (!rp->visible[i])
			continue;
		w = row(k);
		vg_msgb_str(w, VG_TAG_KIND, "vault");
		vg_msgb_str(w, VG_TAG_VAULT, st->vaults[i].name);
		vg_msgb_str(w, VG_TAG_STATE, v->state == VR_V_ACTIVE ? "active" : "soft-deleted");
		snprintf(d, sizeof(d), "key=%s encryption=%s key-state=%s", v->keyref,
			v->infra ? "double" : "single", vcore_key_sealed(k->c, v->id) ? "sealed" : "ok");
		vquota_report_detail(k->c, 'v', v->id, d, sizeof(d));
		vg_msgb_str(w, VG_TAG_DETAIL, d);
		if ((r = vg_send_frame(k->fd, w)))
			return r;
	}
	for (size_t j = 0; j < st->nitems; j++) {
		const struct vstats_item *it = &st->items[j];
		if (!rp->visible[it->vault])
			continue;
		w = row(k);
		vg_msgb_str(w, VG_TAG_KIND, "item");
		vg_msgb_str(w, VG_TAG_VAULT, st->vaults[it->vault].name);
		vg_msgb_str(w, VG_TAG_ITEM, it->name);
		vg_msgb_str(w, VG_TAG_STATE, vr_item_state_name(it->it.state));
		vg_msgb_u64(w, VG_TAG_COUNT, it->points);
		vg_msgb_u64(w, VG_TAG_SIZE, it->stored);
		vg_msgb_u64(w, VG_TAG_SIZE2, it->soft_deleted);
		vg_msgb_u64(w, VG_TAG_TIME, it->it.last_success);
		vg_msgb_u64(w, VG_TAG_TIME2, it->it.last_failure);
		snprintf(d, sizeof(d), "kind=%s purge_at=%llu", it->it.kind,
			(unsigned long long)(it->it.state == VR_I_SOFTDELETED ? it->it.purge_at :
				st->vaults[it->vault].v.state != VR_V_ACTIVE ?
				st->vaults[it->vault].v.purge_at : 0));
		vquota_report_detail(k->c, 'i', it->it.id, d, sizeof(d));
		vg_msgb_str(w, VG_TAG_DETAIL, d);
		if ((r = vg_send_frame(k->fd, w)))
			return r;
	}
	for (size_t j = 0; j < st->npoints; j++) {
		const struct vstats_point *sp = &st->points[j];
		const struct vstats_item *it = &st->items[sp->item];
		if (!rp->visible[it->vault])
			continue;
		vcore_point_str(sp->p.id, ps);
		w = row(k);
		vg_msgb_str(w, VG_TAG_KIND, "point");
		vg_msgb_str(w, VG_TAG_VAULT, st->vaults[it->vault].name);
		vg_msgb_str(w, VG_TAG_ITEM, it->name);
		vg_msgb_str(w, VG_TAG_POINT, ps);
		vg_msgb_str(w, VG_TAG_STATE, vr_point_state_name(sp->p.state));
		vg_msgb_u64(w, VG_TAG_TIME, sp->p.committed);
		vg_msgb_u64(w, VG_TAG_SIZE, sp->p.bytes);
		vg_msgb_u64(w, VG_TAG_TIME2, sp->p.state == VR_P_SOFTDELETED ? sp->p.purge_at : sp->p.expiry);
		if ((r = vg_send_frame(k->fd, w)))
			return r;
	}
	return 0;
}

int h_report(struct conn *k, const struct vg_msg *m)
{
	char vault[VG_VAULT_NAME_MAX + 1], why[8];
	struct report rp = {.k = k};
	struct vstats st;
	struct vg_wr *w;
	uint64_t since, now = vault_now();
	int r, one = vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)) == 0;

	if (vg_msg_u64(m, VG_TAG_TIME, &since))
		since = now > REPORT_DEFAULT_DAYS * 86400ull ? now - REPORT_DEFAULT_DAYS * 86400ull : 0;
	if (k->who.kind == VR_K_AGENT && !k->who.root) {
		/* Reports cover whole vaults; an agent sees only its own items. */
		audit_refusal(k, "report", one ? vault : "-", VG_EDENIED, "agents get no reports");
		return send_err(k, VG_EDENIED, "report: agents see their own items only (item list, points)");
	}
	if (one && !vauth_sees_all(&k->who) && (r = need(k, "report", vault, NULL, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vstats_collect(k->c, one ? vault : NULL, true, &st)))
		return send_err(k, r, "report: %s", vg_strerror(r));
	if (one && st.nvaults == 0) {
		vstats_free(&st);
		return send_err(k, VG_ENOTFOUND, "vault %s: %s", vault, vg_strerror(VG_ENOTFOUND));
	}
	rp.st = &st;
	if (!(rp.visible = calloc(st.nvaults ? st.nvaults : 1, sizeof(bool)))) {
		vstats_free(&st);
		return send_err(k, -ENOMEM, NULL);
	}
	for (size_t i = 0; i < st.nvaults; i++)
		rp.visible[i] = vauth_sees_all(&k->who) ||
			vauth_authorize(k->c, &k->who, st.vaults[i].name, NULL, VP_VIEW, why,
				sizeof(why)) == 0;
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_TIME, now);
	if (!(r = vg_send_frame(k->fd, w)) && !(r = report_rows(&rp)))
		r = vjob_list(k->c, since, job_row_cb, &rp);
	free(rp.visible);
	vstats_free(&st);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

/* ---- audit anchors (anchor.h) ------------------------------------------------------------- */

int h_audit_anchor(struct conn *k, const struct vg_msg *m)
{
	char line[VANCHOR_LINE_MAX], why[200] = "";
	struct vg_wr *w;
	int r;

	(void)m;
	if (!vauth_sees_all(&k->who) && !vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "audit.anchor", "audit", VG_EDENIED, "local root, auditors and vault Owners");
		return send_err(k, VG_EDENIED, "audit anchors are for local root, auditors and vault Owners");
	}
	if ((r = vanchor_send(k->c, line, why, sizeof(why))))
		return send_err(k, r, "audit anchor: %s", *why ? why : vg_strerror(r));
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_DETAIL, line);
	return vg_send_frame(k->fd, w);
}

/* ---- the alert outbox ------------------------------------------------------------------- */

int h_notify_next(struct conn *k, const struct vg_msg *m)
{
	struct vr_alert a;
	struct vg_wr *w;
	int r;

	(void)m;
	if (!monitor(k))
		return refuse_monitor(k, "notify.next");
	if ((r = valert_outbox_next(k->c, &a)))
		return send_err(k, r, "%s", r == VG_ENOTFOUND ? "the alert outbox is empty" :
			vg_strerror(r));
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SEQ, a.seq);
	vg_msgb_u64(w, VG_TAG_TIME, a.time);
	vg_msgb_str(w, VG_TAG_NAME, a.name);
	vg_msgb_str(w, VG_TAG_STATE, a.severity);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, a.principal);
	vg_msgb_str(w, VG_TAG_VAULT, a.vault);
	vg_msgb_str(w, VG_TAG_TARGET, a.target);
	vg_msgb_str(w, VG_TAG_DETAIL, a.detail);
	vg_msgb_str(w, VG_TAG_ID, k->c->instance);
	return vg_send_frame(k->fd, w);
}

int h_notify_ack(struct conn *k, const struct vg_msg *m)
{
	uint64_t seq;
	int r;

	if (!monitor(k))
		return refuse_monitor(k, "notify.ack");
	if (vg_msg_u64(m, VG_TAG_SEQ, &seq))
		return send_err(k, VG_EINVAL, "notify.ack needs the alert's SEQ");
	if ((r = valert_outbox_ack(k->c, seq)))
		return send_err(k, r, "alert %llu: %s", (unsigned long long)seq,
			r == VG_ENOTFOUND ? "not in the outbox (already acknowledged?)" : vg_strerror(r));
	return vg_send_frame(k->fd, resp_ok(k));
}
