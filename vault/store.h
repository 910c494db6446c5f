/* store.h - encrypted blob files under the state directory.
 *
 * Layout: blobs/XX/<32 hex blob id>, where XX is the id's first byte.
 *
 * File format:
 *   header (48 bytes): "VGBLOB01" | blob id[16] | u32 seg_size | u64 size | u8 layers | 11 zero bytes
 *   segments: for i in 0..nseg-1: ciphertext(len_i) | tag[16]
 *   nseg = max(1, ceil(size / seg_size)); every segment is seg_size bytes but the last.
 *
 * Each segment is AES-256-GCM under the object key (HKDF of the DEK, salted
 * by the blob id), nonce = u64be(i) padded, and
 *   aad = "VGS1" | vault_id | item_id | point_id | blob id | u64 i | u8 last
 * so segments cannot be reordered, moved between objects, truncated or
 * extended. The file size and header must match the LMDB record exactly.
 *
 * Infrastructure (double) encryption (a vault option fixed at creation):
 * each segment's AES-GCM output (ciphertext || tag) is sealed again under a
 * second, independent key, HKDF(infra DEK, salt = blob id, info =
 * "vaultgate/infra/v1"), same nonce, aad = "VGI1" | the same fields. On disk
 * such a segment is outer ciphertext(len_i + 16) | outer tag[16], and header
 * byte 36 records the layers (0: one, the original format; 2: two). A
 * reader must be given the same layers the header records.
 *
 * A writer writes into the final path (O_EXCL). The blob is unreferenced
 * until the caller commits an LMDB record for it; finish() fdatasyncs the
 * file and fsyncs its directory first, and the start-up recovery pass
 * deletes blobs that no committed record references.
 *
 * Two back ends (store_be.h) carry the same bytes: the directory above
 * (vs_open), and a Ceph RADOS pool (vs_open_rados, store_rados.c): one
 * object per segment, "<blob hex>.<segment index, 8 hex>", and the header
 * as "<blob hex>", written last. finish() returns only when RADOS has
 * acknowledged every object write, and a RADOS ack is durable (the
 * write is on every replica's journal/WAL), so the caller's LMDB commit
 * that follows still never names bytes that could be lost.
 */
#ifndef VAULT_STORE_H
#define VAULT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define VS_SEG_SIZE (1u << 20)
#define VS_HDR_LEN 48u

struct vs_store;

struct vs_ctx {
	uint64_t vault_id, item_id, point_id;
	uint8_t blob[VC_BLOBID_LEN];
};

int vs_open(const char *dir, struct vs_store **out);
/* A RADOS pool; why names the conf and the pool on failure. Bounded
 * timeouts (timeout_s for the monitor, the OSDs and the mount). */
struct vs_rados_conf {
	const char *conf, *pool, *id;   /* id: the cephx user without "client.", or NULL */
	const char *keyring;            /* the user's keyring file, or NULL (the conf's) */
	unsigned readonly;              /* no write probe at open (vaultd --check) */
	unsigned timeout_s;             /* 0: 30 */
	unsigned inflight;              /* writes in flight per upload; 0: 8 */
	unsigned readahead;             /* segments read ahead per restore; 0: 8 */
};
int vs_open_rados(const struct vs_rados_conf *cf, struct vs_store **out, char *why, size_t whysz);
void vs_close(struct vs_store *s);
/* "dir" or "rados". */
const char *vs_kind(const struct vs_store *s);
/* One line naming where the blobs are (a path, or conf + pool). */
int vs_describe(struct vs_store *s, char *out, size_t outsz);
/* Named metadata objects beside the blobs (checkpoints): -ENOTSUP on the
 * directory back end. get returns a malloc'd buffer. */
int vs_meta_put(struct vs_store *s, const char *name, const uint8_t *p, size_t n);
int vs_meta_get(struct vs_store *s, const char *name, uint8_t **p, size_t *n);
/* One growing metadata object: append a record; read it whole (malloc'd;
 * VG_ENOTFOUND if it was never written). -ENOTSUP on the directory. */
int vs_log_append(struct vs_store *s, const char *name, const uint8_t *p, size_t n);
int vs_log_read(struct vs_store *s, const char *name, uint8_t **p, size_t *n);

/* The keys of a blob: the DEK-derived layer, and the infrastructure layer
 * (NULL: none). */
struct vs_keys {
	const uint8_t *dek;     /* 32 bytes */
	const uint8_t *infra;   /* 32 bytes or NULL */
};

struct vs_writer;
int vs_writer_new_keys(struct vs_store *s, const struct vs_keys *k, const struct vs_ctx *ctx,
	uint32_t seg_size, struct vs_writer **out);
int vs_writer_new(struct vs_store *s, const uint8_t dek[32], const struct vs_ctx *ctx,
	uint32_t seg_size, struct vs_writer **out);
int vs_writer_write(struct vs_writer *w, const void *p, size_t n);
/* Seals the last segment, writes the header, fdatasync + directory fsync. */
int vs_writer_finish(struct vs_writer *w, uint64_t *size, uint8_t sha256[VC_HASH_LEN]);
uint64_t vs_writer_size(const struct vs_writer *w);
/* Frees the writer; unlinks the blob unless finish() succeeded and keep is set. */
void vs_writer_free(struct vs_writer *w, int keep);

struct vs_reader;
int vs_reader_open_keys(struct vs_store *s, const struct vs_keys *k, const struct vs_ctx *ctx,
	uint64_t size, uint32_t seg_size, struct vs_reader **out);
int vs_reader_open(struct vs_store *s, const uint8_t dek[32], const struct vs_ctx *ctx,
	uint64_t size, uint32_t seg_size, struct vs_reader **out);
/* Decrypts segment idx into out (seg_size bytes); *n gets its length. */
int vs_reader_seg(struct vs_reader *r, uint64_t idx, uint8_t *out, size_t *n);
uint64_t vs_reader_nseg(const struct vs_reader *r);
void vs_reader_free(struct vs_reader *r);

int vs_unlink(struct vs_store *s, const uint8_t blob[VC_BLOBID_LEN]);
/* Calls cb for every blob file (and stray temp file, with blob=NULL and its
 * name); unparseable names are passed the same way. */
int vs_scan(struct vs_store *s, int (*cb)(void *arg, const uint8_t *blob, const char *sub,
	const char *name), void *arg);
int vs_unlink_name(struct vs_store *s, const char *sub, const char *name);
/* Bytes free on the blob file system. */
int vs_free_bytes(struct vs_store *s, uint64_t *out);
/* The path of a blob, for tests and tools. */
int vs_blob_path(struct vs_store *s, const uint8_t blob[VC_BLOBID_LEN], char *out, size_t outsz);

#endif
