/* conn.h - one client connection: creation, teardown, and the worker side's
 * TLS I/O (non-blocking socket, waited on with poll() under a timeout). */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

int gw_conn_new(struct gw_server *s, int fd, const struct sockaddr_storage *sa,
	struct gw_conn **out);
/* Best-effort close_notify, then frees everything and releases the
 * connection's per-principal slot. */
void gw_conn_free(struct gw_server *s, struct gw_conn *c);
/* Makes sure the head buffer exists (max_header_bytes + one TLS record). */
int gw_conn_rbuf(struct gw_server *s, struct gw_conn *c);
/* Frees the head buffer if it holds nothing (idle connections keep none). */
void gw_conn_rbuf_trim(struct gw_conn *c);

/* Worker I/O. read: bytes (> 0), 0 at the peer's close, or -ETIMEDOUT /
 * VG_ECLOSED. write: all of it, or an error. */
long gw_conn_read(struct gw_conn *c, void *p, size_t n, uint64_t timeout_ms);
int gw_conn_write(struct gw_conn *c, const void *p, size_t n, uint64_t timeout_ms);

#endif
