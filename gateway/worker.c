/* worker.c - see worker.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "auth.h"
#include "body.h"
#include "conn.h"
#include "log.h"
#include "reply.h"
#include "router.h"
#include "vg_err.h"
#include "worker.h"
#include "wire.h"

#define WORKER_STACK (256u * 1024u)
#define WORKER_IDLE_S 30
#define OBUF_SIZE (16u * 1024u)

/* Lingering close. An answer sent before the request body was read (a 507
 * past a quota, a 413, a 401) reaches a client that may still be sending:
 * closing with unread bytes makes the kernel send a reset, and the client
 * can lose the answer it has not read yet (curl without Expect:
 * 100-continue: "Connection reset by peer"). So: close_notify, FIN, then
 * read and discard what still comes until the client closes, for at most
 * LINGER_TOTAL_MS and LINGER_BYTES, giving up after LINGER_IDLE_MS of
 * silence. */
#define LINGER_TOTAL_MS 5000
#define LINGER_IDLE_MS 1000
#define LINGER_BYTES (64ull << 20)

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void linger_close(struct gw_conn *c)
{
	int64_t end = mono_ms() + LINGER_TOTAL_MS;
	uint64_t got = 0;
	char buf[16384];

	if (c->fd < 0)
		return;
	if (c->ssl) {
		(void)SSL_shutdown(c->ssl);   /* our close_notify, after the answer */
		ERR_clear_error();
		SSL_set_quiet_shutdown(c->ssl, 1);  /* gw_conn_free: nothing more to send */
	}
	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	while (got < LINGER_BYTES) {
		struct pollfd pf = {.fd = c->fd, .events = POLLIN};
		int64_t left = end - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, (int)(left < LINGER_IDLE_MS ? left : LINGER_IDLE_MS)) <= 0)
			break;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0)
			got += (uint64_t)n;
	}
}

static void finish_conn(struct gw_server *s, struct gw_conn *c)
{
	atomic_fetch_sub(&s->nactive, 1);
	gw_conn_free(s, c);
	pthread_mutex_lock(&s->qlock);
	pthread_cond_broadcast(&s->qdone);
	pthread_mutex_unlock(&s->qlock);
}

/* A head we refuse: answer with its status and close. */
static void refuse_head(struct gw_rctx *x)
{
	int status = x->req->status ? x->req->status : 400;
	const char *why = x->req->why ? x->req->why : "bad request";

	gw_metrics_add(GW_C_BAD_REQUEST, 1);
	x->req->keep_alive = false;
	x->req->method = GW_M_OTHER;
	x->body_done = true;
	x->close_after = true;
	x->route = GW_R_OTHER;
	gw_reply_error(x, status, status == 431 ? "headers-too-large" : "bad-request", "%s", why);
}

