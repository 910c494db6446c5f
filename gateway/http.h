/* http.h - HTTP/1.1 request parsing with llhttp: the request head, and the
 * chunked body decoder. Pure functions over byte buffers (no I/O), so the
 * fuzz harness drives exactly what the server runs.
 *
 * The head is parsed only once it is complete (gw_http_head_find). Before
 * llhttp sees it, the whole block is checked for the shapes that let two
 * parsers disagree: bare CR or LF, NUL and control bytes, obs-fold. llhttp
 * runs strict (no lenient flags), which refuses Content-Length together
 * with Transfer-Encoding and duplicate Content-Length; we refuse on top any
 * Transfer-Encoding other than exactly "chunked", and duplicate Host,
 * Authorization, Range, Expect and Transfer-Encoding fields.
 *
 * Chunked bodies are decoded by llhttp, and their framing is checked a
 * second time by a strict state machine here: llhttp 8.1 accepts any two
 * bytes where CRLF must end chunk data, and a bare LF after the last
 * chunk; both are refused (400).
 *
 * A refused head leaves req->status (400, 414, 417, 431, 501, 505) and
 * req->why (static text) for the answer; the connection is then closed.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#define GW_TARGET_MAX 4096
#define GW_AUTHZ_MAX 1024

enum gw_method {
	GW_M_OTHER = 0,
	GW_M_GET,
	GW_M_HEAD,
	GW_M_POST,
	GW_M_PUT,
	GW_M_DELETE,
	GW_M_PATCH,
	GW_M_OPTIONS,
};

enum gw_body {
	GW_BODY_NONE = 0,
	GW_BODY_LENGTH,   /* Content-Length bytes follow */
	GW_BODY_CHUNKED,  /* decoded by gw_http_body_feed */
};

/* Body sink for the chunked decoder: 0 or a negative error (stops). */
typedef int (*gw_body_sink)(void *arg, const uint8_t *p, size_t n);

struct gw_http_req {
	enum gw_method method;
	uint8_t minor;                 /* HTTP/1.minor */
	bool keep_alive;
	bool expect_continue;
	enum gw_body body;
	uint64_t content_length;       /* GW_BODY_LENGTH */
	char target[GW_TARGET_MAX];    /* path, NUL, query (split at '?') */
	const char *path;              /* into target */
	const char *query;             /* into target; "" if none */
	char authorization[GW_AUTHZ_MAX];
	char host[256];
	char range[128];
	char accept[256];
	char content_type[128];
	char expect[64];
	char te[64];
	char grant[64];                /* X-Vaultgate-Grant: an approved MUA request */
	char pin[32];                  /* X-Vaultgate-Pin: a security PIN (secret) */
	char cookie[1024];             /* Cookie: the console's session (ui/session.c; secret) */
	bool has_range;
	/* refusal */
	int status;
	const char *why;
	/* parser state */
	llhttp_t parser;
	unsigned seen;                 /* single-instance fields seen */
	int cur;                       /* field being collected */
	size_t curlen;
	bool head_done;
	bool msg_done;
	uint64_t overhead;             /* trailer and chunk-extension bytes */
	/* our own strict check of the chunked framing (see http.c) */
	int cstate;
	uint64_t csize;
	unsigned cdigits;
	uint64_t overhead_max;
	gw_body_sink sink;
	void *sink_arg;
	int sink_err;
};

/* Finds the end of a request head in buf[0..len): skips leading empty lines
 * (RFC 9112 §2.2), then looks for CRLF CRLF. Returns 1 with *start and *end
 * (one past the final LF) set, 0 if more bytes are needed. */
int gw_http_head_find(const uint8_t *buf, size_t len, size_t *start, size_t *end);

/* Parses the complete head buf[0..len) (as found by gw_http_head_find).
 * 0, or VG_EPROTO with req->status/why set. max_overhead bounds trailer and
 * chunk-extension bytes of a chunked body. */
int gw_http_head_parse(struct gw_http_req *req, const uint8_t *buf, size_t len,
	uint64_t max_overhead);

/* Feeds chunked body bytes. Decoded bytes go to req->sink. *used is how
 * much of p was consumed; it is less than n only when the message ended
 * (*done set) and the rest belongs to the next request. Returns 0, the
 * sink's error, or VG_EPROTO (malformed chunking: answer 400). */
int gw_http_body_feed(struct gw_http_req *req, const uint8_t *p, size_t n, size_t *used,
	bool *done);

const char *gw_http_reason(int status);
const char *gw_method_name(enum gw_method m);

#endif
