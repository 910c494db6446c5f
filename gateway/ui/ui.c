/* ui.c - the console's door: its routes (one table), the session gate,
 * login and logout. See ui.h and README.md. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "body.h"
#include "limit.h"
#include "log.h"
#include "names.h"
#include "proxy.h"
#include "reply.h"
#include "router.h"
#include "ui.h"
#include "ui_int.h"
#include "vg_err.h"

#define LOGIN_BODY_MAX 2048

/* ---- rows ------------------------------------------------------------------------------------ */

void ui_str(const struct vg_msg *m, uint16_t tag, char *out, size_t n)
{
	if (vg_msg_str(m, tag, out, n))
		out[0] = 0;
}

uint64_t ui_u64(const struct vg_msg *m, uint16_t tag)
{
	uint64_t v = 0;

	(void)vg_msg_u64(m, tag, &v);
	return v;
}

int ui_rows(struct ui_ctx *u, ui_row_cb cb, void *arg)
{
	struct vg_msg m;
	int r, cr = 0;

	if ((r = vgc_call(u->v, &m))) {
		if (gw_link_failed(u->v, r))
			u->x->link_bad = true;
		return r;
	}
	while ((r = vgc_stream_next(u->v, &m)) == 1) {
		if (m.type != VG_F_ROW) {
			u->x->link_bad = true;
			return VG_EPROTO;
		}
		if (!cr)
			cr = cb(u, &m, arg);
	}
	if (r && gw_link_failed(u->v, r))
		u->x->link_bad = true;
	return r ? r : cr;
}

void ui_query_name(struct gw_rctx *x, const char *key, char *out, size_t n)
{
	if (gw_query_get(x->req->query, key, out, n) != 1 || vg_name_check(out, n - 1))
		out[0] = 0;
}

/* ---- login ------------------------------------------------------------------------------------ */

static const char cookie_attrs[] = "; Path=/ui/; Secure; HttpOnly; SameSite=Strict";

/* The login form, with a CSRF token bound to the pre-session cookie
 * (made here when the browser has none). */
static void login_page(struct gw_rctx *x, int status, const char *msg, bool end_session)
{
	struct ui_buf b = {0};
	char pre[130] = "", csrf[65], extra[600] = "";
	size_t el = 0;

	ui_cookie(x->req->cookie, UI_PRE_COOKIE, pre, sizeof(pre));
	if (strlen(pre) != 64 || strspn(pre, "0123456789abcdef") != 64) {
		if (ui_random_hex(pre)) {
			gw_reply_error(x, 500, "internal", "no randomness");
			return;
		}
		el += (size_t)snprintf(extra + el, sizeof(extra) - el, "Set-Cookie: %s=%s%s\r\n",
			UI_PRE_COOKIE, pre, cookie_attrs);
	}
	if (end_session)
		el += (size_t)snprintf(extra + el, sizeof(extra) - el,
			"Set-Cookie: %s=; Max-Age=0%s\r\n", UI_COOKIE, cookie_attrs);
	{
		char bind[160];
		snprintf(bind, sizeof(bind), "pre:%s", pre);
		ui_csrf(bind, csrf);
	}
	ui_raw(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>Log in · vaultgate</title><link rel=\"icon\" href=\"data:,\">"
		"<link rel=\"stylesheet\" href=\"/ui/style.css\">"
		"</head><body class=\"login\">\n<main class=\"login\"><h1>vaultgate</h1>"
		"<p class=\"muted\">Read-only console. Log in with a principal's name and token "
		"(<code>vaultctl principal add</code>); the browser keeps only a session cookie.</p>\n");
	if (msg)
		ui_put(&b, "<p class=\"error\" id=\"login-error\">%s</p>\n", msg);
	ui_put(&b, "<form method=\"post\" action=\"/ui/login\" autocomplete=\"off\">"
		"<label>Principal <input name=\"user\" required maxlength=\"64\" autocomplete=\"username\"></label>"
		"<label>Token <input name=\"token\" type=\"password\" required maxlength=\"256\" "
		"autocomplete=\"off\"></label>"
		"<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		"<button type=\"submit\">Log in</button></form></main></body></html>\n", csrf);
	ui_send(x, status, &b, *extra ? extra : NULL);
	ui_buf_free(&b);
}

