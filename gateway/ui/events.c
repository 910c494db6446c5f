/* events.c - alerts (ALERT_LIST: severity and vault filters, newest first)
 * and the audit log (AUDIT_EXPORT with VG_AUDIT_EXPORT_VIEW, so vaultd
 * records each view as audit.view, and AUDIT_VERIFY for the chain's
 * state). vaultd decides who sees what: a vault's Owners its entries,
 * local root and auditors the whole chain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "ui_int.h"
#include "vg_err.h"

#define SHOW_MAX 500

static const char *const severities[] = {"critical", "error", "warning", "info"};

struct alert {
	uint64_t seq, time;
	char name[64], severity[16], principal[VG_PRINCIPAL_NAME_MAX + 1],
		vault[VG_VAULT_NAME_MAX + 1], target[300], detail[400];
};

struct alerts {
	struct alert *a;
	size_t n, cap, total;
	const char *sev;
};

static int alert_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct alerts *l = arg;
	struct alert a;

	(void)u;
	memset(&a, 0, sizeof(a));
	ui_str(m, VG_TAG_STATE, a.severity, sizeof(a.severity));
	if (*l->sev && strcmp(a.severity, l->sev) != 0)
		return 0;
	a.seq = ui_u64(m, VG_TAG_SEQ);
	a.time = ui_u64(m, VG_TAG_TIME);
	ui_str(m, VG_TAG_NAME, a.name, sizeof(a.name));
	ui_str(m, VG_TAG_PRINCIPAL, a.principal, sizeof(a.principal));
	ui_str(m, VG_TAG_VAULT, a.vault, sizeof(a.vault));
	ui_str(m, VG_TAG_TARGET, a.target, sizeof(a.target));
	ui_str(m, VG_TAG_DETAIL, a.detail, sizeof(a.detail));
	l->total++;
	/* a ring of the newest SHOW_MAX */
	if (l->n < SHOW_MAX) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;
			struct alert *p = realloc(l->a, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			l->a = p;
			l->cap = cap;
		}
		l->a[l->n++] = a;
	} else {
		memmove(l->a, l->a + 1, (SHOW_MAX - 1) * sizeof(*l->a));
		l->a[SHOW_MAX - 1] = a;
	}
	return 0;
}

static const char *sev_class(const char *s)
{
	return strcmp(s, "critical") == 0 ? "t-bad" : strcmp(s, "error") == 0 ? "t-bad" :
	       strcmp(s, "warning") == 0 ? "t-warn" : "t-info";
}

void ui_page_alerts(struct ui_ctx *u)
{
	struct alerts l = {0};
	char sev[16] = "", vault[VG_VAULT_NAME_MAX + 1];
	struct vg_wr *w;
	int r;

	if (gw_query_get(u->x->req->query, "severity", sev, sizeof(sev)) == 1) {
		bool ok = false;
		for (size_t i = 0; i < 4; i++)
			ok |= strcmp(sev, severities[i]) == 0;
		if (!ok)
			sev[0] = 0;
	} else {
		sev[0] = 0;
	}
	ui_query_name(u->x, "vault", vault, sizeof(vault));
	l.sev = sev;
	ui_begin(u, "Alerts", UI_N_ALERTS);
	ui_raw(&u->b, "<form class=\"filter\" method=\"get\" action=\"/ui/alerts\"><label>Severity "
		"<select name=\"severity\"><option value=\"\">all</option>");
	for (size_t i = 0; i < 4; i++)
		ui_put(&u->b, strcmp(sev, severities[i]) == 0 ?
			"<option selected value=\"%s\">%s</option>" : "<option value=\"%s\">%s</option>",
			severities[i], severities[i]);
	ui_put(&u->b, "</select></label><label>Vault <input name=\"vault\" value=\"%s\" "
		"maxlength=\"64\"></label><button type=\"submit\">Filter</button></form>\n", vault);
	w = vgc_req(u->v, VG_OP_ALERT_LIST);
	if (*vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	r = ui_rows(u, alert_cb, &l);
	if (r) {
		ui_error_box(u, "alerts", r);
	} else {
		ui_put(&u->b, "<p class=\"muted\">%u alert(s)%s; newest first, at most %u shown.</p>\n",
			(uint64_t)l.total, *sev ? " of that severity" : "", (uint64_t)SHOW_MAX);
		ui_raw(&u->b, "<table id=\"alerts\"><tr><th>#</th><th>time</th><th>severity</th>"
			"<th>alert</th><th>vault</th><th>target</th><th>by</th><th>detail</th></tr>\n");
		for (size_t i = l.n; i-- > 0;) {
			struct alert *a = &l.a[i];
			ui_put(&u->b, "<tr><td class=\"n\">%u</td><td>%t</td><td><span class=\"tag ",
				a->seq, a->time);
			ui_raw(&u->b, sev_class(a->severity));
			ui_put(&u->b, "\">%s</span></td><td><b>%s</b></td><td>%s</td><td class=\"mono\">%s"
				"</td><td>%s</td><td>%s</td></tr>\n", a->severity, a->name, a->vault,
				a->target, a->principal, a->detail);
		}
		ui_raw(&u->b, "</table>\n");
	}
	free(l.a);
	ui_end(u);
}

/* ---- the audit log ------------------------------------------------------------------------------ */

struct entry {
	uint64_t seq, time;
	char principal[VG_PRINCIPAL_NAME_MAX + 1], op[64], target[300], result[24], reason[300],
		peer[64];
};

struct entries {
	struct entry *e;
	size_t n, total;
};

static int entry_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct entries *l = arg;
	struct entry e;

	(void)u;
	memset(&e, 0, sizeof(e));
	e.seq = ui_u64(m, VG_TAG_SEQ);
	e.time = ui_u64(m, VG_TAG_TIME);
	ui_str(m, VG_TAG_PRINCIPAL, e.principal, sizeof(e.principal));
	ui_str(m, VG_TAG_OPNAME, e.op, sizeof(e.op));
	ui_str(m, VG_TAG_TARGET, e.target, sizeof(e.target));
	ui_str(m, VG_TAG_RESULT, e.result, sizeof(e.result));
	ui_str(m, VG_TAG_REASON, e.reason, sizeof(e.reason));
	ui_str(m, VG_TAG_PEER, e.peer, sizeof(e.peer));
	l->total++;
	if (l->n < SHOW_MAX) {
		l->e[l->n++] = e;
	} else {
		memmove(l->e, l->e + 1, (SHOW_MAX - 1) * sizeof(*l->e));
		l->e[SHOW_MAX - 1] = e;
	}
	return 0;
}

