/* http.c - see http.h. */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "http.h"
#include "vg_err.h"

/* Fields we collect. Single-instance fields are refused when repeated. */
enum {
	H_NONE = -1,
	H_HOST = 0,
	H_AUTHZ,
	H_RANGE,
	H_EXPECT,
	H_TE,
	H_CL,
	H_ACCEPT,
	H_CTYPE,
	H_GRANT,
	H_PIN,
	H_COOKIE,
	H_COUNT
};

static const struct {
	const char *name;
	bool single;
} fields[H_COUNT] = {
	[H_HOST] = {"host", true},
	[H_AUTHZ] = {"authorization", true},
	[H_RANGE] = {"range", true},
	[H_EXPECT] = {"expect", true},
	[H_TE] = {"transfer-encoding", true},
	[H_CL] = {"content-length", true},
	[H_ACCEPT] = {"accept", false},
	[H_CTYPE] = {"content-type", true},
	[H_GRANT] = {"x-vaultgate-grant", true},
	[H_PIN] = {"x-vaultgate-pin", true},
	[H_COOKIE] = {"cookie", false},
};

static struct gw_http_req *REQ(llhttp_t *p)
{
	return p->data;
}

static int refuse(struct gw_http_req *r, int status, const char *why)
{
	if (!r->status) {
		r->status = status;
		r->why = why;
	}
	return HPE_USER;
}

int gw_http_head_find(const uint8_t *buf, size_t len, size_t *start, size_t *end)
{
	size_t s = 0;

	/* At most a few empty lines before the request line. */
	while (s + 1 < len && s < 8 && buf[s] == '\r' && buf[s + 1] == '\n')
		s += 2;
	for (size_t i = s; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* LF LF ends a head too (to be refused as bare LF, not waited on). */
		if (buf[i + 1] == '\n') {
			*start = s;
			*end = i + 2;
			return 1;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*start = s;
			*end = i + 3;
			return 1;
		}
	}
	return 0;
}

/* The shapes two HTTP parsers may read differently are refused before
 * llhttp runs: every line ends in CRLF, no bare CR or LF, no NUL or other
 * control bytes (HTAB only inside field lines), no obs-fold (a field line
 * that starts with SP or HTAB). */
/* llhttp's refusals in the client's words (its own names, HPE_*, are
 * internal: they never reach a client or the log). */
static const char *parse_why(llhttp_errno_t e)
{
	static const struct {
		llhttp_errno_t e;
		const char *why;
	} t[] = {
		{HPE_INVALID_METHOD, "unknown method"},
		{HPE_INVALID_VERSION, "unsupported HTTP version"},
		{HPE_INVALID_URL, "invalid request target"},
		{HPE_UNEXPECTED_CONTENT_LENGTH, "Content-Length together with Transfer-Encoding"},
		{HPE_INVALID_CONTENT_LENGTH, "invalid Content-Length"},
		{HPE_INVALID_TRANSFER_ENCODING, "invalid Transfer-Encoding"},
		{HPE_INVALID_HEADER_TOKEN, "invalid character in a header field"},
		{HPE_UNEXPECTED_SPACE, "unexpected space in the request line or a header"},
		{HPE_INVALID_CHUNK_SIZE, "malformed chunked body"},
		{HPE_CR_EXPECTED, "line not ended by CRLF"},
		{HPE_LF_EXPECTED, "line not ended by CRLF"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].why;
	return "malformed request head";
}

static int head_shape_ok(const uint8_t *b, size_t n, const char **why)
{
	bool line_start = true, first_line = true;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];
		if (c == '\r') {
			if (i + 1 >= n || b[i + 1] != '\n') {
				*why = "bare CR in the request head";
				return 0;
			}
			i++;
			line_start = true;
			first_line = false;
			continue;
		}
		if (c == '\n') {
			*why = "bare LF in the request head";
			return 0;
		}
		if (line_start && !first_line && (c == ' ' || c == '\t')) {
			*why = "obsolete line folding";
			return 0;
		}
		line_start = false;
		if (c == '\t' && !first_line)
			continue;
		if (c < 0x20 || c == 0x7f) {
			*why = "control byte in the request head";
			return 0;
		}
	}
	return 1;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct gw_http_req *r = REQ(p);
	size_t have = strlen(r->target);

	if (len >= sizeof(r->target) - have)
		return refuse(r, 414, "request target too long");
	memcpy(r->target + have, at, len);
	r->target[have + len] = 0;
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct gw_http_req *r = REQ(p);

	if (r->head_done) {
		r->overhead += len;
		return r->overhead > r->overhead_max ? refuse(r, 400, "trailers too large") : 0;
	}
	/* A field name arrives whole here: the head is one buffer. */
	r->cur = H_NONE;
	r->curlen = 0;
	for (int i = 0; i < H_COUNT; i++)
		if (strlen(fields[i].name) == len && strncasecmp(fields[i].name, at, len) == 0) {
			if (fields[i].single && (r->seen & (1u << i)))
				return refuse(r, 400, "duplicate header field");
			r->seen |= 1u << i;
			r->cur = i;
			break;
		}
	return 0;
}

