/* ui_int.h - what the console's files share: the page buffer and its one
 * escaping helper, the layout, the session store, and reading vaultd rows
 * as the logged-in principal. */
#ifndef GW_UI_INT_H
#define GW_UI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "gw.h"
#include "wire.h"

/* ---- html.c: the page buffer ------------------------------------------------------------ */

struct ui_buf {
	char *p;
	size_t len, cap;
	bool err;                      /* out of memory: the page is not sent */
};

/* Trusted markup: string literals of this folder only. */
void ui_raw(struct ui_buf *b, const char *s);
/* The one escaping helper: text or attribute value, & < > " ' escaped. */
void ui_esc(struct ui_buf *b, const char *s);
/* fmt is trusted markup; its directives take arguments that never are:
 *   %s  a string, escaped (ui_esc)       %u  uint64_t
 *   %t  uint64_t Unix time, ISO 8601 UTC ("never" for 0)
 *   %b  uint64_t bytes, human (1.5 GiB)   %%  a percent sign */
void ui_put(struct ui_buf *b, const char *fmt, ...);
void ui_buf_free(struct ui_buf *b);

/* Navigation entries (ui_begin's active). */
enum ui_nav { UI_N_NONE, UI_N_VAULTS, UI_N_ALERTS, UI_N_AUDIT, UI_N_JOBS, UI_N_REPORT,
	UI_N_FIREWALL };

struct ui_ctx {
	struct gw_rctx *x;
	struct vgc *v;                 /* vaultd, as the session's principal */
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char kind[16];
	char logout_csrf[65];
	struct ui_buf b;
};

void ui_begin(struct ui_ctx *u, const char *title, enum ui_nav nav);
void ui_end(struct ui_ctx *u);
/* Sends b as text/html (status), extra header lines (CRLF each) or NULL. */
void ui_send(struct gw_rctx *x, int status, struct ui_buf *b, const char *extra);
/* An error box inside a page: the vaultd refusal in words. */
void ui_error_box(struct ui_ctx *u, const char *what, int err);
/* A 303 to path (a literal of this folder). */
void ui_redirect(struct gw_rctx *x, const char *path, const char *extra);

/* ---- session.c ------------------------------------------------------------------------------ */

#define UI_COOKIE "vgui"         /* the session: Path=/ui/; HttpOnly; Secure; SameSite=Strict */
#define UI_PRE_COOKIE "vguipre"  /* the pre-session the login form's CSRF token is bound to */

/* A new session for user/token (kept in this process's memory only);
 * hex: its handle, 64 hex digits. 0 or VG_ELIMIT (table full). */
int ui_sess_new(const char *user, const char *token, uint64_t idle, uint64_t max, char hex[65]);
/* The session's credential, if hex names a live one (and touches it);
 * VG_ENOTFOUND otherwise (unknown, expired, or logged out). */
int ui_sess_get(const char *hex, char *user, size_t usz, char *token, size_t tsz);
/* Ends it: its credential is wiped. */
void ui_sess_end(const char *hex);
/* HMAC-SHA-256 under a key made at start (memory only) over what, in hex:
 * the CSRF token bound to a pre-session or to a session. */
void ui_csrf(const char *what, char out[65]);
bool ui_csrf_ok(const char *what, const char *given);
/* A fresh random handle, 64 hex digits. */
int ui_random_hex(char out[65]);
/* One field of an application/x-www-form-urlencoded body, decoded (%XX,
 * +): 0, VG_ENOTFOUND, or VG_EINVAL (a bad escape, a NUL, longer than n-1). */
int ui_form_field(const char *body, const char *key, char *out, size_t n);
/* The value of cookie name in a Cookie header ("" if absent). */
void ui_cookie(const char *header, const char *name, char *out, size_t n);

/* ---- rows ------------------------------------------------------------------------------------ */

/* Runs w (built on u->v) and calls cb for each ROW; 0 or the vaultd error. */
typedef int (*ui_row_cb)(struct ui_ctx *u, const struct vg_msg *m, void *arg);
int ui_rows(struct ui_ctx *u, ui_row_cb cb, void *arg);
void ui_str(const struct vg_msg *m, uint16_t tag, char *out, size_t n);
uint64_t ui_u64(const struct vg_msg *m, uint16_t tag);
/* A query parameter, checked against the name grammar ("" if absent or bad). */
void ui_query_name(struct gw_rctx *x, const char *key, char *out, size_t n);

/* ---- pages ----------------------------------------------------------------------------------- */

void ui_page_vaults(struct ui_ctx *u);
void ui_page_vault(struct ui_ctx *u, const char *vault);
void ui_page_item(struct ui_ctx *u, const char *vault, const char *item);
void ui_page_alerts(struct ui_ctx *u);
void ui_page_audit(struct ui_ctx *u);
void ui_page_jobs(struct ui_ctx *u);
void ui_page_report(struct ui_ctx *u);
void ui_page_firewall(struct ui_ctx *u);
/* style.c */
void ui_style(struct gw_rctx *x);

#endif
