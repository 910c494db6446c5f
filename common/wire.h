/* wire.h - the framed protocol between vaultgw/vaultctl and vaultd
 * (PROTOCOLS.md §3). Encoder and decoder both live in wire.c.
 *
 * Frame: a 12-byte header, then `len` payload bytes.
 *
 *   0      2      3      4          8          12
 *   +------+------+------+----------+----------+----------
 *   | 'VG' | type | flags| reqid    | len      | payload
 *   +------+------+------+----------+----------+----------
 *   all integers big-endian.
 *
 * Control frames (HELLO, WELCOME, REQ, RESP, END, WINDOW, ROW) carry a
 * sequence of typed fields: u16 tag, u32 len, value. Each tag has one type
 * and a length bound (the table in wire.c); unknown tags, duplicates, wrong
 * lengths and strings holding NUL or control bytes are refused with
 * VG_EPROTO. DATA frames carry raw stream bytes, at most VG_WIRE_MAX_DATA.
 *
 * A session starts with HELLO {version} from the client, answered by
 * WELCOME {version} or by RESP {status=VG_EVERSION} and a close.
 *
 * Streams up (object upload): REQ, then WINDOW {credit} from vaultd, then
 * DATA frames within the granted credit, more WINDOWs as vaultd consumes,
 * then END from the client; vaultd answers RESP. If vaultd fails mid-way
 * it sends RESP with the error and discards DATA until the client's END.
 *
 * Streams down (object restore, lists): RESP {status=0,...}, then DATA or
 * ROW frames, then END {status}. A non-zero END status means the stream is
 * incomplete and must not be trusted (for example an integrity failure).
 * Flow control downstream is the socket's own backpressure.
 */
#ifndef VG_WIRE_H
#define VG_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VG_WIRE_VERSION 1u
#define VG_WIRE_HDR 12u
#define VG_WIRE_MAX_DATA (256u * 1024u)
#define VG_WIRE_MAX_CTRL (64u * 1024u)
#define VG_WIRE_MAX_FIELDS 48u
#define VG_WIRE_STR_MAX 4096u

enum vg_frame_type {
	VG_F_HELLO = 1,
	VG_F_WELCOME = 2,
	VG_F_REQ = 3,
	VG_F_RESP = 4,
	VG_F_DATA = 5,
	VG_F_END = 6,
	VG_F_WINDOW = 7,
	VG_F_ROW = 8,
	VG_F_MAX = 8,
};

/* Frame flags. Unknown bits are refused. */
enum {
	VG_FL_ABORT = 1u << 0,  /* END: the sender gives the stream up */
	VG_FL_KNOWN = VG_FL_ABORT,
};

/* VG_T_BYTES: exactly max bytes; VG_T_BLOB: up to max bytes, any value. */
enum vg_ftype { VG_T_U32 = 1, VG_T_U64, VG_T_STR, VG_T_BYTES, VG_T_BLOB };

/* Field tags. Append only; the numbers are the protocol. */
enum vg_tag {
	VG_TAG_VERSION = 1,   /* u32 */
	VG_TAG_OP,            /* u32 enum vg_op */
	VG_TAG_STATUS,        /* u32: a negative vg error as two's complement */
	VG_TAG_MESSAGE,       /* str */
	VG_TAG_VAULT,         /* str */
	VG_TAG_ITEM,          /* str */
	VG_TAG_POINT,         /* str */
	VG_TAG_OBJECT,        /* str */
	VG_TAG_SIZE,          /* u64 */
	VG_TAG_OFFSET,        /* u64 */
	VG_TAG_LENGTH,        /* u64 */
	VG_TAG_SHA256,        /* bytes[32] */
	VG_TAG_TIME,          /* u64 unix seconds */
	VG_TAG_STATE,         /* str */
	VG_TAG_AUTH_USER,     /* str */
	VG_TAG_AUTH_TOKEN,    /* str (secret: never logged) */
	VG_TAG_AUTH_CERT,     /* bytes[32]: SHA-256 of a verified client certificate */
	VG_TAG_PEER,          /* str: the network source, for audit */
	VG_TAG_CREDIT,        /* u32 bytes */
	VG_TAG_SEQ,           /* u64 */
	VG_TAG_PRINCIPAL,     /* str */
	VG_TAG_OPNAME,        /* str */
	VG_TAG_TARGET,        /* str */
	VG_TAG_RESULT,        /* str */
	VG_TAG_REASON,        /* str */
	VG_TAG_HASH,          /* bytes[32] */
	VG_TAG_COUNT,         /* u64 */
	VG_TAG_FLAGS,         /* u32 */
	VG_TAG_NAME,          /* str */
	VG_TAG_VALUE,         /* str */
	VG_TAG_ROLE,          /* str */
	VG_TAG_KIND,          /* str */
	VG_TAG_TOKEN,         /* str (secret: shown once) */
	VG_TAG_TIME2,         /* u64 unix seconds (a second time: purge, expiry) */
	VG_TAG_ID,            /* str */
	VG_TAG_SIZE2,         /* u64 (a second size) */
	VG_TAG_PIN,           /* str (secret) */
	VG_TAG_GRANT,         /* str */
	VG_TAG_DETAIL,        /* str */
	/* S3 (issue 16): a SigV4-signed request, checked by vaultd (s3auth.h) */
	VG_TAG_S3_CRED,       /* str: AKID/YYYYMMDD/REGION/s3/aws4_request */
	VG_TAG_S3_DATE,       /* str: x-amz-date, YYYYMMDDTHHMMSSZ */
	VG_TAG_S3_CANON,      /* bytes: the canonical request (common/sigv4.h) */
	VG_TAG_S3_SIG,        /* str: 64 hex */
	VG_TAG_S3_KEY,        /* bytes: an object key (UTF-8, <= 1024) or a prefix */
	VG_TAG_S3_KEY2,       /* bytes: a second key (start-after, copy source) */
	VG_TAG_S3_META,       /* bytes: object metadata (vault/s3meta.h) */
	VG_TAG_MAX = VG_TAG_S3_META,
};

