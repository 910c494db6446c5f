/* vaults.c - the console's vault pages: every vault the principal may view
 * with its security settings, pending weakening changes and quota
 * (VAULT_LIST, PENDING_LIST, REPORT); one vault's items with last success
 * and failure, points and stored bytes (VAULT_GET, REPORT); one item's
 * recovery points with their expiry (POINT_LIST). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui_int.h"
#include "vg_err.h"

/* key=value out of a vaultd DETAIL string ("" when absent). */
static void kv(const char *s, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	out[0] = 0;
	for (const char *p = s; p && *p; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, " ");
			if (l >= n)
				l = n - 1;
			memcpy(out, p + kl + 1, l);
			out[l] = 0;
			return;
		}
	}
}

static uint64_t kvu(const char *s, const char *key)
{
	char b[24];

	kv(s, key, b, sizeof(b));
	return strtoull(b, NULL, 10);
}

/* A tag: cls is a literal of this file, text is escaped. */
static void tag(struct ui_buf *b, const char *cls, const char *text)
{
	ui_raw(b, "<span class=\"tag ");
	ui_raw(b, cls);
	ui_put(b, "\">%s</span>", text);
}

static void settings_cells(struct ui_buf *b, const char *d)
{
	char sd[32], imm[32], guard[80], key[160], ks[16], enc[16];
	char *slash;

	kv(d, "soft-delete", sd, sizeof(sd));
	kv(d, "immutability", imm, sizeof(imm));
	kv(d, "guard", guard, sizeof(guard));
	kv(d, "key", key, sizeof(key));
	kv(d, "key-state", ks, sizeof(ks));
	kv(d, "encryption", enc, sizeof(enc));
	slash = strchr(sd, '/');
	if (slash)
		*slash++ = 0;
	ui_raw(b, "<td>");
	tag(b, strcmp(sd, "off") == 0 ? "t-bad" : "t-ok", sd);
	if (slash)
		ui_put(b, " <small>%s</small>", slash);
	ui_raw(b, "</td><td>");
	tag(b, strcmp(imm, "locked") == 0 ? "t-ok" : strcmp(imm, "enabled") == 0 ? "t-info" : "t-warn",
		imm);
	ui_raw(b, "</td><td>");
	if (strcmp(guard, "-") == 0 || !*guard)
		tag(b, "t-warn", "none");
	else
		tag(b, "t-ok", guard);
	ui_raw(b, "</td><td>");
	tag(b, strcmp(ks, "ok") == 0 ? "t-info" : "t-bad", strcmp(ks, "ok") != 0 ? "key unavailable" :
		strncmp(key, "pkcs11:", 7) == 0 ? "customer-managed" : "platform");
	if (strcmp(enc, "double") == 0)
		ui_raw(b, " <small>double encryption</small>");
	ui_put(b, "<br><small class=\"mono\">%s</small></td>", key);
}

/* ---- every vault ------------------------------------------------------------------------------ */

struct vrow {
	char name[VG_VAULT_NAME_MAX + 1], state[24], detail[512];
	uint64_t quota, used, items, pending;
};

struct vlist {
	struct vrow *v;
	size_t n, cap;
	/* what needs attention first (3 a.m.): failing or missed items,
	 * sealed keys, critical alerts of the last day */
	uint64_t failing, missed, never, sealed, critical, pending;
	char first_failing[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 2];
	char first_missed[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 2];
};

static int vault_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct vlist *l = arg;
	struct vrow *r;

	(void)u;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct vrow *p = realloc(l->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	ui_str(m, VG_TAG_VAULT, r->name, sizeof(r->name));
	ui_str(m, VG_TAG_STATE, r->state, sizeof(r->state));
	ui_str(m, VG_TAG_DETAIL, r->detail, sizeof(r->detail));
	return 0;
}