void gw_worker_serve(struct gw_server *s, struct gw_conn *c, struct gw_http_req *req,
	uint8_t *io, uint8_t *obuf, size_t ocap)
{
	for (;;) {
		struct gw_rctx x;
		size_t start, end;
		int r;

		if (atomic_load(&s->stopping) && c->nrequests > 0)
			break;
		if (!c->rbuf || !gw_http_head_find(c->rbuf, c->rlen, &start, &end)) {
			/* Queued back before it stops counting as active, so a
			 * stopping loop never misses it. */
			gw_loop_handback(s, c);
			atomic_fetch_sub(&s->nactive, 1);
			return;
		}
		memset(&x, 0, sizeof(x));
		x.srv = s;
		x.c = c;
		x.req = req;
		x.io = io;
		x.iocap = VG_WIRE_MAX_DATA;
		x.obuf = obuf;
		x.ocap = ocap;
		if (end > s->cfg->max_header_bytes) {
			memset(req, 0, sizeof(*req));
			req->status = 431;
			req->why = "request head too large";
			r = VG_ETOOBIG;
		} else {
			r = gw_http_head_parse(req, c->rbuf + start, end - start, s->cfg->max_header_bytes);
		}
		if (c->s3 && r == 0 && (x.head = malloc(end - start + 1))) {
			memcpy(x.head, c->rbuf + start, end - start);
			x.head[end - start] = 0;
			x.headlen = end - start;
		}
		memmove(c->rbuf, c->rbuf + end, c->rlen - end);
		c->rlen -= end;
		if (r) {
			if (x.head) {
				OPENSSL_cleanse(x.head, x.headlen);
				free(x.head);
				x.head = NULL;
			}
			refuse_head(&x);
			gw_metrics_request(x.route, x.status);
			linger_close(c);   /* its body, if any, is unread */
			break;
		}
		gw_metrics_gauge(GW_G_ACTIVE_REQUESTS, 1);
		gw_body_init(&x);
		gw_route(&x);
		gw_metrics_gauge(GW_G_ACTIVE_REQUESTS, -1);
		if (!x.head_sent && !x.aborted) {
			log_warnx("%s %s from %s: no answer; closing", gw_method_name(req->method),
				req->path, c->peer);
			gw_reply_error(&x, 500, "internal", "no answer");
			x.close_after = true;
		}
		if (!x.aborted)
			(void)gw_reply_flush(&x);
		gw_auth_wipe(&x);
		if (x.head) {
			OPENSSL_cleanse(x.head, x.headlen);
			free(x.head);
		}
		OPENSSL_cleanse(req->authorization, sizeof(req->authorization));
		OPENSSL_cleanse(req->pin, sizeof(req->pin));
		OPENSSL_cleanse(req->cookie, sizeof(req->cookie));
		gw_metrics_request(x.route, x.aborted && !x.head_sent ? 499 : x.status);
		gw_metrics_add(GW_C_BYTES_IN, x.bytes_in);
		gw_metrics_add(GW_C_BYTES_OUT, x.bytes_out);
		c->nrequests++;
		log_debug("%s %s %s -> %d%s", c->peer, gw_method_name(req->method), req->path,
			x.status, x.aborted ? " (cut)" : "");
		if (x.aborted || x.close_after || !x.body_done) {
			if (!x.aborted && !x.body_done)
				linger_close(c);
			break;
		}
	}
	finish_conn(s, c);
}

static void *worker_main(void *arg)
{
	struct gw_server *s = arg;
	struct gw_http_req *req = malloc(sizeof(*req));
	uint8_t *io = malloc(VG_WIRE_MAX_DATA);
	uint8_t *obuf = malloc(OBUF_SIZE);

	pthread_mutex_lock(&s->qlock);
	if (!req || !io || !obuf)
		goto out;
	for (;;) {
		struct gw_conn *c;
		while (!s->work_head) {
			struct timespec until;
			int w;
			if (atomic_load(&s->stopping))
				goto out;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += WORKER_IDLE_S;
			s->idle_workers++;
			w = pthread_cond_timedwait(&s->qcond, &s->qlock, &until);
			s->idle_workers--;
			if (w == ETIMEDOUT && !s->work_head)
				goto out;
		}
		c = s->work_head;
		s->work_head = c->qnext;
		if (!s->work_head)
			s->work_tail = NULL;
		c->qnext = NULL;
		s->queued--;
		pthread_mutex_unlock(&s->qlock);
		gw_worker_serve(s, c, req, io, obuf, OBUF_SIZE);
		pthread_mutex_lock(&s->qlock);
	}
out:
	s->nworkers--;
	pthread_cond_broadcast(&s->qdone);
	pthread_mutex_unlock(&s->qlock);
	free(req);
	free(io);
	free(obuf);
	return NULL;
}

int gw_workers_init(struct gw_server *s)
{
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_cond_init(&s->qdone, NULL);
	pthread_attr_init(&s->wattr);
	pthread_attr_setdetachstate(&s->wattr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&s->wattr, WORKER_STACK);
	return 0;
}

void gw_worker_submit(struct gw_server *s, struct gw_conn *c)
{
	pthread_t th;

	c->state = GW_CS_WORKER;
	atomic_fetch_add(&s->nactive, 1);
	pthread_mutex_lock(&s->qlock);
	c->qnext = NULL;
	if (s->work_tail)
		s->work_tail->qnext = c;
	else
		s->work_head = c;
	s->work_tail = c;
	s->queued++;
	if (s->queued > s->idle_workers && s->nworkers < s->cfg->workers) {
		if (pthread_create(&th, &s->wattr, worker_main, s) == 0)
			s->nworkers++;
		else if (s->nworkers == 0)
			log_warn("cannot start a worker thread");
	}
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

void gw_workers_join(struct gw_server *s)
{
	pthread_mutex_lock(&s->qlock);
	pthread_cond_broadcast(&s->qcond);
	while (s->nworkers > 0)
		pthread_cond_wait(&s->qdone, &s->qlock);
	pthread_mutex_unlock(&s->qlock);
}
