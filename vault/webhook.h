/* webhook.h - one HTTPS POST of a JSON body to a configured internal
 * receiver, for vaultnotify. The receiver is pinned: its certificate must
 * chain to the one CA (or be the one certificate) in the configured file;
 * the system trust store is never consulted, and the name or IP address in
 * the URL must match the certificate. TLS 1.2 or 1.3 only.
 *
 * URL grammar (strict): "https://" HOST [":" PORT] PATH, where HOST is a
 * DNS name or an IPv4 literal or a bracketed IPv6 literal, PORT 1..65535
 * (default 443), PATH starts with "/" and holds no space, '#', or control
 * bytes. Anything else is refused, not "cleaned up".
 */
#ifndef VAULT_WEBHOOK_H
#define VAULT_WEBHOOK_H

#include <stddef.h>

struct wh_url {
	char host[256];     /* without brackets */
	char port[6];
	char path[1024];
	int ip;             /* host is an address literal */
};

int wh_url_parse(const char *url, struct wh_url *u, char *why, size_t whysz);
/* A TCP connection to u (every address tried, CONNECT_MS each), then made
 * blocking with IO_S limits on every read and write: the fd, or VG_ECLOSED
 * with why. Shared by the webhook sender and vaultsync's HTTPS client. */
int wh_dial(const struct wh_url *u, int connect_ms, int io_s, char *why, size_t whysz);

struct wh_client;
int wh_client_new(const char *url, const char *ca_file, struct wh_client **out, char *why,
	size_t whysz);
void wh_client_free(struct wh_client *w);
/* POSTs body with an Idempotency-Key header. 0 on a 2xx answer; otherwise
 * VG_ECLOSED (no connection), VG_EAUTH (the receiver's certificate was
 * refused), VG_EPROTO (not an HTTP answer) or VG_EINTERNAL (a non-2xx
 * status, in *status), with why. Each call is one connection. */
int wh_post(struct wh_client *w, const char *idem_key, const char *body, size_t len,
	int *status, char *why, size_t whysz);

#endif
