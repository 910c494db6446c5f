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
#include "audit_hwm.h"
#include "db.h"
#include "keys.h"
#include "record.h"
#include "store.h"

#define VCORE_DEK_SLOTS 64
#define VCORE_CMK_SLOTS 16

/* Keys (keyring.c). Platform-wrapped DEKs and infrastructure DEKs are
 * cached in deks[] (secmem: mlock'd, excluded from core dumps). A DEK
 * wrapped by a CMK is never cached: every open (point begin, object upload,
 * object restore, a purge of the vault) unwraps it in the token, which is
 * the re-validation: a revoked CMK stops working at the next request. A
 * vault whose key is unavailable is "sealed": its cache slot is wiped, one
 * cmk-unavailable alert is raised for the outage, and the seal lifts at
 * the first successful unwrap. All of it is under dek_lock. */
struct vwin;

struct vcore {
	struct vdb *db;
	struct vs_store *store;
	struct vcore_ckpt *ckpt;        /* checkpoint.c: the journal key, once known */
	struct vk_provider *local;
	struct vk_provider *infra;      /* keys/infra.key, opened or created on first need */
	struct vk_p11 *p11;             /* the PKCS#11 token, NULL if none is configured */
	struct vk_provider *cmk[VCORE_CMK_SLOTS];  /* one per key label used */
	struct va_audit *audit;
	pthread_mutex_t dek_lock;
	struct {
		uint64_t vault_id;
		uint8_t *dek;    /* secmem; NULL for CMK vaults */
		uint8_t *infra;  /* secmem; NULL without infrastructure encryption */
		/* What they were unwrapped from: a hit needs the vault record to
		 * hold exactly these (a key change or a damaged record misses). */
		uint16_t wrapped_len, infra_len;
		uint8_t wrapped[VK_WRAPPED_MAX], infra_wrapped[VK_WRAPPED_MAX];
	} deks[VCORE_DEK_SLOTS];
	struct {
		uint64_t vault_id;
		uint64_t since;
		char vault[VG_VAULT_NAME_MAX + 1];
		char why[300];
	} sealed[VCORE_DEK_SLOTS];
	int outbox;                     /* queue alerts for vaultnotify (alerts.c) */
	struct vwin *authfail;          /* failed authentications per source (auth.c) */
	struct vwin *deletions;         /* deletions per principal (lifecycle.c) */
	int lock_fd;                    /* DIR/vaultd.lock, held while open (-1: read-only) */
	bool readonly;                  /* opened by vcore_open_ex(VCORE_OPEN_READONLY) */
	uint32_t format_found;          /* the directory's format when opened (1: no marker) */
	char instance[33];              /* random id of this state directory */
	char dir[2048];
	/* The audit chain's state (audit_guard.h). */
	struct {
		pthread_mutex_t lock;
		int broken;                 /* mutations refused until acknowledged */
		uint64_t brk;               /* the first entry missing or failing */
		char why[512];
		char hwm_path[2100];        /* DIR/audit.hwm */
		struct va_hwm hwm;          /* the last mark written */
	} ast;
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

/* A detached upload (native API, over several links) may stay pending this
 * long; the purger drops it after, and a restart keeps it until then. */
#define VCORE_DETACHED_MAX_AGE 86400ull

struct vcore_recovery {
	uint64_t pending_points;
	uint64_t kept_detached;    /* detached uploads younger than a day: kept */
	uint64_t orphan_blobs;
	uint64_t stray_files;
};

/* vcore_open() takes DIR/vaultd.lock (common/lockfile.h) before it touches
 * anything else, so one process at a time owns a state directory: a second
 * one is refused with -EBUSY and WHY naming the holder ("in use by vaultd
 * pid N socket S"). LOCK_INFO is what this process writes there.
 *
 * VCORE_OPEN_READONLY (vaultd --check) takes no lock and changes nothing:
 * no directory or key file is created, LMDB is opened MDB_RDONLY (only its
 * own reader table in lock.mdb is written, as for any reader), so it is
 * safe beside a running vaultd. Every write transaction then fails. */
enum { VCORE_OPEN_READONLY = 1u << 0 };
/* The state directory's format (META "format", u32 big-endian). 1 is
 * vaultgate 0.1.0, which wrote no marker; 2 is this release. Records carry
 * their own layout versions (record.h), so opening an older directory is a
 * marker update; a newer one is refused with a message saying what to do. */
#define VCORE_FORMAT 2u
int vcore_open(const char *state_dir, struct vcore **out, char *why, size_t whysz);
int vcore_open_ex(const char *state_dir, unsigned flags, const char *lock_info,
	struct vcore **out, char *why, size_t whysz);
/* The same with the blobs in a RADOS pool (rados non-NULL) instead of
 * DIR/blobs. A state directory keeps the store it was created with. */
int vcore_open_store(const char *state_dir, unsigned flags, const char *lock_info,
	const struct vs_rados_conf *rados, struct vcore **out, char *why, size_t whysz);
void vcore_close(struct vcore *c);
/* The start-up recovery pass: drops uncommitted points, removes blobs no
 * committed record references. vcore_survey() counts the same things and
 * changes nothing (vaultd --check). */
int vcore_recover(struct vcore *c, struct vcore_recovery *st);
int vcore_survey(struct vcore *c, struct vcore_recovery *st);

/* Appends one audit entry in its own transaction (refusals, failures). */
int vcore_audit(struct vcore *c, const struct vcaller *who, const char *op,
	const char *target, const char *result, const char *reason);

int vcore_vault_create(struct vcore *c, const struct vcaller *who, const char *name);
/* Flags of vcore_vault_create_ex (unknown bits: VG_EINVAL). */
enum {
	VCORE_VAULT_INFRA = 1u << 0,  /* infrastructure (double) encryption, fixed for life */
	VCORE_VAULT_KNOWN = VCORE_VAULT_INFRA,
};
int vcore_vault_create_ex(struct vcore *c, const struct vcaller *who, const char *name,
	uint32_t flags);

/* keyring.c. Uses the PKCS#11 token of cfg for CMKs (call once, before
 * serving). */
int vcore_set_pkcs11(struct vcore *c, const struct vk_p11_config *cfg, char *why, size_t whysz);
/* Moves vault to the platform key (to_cmk false: refused from a CMK with
 * VG_EPOLICY) or to the CMK labelled label (a move or a rotation). The DEK
 * is unwrapped with the old KEK and wrapped with the new one inside their
 * providers; the new wrapped DEK and key reference are written in one
 * transaction with the audit entry (and the MUA grant for key-change), so
 * a crash before that commit leaves the vault on its old key. newref gets
 * the new key reference. */
int vcore_vault_key(struct vcore *c, const struct vcaller *who, const char *vault, bool to_cmk,
	const char *label, char newref[128], char *why, size_t whysz);
/* Checks that vault's keys can be used now (a token round trip for a CMK);
 * VG_EKEY seals the vault. */
int vcore_key_check(struct vcore *c, const char *vault, const struct vr_vault *v);
/* Why vault's key is unavailable ("" if it is not sealed). */
void vcore_key_why(struct vcore *c, const char *vault, char *buf, size_t n);
/* Is vault sealed (its key unavailable at the last attempt)? */
bool vcore_key_sealed(struct vcore *c, uint64_t vault_id);
/* Wipes everything cached for a vault that no longer exists (purged). */
void vcore_keys_forget(struct vcore *c, uint64_t vault_id);
int vcore_vault_get(struct vcore *c, const char *name, struct vr_vault *out);
int vcore_vault_list(struct vcore *c,
	int (*cb)(void *arg, const char *name, const struct vr_vault *v), void *arg);

/* owner: the agent the item belongs to ("" or NULL: the caller). */
int vcore_item_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *kind, const char *owner);
/* Gives an existing item to another agent (owner must be an agent
 * principal). Audited as item.set, reason "agent OLD -> NEW". */
