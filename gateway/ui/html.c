/* html.c - the console's page buffer, its one escaping helper (ui_esc)
 * and the layout every page shares. Pages never write a string into
 * markup any other way: ui_put's %s goes through ui_esc too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reply.h"
#include "ui_int.h"
#include "vg_err.h"

#define UI_PAGE_MAX (8u << 20)

static void add(struct ui_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > UI_PAGE_MAX || !(p = realloc(b->p, cap))) {
			b->err = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void ui_raw(struct ui_buf *b, const char *s)
{
	add(b, s, strlen(s));
}

void ui_esc(struct ui_buf *b, const char *s)
{
	for (const char *run = s;; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case 0: break;
		default: continue;
		}
		add(b, run, (size_t)(s - run));
		if (!*s)
			return;
		add(b, rep, strlen(rep));
		run = s + 1;
	}
}

static void fmt_time(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || !gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, n, "never");
}

static void fmt_bytes(uint64_t v, char *out, size_t n)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%llu B", (unsigned long long)v);
	else
		snprintf(out, n, "%.1f %s", d, unit[u]);
}

void ui_put(struct ui_buf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[48];

	va_start(ap, fmt);
	for (const char *run = fmt, *p = fmt;; p++) {
		if (*p && *p != '%')
			continue;
		add(b, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (p[1]) {
		case 's':
			ui_esc(b, va_arg(ap, const char *));
			break;
		case 'u':
			snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)va_arg(ap, uint64_t));
			add(b, tmp, strlen(tmp));
			break;
		case 't':
			fmt_time(va_arg(ap, uint64_t), tmp, sizeof(tmp));
			add(b, tmp, strlen(tmp));
			break;
		case 'b':
			fmt_bytes(va_arg(ap, uint64_t), tmp, sizeof(tmp));
			add(b, tmp, strlen(tmp));
			break;
		case '%':
			add(b, "%", 1);
			break;
		default:
			b->err = true;   /* a directive this file does not know: a bug */
			va_end(ap);
			return;
		}
		p++;
		run = p + 1;
	}
	va_end(ap);
}

void ui_buf_free(struct ui_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static const struct {
	enum ui_nav nav;
	const char *href, *label;
} nav_links[] = {
	{UI_N_VAULTS, "/ui/vaults", "Vaults"},
	{UI_N_ALERTS, "/ui/alerts", "Alerts"},
	{UI_N_JOBS, "/ui/jobs", "Jobs"},
	{UI_N_REPORT, "/ui/report", "Report"},
	{UI_N_AUDIT, "/ui/audit", "Audit log"},
	{UI_N_FIREWALL, "/ui/firewall", "Firewall"},
};

void ui_begin(struct ui_ctx *u, const char *title, enum ui_nav nav)
{
	struct ui_buf *b = &u->b;

	ui_put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>%s · vaultgate</title>"
		"<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/ui/style.css\">"
		"</head><body>\n"
		"<header class=\"top\"><a class=\"brand\" href=\"/ui/\">vaultgate</a><nav>", title);
	for (size_t i = 0; i < sizeof(nav_links) / sizeof(nav_links[0]); i++)
		ui_put(b, nav_links[i].nav == nav ? "<a class=\"on\" href=\"%s\">%s</a>" :
			"<a href=\"%s\">%s</a>", nav_links[i].href, nav_links[i].label);
	ui_put(b, "</nav><form class=\"who\" method=\"post\" action=\"/ui/logout\">"
		"<span>%s <small>%s</small></span>"
		"<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		"<button type=\"submit\">Log out</button></form></header>\n<main>\n<h1>%s</h1>\n",
		u->principal, u->kind, u->logout_csrf, title);
}

void ui_end(struct ui_ctx *u)
{
	ui_raw(&u->b, "</main>\n<footer>read-only console &middot; every view is the native API's, "
		"as you</footer></body></html>\n");
}

void ui_send(struct gw_rctx *x, int status, struct ui_buf *b, const char *extra)
{
	if (b->err) {
		gw_reply_error(x, 500, "internal", "the page could not be built");
		return;
	}
	gw_reply_full(x, status, "text/html; charset=utf-8", b->p ? b->p : "", b->len, extra);
}

void ui_error_box(struct ui_ctx *u, const char *what, int err)
{
	const char *msg = u->v && *vgc_errmsg(u->v) ? vgc_errmsg(u->v) : vg_strerror(err);

	ui_put(&u->b, "<p class=\"error\">%s: %s</p>\n", what, msg);
}

void ui_redirect(struct gw_rctx *x, const char *path, const char *extra)
{
	char h[1200];

	snprintf(h, sizeof(h), "Location: %s\r\n%s", path, extra ? extra : "");
	gw_reply_full(x, 303, "text/plain; charset=utf-8", "", 0, h);
}