static struct vrow *find_vault(struct vlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* REPORT's vault rows carry the quota, its item rows count items. */
static int report_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct vlist *l = arg;
	char kind[16], vault[VG_VAULT_NAME_MAX + 1], d[400];
	struct vrow *r;

	(void)u;
	ui_str(m, VG_TAG_KIND, kind, sizeof(kind));
	ui_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	if (!(r = find_vault(l, vault)))
		return 0;
	if (strcmp(kind, "vault") == 0) {
		char ks[16];
		ui_str(m, VG_TAG_DETAIL, d, sizeof(d));
		r->quota = kvu(d, "quota");
		r->used = kvu(d, "used");
		kv(d, "key-state", ks, sizeof(ks));
		if (*ks && strcmp(ks, "ok") != 0)
			l->sealed++;
	} else if (strcmp(kind, "item") == 0) {
		char item[VG_ITEM_NAME_MAX + 1], st[24];
		uint64_t ls = ui_u64(m, VG_TAG_TIME), lf = ui_u64(m, VG_TAG_TIME2);
		r->items++;
		ui_str(m, VG_TAG_ITEM, item, sizeof(item));
		ui_str(m, VG_TAG_STATE, st, sizeof(st));
		ui_str(m, VG_TAG_DETAIL, d, sizeof(d));
		if (strcmp(st, "protected") != 0)
			return 0;
		if (lf && lf >= ls && l->failing++ == 0)
			snprintf(l->first_failing, sizeof(l->first_failing), "%s/%s", vault, item);
		if (kvu(d, "missed") && l->missed++ == 0)
			snprintf(l->first_missed, sizeof(l->first_missed), "%s/%s", vault, item);
		if (!ls && !lf)
			l->never++;
	}
	return 0;
}

static int critical_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct vlist *l = arg;
	char sev[16];
	uint64_t now = (uint64_t)time(NULL), t = ui_u64(m, VG_TAG_TIME);

	(void)u;
	ui_str(m, VG_TAG_STATE, sev, sizeof(sev));
	if (strcmp(sev, "critical") == 0 && t + 86400 >= now)
		l->critical++;
	return 0;
}

/* The first thing on the first page: what needs someone now. */
static void attention(struct ui_ctx *u, const struct vlist *l)
{
	struct ui_buf *b = &u->b;
	bool any = l->failing || l->missed || l->sealed || l->critical || l->pending;

	ui_raw(b, any ? "<section id=\"attention\" class=\"attention bad\"><h2>Needs attention</h2><ul>" :
		"<section id=\"attention\" class=\"attention ok\"><h2>All clear</h2><ul>");
	if (l->critical)
		ui_put(b, "<li><a href=\"/ui/alerts?severity=critical\"><b>%u critical alert(s)</b></a> "
			"in the last 24 hours</li>", l->critical);
	if (l->sealed)
		ui_put(b, "<li><b>%u vault(s) with the key unavailable</b>: backups and restores fail "
			"until it returns</li>", l->sealed);
	if (l->failing)
		ui_put(b, "<li><b>%u item(s) whose last job failed</b>, first %s</li>", l->failing,
			l->first_failing);
	if (l->missed)
		ui_put(b, "<li><b>%u item(s) missed their expected backup</b>, first %s</li>", l->missed,
			l->first_missed);
	if (l->pending)
		ui_put(b, "<li><a href=\"#pending\">%u weakening change(s) pending</a> (cancel them if "
			"nobody meant them)</li>", l->pending);
	if (!any)
		ui_raw(b, "<li>No critical alert in the last 24 hours, every key available, no failed "
			"or missed backup, nothing pending.</li>");
	if (l->never)
		ui_put(b, "<li class=\"muted\">%u protected item(s) never backed up yet</li>", l->never);
	ui_raw(b, "</ul><p class=\"muted\"><a href=\"/ui/jobs\">Running jobs</a> &middot; "
		"<a href=\"/ui/firewall\">Firewall drift</a></p></section>\n");
}

struct pending_arg {
	struct vlist *l;
	bool table;                    /* render rows (else count) */
};

static int pending_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	struct pending_arg *pa = arg;
	char vault[VG_VAULT_NAME_MAX + 1], what[80], to[200], from[200], who[VG_PRINCIPAL_NAME_MAX + 1];
	struct vrow *r;

	ui_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	if (!pa->table) {
		if (pa->l && (r = find_vault(pa->l, vault)))
			r->pending++;
		return 0;
	}
	ui_str(m, VG_TAG_NAME, what, sizeof(what));
	ui_str(m, VG_TAG_VALUE, to, sizeof(to));
	ui_str(m, VG_TAG_REASON, from, sizeof(from));
	ui_str(m, VG_TAG_PRINCIPAL, who, sizeof(who));
	ui_put(&u->b, "<tr><td><a href=\"/ui/vaults/%s\">%s</a></td><td>%s</td><td>%s &rarr; "
		"<b>%s</b></td><td>%s</td><td>%t</td><td>%t</td></tr>\n", vault, vault, what, from, to,
		who, ui_u64(m, VG_TAG_TIME), ui_u64(m, VG_TAG_TIME2));
	return 0;
}