int vcore_item_set_owner(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *owner);
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
/* The bytes a quota lets this upload write (vquota_admit); past them a
 * write is VG_ENOSPACE, and so is one that finds the disk below its floor
 * at a segment boundary; vcore_upload_why() then says which. */
void vcore_upload_limit(struct vcore_upload *u, uint64_t limit);
/* Repair (issue 14, `vaultctl scrub --repair`): an upload that replaces
 * the blob of an existing object (point 0: the restic container) of a
 * committed or soft-deleted point. The body must have the recorded size
 * and SHA-256 (else VG_EINVAL at finish); the new blob takes the old one's
 * place in one transaction with an object.repair audit entry, and the
 * damaged file is removed. Write and finish as for an upload. */
int vcore_repair_begin(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, const char *object, struct vcore_upload **out);
const char *vcore_upload_why(const struct vcore_upload *u);
int vcore_upload_write(struct vcore_upload *u, const void *p, size_t n);
int vcore_upload_finish(struct vcore_upload *u, uint64_t *size, uint8_t sha[VC_HASH_LEN]);
void vcore_upload_free(struct vcore_upload *u);
/* Resumable uploads (issue 14, vaultsync): an upload with a declared size and
 * SHA-256 that is cut because its client vanished can be parked instead of
 * dropped (the blob written so far stays, with its running hash); the same
 * principal takes it back for the same point, object, size and SHA-256 and
 * goes on at vcore_upload_size(). At most VCORE_PARK_MAX are kept, each for
 * VCORE_DETACHED_MAX_AGE at most (the oldest goes first); vaultd's exit drops
 * them. The whole-object SHA-256 is still checked at finish. */
