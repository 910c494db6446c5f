/* loop.h - the event loop (main thread, epoll): accepts connections under
 * max_connections, runs TLS handshakes, holds idle keep-alive connections
 * and receives request heads, all non-blocking. A connection whose head is
 * complete goes to a worker (worker.h); workers give idle ones back.
 *
 * Deadlines: from accept, the TLS handshake and the first head must finish
 * within header_timeout; an idle connection is closed after idle_timeout;
 * once the first byte of a head arrives, the rest must follow within
 * header_timeout (slowloris gets cut, with 408 when possible). A head over
 * max_header_bytes is answered 431 and closed.
 *
 * Signals arrive on a signalfd: SIGTERM/SIGINT stop accepting, close idle
 * connections, let requests in flight finish (up to 30 s), and return.
 * A timerfd ticks twice a second for deadlines and ticket-key rotation.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include "gw.h"

/* s->cfg, ctx, tls, rl, pc, pool and the listening sockets (lfd) are set. */
int gw_loop_init(struct gw_server *s, char *why, size_t whysz);
int gw_loop_run(struct gw_server *s);
void gw_loop_fini(struct gw_server *s);

#endif