static char *field_buf(struct gw_http_req *r, size_t *cap)
{
	switch (r->cur) {
	case H_HOST: *cap = sizeof(r->host); return r->host;
	case H_AUTHZ: *cap = sizeof(r->authorization); return r->authorization;
	case H_RANGE: *cap = sizeof(r->range); return r->range;
	case H_ACCEPT: *cap = sizeof(r->accept); return r->accept;
	case H_CTYPE: *cap = sizeof(r->content_type); return r->content_type;
	case H_EXPECT: *cap = sizeof(r->expect); return r->expect;
	case H_TE: *cap = sizeof(r->te); return r->te;
	case H_GRANT: *cap = sizeof(r->grant); return r->grant;
	case H_PIN: *cap = sizeof(r->pin); return r->pin;
	case H_COOKIE: *cap = sizeof(r->cookie); return r->cookie;
	default: return NULL;
	}
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct gw_http_req *r = REQ(p);
	size_t cap, have;
	char *dst;

	if (r->head_done) {
		r->overhead += len;
		return r->overhead > r->overhead_max ? refuse(r, 400, "trailers too large") : 0;
	}
	if (!(dst = field_buf(r, &cap)))
		return 0;
	have = strlen(dst);
	if ((r->cur == H_ACCEPT || r->cur == H_COOKIE) && have > 0 && r->curlen == 0) {
		/* A repeated Accept joins the list; a repeated Cookie too
		 * (RFC 6265 5.4 sends one, HTTP/2 proxies split it). */
		if (have + 2 >= cap)
			return refuse(r, 400, "header field value too long");
		memcpy(dst + have, r->cur == H_COOKIE ? "; " : ", ", 2);
		have += 2;
		dst[have] = 0;
	}
	if (len >= cap - have)
		return refuse(r, r->cur == H_AUTHZ ? 431 : 400, "header field value too long");
	memcpy(dst + have, at, len);
	dst[have + len] = 0;
	r->curlen += len;
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
}

static enum gw_method map_method(uint8_t m)
{
	switch (m) {
	case HTTP_GET: return GW_M_GET;
	case HTTP_HEAD: return GW_M_HEAD;
	case HTTP_POST: return GW_M_POST;
	case HTTP_PUT: return GW_M_PUT;
	case HTTP_DELETE: return GW_M_DELETE;
	case HTTP_PATCH: return GW_M_PATCH;
	case HTTP_OPTIONS: return GW_M_OPTIONS;
	default: return GW_M_OTHER;
	}
}