/* One field of an application/x-www-form-urlencoded body, decoded. */
int ui_form_field(const char *body, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	for (const char *p = body; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p), o = 0;
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (size_t i = kl + 1; i < len; i++) {
				int c = (unsigned char)p[i];
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					unsigned v;
					if (i + 2 >= len || sscanf(p + i + 1, "%2x", &v) != 1 ||
					    !strchr("0123456789abcdefABCDEF", p[i + 1]) ||
					    !strchr("0123456789abcdefABCDEF", p[i + 2]))
						return VG_EINVAL;
					c = (int)v;
					i += 2;
				}
				if (c == 0 || o + 1 >= n)
					return VG_EINVAL;
				out[o++] = (char)c;
			}
			out[o] = 0;
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return VG_ENOTFOUND;
}

static void login_post(struct gw_rctx *x)
{
	char body[LOGIN_BODY_MAX + 1], user[VG_PRINCIPAL_NAME_MAX + 1], csrf[80], pre[130], bind[160],
		hex[65], extra[600], kind[16] = "";
	size_t len = 0;
	struct vg_msg m;
	struct vgc *v;
	int r;

	if (strncmp(x->req->content_type, "application/x-www-form-urlencoded", 33) != 0) {
		gw_reply_error(x, 415, "invalid", "the login form is application/x-www-form-urlencoded");
		return;
	}
	if ((r = gw_body_read_all(x, (uint8_t *)body, LOGIN_BODY_MAX, &len))) {
		if (r == VG_ETOOBIG)
			gw_reply_error(x, 413, "too-big", "the login form is at most %d bytes",
				LOGIN_BODY_MAX);
		else
			x->aborted = true;
		OPENSSL_cleanse(body, sizeof(body));
		return;
	}
	body[len] = 0;
	/* CSRF first: a login without the token bound to this browser's
	 * pre-session is refused before any credential is looked at. */
	ui_cookie(x->req->cookie, UI_PRE_COOKIE, pre, sizeof(pre));
	snprintf(bind, sizeof(bind), "pre:%s", pre);
	if (ui_form_field(body, "csrf", csrf, sizeof(csrf)) || strlen(pre) != 64 ||
	    !ui_csrf_ok(bind, csrf)) {
		OPENSSL_cleanse(body, sizeof(body));
		log_warnx("ui: login from %s refused: missing or wrong CSRF token", x->c->source);
		gw_auth_failed(x);
		login_page(x, 403, "Login refused: the form's CSRF token is missing or does not "
			"match this browser. Reload the login page and try again.", false);
		return;
	}
	if (ui_form_field(body, "user", user, sizeof(user)) || vg_name_check(user, VG_PRINCIPAL_NAME_MAX) ||
	    ui_form_field(body, "token", x->token, sizeof(x->token)) || !*x->token) {
		OPENSSL_cleanse(body, sizeof(body));
		login_page(x, 400, "Give a principal name and its token.", false);
		return;
	}
	OPENSSL_cleanse(body, sizeof(body));
	if (gw_vaultd_open_anon(x, &v))
		return;
	snprintf(x->user, sizeof(x->user), "%s", user);
	x->auth.user = x->user;
	x->auth.token = x->token;
	if (x->c->has_cert)
		x->auth.cert = x->c->cert;
	vgc_set_auth(v, &x->auth);
	(void)vgc_req(v, VG_OP_WHOAMI);
	r = vgc_call(v, &m);
	if (r == 0)
		ui_str(&m, VG_TAG_KIND, kind, sizeof(kind));
	if (r && gw_link_failed(v, r))
		x->link_bad = true;
	gw_vaultd_close(x, v);
	if (r == VG_EAUTH) {
		gw_auth_failed(x);   /* vaultd audited it; the source's bucket counts it */
		login_page(x, 401, "Wrong principal name or token.", false);
		return;
	}
	if (r) {
		login_page(x, 503, "vaultd did not answer; try again shortly.", false);
		return;
	}
	if (strcmp(kind, "agent") == 0 || strcmp(kind, "replicator") == 0) {
		login_page(x, 403, "Agents and replicators have no console: it is for principals "
			"with a role (Reader and up), auditors and monitors.", false);
		return;
	}
	r = ui_sess_new(user, x->token, x->srv->cfg->ui_idle_timeout, x->srv->cfg->ui_session_max,
		hex);
	if (r) {
		login_page(x, 503, "Too many console sessions; try again later.", false);
		return;
	}
	snprintf(extra, sizeof(extra), "Set-Cookie: %s=%s%s; Max-Age=%llu\r\n"
		"Set-Cookie: %s=; Max-Age=0%s\r\n", UI_COOKIE, hex, cookie_attrs,
		(unsigned long long)x->srv->cfg->ui_session_max, UI_PRE_COOKIE, cookie_attrs);
	OPENSSL_cleanse(hex, sizeof(hex));
	log_info("ui: %s logged in from %s", user, x->c->source);
	ui_redirect(x, "/ui/vaults", extra);
	OPENSSL_cleanse(extra, sizeof(extra));
}

