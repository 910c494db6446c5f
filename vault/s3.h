/* s3.h - S3 buckets and object versions in the vault model (issue 16).
 *
 * A bucket is an item of kind "s3". Every object version, and every delete
 * marker, is one recovery point of that item (a version's data is its one
 * object, "data"), so soft delete, immutability, retention and the audit
 * apply to it unchanged; the version id is the point id (16 hex). What S3
 * needs beside the point is kept in meta, never as a file name:
 *
 *   "s3v/<item id>/<point id>" (16 hex each) -> version record
 *     u8 1 | u8 flags (bit0 delete marker, bit1 legal hold) | u16 n | key[n]
 *     | u64 size | md5[16] | u64 mtime | u64 seq | u8 lock mode (0 none, 1 GOVERNANCE,
 *     2 COMPLIANCE) | u64 retain until | u16 n | meta[n]
 *   "s3b/<item id>" -> bucket record
 *     u8 1 | u8 lock enabled | u8 default mode | u32 default days
 *
 * meta holds "name:value\n" lines as the client sent them (content-type,
 * cache-control, content-disposition, content-encoding, x-amz-meta-*).
 * Versioning is always on. Only versions whose point is active count: a
 * pending point (an upload in flight) and a soft-deleted one are invisible.
 */
#ifndef VAULT_S3_H
#define VAULT_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "db.h"

#define VS3_KEY_MAX 1024u
#define VS3_META_MAX 8192u

/* VS3_F_MP: a multipart upload (its pending point) or a version completed
 * from one; the record then ends in u16 parts (the ETag's "-N"). */
enum { VS3_F_MARKER = 1u << 0, VS3_F_HOLD = 1u << 1, VS3_F_MP = 1u << 2 };
enum { VS3_LOCK_NONE = 0, VS3_LOCK_GOVERNANCE = 1, VS3_LOCK_COMPLIANCE = 2 };

struct vs3_version {
	uint64_t point;
	uint8_t flags;
	uint16_t keylen;
	char key[VS3_KEY_MAX + 1];
	uint64_t size;
	uint8_t md5[16];
	uint64_t mtime;
	uint64_t seq;        /* order of versions (newest: highest) */
	uint8_t lock_mode;
	uint64_t retain_until;
	uint16_t metalen;
	char *meta;          /* NUL-terminated; NULL in listings; vs3_version_clear */
	uint16_t parts;      /* VS3_F_MP: the number of parts */
};
void vs3_version_clear(struct vs3_version *v);

struct vs3_bucket {
	uint8_t lock_enabled;
	uint8_t default_mode;
	uint32_t default_days;
};

int vs3_bucket_get(struct vcore *c, uint64_t item_id, struct vs3_bucket *b);
int vs3_bucket_put(struct vcore *c, uint64_t item_id, const struct vs3_bucket *b);

/* Writes the version record of pending point v->point (before its commit). */
int vs3_version_put(struct vcore *c, uint64_t item_id, struct vs3_version *v);
/* A version (any point state); *active says whether its point is active. */
int vs3_version_get(struct vcore *c, uint64_t item_id, uint64_t point, struct vs3_version *v,
	bool *active);

/* Keeps the version's point from expiring before until (its expiry is
 * raised), or at all while hold is set (expiry 0, never). Releasing a
 * hold leaves it never-expiring (SPEC: nothing is cut early). */
int vs3_point_floor(struct vcore *c, uint64_t item_id, uint64_t point, uint64_t until, bool hold);

/* Inside vlife_point_delete's transaction, for a point of an s3 item: a
 * legal hold, COMPLIANCE retention not yet passed, or GOVERNANCE retention
 * without a grant refuse the delete (VG_EIMMUTABLE, why), whatever the
 * route (S3, the native API, vaultctl). */
int vs3_delete_guard(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t point,
	const struct vcaller *who, uint64_t now, char *why, size_t whysz);

/* Every visible version of the bucket, sorted by key, newest first within
 * a key (the point id orders them). The caller frees *out. */
int vs3_versions(struct vcore *c, const char *vault, const char *item, const char *prefix,
	size_t prefixlen, struct vs3_version **out, size_t *n);
/* The open multipart uploads (records of pending points with VS3_F_MP),
 * as vs3_versions orders them. */
int vs3_uploads(struct vcore *c, const char *vault, const char *item, const char *prefix,
	size_t prefixlen, struct vs3_version **out, size_t *n);
int vs3_version_del(struct vcore *c, uint64_t item_id, uint64_t point);

/* The parts of a multipart upload (s3mp.c):
 *   "s3p/<item id>/<point id>/<number, 5 digits>" -> u8 1 | u64 size | md5[16]
 *     | u64 mtime | u8 n | object[n]
 * object: the part's object in the upload's pending point; a part sent
 * again gets a new object (the old one goes with the point). */
struct vs3_part {
	unsigned number;
	uint64_t size;
	uint8_t md5[16];
	uint64_t mtime;
	char object[40];
};
int vs3_part_put(struct vcore *c, uint64_t item_id, uint64_t point, const struct vs3_part *p);
/* Every part, by number; the caller frees *out. */
int vs3_parts(struct vcore *c, uint64_t item_id, uint64_t point, struct vs3_part **out,
	size_t *n);
int vs3_parts_del(struct vcore *c, uint64_t item_id, uint64_t point);
/* Inside txn: the version and part records of a point being dropped (the
 * purger's reaping of an upload left open). */
int vs3_forget_point(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t point);

/* The newest visible version of key (a delete marker included). */
int vs3_latest(struct vcore *c, const char *vault, const char *item, const char *key,
	size_t keylen, struct vs3_version *out);

#endif
