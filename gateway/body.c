/* body.c - see body.h. */
#include <errno.h>
#include <string.h>

#include "body.h"
#include "conn.h"
#include "reply.h"
#include "vg_err.h"

struct sink {
	uint8_t *dst;
	size_t cap;
	size_t len;
};

static int sink_copy(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;

	if (n > s->cap - s->len)
		return VG_EINTERNAL;  /* cannot happen: we never feed more than cap */
	memcpy(s->dst + s->len, p, n);
	s->len += n;
	return 0;
}

void gw_body_init(struct gw_rctx *x)
{
	const struct gw_http_req *q = x->req;

	x->body_left = q->body == GW_BODY_LENGTH ? q->content_length : 0;
	x->body_done = q->body == GW_BODY_NONE || (q->body == GW_BODY_LENGTH && x->body_left == 0);
}

static uint64_t io_timeout(const struct gw_rctx *x)
{
	return x->srv->cfg->idle_timeout * 1000u;
}

static int read_length(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *got)
{
	struct gw_conn *c = x->c;
	size_t want = cap < x->body_left ? cap : (size_t)x->body_left;
	long n;

	if (c->rlen > 0) {
		/* Bytes that came with the head. */
		size_t take = want < c->rlen ? want : c->rlen;
		memcpy(buf, c->rbuf, take);
		memmove(c->rbuf, c->rbuf + take, c->rlen - take);
		c->rlen -= take;
		*got = take;
	} else {
		n = gw_conn_read(c, buf, want, io_timeout(x));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return VG_ECLOSED;  /* the peer left before the end of the body */
		*got = (size_t)n;
	}
	x->body_left -= *got;
	if (x->body_left == 0)
		x->body_done = true;
	return 0;
}

static int read_chunked(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *got)
{
	struct gw_conn *c = x->c;
	struct sink s = {.dst = buf, .cap = cap};
	size_t used, feed;
	bool done = false;
	long n;
	int r;

	if (x->req->msg_done) {
		x->body_done = true;
		*got = 0;
		return 0;
	}
	x->req->sink = sink_copy;
	x->req->sink_arg = &s;
	while (s.len == 0 && !done) {
		if (c->rlen == 0) {
			n = gw_conn_read(c, c->rbuf, c->rcap, io_timeout(x));
			if (n < 0)
				return (int)n;
			if (n == 0)
				return VG_ECLOSED;
			c->rlen = (size_t)n;
		}
		/* Decoded bytes never outnumber the encoded ones fed. */
		feed = c->rlen < cap - s.len ? c->rlen : cap - s.len;
		r = gw_http_body_feed(x->req, c->rbuf, feed, &used, &done);
		if (r)
			return r;
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
	}
	x->req->sink = NULL;
	*got = s.len;
	if (done && s.len == 0)
		x->body_done = true;
	return 0;
}

int gw_body_read(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *got)
{
	int r;

	*got = 0;
	if (x->body_done || cap == 0)
		return 0;
	if (x->req->expect_continue && !x->continue_sent && (r = gw_reply_continue(x)))
		return r;
	if (x->req->body == GW_BODY_LENGTH)
		r = read_length(x, buf, cap, got);
	else
		r = read_chunked(x, buf, cap, got);
	if (r == 0) {
		x->bytes_in += *got;
		if (*got == 0)
			x->body_done = true;
	}
	return r;
}

int gw_body_read_all(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *len)
{
	size_t got;
	int r;

	*len = 0;
	if (x->req->body == GW_BODY_LENGTH && x->req->content_length > cap)
		return VG_ETOOBIG;
	for (;;) {
		if (*len == cap) {
			uint8_t probe;
			if ((r = gw_body_read(x, &probe, 1, &got)))
				return r;
			return got ? VG_ETOOBIG : 0;
		}
		if ((r = gw_body_read(x, buf + *len, cap - *len, &got)))
			return r;
		if (got == 0)
			return 0;
		*len += got;
	}
}