static int owned_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	char v[VG_VAULT_NAME_MAX + 1];

	(void)arg;
	ui_str(m, VG_TAG_VAULT, v, sizeof(v));
	ui_put(&u->b, "<li><a href=\"/ui/audit?vault=%s\">%s</a></li>", v, v);
	return 0;
}

void ui_page_audit(struct ui_ctx *u)
{
	struct entries l = {0};
	char vault[VG_VAULT_NAME_MAX + 1];
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	ui_query_name(u->x, "vault", vault, sizeof(vault));
	ui_begin(u, *vault ? "Audit log of a vault" : "Audit log", UI_N_AUDIT);
	/* The chain's state first: what an auditor reads before any entry. */
	vgc_req(u->v, VG_OP_AUDIT_VERIFY);
	r = vgc_call(u->v, &m);
	if (r == 0) {
		char d[300] = "";
		ui_str(&m, VG_TAG_DETAIL, d, sizeof(d));
		ui_put(&u->b, "<p id=\"chain\" class=\"chain ok\"><span class=\"tag t-ok\">chain intact"
			"</span> %u entries verify (HMAC-SHA-256 chain)%s%s</p>\n",
			ui_u64(&m, VG_TAG_COUNT), *d ? ": " : "", d);
	} else if (r == VG_EINTEGRITY) {
		ui_put(&u->b, "<p id=\"chain\" class=\"chain bad\"><span class=\"tag t-bad\">chain BROKEN"
			"</span> at entry %u: %s</p>\n", ui_u64(&m, VG_TAG_SEQ), vgc_errmsg(u->v));
	} else {
		ui_put(&u->b, "<p id=\"chain\" class=\"chain\"><span class=\"tag t-warn\">not verified"
			"</span> %s</p>\n", *vgc_errmsg(u->v) ? vgc_errmsg(u->v) : vg_strerror(r));
	}
	ui_raw(&u->b, "<form class=\"filter\" method=\"get\" action=\"/ui/audit\"><label>Vault "
		"<input name=\"vault\" maxlength=\"64\" value=\"");
	ui_esc(&u->b, vault);
	ui_raw(&u->b, "\"></label><button type=\"submit\">Show</button></form>\n"
		"<p class=\"muted\">A vault's entries are for its Owners; the whole chain for local "
		"root and auditors. vaultd records every view (audit.view).</p>\n");
	/* The whole chain is for local root and auditors: anyone else picks
 * one of their vaults first (asking vaultd for the whole chain would
 * only add a refusal to the log at every click). */
	if (!*vault && strcmp(u->kind, "auditor") != 0) {
		ui_raw(&u->b, "<p>Choose a vault (its entries are for its Owners):</p><ul id=\"vaults\">");
		vgc_req(u->v, VG_OP_VAULT_LIST);
		if ((r = ui_rows(u, owned_cb, NULL)))
			ui_error_box(u, "vaults", r);
		ui_raw(&u->b, "</ul>\n");
		ui_end(u);
		return;
	}
	if (!(l.e = calloc(SHOW_MAX, sizeof(*l.e)))) {
		u->b.err = true;
		ui_end(u);
		return;
	}
	w = vgc_req(u->v, VG_OP_AUDIT_EXPORT);
	if (*vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_u32(w, VG_TAG_FLAGS, VG_AUDIT_EXPORT_VIEW);
	r = ui_rows(u, entry_cb, &l);
	if (r) {
		ui_error_box(u, *vault ? vault : "the whole chain", r);
		ui_raw(&u->b, "<p>Vaults you may view:</p><ul>");
		vgc_req(u->v, VG_OP_VAULT_LIST);
		(void)ui_rows(u, owned_cb, NULL);
		ui_raw(&u->b, "</ul>\n");
	} else {
		ui_put(&u->b, "<p class=\"muted\">%u entries; newest first, at most %u shown.</p>\n",
			(uint64_t)l.total, (uint64_t)SHOW_MAX);
		ui_raw(&u->b, "<table id=\"audit\"><tr><th>#</th><th>time</th><th>principal</th>"
			"<th>operation</th><th>target</th><th>result</th><th>reason</th><th>from</th></tr>\n");
		for (size_t i = l.n; i-- > 0;) {
			struct entry *e = &l.e[i];
			ui_put(&u->b, "<tr><td class=\"n\">%u</td><td>%t</td><td>%s</td><td><b>%s</b></td>"
				"<td class=\"mono\">%s</td><td>", e->seq, e->time, e->principal, e->op,
				e->target);
			ui_raw(&u->b, strcmp(e->result, "ok") == 0 ? "<span class=\"tag t-ok\">" :
				"<span class=\"tag t-bad\">");
			ui_put(&u->b, "%s</span></td><td>%s</td><td>%s</td></tr>\n", e->result, e->reason,
				e->peer);
		}
		ui_raw(&u->b, "</table>\n");
	}
	free(l.e);
	ui_end(u);
}
