/* worker.h - the worker threads: each takes a connection whose request head
 * is complete, serves requests on it while complete heads are buffered
 * (pipelining), then hands it back to the event loop, or closes it.
 * Threads are created on demand up to `workers`, with small stacks, and
 * leave after 30 s without work. */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#include "gw.h"

int gw_workers_init(struct gw_server *s);
/* From the event loop: c has a complete head in c->rbuf. */
void gw_worker_submit(struct gw_server *s, struct gw_conn *c);
/* Waits until every worker thread has left (after s->stopping is set and
 * the queue is empty). */
void gw_workers_join(struct gw_server *s);
/* Serves c on the calling thread until it goes idle or closes (exposed
 * for tests). io: VG_WIRE_MAX_DATA bytes. */
void gw_worker_serve(struct gw_server *s, struct gw_conn *c, struct gw_http_req *req,
	uint8_t *io, uint8_t *obuf, size_t ocap);

/* loop.c: a worker gives a connection back (idle, or a partial head). */
void gw_loop_handback(struct gw_server *s, struct gw_conn *c);

#endif
