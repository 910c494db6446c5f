/* client.h - the client side of the vaultd protocol, for vaultctl and
 * vaultgw. Blocking I/O on one UNIX-socket connection, one request at a
 * time. Every request carries the caller's credentials; vaultd decides.
 *
 *   vgc_connect -> vgc_req(op) + vg_msgb_*(...) -> vgc_call / vgc_upload_* /
 *   vgc_stream_next -> vgc_close
 */
#ifndef VAULT_CLIENT_H
#define VAULT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ops.h"
#include "wire.h"

struct vgc;

struct vgc_auth {
	const char *user;       /* Basic: principal name (with token) */
	const char *token;      /* Basic or Bearer */
	const uint8_t *cert;    /* 32-byte SHA-256 of a verified client certificate */
	const char *peer;       /* network source, for audit */
	const char *grant;      /* an MUA grant id presented with every request */
	const char *pin;        /* a security PIN presented with every request */
	/* S3 (issue 16): a SigV4 signature, checked by vaultd (s3auth.h) */
	const char *s3_cred, *s3_date, *s3_sig;
	const char *s3_canon;
	size_t s3_canon_len;
};

int vgc_connect(const char *path, struct vgc **out);
void vgc_close(struct vgc *c);
void vgc_set_auth(struct vgc *c, const struct vgc_auth *a);
/* Drops everything the last request left on the link: the credentials set
 * by vgc_set_auth, and the request and answer bytes (wiped). A pooled link
 * calls it before it goes back to the pool (gateway/proxy.c). */
void vgc_forget(struct vgc *c);
/* Test hook: 1 if the bytes of s are anywhere on the link: in the
 * credentials it would send, or in its buffers. */
int vgc_holds(const struct vgc *c, const char *s);
/* The server's message for the last failure ("" if none). */
const char *vgc_errmsg(const struct vgc *c);

/* Starts a request; add fields with vg_msgb_* on the returned writer. */
struct vg_wr *vgc_req(struct vgc *c, uint32_t op);
/* Sends the request and reads its RESP into *m (valid until the next call).
 * Returns the RESP status. */
int vgc_call(struct vgc *c, struct vg_msg *m);
/* After a RESP that opens a stream: the next ROW or DATA frame.
 * Returns 1 with *m set, 0 at a clean END, or the END's error status. */
int vgc_stream_next(struct vgc *c, struct vg_msg *m);

/* Upload: vgc_req(VG_OP_OBJECT_PUT)+fields, then upload_begin (sends the
 * request, waits for credit), upload_write (any size; blocks for credit),
 * upload_end (END, then the RESP into *m). abort sends END with ABORT. */
int vgc_upload_begin(struct vgc *c);
/* After upload_begin: the bytes the server already holds (a resumed
 * OBJECT_PUT, VG_PUT_RESUMABLE); send the body from there. 0 otherwise. */
uint64_t vgc_upload_offset(const struct vgc *c);
int vgc_upload_write(struct vgc *c, const void *p, size_t n);
int vgc_upload_end(struct vgc *c, int abort, struct vg_msg *m);

int vgc_fd(const struct vgc *c);

/* A secret (token, registration token, PIN) from the first line of a file,
 * or of standard input for "-": secrets never come from argv. The line end
 * (LF or CRLF) is removed and nothing else: an empty secret, one holding a
 * space, a tab or a control byte is VG_EINVAL, one longer than outsz - 1
 * bytes VG_ETOOBIG, and out is wiped on every failure. One rule for
 * vaultctl, vaultnotify and vaultsync. */
int vgc_read_secret(const char *path, char *out, size_t outsz);
/* What a vgc_read_secret failure means, for the operator. */
const char *vgc_secret_strerror(int r);

#endif
