/* gw.h - the structs the gateway's modules share (internal header).
 *
 * Ownership of a connection moves between two places, never both:
 *   - the event loop (loop.c) while it handshakes, sits idle, or receives a
 *     request head: non-blocking, in epoll, under the header/idle deadline;
 *   - one worker thread (worker.c) while a complete request is served:
 *     the same non-blocking socket, waited on with poll() and a timeout.
 * The hand-over is a mutex-protected queue, which also orders memory.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "client.h"
#include "config.h"
#include "http.h"
#include "limit.h"
#include "metrics.h"
#include "names.h"

struct gw_pool;
struct gw_share;
struct gw_tls;

enum gw_conn_state {
	GW_CS_HANDSHAKE = 1,
	GW_CS_HEAD,        /* idle or receiving a request head (event loop) */
	GW_CS_WORKER,      /* owned by a worker */
};

struct gw_conn {
	int fd;
	SSL *ssl;
	enum gw_conn_state state;
	struct sockaddr_storage sa;
	struct gw_addr_key akey;
	char peer[64];                 /* the address (common/peer.h) for vaultd's audit */
	char source[64];               /* what failures count by: IPv4, or IPv6 /64 */
	uint8_t *rbuf;                 /* head bytes and pipelined leftovers */
	size_t rlen, rcap;
	uint64_t deadline_ms;
	bool head_timer;               /* deadline is a header deadline */
	uint32_t epevents;             /* registered epoll events, 0 if none */
	bool has_cert;
	uint8_t cert[32];
	bool s3;                       /* accepted on the S3 listener (gateway/s3/) */
	/* vaultd's answer to WHOAMI for the credential this connection last
	 * used: a cache for the per-principal cap and /metrics, never a grant
	 * (every request still carries the credential to vaultd). */
	bool authed;
	uint8_t cred_key[32];
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char kind[16];
	bool admin;                    /* WHOAMI: local root or a vault Owner */
	bool pcounted;                 /* holds a per-principal slot */
	uint64_t nrequests;
	struct gw_conn *prev, *next;   /* the loop's list */
	struct gw_conn *qnext;         /* hand-over queues */
};

struct gw_server {
	const struct gw_config *cfg;
	struct gw_tls *tls;
	SSL_CTX *ctx;
	/* SIGHUP reloads the certificate and key from these paths (loop.c);
	 * the contexts it replaced stay alive until exit, since connections
	 * made under them still use their ticket keys. */
	const char *cert_path, *key_path;
	struct gw_tls *old_tls[16];
	unsigned nold_tls;
	struct gw_ratelimit *rl;
	struct gw_pcount *pc;
	struct gw_pool *pool;
	struct gw_share *share;        /* fair share of the pool (share.h) */
	int epfd, sigfd, timerfd, evfd;
	int lfd[GW_MAX_LISTEN + 1];
	int nlfd;
	int s3_lfd;                    /* index in lfd of the S3 listener, -1: none */
	struct gw_conn *conns;         /* loop-owned connections */
	uint64_t next_rotate_ms;
	/* loop -> workers */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	pthread_cond_t qdone;
	struct gw_conn *work_head, *work_tail;
	unsigned nworkers, idle_workers, queued;
	pthread_attr_t wattr;
	/* workers -> loop */
	struct gw_conn *back_head;
	atomic_bool stopping;
	atomic_uint_fast64_t nconns;   /* all open connections */
	atomic_uint_fast64_t nactive;  /* owned by workers */
};

/* Per-request context, on the worker's stack. */
struct gw_rctx {
	struct gw_server *srv;
	struct gw_conn *c;
	struct gw_http_req *req;
	/* request body */
	uint64_t body_left;            /* GW_BODY_LENGTH: bytes not read yet */
	bool body_done;
	bool continue_sent;
	uint64_t bytes_in;
	/* response */
	enum gw_route route;
	int status;
	bool head_sent;
	bool chunked_out;
	bool close_after;
	bool aborted;                  /* the response was cut; close */
	uint64_t bytes_out;
	uint8_t *obuf;                 /* staging for small writes */
	size_t olen, ocap;
	bool link_bad;                 /* the vaultd link must not be reused */
	/* the link's claim on the fair share (share.h), released at close */
	bool claimed, claim_admin, claim_write;
	char claim_principal[VG_PRINCIPAL_NAME_MAX + 1];
	/* credentials (wiped at the end of the request) */
	struct vgc_auth auth;
	char user[VG_PRINCIPAL_NAME_MAX + 1];
	char token[300];
	/* S3: the raw request head (SigV4 signs header lines the parser
	 * does not keep); NULL on other listeners */
	char *head;
	size_t headlen;
	/* the worker's big buffer (VG_WIRE_MAX_DATA) */
	uint8_t *io;
	size_t iocap;
};

#endif
