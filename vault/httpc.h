/* httpc.h - a small HTTPS GET client for vaultsync (the pull replicator):
 * one connection per request, TLS 1.2+, the peer pinned to one CA file
 * (its certificate must chain to it, or be it; the system trust store is
 * never used) and the URL's name or address checked against it. HTTP Basic
 * authentication. The body (Content-Length or chunked) goes to a sink as it
 * arrives, never held whole. Grammar of URLs: webhook.h's wh_url_parse. */
#ifndef VAULT_HTTPC_H
#define VAULT_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct httpc;
int httpc_new(const char *base_url, const char *ca_file, const char *user, const char *token,
	struct httpc **out, char *why, size_t whysz);
void httpc_free(struct httpc *h);

/* GET base path + path (path starts with "/"; the caller escapes it).
 * *status gets the HTTP status; the body goes to sink (a non-zero return
 * stops and is returned). 0, or VG_ECLOSED (connection), VG_EAUTH (the
 * peer's certificate was refused), VG_EPROTO (not HTTP), with why. */
int httpc_get(struct httpc *h, const char *path, int *status,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg, char *why, size_t whysz);
/* The same from byte `from` on (a Range request; the answer is 206, or 200 when
 * from is 0). */
int httpc_get_from(struct httpc *h, const char *path, uint64_t from, int *status,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg, char *why, size_t whysz);

/* GET into a malloc'd, NUL-terminated buffer of at most max bytes. */
int httpc_get_all(struct httpc *h, const char *path, int *status, char **body, size_t *len,
	size_t max, char *why, size_t whysz);

#endif