static void logout_post(struct gw_rctx *x)
{
	char body[512], sid[130], csrf[80], bind[160], extra[300];
	size_t len = 0;

	ui_cookie(x->req->cookie, UI_COOKIE, sid, sizeof(sid));
	if (gw_body_read_all(x, (uint8_t *)body, sizeof(body) - 1, &len)) {
		gw_reply_error(x, 413, "too-big", "the logout form is small");
		return;
	}
	body[len] = 0;
	snprintf(bind, sizeof(bind), "logout:%s", sid);
	if (ui_form_field(body, "csrf", csrf, sizeof(csrf)) || !ui_csrf_ok(bind, csrf)) {
		login_page(x, 403, "Logout refused: the form's CSRF token does not match.", false);
		return;
	}
	ui_sess_end(sid);
	OPENSSL_cleanse(sid, sizeof(sid));
	OPENSSL_cleanse(bind, sizeof(bind));
	snprintf(extra, sizeof(extra), "Set-Cookie: %s=; Max-Age=0%s\r\n", UI_COOKIE, cookie_attrs);
	ui_redirect(x, "/ui/login", extra);
}

/* ---- pages ------------------------------------------------------------------------------------- */

enum ui_route { U_VAULTS, U_VAULT, U_ITEM, U_ALERTS, U_AUDIT, U_JOBS, U_REPORT, U_FIREWALL };

/* The console's pages: one row per path pattern (a segment in braces is a
 * name, checked against the name grammar). All are GET (and HEAD). */
static const struct {
	const char *path;
	enum ui_route route;
} ui_routes[] = {
	{"/ui/", U_VAULTS},
	{"/ui/vaults", U_VAULTS},
	{"/ui/vaults/{vault}", U_VAULT},
	{"/ui/vaults/{vault}/items/{item}", U_ITEM},
	{"/ui/alerts", U_ALERTS},
	{"/ui/audit", U_AUDIT},
	{"/ui/jobs", U_JOBS},
	{"/ui/report", U_REPORT},
	{"/ui/firewall", U_FIREWALL},
};

/* Does path match pat? The {vault} and {item} segments go to names. */
static bool match(const char *pat, const char *path, char names[2][VG_ITEM_NAME_MAX + 1])
{
	int k = 0;

	while (*pat && *path) {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}'), *se = strchr(path, '/');
			size_t n = se ? (size_t)(se - path) : strlen(path);
			if (!pe || k == 2 || n == 0 || n > VG_ITEM_NAME_MAX)
				return false;
			memcpy(names[k], path, n);
			names[k][n] = 0;
			if (vg_name_check(names[k], VG_ITEM_NAME_MAX))
				return false;
			k++;
			pat = pe + 1;
			path += n;
			continue;
		}
		if (*pat++ != *path++)
			return false;
	}
	return !*pat && !*path;
}

