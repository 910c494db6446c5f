/* conn.c - see conn.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "conn.h"
#include "peer.h"
#include "vg_err.h"

#define TLS_RECORD 16384u


int gw_conn_new(struct gw_server *s, int fd, const struct sockaddr_storage *sa,
	struct gw_conn **out)
{
	struct gw_conn *c;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	if (!(c->ssl = SSL_new(s->ctx)) || SSL_set_fd(c->ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(c->ssl);
		free(c);
		return -ENOMEM;
	}
	SSL_set_accept_state(c->ssl);
	c->fd = fd;
	c->sa = *sa;
	gw_addr_key_from(sa, &c->akey);
	{
		struct vg_peer p;
		if (vg_peer_from_sockaddr(sa, &p) == 0) {
			snprintf(c->peer, sizeof(c->peer), "%s", p.addr);
			snprintf(c->source, sizeof(c->source), "%s", p.source);
		} else {
			snprintf(c->peer, sizeof(c->peer), "unknown");
			snprintf(c->source, sizeof(c->source), "unknown");
		}
	}
	c->state = GW_CS_HANDSHAKE;
	*out = c;
	return 0;
}

void gw_conn_free(struct gw_server *s, struct gw_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		if (c->state != GW_CS_HANDSHAKE)
			(void)SSL_shutdown(c->ssl);  /* non-blocking: one try */
		ERR_clear_error();
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->pcounted)
		gw_pcount_release(s->pc, c->principal);
	OPENSSL_cleanse(c->cred_key, sizeof(c->cred_key));
	free(c->rbuf);
	free(c);
	atomic_fetch_sub(&s->nconns, 1);
	gw_metrics_gauge(GW_G_OPEN_CONNS, -1);
}

int gw_conn_rbuf(struct gw_server *s, struct gw_conn *c)
{
	if (c->rbuf)
		return 0;
	c->rcap = (size_t)s->cfg->max_header_bytes + TLS_RECORD;
	if (!(c->rbuf = malloc(c->rcap)))
		return -ENOMEM;
	c->rlen = 0;
	return 0;
}

void gw_conn_rbuf_trim(struct gw_conn *c)
{
	if (c->rbuf && c->rlen == 0) {
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
}

static int wait_fd(int fd, short ev, uint64_t deadline)
{
	struct pollfd pf = {.fd = fd, .events = ev};
	uint64_t now;
	int r;

	for (;;) {
		now = gw_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)(deadline - now > 60000 ? 60000 : deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* After a failed SSL call: waits until the socket is ready for what TLS
 * wants (0: try the call again); SSL_ERROR_ZERO_RETURN (a positive number)
 * at the peer's clean close; VG_ECLOSED on any other failure, or the wait's
 * error. */
static int ssl_wait(struct gw_conn *c, uint64_t deadline)
{
	switch (SSL_get_error(c->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c->fd, POLLIN, deadline);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c->fd, POLLOUT, deadline);
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return SSL_ERROR_ZERO_RETURN;
	default:
		ERR_clear_error();
		return VG_ECLOSED;
	}
}

long gw_conn_read(struct gw_conn *c, void *p, size_t n, uint64_t timeout_ms)
{
	uint64_t deadline = gw_now_ms() + timeout_ms;
	size_t got;
	int r;

	for (;;) {
		ERR_clear_error();
		if (SSL_read_ex(c->ssl, p, n, &got) == 1)
			return (long)got;
		if ((r = ssl_wait(c, deadline)) == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (r)
			return r;
	}
}

int gw_conn_write(struct gw_conn *c, const void *p, size_t n, uint64_t timeout_ms)
{
	const uint8_t *b = p;
	uint64_t deadline = gw_now_ms() + timeout_ms;
	size_t done;
	int r;

	while (n > 0) {
		ERR_clear_error();
		if (SSL_write_ex(c->ssl, b, n, &done) == 1) {
			b += done;
			n -= done;
			deadline = gw_now_ms() + timeout_ms;  /* progress resets the idle clock */
			continue;
		}
		if ((r = ssl_wait(c, deadline)) == SSL_ERROR_ZERO_RETURN)
			r = VG_ECLOSED;
		if (r)
			return r;
	}
	return 0;
}
