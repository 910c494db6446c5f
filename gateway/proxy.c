/* proxy.c - see proxy.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "body.h"
#include "metrics.h"
#include "proxy.h"
#include "reply.h"
#include "reply.h"
#include "vg_err.h"

#define POOL_WAIT_MS 5000

struct gw_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *path;
	unsigned max, total, nidle;
	unsigned timeout_s;
	struct vgc **idle;
};

int gw_pool_new(const char *path, unsigned max, unsigned timeout_s, struct gw_pool **out)
{
	struct gw_pool *p;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))) || !(p->path = strdup(path)) ||
	    !(p->idle = calloc(max, sizeof(*p->idle)))) {
		if (p)
			free(p->path);
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->max = max;
	p->timeout_s = timeout_s;
	*out = p;
	return 0;
}

void gw_pool_free(struct gw_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nidle; i++)
		vgc_close(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->idle);
	free(p->path);
	free(p);
}

/* An idle link that vaultd closed (restart) reads as EOF: drop it. */
static bool link_alive(struct vgc *c)
{
	struct pollfd pf = {.fd = vgc_fd(c), .events = POLLIN};

	return poll(&pf, 1, 0) == 0;
}

int gw_pool_get(struct gw_pool *p, struct vgc **out)
{
	struct timespec until;
	struct vgc *c = NULL;
	struct timeval tv;
	int r;

	*out = NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_WAIT_MS / 1000;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->nidle > 0) {
			c = p->idle[--p->nidle];
			if (link_alive(c)) {
				pthread_mutex_unlock(&p->lock);
				*out = c;
				return 0;
			}
			vgc_close(c);
			p->total--;
		}
		if (p->total < p->max)
			break;
		if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			return VG_ELIMIT;
		}
	}
	p->total++;  /* reserve the slot, connect outside the lock */
	pthread_mutex_unlock(&p->lock);
	if ((r = vgc_connect(p->path, &c))) {
		pthread_mutex_lock(&p->lock);
		p->total--;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		return r;
	}
	/* A stuck vaultd must not pin a worker forever. */
	tv.tv_sec = p->timeout_s;
	tv.tv_usec = 0;
	(void)setsockopt(vgc_fd(c), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(vgc_fd(c), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*out = c;
	return 0;
}

void gw_pool_put(struct gw_pool *p, struct vgc *c, bool reuse)
{
	if (!c)
		return;
	/* The next request on this link may be another principal's. */
	vgc_forget(c);
	pthread_mutex_lock(&p->lock);
	if (reuse && p->nidle < p->max) {
		p->idle[p->nidle++] = c;
		c = NULL;
	} else {
		p->total--;
	}
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (c)
		vgc_close(c);
}

bool gw_link_failed(const struct vgc *v, int err)
{
	/* A vaultd answer always carries a message; I/O failures leave none. */
	return err != 0 && vgc_errmsg(v)[0] == 0;
}

/* Fills buf from the body (several TLS records per DATA frame). */
static int fill(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *len)
{
	size_t got;
	int r;

	*len = 0;
	while (*len < cap) {
		if ((r = gw_body_read(x, buf + *len, cap - *len, &got)))
			return r;
		if (got == 0)
			break;
		*len += got;
	}
	return 0;
}

enum gw_up_result gw_proxy_upload(struct gw_rctx *x, struct vgc *v, uint64_t max,
	struct vg_msg *resp, int *st, bool *link_ok)
{
	uint64_t total = 0;
	size_t n;
	int r;

	*st = 0;
	*link_ok = true;
	if ((r = vgc_upload_begin(v))) {
		*st = r;
		*link_ok = !gw_link_failed(v, r);
		return gw_link_failed(v, r) ? GW_UP_LINK : GW_UP_REFUSED;
	}
	for (;;) {
		if ((r = fill(x, x->io, x->iocap, &n))) {
			/* The client failed: vaultd drops the upload. */
			*st = r;
			r = vgc_upload_end(v, 1, resp);
			*link_ok = !gw_link_failed(v, r);
			return GW_UP_CLIENT;
		}
		if (n == 0)
			break;
		total += n;
		if (total > max) {
			r = vgc_upload_end(v, 1, resp);
			*st = VG_ETOOBIG;
			*link_ok = !gw_link_failed(v, r);
			return GW_UP_REFUSED;
		}
		if ((r = vgc_upload_write(v, x->io, n))) {
			/* vaultd refused mid-stream (its RESP is read); finish with
			 * END. WINDOW frames it sent after the RESP may still be
			 * queued, so this link is not reused. */
			(void)vgc_upload_end(v, 1, resp);
			*st = r;
			*link_ok = false;
			return gw_link_failed(v, r) ? GW_UP_LINK : GW_UP_REFUSED;
		}
	}
	r = vgc_upload_end(v, 0, resp);
	*st = r;
	*link_ok = !gw_link_failed(v, r);
	if (r == 0)
		return GW_UP_OK;
	return gw_link_failed(v, r) ? GW_UP_LINK : GW_UP_REFUSED;
}

int gw_proxy_download(struct gw_rctx *x, struct vgc *v, uint64_t len, bool *link_ok)
{
	struct vg_msg m;
	uint64_t sent = 0;
	int r;

	*link_ok = false;
	for (;;) {
		r = vgc_stream_next(v, &m);
		if (r == 1) {
			if (m.type != VG_F_DATA || m.datalen > len - sent)
				return VG_EPROTO;
			if ((r = gw_reply_data(x, m.data, m.datalen)))
				return r;  /* the client left; the stream is mid-way */
			sent += m.datalen;
			continue;
		}
		if (r == 0 && sent != len)
			r = VG_EPROTO;
		*link_ok = !gw_link_failed(v, r);
		return r;
	}
}

bool gw_upload_transport_failed(struct gw_rctx *x, enum gw_up_result res, int st, bool link_ok)
{
	switch (res) {
	case GW_UP_CLIENT:
		x->link_bad = !link_ok;
		if (st == VG_EPROTO)
			gw_reply_error(x, 400, "bad-request", "malformed chunked body");
		else
			x->aborted = true;  /* the client is gone */
		return true;
	case GW_UP_LINK:
		x->link_bad = true;
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		gw_reply_error(x, 502, "vaultd", "vaultd link failed during the upload");
		return true;
	default:
		return false;
	}
}