static void pending_table(struct ui_ctx *u, const char *vault)
{
	struct pending_arg pa = {.table = true};
	struct vg_wr *w = vgc_req(u->v, VG_OP_PENDING_LIST);
	int r;

	if (vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	ui_raw(&u->b, "<section id=\"pending\"><h2>Pending weakening changes</h2>"
		"<p class=\"muted\">Held for the vault's cooling-off; an Owner or guard approver can "
		"cancel them (vaultctl pending cancel).</p><table><tr><th>vault</th><th>change</th>"
		"<th>from &rarr; to</th><th>requested by</th><th>requested</th><th>takes effect</th></tr>\n");
	r = ui_rows(u, pending_cb, &pa);
	ui_raw(&u->b, "</table>");
	if (r)
		ui_error_box(u, "pending changes", r);
	ui_raw(&u->b, "</section>\n");
}

void ui_page_vaults(struct ui_ctx *u)
{
	struct vlist l = {0};
	struct pending_arg pa = {.l = &l};
	int r;

	ui_begin(u, "Vaults", UI_N_VAULTS);
	vgc_req(u->v, VG_OP_VAULT_LIST);
	if ((r = ui_rows(u, vault_cb, &l))) {
		ui_error_box(u, "vaults", r);
		goto out;
	}
	vgc_req(u->v, VG_OP_REPORT);
	(void)ui_rows(u, report_cb, &l);
	vgc_req(u->v, VG_OP_PENDING_LIST);
	(void)ui_rows(u, pending_cb, &pa);
	vgc_req(u->v, VG_OP_ALERT_LIST);
	(void)ui_rows(u, critical_cb, &l);
	for (size_t i = 0; i < l.n; i++)
		l.pending += l.v[i].pending;
	attention(u, &l);
	ui_put(&u->b, "<p class=\"muted\">%u vault(s) you may view.</p>\n", (uint64_t)l.n);
	ui_raw(&u->b, "<table id=\"vaults\"><tr><th>vault</th><th>state</th><th>soft delete</th>"
		"<th>immutability</th><th>guard (MUA)</th><th>key</th><th>pending changes</th>"
		"<th>quota</th><th>items</th></tr>\n");
	for (size_t i = 0; i < l.n; i++) {
		struct vrow *v = &l.v[i];
		ui_put(&u->b, "<tr><td><a href=\"/ui/vaults/%s\">%s</a></td><td>", v->name, v->name);
		tag(&u->b, strcmp(v->state, "active") == 0 ? "t-ok" : "t-warn", v->state);
		ui_raw(&u->b, "</td>");
		settings_cells(&u->b, v->detail);
		if (v->pending)
			ui_put(&u->b, "<td><a class=\"tag t-warn\" href=\"#pending\">%u pending</a></td>",
				v->pending);
		else
			ui_raw(&u->b, "<td><span class=\"muted\">none</span></td>");
		if (v->quota)
			ui_put(&u->b, "<td class=\"n\">%b of %b</td>", v->used, v->quota);
		else
			ui_raw(&u->b, "<td class=\"muted\">none</td>");
		ui_put(&u->b, "<td class=\"n\">%u</td></tr>\n", v->items);
	}
	ui_raw(&u->b, "</table>\n");
	pending_table(u, NULL);
out:
	free(l.v);
	ui_end(u);
}

/* ---- one vault: its items ---------------------------------------------------------------------- */

static int items_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	char kind[16], vault[VG_VAULT_NAME_MAX + 1], item[VG_ITEM_NAME_MAX + 1], state[24], d[400],
		ik[16];
	uint64_t ls, lf, quota, used, every, missed;

	(void)arg;
	ui_str(m, VG_TAG_KIND, kind, sizeof(kind));
	if (strcmp(kind, "item") != 0)
		return 0;
	ui_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	ui_str(m, VG_TAG_ITEM, item, sizeof(item));
	ui_str(m, VG_TAG_STATE, state, sizeof(state));
	ui_str(m, VG_TAG_DETAIL, d, sizeof(d));
	kv(d, "kind", ik, sizeof(ik));
	ls = ui_u64(m, VG_TAG_TIME);
	lf = ui_u64(m, VG_TAG_TIME2);
	quota = kvu(d, "quota");
	used = kvu(d, "used");
	every = kvu(d, "expect_every");
	missed = kvu(d, "missed");
	ui_put(&u->b, "<tr><td><a href=\"/ui/vaults/%s/items/%s\">%s</a></td><td>%s</td><td>",
		vault, item, item, ik);
	tag(&u->b, strcmp(state, "protected") == 0 ? "t-ok" : "t-warn", state);
	ui_put(&u->b, "</td><td class=\"n\">%u</td><td class=\"n\">%b</td><td class=\"n\">%b</td>",
		ui_u64(m, VG_TAG_COUNT), ui_u64(m, VG_TAG_SIZE), ui_u64(m, VG_TAG_SIZE2));
	if (ls)
		ui_put(&u->b, "<td>%t</td>", ls);
	else
		ui_raw(&u->b, "<td><span class=\"tag t-warn\">never</span></td>");
	if (lf) {
		ui_raw(&u->b, "<td>");
		ui_put(&u->b, lf >= ls ? "<span class=\"tag t-bad\">%t</span>" :
			"<span class=\"tag t-warn\">%t</span>", lf);
		ui_raw(&u->b, "</td>");
	} else {
		ui_raw(&u->b, "<td><span class=\"muted\">never</span></td>");
	}
	if (quota)
		ui_put(&u->b, "<td class=\"n\">%b of %b</td>", used, quota);
	else
		ui_raw(&u->b, "<td class=\"muted\">none</td>");
	if (every)
		ui_put(&u->b, missed ? "<td><span class=\"tag t-bad\">every %us: missed</span></td>" :
			"<td>every %us</td>", every);
	else
		ui_raw(&u->b, "<td class=\"muted\">-</td>");
	ui_raw(&u->b, "</tr>\n");
	return 0;
}