static int on_headers_complete(llhttp_t *p)
{
	struct gw_http_req *r = REQ(p);
	char *q;

	r->head_done = true;
	if (p->http_major != 1 || p->http_minor > 1)
		return refuse(r, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	r->minor = p->http_minor;
	r->method = map_method(p->method);
	trim(r->host);
	trim(r->authorization);
	trim(r->range);
	trim(r->accept);
	trim(r->content_type);
	trim(r->expect);
	trim(r->te);
	trim(r->grant);
	trim(r->pin);
	trim(r->cookie);
	if (r->target[0] != '/')
		return refuse(r, 400, "request target must be an absolute path");
	if (strchr(r->target, '#'))
		return refuse(r, 400, "fragment in request target");
	if (r->minor == 1 && !(r->seen & (1u << H_HOST)))
		return refuse(r, 400, "missing Host");
	if ((r->seen & (1u << H_TE)) && (r->seen & (1u << H_CL)))
		return refuse(r, 400, "both Content-Length and Transfer-Encoding");
	if (r->seen & (1u << H_TE)) {
		if (strcasecmp(r->te, "chunked") != 0 || !(p->flags & F_CHUNKED))
			return refuse(r, 400, "unsupported Transfer-Encoding");
		if (r->minor == 0)
			return refuse(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
		r->body = GW_BODY_CHUNKED;
	} else if (r->seen & (1u << H_CL)) {
		r->body = GW_BODY_LENGTH;
		r->content_length = p->content_length;
	} else {
		r->body = GW_BODY_NONE;
	}
	if (r->seen & (1u << H_EXPECT)) {
		if (strcasecmp(r->expect, "100-continue") != 0)
			return refuse(r, 417, "unsupported Expect");
		r->expect_continue = r->minor == 1;
	}
	r->has_range = (r->seen & (1u << H_RANGE)) != 0;
	r->keep_alive = llhttp_should_keep_alive(p) != 0;
	q = strchr(r->target, '?');
	r->path = r->target;
	if (q) {
		*q = 0;
		r->query = q + 1;
	} else {
		r->query = r->target + strlen(r->target);
	}
	return HPE_PAUSED;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct gw_http_req *r = REQ(p);
	int e;

	if (!r->sink)
		return 0;
	if ((e = r->sink(r->sink_arg, (const uint8_t *)at, len))) {
		r->sink_err = e;
		return HPE_USER;
	}
	return 0;
}

static int on_chunk_ext(llhttp_t *p, const char *at, size_t len)
{
	struct gw_http_req *r = REQ(p);

	(void)at;
	r->overhead += len;
	return r->overhead > r->overhead_max ? refuse(r, 400, "chunk extensions too large") : 0;
}

static int on_message_complete(llhttp_t *p)
{
	REQ(p)->msg_done = true;
	return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_chunk_extension_name = on_chunk_ext,
	.on_chunk_extension_value = on_chunk_ext,
	.on_message_complete = on_message_complete,
};

int gw_http_head_parse(struct gw_http_req *r, const uint8_t *buf, size_t len,
	uint64_t max_overhead)
{
	const char *why = NULL;
	llhttp_errno_t e;

	memset(r, 0, sizeof(*r));
	r->cur = H_NONE;
	r->overhead_max = max_overhead;
	if (!head_shape_ok(buf, len, &why)) {
		r->status = 400;
		r->why = why;
		return VG_EPROTO;
	}
	llhttp_init(&r->parser, HTTP_REQUEST, &settings);
	r->parser.data = r;
	e = llhttp_execute(&r->parser, (const char *)buf, len);
	if (r->status)
		return VG_EPROTO;
	if (e != HPE_PAUSED || !r->head_done ||
	    llhttp_get_error_pos(&r->parser) != (const char *)buf + len) {
		r->status = e == HPE_INVALID_METHOD ? 501 : e == HPE_INVALID_VERSION ? 505 : 400;
		r->why = e == HPE_OK ? "incomplete request head" : parse_why(e);
		return VG_EPROTO;
	}
	llhttp_resume(&r->parser);
	if (r->method == GW_M_OTHER) {
		r->status = 501;
		r->why = "method not implemented";
		return VG_EPROTO;
	}
	return 0;
}

/* RFC 9112 §7.1, strictly: hex size (at most 16 digits), optional
 * extensions, CRLF, data, CRLF; last chunk "0"; trailer lines without
 * obs-fold; CRLF. Every line ends in CRLF. */
enum {
	C_SIZE0 = 0, C_SIZE, C_EXT, C_SIZE_LF, C_DATA, C_DATA_CR, C_DATA_LF,
	C_TRAILER, C_TRAILER_LINE, C_TRAILER_LF, C_FINAL_LF, C_DONE,
};

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int field_byte(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int chunk_check(struct gw_http_req *r, const uint8_t *p, size_t n, size_t *consumed)
{
	size_t i = 0;

	while (i < n && r->cstate != C_DONE) {
		uint8_t c = p[i];
		int h;
		switch (r->cstate) {
		case C_SIZE0:
		case C_SIZE:
			if ((h = hexval(c)) >= 0) {
				if (++r->cdigits > 16)
					return VG_EPROTO;
				r->csize = r->csize << 4 | (uint64_t)h;
				r->cstate = C_SIZE;
			} else if (r->cstate == C_SIZE && c == ';') {
				r->cstate = C_EXT;
			} else if (r->cstate == C_SIZE && c == '\r') {
				r->cstate = C_SIZE_LF;
			} else {
				return VG_EPROTO;
			}
			break;
		case C_EXT:
			if (c == '\r')
				r->cstate = C_SIZE_LF;
			else if (!field_byte(c))
				return VG_EPROTO;
			break;
		case C_SIZE_LF:
			if (c != '\n')
				return VG_EPROTO;
			r->cdigits = 0;
			r->cstate = r->csize ? C_DATA : C_TRAILER;
			break;
		case C_DATA: {
			size_t take = n - i < r->csize ? n - i : (size_t)r->csize;
			r->csize -= take;
			i += take;
			if (r->csize == 0)
				r->cstate = C_DATA_CR;
			continue;
		}
		case C_DATA_CR:
			if (c != '\r')
				return VG_EPROTO;
			r->cstate = C_DATA_LF;
			break;
		case C_DATA_LF:
			if (c != '\n')
				return VG_EPROTO;
			r->cstate = C_SIZE0;
			break;
		case C_TRAILER:
			if (c == '\r')
				r->cstate = C_FINAL_LF;
			else if (c == ' ' || c == '\t' || !field_byte(c))
				return VG_EPROTO;  /* obs-fold, or a control byte */
			else
				r->cstate = C_TRAILER_LINE;
			break;
		case C_TRAILER_LINE:
			if (c == '\r')
				r->cstate = C_TRAILER_LF;
			else if (!field_byte(c))
				return VG_EPROTO;
			break;
		case C_TRAILER_LF:
			if (c != '\n')
				return VG_EPROTO;
			r->cstate = C_TRAILER;
			break;
		case C_FINAL_LF:
			if (c != '\n')
				return VG_EPROTO;
			r->cstate = C_DONE;
			break;
		}
		i++;
	}
	*consumed = i;
	return 0;
}

int gw_http_body_feed(struct gw_http_req *r, const uint8_t *p, size_t n, size_t *used,
	bool *done)
{
	llhttp_errno_t e;
	size_t checked;

	*used = 0;
	*done = r->msg_done;
	if (r->msg_done || n == 0)
		return 0;
	if (chunk_check(r, p, n, &checked)) {
		if (!r->status) {
			r->status = 400;
			r->why = "malformed chunked body";
		}
		return VG_EPROTO;
	}
	e = llhttp_execute(&r->parser, (const char *)p, n);
	if (e == HPE_OK && r->cstate != C_DONE && checked == n) {
		*used = n;
		return 0;
	}
	if (e == HPE_PAUSED && r->msg_done && r->cstate == C_DONE &&
	    (size_t)(llhttp_get_error_pos(&r->parser) - (const char *)p) == checked) {
		*used = checked;
		*done = true;
		return 0;
	}
	if (e == HPE_USER && r->sink_err)
		return r->sink_err;
	if (!r->status) {
		r->status = 400;
		r->why = "malformed chunked body";
	}
	return VG_EPROTO;
}

const char *gw_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 303: return "See Other";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

const char *gw_method_name(enum gw_method m)
{
	switch (m) {
	case GW_M_GET: return "GET";
	case GW_M_HEAD: return "HEAD";
	case GW_M_POST: return "POST";
	case GW_M_PUT: return "PUT";
	case GW_M_DELETE: return "DELETE";
	case GW_M_PATCH: return "PATCH";
	case GW_M_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}
