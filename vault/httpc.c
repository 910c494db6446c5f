/* httpc.c - see httpc.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "httpc.h"
#include "vg_err.h"
#include "webhook.h"


#define IO_TIMEOUT_S 60
#define CONNECT_TIMEOUT_MS 10000
#define HEAD_MAX 16384

struct httpc {
	SSL_CTX *ctx;
	struct wh_url u;
	char auth[512];   /* "Basic base64(user:token)"; wiped at free */
};

int httpc_new(const char *base_url, const char *ca_file, const char *user, const char *token,
	struct httpc **out, char *why, size_t whysz)
{
	struct httpc *h;
	X509_VERIFY_PARAM *vp;
	char cred[400];
	unsigned char b64[560];
	int n;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	{
		/* "https://host:port" is "https://host:port/" */
		char u[1200];
		const char *rest = strncmp(base_url, "https://", 8) == 0 ? base_url + 8 : base_url;
		if (vg_fmt(u, sizeof(u), "%s%s", base_url, strchr(rest, '/') ? "" : "/") < 0 ||
		    wh_url_parse(u, &h->u, why, whysz)) {
			if (!*why)
				vg_fmt(why, whysz, "URL too long");
			free(h);
			return VG_EINVAL;
		}
	}
	/* the base path without a trailing slash */
	n = (int)strlen(h->u.path);
	while (n > 0 && h->u.path[n - 1] == '/')
		h->u.path[--n] = 0;
	n = vg_fmt(cred, sizeof(cred), "%s:%s", user, token);
	if (n < 0 || (size_t)n >= sizeof(cred)) {
		vg_fmt(why, whysz, "user name or token too long");
		free(h);
		return VG_EINVAL;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)cred, n);
	OPENSSL_cleanse(cred, sizeof(cred));
	vg_fmt(h->auth, sizeof(h->auth), "Basic %s", b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (!(h->ctx = SSL_CTX_new(TLS_client_method())) ||
	    !SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION)) {
		vg_fmt(why, whysz, "TLS context");
		httpc_free(h);
		return VG_EINTERNAL;
	}
	if (SSL_CTX_load_verify_locations(h->ctx, ca_file, NULL) != 1) {
		vg_fmt(why, whysz, "%s: cannot load the CA certificate", ca_file);
		httpc_free(h);
		return VG_EINVAL;
	}
	vp = SSL_CTX_get0_param(h->ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
	*out = h;
	return 0;
}

void httpc_free(struct httpc *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h->auth, sizeof(h->auth));
	SSL_CTX_free(h->ctx);
	free(h);
}

/* A buffered reader over the TLS stream. */
struct rd {
	SSL *ssl;
	uint8_t buf[16384];
	size_t off, len;
	int eof;
};

static int fill(struct rd *r)
{
	size_t n = 0;

	if (r->off < r->len)
		return 0;
	if (r->eof)
		return VG_EPROTO;
	r->off = r->len = 0;
	if (SSL_read_ex(r->ssl, r->buf, sizeof(r->buf), &n) != 1) {
		r->eof = 1;
		return VG_EPROTO;
	}
	r->len = n;
	return 0;
}

/* One line (CRLF stripped) of at most n-1 bytes. */
static int line(struct rd *r, char *out, size_t n)
{
	size_t k = 0;
	int e;

	for (;;) {
		if ((e = fill(r)))
			return e;
		char ch = (char)r->buf[r->off++];
		if (ch == '\n') {
			if (k && out[k - 1] == '\r')
				k--;
			out[k] = 0;
			return 0;
		}
		if (k + 1 >= n)
			return VG_EPROTO;
		out[k++] = ch;
	}
}

static int body_bytes(struct rd *r, uint64_t want, int (*sink)(void *, const uint8_t *, size_t),
	void *arg)
{
	int e;

	while (want > 0) {
		size_t n;
		if ((e = fill(r)))
			return e;
		n = r->len - r->off;
		if (n > want)
			n = (size_t)want;
		if (sink && (e = sink(arg, r->buf + r->off, n)))
			return e;
		r->off += n;
		want -= n;
	}
	return 0;
}

int httpc_get(struct httpc *h, const char *path, int *status,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg, char *why, size_t whysz)
{
	return httpc_get_from(h, path, 0, status, sink, arg, why, whysz);
}

