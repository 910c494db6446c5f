/* core.h - the vault model: vaults, items, recovery points and objects,
 * over LMDB (db.c), encrypted blobs (store.c), key providers (keys.h) and
 * the audit chain (audit.c). Every function here is what vaultd does for
 * one request; server.c only decodes, authorizes and streams.
 *
 * Recovery points commit atomically: object blobs are fsync'd with their
 * directory before the LMDB transaction that records them, and a point is
 * listed or restorable only once point_commit has flipped it to active in
 * one transaction. Every mutation appends its audit entry in the same
 * transaction.
 */
#ifndef VAULT_CORE_H
#define VAULT_CORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "db.h"
#include "keys.h"
#include "record.h"
#include "store.h"

#define VCORE_DEK_SLOTS 64

struct vcore {
	struct vdb *db;
	struct vs_store *store;
	struct vk_provider *local;
	struct va_audit *audit;
	pthread_mutex_t dek_lock;
	struct {
		uint64_t vault_id;
		uint8_t *dek;  /* secmem */
	} deks[VCORE_DEK_SLOTS];
	char dir[2048];
};

/* Who is asking: carried into every audit entry. */
struct vcaller {
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char peer[129];
	uint64_t session;
	uint8_t kind;        /* VR_K_* */
	bool root;           /* the local console: uid 0 on the socket, no credential */
	char grant[129];     /* an MUA grant the request presents ("" if none) */
	char pin[65];        /* a security PIN the request presents ("" if none) */
};

struct vcore_recovery {
	uint64_t pending_points;
	uint64_t orphan_blobs;
	uint64_t stray_files;
};

int vcore_open(const char *state_dir, struct vcore **out, char *why, size_t whysz);
void vcore_close(struct vcore *c);
int vcore_recover(struct vcore *c, struct vcore_recovery *st);

/* Appends one audit entry in its own transaction (refusals, failures). */
int vcore_audit(struct vcore *c, const struct vcaller *who, const char *op,
	const char *target, const char *result, const char *reason);

int vcore_vault_create(struct vcore *c, const struct vcaller *who, const char *name);
int vcore_vault_get(struct vcore *c, const char *name, struct vr_vault *out);
int vcore_vault_list(struct vcore *c,
	int (*cb)(void *arg, const char *name, const struct vr_vault *v), void *arg);

/* owner: the agent the item belongs to ("" or NULL: the caller). */
int vcore_item_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *kind, const char *owner);
int vcore_item_get(struct vcore *c, const char *vault, const char *item, struct vr_item *out);
int vcore_item_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *name, const struct vr_item *it), void *arg);

int vcore_point_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, bool detached, uint64_t *point);
int vcore_point_commit(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, struct vr_point *out);
int vcore_point_abort(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point);
/* Lists active points (and soft-deleted ones if all is set), oldest first. */
int vcore_point_list(struct vcore *c, const char *vault, const char *item, bool all,
	int (*cb)(void *arg, const struct vr_point *p), void *arg);
int vcore_object_list(struct vcore *c, const char *vault, const char *item, uint64_t point,
	int (*cb)(void *arg, const char *name, const struct vr_object *o), void *arg);

struct vcore_upload;
/* point 0 means the restic container point of a restic item; there an
 * existing object with the same bytes is a successful retry, and different
 * bytes are VG_EEXISTS.
 * want_sha (may be NULL): the body must hash to it, else VG_EINVAL at finish.
 * want_size: UINT64_MAX if unknown; otherwise checked early against free space. */
int vcore_upload_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, const char *object, const uint8_t *want_sha,
	uint64_t want_size, struct vcore_upload **out);
int vcore_upload_write(struct vcore_upload *u, const void *p, size_t n);
int vcore_upload_finish(struct vcore_upload *u, uint64_t *size, uint8_t sha[VC_HASH_LEN]);
void vcore_upload_free(struct vcore_upload *u);

struct vcore_download;
/* point 0: the restic container point, as for uploads. */
int vcore_download_open(struct vcore *c, const char *vault, const char *item, uint64_t point,
	const char *object, struct vcore_download **out, struct vr_object *obj);
/* Decrypts only the segments covering [off, off+len) and passes the bytes
 * to sink in order. Every byte passed was authenticated first. */
int vcore_download_read(struct vcore_download *d, uint64_t off, uint64_t len,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg);
void vcore_download_free(struct vcore_download *d);

/* "0123456789abcdef" <-> u64 */
void vcore_point_str(uint64_t id, char out[17]);
int vcore_point_parse(const char *s, uint64_t *id);

#endif