void ui_page_vault(struct ui_ctx *u, const char *vault)
{
	struct vg_msg m;
	struct vg_wr *w;
	char title[120], st[24] = "", d[512] = "";
	int r;

	snprintf(title, sizeof(title), "Vault %s", vault);
	ui_begin(u, title, UI_N_VAULTS);
	w = vgc_req(u->v, VG_OP_VAULT_GET);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	if ((r = vgc_call(u->v, &m))) {
		ui_error_box(u, vault, r);
		ui_end(u);
		return;
	}
	ui_str(&m, VG_TAG_STATE, st, sizeof(st));
	ui_str(&m, VG_TAG_DETAIL, d, sizeof(d));
	ui_raw(&u->b, "<table id=\"settings\"><tr><th>state</th><th>soft delete</th><th>immutability</th>"
		"<th>guard (MUA)</th><th>key</th></tr><tr><td>");
	tag(&u->b, strcmp(st, "active") == 0 ? "t-ok" : "t-warn", st);
	ui_raw(&u->b, "</td>");
	settings_cells(&u->b, d);
	ui_raw(&u->b, "</tr></table>\n<section><h2>Protected items</h2><table id=\"items\"><tr>"
		"<th>item</th><th>kind</th><th>state</th><th>points</th><th>stored</th>"
		"<th>soft-deleted</th><th>last success</th><th>last failure</th><th>quota</th>"
		"<th>expected</th></tr>\n");
	w = vgc_req(u->v, VG_OP_REPORT);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	r = ui_rows(u, items_cb, NULL);
	ui_raw(&u->b, "</table>");
	if (r)
		ui_error_box(u, "items", r);
	ui_raw(&u->b, "</section>\n");
	pending_table(u, vault);
	ui_end(u);
}

/* ---- one item: its points ------------------------------------------------------------------------ */

static int points_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	char id[24], st[24];

	(void)arg;
	ui_str(m, VG_TAG_POINT, id, sizeof(id));
	ui_str(m, VG_TAG_STATE, st, sizeof(st));
	ui_put(&u->b, "<tr><td class=\"mono\">%s</td><td>%t</td><td>", id, ui_u64(m, VG_TAG_TIME));
	tag(&u->b, strcmp(st, "active") == 0 ? "t-ok" : "t-warn", st);
	ui_put(&u->b, "</td><td class=\"n\">%b</td><td class=\"n\">%u</td><td>%t</td></tr>\n",
		ui_u64(m, VG_TAG_SIZE), ui_u64(m, VG_TAG_COUNT), ui_u64(m, VG_TAG_TIME2));
	return 0;
}

void ui_page_item(struct ui_ctx *u, const char *vault, const char *item)
{
	struct vg_wr *w;
	char title[400];
	int r;

	snprintf(title, sizeof(title), "%s / %s", vault, item);
	ui_begin(u, title, UI_N_VAULTS);
	ui_put(&u->b, "<p><a href=\"/ui/vaults/%s\">&larr; vault %s</a></p>\n", vault, vault);
	ui_raw(&u->b, "<section><h2>Recovery points</h2><p class=\"muted\">Every point, soft-deleted "
		"ones too; the expiry of a soft-deleted point is its purge time.</p><table id=\"points\">"
		"<tr><th>point</th><th>committed</th><th>state</th><th>bytes</th><th>objects</th>"
		"<th>expires / purged</th></tr>\n");
	w = vgc_req(u->v, VG_OP_POINT_LIST);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	r = ui_rows(u, points_cb, NULL);
	ui_raw(&u->b, "</table>");
	if (r)
		ui_error_box(u, "points", r);
	ui_raw(&u->b, "</section>\n");
	ui_end(u);
}