int httpc_get_from(struct httpc *h, const char *path, uint64_t from, int *status,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg, char *why, size_t whysz)
{
	struct rd *r = NULL;
	SSL *ssl = NULL;
	char req[4096], ln[HEAD_MAX], range[48] = "";
	uint64_t clen = UINT64_MAX;
	int fd, e, chunked = 0, n;
	long vr;

	*status = 0;
	if (from)
		vg_fmt(range, sizeof(range), "Range: bytes=%llu-\r\n", (unsigned long long)from);
	n = vg_fmt(req, sizeof(req), "GET %s%s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
		"User-Agent: vaultsync\r\n%sConnection: close\r\n\r\n", h->u.path, path, h->u.host,
		h->auth, range);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		vg_fmt(why, whysz, "request path too long");
		return VG_EINVAL;
	}
	if ((fd = wh_dial(&h->u, CONNECT_TIMEOUT_MS, IO_TIMEOUT_S, why, whysz)) < 0) {
		OPENSSL_cleanse(req, sizeof(req));
		return fd;
	}
	if (!(ssl = SSL_new(h->ctx)) || SSL_set_fd(ssl, fd) != 1) {
		e = VG_EINTERNAL;
		vg_fmt(why, whysz, "TLS session");
		goto out;
	}
	if (h->u.ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), h->u.host)) {
			e = VG_EINVAL;
			vg_fmt(why, whysz, "%s: bad address", h->u.host);
			goto out;
		}
	} else if (SSL_set1_host(ssl, h->u.host) != 1 ||
		   SSL_set_tlsext_host_name(ssl, h->u.host) != 1) {
		e = VG_EINVAL;
		vg_fmt(why, whysz, "%s: bad host name", h->u.host);
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK) {
			e = VG_EAUTH;
			vg_fmt(why, whysz, "%s:%s: certificate refused: %s", h->u.host, h->u.port,
				X509_verify_cert_error_string(vr));
		} else {
			e = VG_ECLOSED;
			vg_fmt(why, whysz, "%s:%s: TLS handshake failed", h->u.host, h->u.port);
		}
		goto out;
	}
	{
		size_t done = 0;
		if (SSL_write_ex(ssl, req, (size_t)n, &done) != 1 || done != (size_t)n) {
			e = VG_ECLOSED;
			vg_fmt(why, whysz, "%s:%s: write failed", h->u.host, h->u.port);
			goto out;
		}
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		e = -ENOMEM;
		goto out;
	}
	r->ssl = ssl;
	if ((e = line(r, ln, sizeof(ln))) || sscanf(ln, "HTTP/1.%*d %d", status) != 1) {
		e = VG_EPROTO;
		vg_fmt(why, whysz, "not an HTTP answer");
		goto out;
	}
	for (;;) {
		char *colon, *v;
		if ((e = line(r, ln, sizeof(ln)))) {
			vg_fmt(why, whysz, "truncated headers");
			goto out;
		}
		if (!*ln)
			break;
		if (!(colon = strchr(ln, ':')))
			continue;
		*colon = 0;
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcasecmp(ln, "Content-Length") == 0 && vg_parse_u64(v, 0, UINT64_MAX, &clen)) {
			e = VG_EPROTO;
			vg_fmt(why, whysz, "bad Content-Length");
			goto out;
		}
		if (strcasecmp(ln, "Transfer-Encoding") == 0 && strcasecmp(v, "chunked") == 0)
			chunked = 1;
	}
	if (chunked) {
		for (;;) {
			unsigned long long sz;
			char *end;
			if ((e = line(r, ln, sizeof(ln))))
				goto trunc;
			sz = strtoull(ln, &end, 16);
			if (end == ln) {
				e = VG_EPROTO;
				goto trunc;
			}
			if (sz == 0)
				break;
			if ((e = body_bytes(r, sz, sink, arg)) || (e = line(r, ln, sizeof(ln))))
				goto trunc;
		}
	} else if (clen != UINT64_MAX) {
		if ((e = body_bytes(r, clen, sink, arg)))
			goto trunc;
	} else {
		/* until the connection closes */
		while (fill(r) == 0) {
			if (sink && (e = sink(arg, r->buf + r->off, r->len - r->off)))
				goto out;
			r->off = r->len;
		}
	}
	e = 0;
	goto out;
trunc:
	if (e == VG_EPROTO)
		vg_fmt(why, whysz, "%s:%s: the answer was cut short", h->u.host, h->u.port);
out:
	OPENSSL_cleanse(req, sizeof(req));
	free(r);
	if (ssl) {
		(void)SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return e;
}

struct acc {
	char *p;
	size_t n, max;
};

static int acc_sink(void *arg, const uint8_t *p, size_t n)
{
	struct acc *a = arg;
	char *np;

	if (n > a->max - a->n)
		return VG_ETOOBIG;
	if (!(np = realloc(a->p, a->n + n + 1)))
		return -ENOMEM;
	a->p = np;
	memcpy(a->p + a->n, p, n);
	a->n += n;
	a->p[a->n] = 0;
	return 0;
}

int httpc_get_all(struct httpc *h, const char *path, int *status, char **body, size_t *len,
	size_t max, char *why, size_t whysz)
{
	struct acc a = {.max = max};
	int r = httpc_get(h, path, status, acc_sink, &a, why, whysz);

	if (r) {
		free(a.p);
		return r;
	}
	if (!a.p && !(a.p = calloc(1, 1)))
		return -ENOMEM;
	*body = a.p;
	*len = a.n;
	return 0;
}
