/* metrics.h - the gateway's counters, rendered as Prometheus text for
 * GET /metrics. Counters are lock-free atomics; any thread may bump them. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>

#include "buf.h"

enum gw_route {
	GW_R_OTHER = 0,
	GW_R_RESTIC_CREATE,
	GW_R_RESTIC_CONFIG,
	GW_R_RESTIC_LIST,
	GW_R_RESTIC_FILE,
	GW_R_API_VAULTS,
	GW_R_API_ITEMS,
	GW_R_API_POINTS,
	GW_R_API_OBJECTS,
	GW_R_API_OTHER,
	GW_R_METRICS,
	GW_R_UI,
	GW_R_S3,           /* the S3 listener (gateway/s3/) */
	GW_R_COUNT
};

enum gw_counter {
	GW_C_BYTES_IN = 0,        /* request body bytes */
	GW_C_BYTES_OUT,           /* response body bytes */
	GW_C_AUTH_FAIL,           /* vaultd said unauthenticated */
	GW_C_AUTH_LIMITED,        /* refused by the per-source limiter */
	GW_C_CONN_ACCEPTED,
	GW_C_CONN_REFUSED,        /* over max_connections */
	GW_C_CONN_PRINCIPAL_CAP,  /* over max_connections_per_principal */
	GW_C_TLS_FAIL,            /* handshakes that failed */
	GW_C_HEADER_TIMEOUT,
	GW_C_IDLE_TIMEOUT,
	GW_C_BAD_REQUEST,         /* refused while parsing */
	GW_C_VAULTD_ERROR,        /* vaultd unreachable or protocol failure */
	GW_C_STREAM_ABORT,        /* a response cut mid-body */
	GW_C_LINK_SHARE,          /* vaultd link refused by the fair share (share.h) */
	GW_C_COUNT
};

enum gw_gauge {
	GW_G_OPEN_CONNS = 0,
	GW_G_ACTIVE_REQUESTS,
	GW_G_COUNT
};

void gw_metrics_request(enum gw_route route, int status);
void gw_metrics_add(enum gw_counter c, uint64_t n);
void gw_metrics_gauge(enum gw_gauge g, int64_t delta);
int64_t gw_metrics_gauge_get(enum gw_gauge g);
uint64_t gw_metrics_get(enum gw_counter c);
uint64_t gw_metrics_requests(enum gw_route route, int status);
/* Appends the Prometheus text exposition to wr. */
void gw_metrics_render(struct vg_wr *wr);
const char *gw_route_name(enum gw_route r);

#endif