#define VCORE_PARK_MAX 16
/* 0 (u is consumed, parked) or an error (u untouched: free it). */
int vcore_upload_park(struct vcore_upload *u);
/* 0 and *out, or VG_ENOTFOUND (nothing parked for it). */
int vcore_upload_unpark(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, const char *object, const uint8_t *want_sha,
	uint64_t want_size, struct vcore_upload **out);
uint64_t vcore_upload_size(const struct vcore_upload *u);
/* Drops every upload parked for c (vcore_close). */
void vcore_upload_unpark_all(struct vcore *c);

struct vcore_download;
/* point 0: the restic container point, as for uploads. */
int vcore_download_open(struct vcore *c, const char *vault, const char *item, uint64_t point,
	const char *object, struct vcore_download **out, struct vr_object *obj);
/* An object of a pending point who may upload into (its opener): S3
 * multipart parts, read once at CompleteMultipartUpload. */
int vcore_download_open_pending(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t pid, const char *object, struct vcore_download **out,
	struct vr_object *obj);
/* Decrypts only the segments covering [off, off+len) and passes the bytes
 * to sink in order. Every byte passed was authenticated first. */
int vcore_download_read(struct vcore_download *d, uint64_t off, uint64_t len,
	int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg);
void vcore_download_free(struct vcore_download *d);

/* The metadata reserve: new backups (point begin, object and restic
 * uploads) are refused with VG_ENOSPACE ("metadata space low: ...") when
 * fewer bytes than this are free on the metadata's filesystem or in its
 * LMDB map, so deletes, acknowledgments and audit entries still fit and a
 * backup fails cleanly before LMDB does (issue 12 item 10). */
#define VCORE_META_RESERVE (8ull << 20)
/* 0, or VG_ENOSPACE with why (may be NULL) when the reserve is reached;
 * logs it (at most once a minute). */
int vcore_meta_space(struct vcore *c, char *why, size_t whysz);

/* "0123456789abcdef" <-> u64 */
void vcore_point_str(uint64_t id, char out[17]);
int vcore_point_parse(const char *s, uint64_t *id);

#endif