static void serve_page(struct gw_rctx *x, enum ui_route route, char names[2][VG_ITEM_NAME_MAX + 1],
	const char *sid)
{
	struct ui_ctx u;
	char user[VG_PRINCIPAL_NAME_MAX + 1], token[300], bind[160];
	char basic[600];
	uint8_t raw[VG_PRINCIPAL_NAME_MAX + 300 + 2];
	int n;

	memset(&u, 0, sizeof(u));
	if (ui_sess_get(sid, user, sizeof(user), token, sizeof(token))) {
		/* No session, or one this process does not hold (forged, logged
		 * out, expired): to the login page, and the cookie is dropped. */
		char extra[200];
		snprintf(extra, sizeof(extra), "Set-Cookie: %s=; Max-Age=0%s\r\n", UI_COOKIE,
			cookie_attrs);
		ui_redirect(x, *sid ? "/ui/login?ended=1" : "/ui/login", *sid ? extra : NULL);
		return;
	}
	/* The session's credential goes to vaultd exactly as an API
	 * request's would: the same gate (limits, WHOAMI, fair share). */
	n = snprintf((char *)raw, sizeof(raw), "%s:%s", user, token);
	OPENSSL_cleanse(token, sizeof(token));
	if (n < 0 || (size_t)n >= sizeof(raw)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		login_page(x, 401, "Log in again.", true);
		return;
	}
	memcpy(basic, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)basic + 6, raw, n);
	OPENSSL_cleanse(raw, sizeof(raw));
	snprintf(x->req->authorization, sizeof(x->req->authorization), "%s", basic);
	OPENSSL_cleanse(basic, sizeof(basic));
	if (gw_vaultd_open(x, &u.v))
		return;
	u.x = x;
	snprintf(u.principal, sizeof(u.principal), "%s", x->c->principal);
	snprintf(u.kind, sizeof(u.kind), "%s", x->c->kind[0] ? x->c->kind : "user");
	snprintf(bind, sizeof(bind), "logout:%s", sid);
	ui_csrf(bind, u.logout_csrf);
	OPENSSL_cleanse(bind, sizeof(bind));
	switch (route) {
	case U_VAULTS: ui_page_vaults(&u); break;
	case U_VAULT: ui_page_vault(&u, names[0]); break;
	case U_ITEM: ui_page_item(&u, names[0], names[1]); break;
	case U_ALERTS: ui_page_alerts(&u); break;
	case U_AUDIT: ui_page_audit(&u); break;
	case U_JOBS: ui_page_jobs(&u); break;
	case U_REPORT: ui_page_report(&u); break;
	case U_FIREWALL: ui_page_firewall(&u); break;
	}
	if (!x->head_sent)
		ui_send(x, 200, &u.b, NULL);
	ui_buf_free(&u.b);
	gw_vaultd_close(x, u.v);
}

void gw_ui_handle(struct gw_rctx *x)
{
	const char *path = x->req->path;
	char sid[130], names[2][VG_ITEM_NAME_MAX + 1];
	bool get = x->req->method == GW_M_GET || x->req->method == GW_M_HEAD;

	x->route = GW_R_UI;
	if (strcmp(path, "/ui") == 0) {
		ui_redirect(x, "/ui/", NULL);
		return;
	}
	if (strcmp(path, "/ui/style.css") == 0) {
		if (!get)
			gw_reply_405(x, "GET, HEAD");
		else if (!gw_no_body(x))
			ui_style(x);
		return;
	}
	if (strcmp(path, "/ui/login") == 0) {
		if (x->req->method == GW_M_POST)
			login_post(x);
		else if (!get)
			gw_reply_405(x, "GET, HEAD, POST");
		else if (!gw_no_body(x))
			login_page(x, 200, gw_query_get(x->req->query, "ended", sid, sizeof(sid)) == 1 ?
				"Your session has ended (logged out, expired, or not known here). "
				"Log in again." : NULL, false);
		return;
	}
	if (strcmp(path, "/ui/logout") == 0) {
		if (x->req->method != GW_M_POST)
			gw_reply_405(x, "POST");
		else
			logout_post(x);
		return;
	}
	/* Read-only: nothing else takes a body or another method. */
	for (size_t i = 0; i < sizeof(ui_routes) / sizeof(ui_routes[0]); i++) {
		memset(names, 0, sizeof(names));
		if (!match(ui_routes[i].path, path, names))
			continue;
		if (!get) {
			gw_reply_405(x, "GET, HEAD");
			return;
		}
		if (gw_no_body(x))
			return;
		ui_cookie(x->req->cookie, UI_COOKIE, sid, sizeof(sid));
		serve_page(x, ui_routes[i].route, names, sid);
		OPENSSL_cleanse(sid, sizeof(sid));
		return;
	}
	gw_reply_error(x, 404, "not-found", "no such console page");
}
