/* server.h - vaultd's UNIX-socket server: accept, one thread per client
 * connection (capped), the HELLO handshake, authentication of the caller,
 * request dispatch, and the two streaming shapes of wire.h. */
#ifndef VAULT_SERVER_H
#define VAULT_SERVER_H

#include "core.h"

#define VSRV_MAX_CONNS 256
/* Slots only uid 0 (local root's vaultctl) may take: members of the
 * socket's group cannot lock root out by filling the socket. */
#define VSRV_ROOT_RESERVED 4
/* A peer must send its whole HELLO within this time, or is closed. */
#define VSRV_HANDSHAKE_MS 5000

struct vsrv_opts {
	const char *socket_path;
	const char *socket_group;  /* may be NULL */
};

/* Creates the listening socket (mode 0660), replacing a stale one. */
int vsrv_listen(const struct vsrv_opts *o, int *lfd, char *why, size_t whysz);
/* Serves until a signal arrives on sigfd; then stops accepting, closes
 * client connections (aborting their uncommitted points) and returns. */
int vsrv_run(struct vcore *c, int lfd, int sigfd);

#endif
