/* reply.c - see reply.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "conn.h"
#include "reply.h"
#include "ui.h"
#include "vg_err.h"

static uint64_t io_timeout(const struct gw_rctx *x)
{
	return x->srv->cfg->idle_timeout * 1000u;
}

int gw_status_of(int err)
{
	switch (err) {
	case 0: return 200;
	case VG_EAUTH: return 401;
	case VG_EDENIED:
	case VG_EIMMUTABLE:
	case VG_EPOLICY:
	case VG_EMUA:
	case VG_EPIN: return 403;
	case VG_ENOTFOUND:
	case VG_ESOFTDELETED: return 404;
	case VG_EEXISTS:
	case VG_EBADSTATE: return 409;
	case VG_ENAME:
	case VG_EINVAL: return 400;
	case VG_ERANGE: return 416;
	case VG_ETOOBIG: return 413;
	case VG_ENOSPACE: return 507;
	case VG_EKEY: return 503;
	case VG_ELIMIT: return 429;
	case VG_EINTEGRITY: return 500;
	case VG_EVERSION:
	case VG_EPROTO:
	case VG_ECLOSED: return 502;
	default: return 500;
	}
}

int gw_reply_flush(struct gw_rctx *x)
{
	int r;

	if (x->olen == 0)
		return 0;
	r = gw_conn_write(x->c, x->obuf, x->olen, io_timeout(x));
	x->olen = 0;
	if (r)
		x->aborted = true;
	return r;
}

static int out(struct gw_rctx *x, const void *p, size_t n)
{
	int r;

	if (x->aborted)
		return VG_ECLOSED;
	if (n <= x->ocap - x->olen) {
		memcpy(x->obuf + x->olen, p, n);
		x->olen += n;
		return 0;
	}
	if ((r = gw_reply_flush(x)))
		return r;
	if (n <= x->ocap / 2) {
		memcpy(x->obuf, p, n);
		x->olen = n;
		return 0;
	}
	if ((r = gw_conn_write(x->c, p, n, io_timeout(x))))
		x->aborted = true;
	return r;
}

int gw_reply_continue(struct gw_rctx *x)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	int r;

	if (x->continue_sent || x->head_sent)
		return 0;
	x->continue_sent = true;
	if ((r = out(x, cont, sizeof(cont) - 1)))
		return r;
	return gw_reply_flush(x);
}

int gw_reply_begin(struct gw_rctx *x, int status, const char *ctype, int64_t length,
	const char *extra)
{
	char h[2048], framing[64] = "";
	int n;

	if (x->head_sent)
		return VG_EBADSTATE;
	x->head_sent = true;
	x->status = status;
	if (!x->req->keep_alive || atomic_load(&x->srv->stopping))
		x->close_after = true;
	/* Answering before the body was read: what is left of it would be
	 * taken for the next request, so this connection ends here. */
	if (!x->body_done)
		x->close_after = true;
	if (length >= 0) {
		snprintf(framing, sizeof(framing), "Content-Length: %lld\r\n", (long long)length);
	} else if (x->req->minor == 0) {
		x->close_after = true;  /* HTTP/1.0: the body ends at close */
	} else {
		snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked\r\n");
		x->chunked_out = x->req->method != GW_M_HEAD;
	}
	n = snprintf(h, sizeof(h),
		"HTTP/1.1 %d %s\r\n"
		"Server: vaultgate\r\n"
		"Strict-Transport-Security: max-age=31536000\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"Cache-Control: no-store\r\n"
		"%s"
		"%s%s%s"
		"%s%s%s"
		"\r\n",
		status, gw_http_reason(status),
		/* every answer under /ui/, errors too (ui/ui.h) */
		x->route == GW_R_UI ? GW_UI_HEADERS : "",
		ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
		framing, x->close_after ? "Connection: close\r\n" : "", extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(h))
		return VG_ETOOBIG;
	return out(x, h, (size_t)n);
}

int gw_reply_data(struct gw_rctx *x, const void *p, size_t n)
{
	char hdr[24];
	int r, m;

	if (n == 0 || x->req->method == GW_M_HEAD)
		return 0;
	x->bytes_out += n;
	if (!x->chunked_out)
		return out(x, p, n);
	m = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	if ((r = out(x, hdr, (size_t)m)) || (r = out(x, p, n)) || (r = out(x, "\r\n", 2)))
		return r;
	return 0;
}

int gw_reply_end(struct gw_rctx *x)
{
	int r;

	if (x->chunked_out && (r = out(x, "0\r\n\r\n", 5)))
		return r;
	return gw_reply_flush(x);
}

int gw_reply_full(struct gw_rctx *x, int status, const char *ctype, const void *body, size_t n,
	const char *extra)
{
	int r;

	if ((r = gw_reply_begin(x, status, ctype, (int64_t)n, extra)) ||
	    (r = gw_reply_data(x, body, n)))
		return r;
	return gw_reply_end(x);
}

static int error_json(struct gw_rctx *x, int status, const char *code, const char *msg,
	const char *extra)
{
	json_t *o = json_pack("{s:s, s:s}", "error", code, "message", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char body[1200];
	size_t n;
	int r;

	json_decref(o);
	n = (size_t)snprintf(body, sizeof(body), "%s\n", s ? s : "{\"error\":\"internal\"}");
	free(s);
	if (n >= sizeof(body))
		n = sizeof(body) - 1;
	r = gw_reply_full(x, status, "application/json", body, n, extra);
	return r;
}

int gw_reply_error(struct gw_rctx *x, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_json(x, status, code, msg,
		status == 401 ? "WWW-Authenticate: Basic realm=\"vaultgate\"\r\n" : NULL);
}

int gw_reply_retry(struct gw_rctx *x, int status, unsigned seconds, const char *code,
	const char *fmt, ...)
{
	char msg[512], hdr[40];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", seconds ? seconds : 1);
	return error_json(x, status, code, msg, hdr);
}

int gw_reply_vgerr(struct gw_rctx *x, int err, const char *msg)
{
	int status = gw_status_of(err);

	return error_json(x, status, vg_errcode(err), msg && *msg ? msg : vg_strerror(err),
		status == 401 ? "WWW-Authenticate: Basic realm=\"vaultgate\"\r\n" : NULL);
}

int gw_reply_error_hdr(struct gw_rctx *x, int status, const char *extra, const char *code,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_json(x, status, code, msg, extra);
}

int gw_reply_405(struct gw_rctx *x, const char *allow)
{
	char extra[128];

	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	return error_json(x, 405, "method-not-allowed", "method not allowed here", extra);
}