struct vg_field {
	uint16_t tag;
	uint32_t len;
	const uint8_t *val;
};

struct vg_frame_hdr {
	uint8_t type;
	uint8_t flags;
	uint32_t reqid;
	uint32_t len;
};

/* A decoded frame. Field values point into the payload buffer it was
 * decoded from; the message is valid only as long as that buffer. */
struct vg_msg {
	uint8_t type;
	uint8_t flags;
	uint32_t reqid;
	uint32_t nfields;
	struct vg_field f[VG_WIRE_MAX_FIELDS];
	const uint8_t *data;   /* DATA frames */
	uint32_t datalen;
	/* After a failed decode: the string field over its limit (0: none)
	 * and its length, so the refusal can name it. */
	uint16_t bad_tag;
	uint32_t bad_len;
};

/* Decoding (untrusted input). */
int vg_frame_hdr_decode(const uint8_t hdr[VG_WIRE_HDR], struct vg_frame_hdr *h);
int vg_msg_decode(const struct vg_frame_hdr *h, const uint8_t *payload, struct vg_msg *m);

int vg_msg_u32(const struct vg_msg *m, uint16_t tag, uint32_t *v);
int vg_msg_u64(const struct vg_msg *m, uint16_t tag, uint64_t *v);
int vg_msg_status(const struct vg_msg *m);  /* 0 if absent */
/* Copies a string field into dst (NUL-terminated). VG_ENOTFOUND if absent,
 * VG_ETOOBIG if it does not fit. */
int vg_msg_str(const struct vg_msg *m, uint16_t tag, char *dst, size_t dstsz);
int vg_msg_bytes(const struct vg_msg *m, uint16_t tag, const uint8_t **p, uint32_t *len);
int vg_msg_has(const struct vg_msg *m, uint16_t tag);

/* Encoding: a control frame is built in a vg_wr, then sent whole. */
void vg_msgb_begin(struct vg_wr *wr, uint8_t type, uint8_t flags, uint32_t reqid);
void vg_msgb_u32(struct vg_wr *wr, uint16_t tag, uint32_t v);
void vg_msgb_u64(struct vg_wr *wr, uint16_t tag, uint64_t v);
void vg_msgb_str(struct vg_wr *wr, uint16_t tag, const char *s);
void vg_msgb_bytes(struct vg_wr *wr, uint16_t tag, const void *p, uint32_t n);
int vg_msgb_end(struct vg_wr *wr);  /* patches the length; checks limits */

/* Blocking frame I/O over a stream socket. buf must hold VG_WIRE_MAX_DATA. */
int vg_send_frame(int fd, struct vg_wr *wr);
int vg_send_data(int fd, uint32_t reqid, const void *p, uint32_t n);
int vg_recv_msg(int fd, uint8_t *buf, struct vg_msg *m);

const char *vg_frame_type_name(uint8_t type);
/* A tag's name ("item", "principal"; "unknown") and its length bound: for
 * string tags the most bytes, for the others the exact size. The name tags
 * (vault, item, object, user, principal) are bounded by names.h. */
const char *vg_tag_name(uint16_t tag);
uint32_t vg_tag_max(uint16_t tag);

#endif
