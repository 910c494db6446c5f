/* webhook.c - see webhook.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "vg_err.h"
#include "webhook.h"

#define CONNECT_TIMEOUT_MS 5000
#define IO_TIMEOUT_S 10
#define RESP_MAX 8192

struct wh_client {
	SSL_CTX *ctx;
	struct wh_url u;
};

static int host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-';
}

int wh_url_parse(const char *url, struct wh_url *u, char *why, size_t whysz)
{
	static const char scheme[] = "https://";
	const char *h = url + sizeof(scheme) - 1, *he, *p;
	size_t hl;
	uint64_t port = 443;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
		snprintf(why, whysz, "webhook URL \"%.200s\": must start with https://", url);
		return VG_EINVAL;
	}
	if (*h == '[') {
		if (!(he = strchr(h, ']'))) {
			snprintf(why, whysz, "webhook URL \"%.200s\": unterminated [IPv6 address]", url);
			return VG_EINVAL;
		}
		hl = (size_t)(he - h - 1);
		h++;
		p = he + 1;
		u->ip = 1;
	} else {
		for (he = h; host_char(*he); he++)
			;
		hl = (size_t)(he - h);
		p = he;
	}
	if (hl == 0 || hl >= sizeof(u->host)) {
		snprintf(why, whysz, "webhook URL \"%.200s\": bad host", url);
		return VG_EINVAL;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = 0;
	if (u->ip) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, u->host, &a6) != 1) {
			snprintf(why, whysz, "webhook URL \"%.200s\": bad IPv6 address", url);
			return VG_EINVAL;
		}
	} else {
		struct in_addr a4;
		u->ip = inet_pton(AF_INET, u->host, &a4) == 1;
	}
	if (*p == ':') {
		char num[8];
		size_t nl = strspn(p + 1, "0123456789");
		if (nl == 0 || nl >= sizeof(num)) {
			snprintf(why, whysz, "webhook URL \"%.200s\": bad port", url);
			return VG_EINVAL;
		}
		memcpy(num, p + 1, nl);
		num[nl] = 0;
		if (vg_parse_u64(num, 1, 65535, &port)) {
			snprintf(why, whysz, "webhook URL \"%.200s\": port %s out of range", url, num);
			return VG_EINVAL;
		}
		p += 1 + nl;
	}
	snprintf(u->port, sizeof(u->port), "%u", (unsigned)port);
	if (*p != '/' || strlen(p) >= sizeof(u->path)) {
		snprintf(why, whysz, "webhook URL \"%.200s\": the path must start with / (and be shorter "
			"than 1 KiB)", url);
		return VG_EINVAL;
	}
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f || *q == '#') {
			snprintf(why, whysz, "webhook URL \"%.200s\": space, '#' or control byte in the path",
				url);
			return VG_EINVAL;
		}
	strcpy(u->path, p);
	return 0;
}

static void ssl_why(char *why, size_t whysz, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[200] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(why, whysz, "%s%s%s", what, *buf ? ": " : "", buf);
}

int wh_client_new(const char *url, const char *ca_file, struct wh_client **out, char *why,
	size_t whysz)
{
	struct wh_client *w = calloc(1, sizeof(*w));
	X509_VERIFY_PARAM *vp;
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	if ((r = wh_url_parse(url, &w->u, why, whysz)))
		goto fail;
	r = VG_EINVAL;
	if (!(w->ctx = SSL_CTX_new(TLS_client_method())) ||
	    !SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION)) {
		ssl_why(why, whysz, "TLS context");
		goto fail;
	}
	/* Only the configured CA or certificate: no default paths. */
	if (SSL_CTX_load_verify_locations(w->ctx, ca_file, NULL) != 1) {
		ssl_why(why, whysz, ca_file);
		goto fail;
	}
	vp = SSL_CTX_get0_param(w->ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
	*out = w;
	return 0;
fail:
	wh_client_free(w);
	return r;
}

void wh_client_free(struct wh_client *w)
{
	if (!w)
		return;
	SSL_CTX_free(w->ctx);
	free(w);
}

int wh_dial(const struct wh_url *u, int connect_ms, int io_s, char *why, size_t whysz)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	struct timeval tv = {.tv_sec = io_s};
	int fd = -1, e;

	if ((e = getaddrinfo(u->host, u->port, &hints, &res))) {
		snprintf(why, whysz, "%s: %s", u->host, gai_strerror(e));
		return VG_ECLOSED;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pf;
		socklen_t sl = sizeof(e);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pf.fd = fd;
			pf.events = POLLOUT;
			if (poll(&pf, 1, connect_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				break;
			errno = e ? e : ETIMEDOUT;
		}
		snprintf(why, whysz, "%s:%s: %s", u->host, u->port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return VG_ECLOSED;
	/* Blocking from here, with time limits on every read and write. */
	if (fcntl(fd, F_SETFL, 0) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(why, whysz, "socket options: %s", strerror(errno));
		close(fd);
		return VG_ECLOSED;
	}
	return fd;
}

static int write_all(SSL *ssl, const void *p, size_t n)
{
	size_t done;

	while (n > 0) {
		if (SSL_write_ex(ssl, p, n, &done) != 1)
			return -1;
		p = (const char *)p + done;
		n -= done;
	}
	return 0;
}

int wh_post(struct wh_client *w, const char *idem_key, const char *body, size_t len,
	int *status, char *why, size_t whysz)
{
	char hdr[2048], resp[RESP_MAX + 1];
	size_t got = 0, n;
	SSL *ssl = NULL;
	int fd, r, hl;
	long vr;

	*status = 0;
	if ((fd = wh_dial(&w->u, CONNECT_TIMEOUT_MS, IO_TIMEOUT_S, why, whysz)) < 0)
		return fd;
	r = VG_ECLOSED;
	if (!(ssl = SSL_new(w->ctx)) || SSL_set_fd(ssl, fd) != 1) {
		ssl_why(why, whysz, "TLS session");
		goto out;
	}
	if (w->u.ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), w->u.host)) {
			ssl_why(why, whysz, "TLS address check");
			goto out;
		}
	} else if (SSL_set1_host(ssl, w->u.host) != 1 ||
		   SSL_set_tlsext_host_name(ssl, w->u.host) != 1) {
		ssl_why(why, whysz, "TLS name check");
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK) {
			snprintf(why, whysz, "%s:%s: the receiver's certificate was refused: %s", w->u.host,
				w->u.port, X509_verify_cert_error_string(vr));
			r = VG_EAUTH;
		} else {
			ssl_why(why, whysz, "TLS handshake");
		}
		ERR_clear_error();
		goto out;
	}
	hl = snprintf(hdr, sizeof(hdr), "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\nIdempotency-Key: %s\r\n"
		"User-Agent: vaultnotify\r\nConnection: close\r\n\r\n", w->u.path,
		strchr(w->u.host, ':') ? "[" : "", w->u.host, strchr(w->u.host, ':') ? "]" : "",
		w->u.port, len, idem_key);
	if (hl < 0 || hl >= (int)sizeof(hdr)) {
		snprintf(why, whysz, "request header too long");
		r = VG_ETOOBIG;
		goto out;
	}
	if (write_all(ssl, hdr, (size_t)hl) || write_all(ssl, body, len)) {
		ssl_why(why, whysz, "sending the alert");
		goto out;
	}
	/* The status line is all we need; read until it is complete. */
	while (got < RESP_MAX && !memchr(resp, '\n', got)) {
		if (SSL_read_ex(ssl, resp + got, RESP_MAX - got, &n) != 1)
			break;
		got += n;
	}
	resp[got] = 0;
	ERR_clear_error();
	{
		unsigned code = 0;
		char *nl = strchr(resp, '\n');
		if (!nl || (strncmp(resp, "HTTP/1.1 ", 9) != 0 && strncmp(resp, "HTTP/1.0 ", 9) != 0) ||
		    sscanf(resp + 9, "%3u", &code) != 1 || code < 100 || code > 599) {
			snprintf(why, whysz, "%s:%s: not an HTTP answer", w->u.host, w->u.port);
			r = VG_EPROTO;
			goto out;
		}
		*status = (int)code;
		if (code < 200 || code > 299) {
			*nl = 0;
			snprintf(why, whysz, "%s:%s answered \"%.100s\"", w->u.host, w->u.port, resp);
			r = VG_EINTERNAL;
			goto out;
		}
	}
	r = 0;
out:
	if (ssl) {
		(void)SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	ERR_clear_error();
	close(fd);
	return r;
}
