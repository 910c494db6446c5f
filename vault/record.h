/* record.h - LMDB record layouts; encoder and decoder both in record.c.
 *
 * Named databases and their keys (all integers big-endian):
 *
 *   vaults     name                         -> vr_vault
 *   items      u64 vault_id || name         -> vr_item
 *   points     u64 item_id || u64 point_id  -> vr_point
 *   objects    u64 point_id || name         -> vr_object
 *   blobs      blob_id[16]                  -> vr_blobref  (reverse index)
 *   audit      u64 seq                      -> vr_audit
 *   jobs       u64 seq                      -> vr_job
 *   outbox     u64 alert seq                -> (empty)
 *   meta       ascii key                    -> small values
 *
 * Every value starts with a one-byte layout version. Decoding checks the
 * version, every length, and that the value is consumed exactly; anything
 * else is VG_EINTEGRITY (the metadata file was damaged or edited).
 */
#ifndef VAULT_RECORD_H
#define VAULT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "keys.h"
#include "names.h"

enum { VR_SD_OFF = 0, VR_SD_ON = 1, VR_SD_ALWAYS = 2 };
enum { VR_IMM_DISABLED = 0, VR_IMM_ENABLED = 1, VR_IMM_LOCKED = 2 };
enum { VR_V_ACTIVE = 0, VR_V_SOFTDELETED = 1 };
enum { VR_I_PROTECTED = 0, VR_I_STOPPED = 1, VR_I_SOFTDELETED = 2 };
enum { VR_P_PENDING = 0, VR_P_ACTIVE = 1, VR_P_SOFTDELETED = 2 };
enum { VR_O_ACTIVE = 0, VR_O_SOFTDELETED = 1 };
enum { VR_PK_BACKUP = 0, VR_PK_REPO = 1, VR_PK_SNAPSHOT = 2 };
enum { VR_DEL_NONE = 0, VR_DEL_USER = 1, VR_DEL_RETENTION = 2, VR_DEL_EXPIRY = 3 };

struct vr_vault {
	uint64_t id;
	uint64_t created;
	uint8_t state;
	uint64_t deleted_at, purge_at;
	uint8_t sd_state;
	uint16_t sd_days;
	uint8_t immut;
	char guard[VG_VAULT_NAME_MAX + 1];
	uint32_t mua_excl;          /* excluded excludable critical ops */
	char keyref[128];           /* key provider reference */
	uint16_t wrapped_len;
	uint8_t wrapped[VK_WRAPPED_MAX];
	uint8_t sd_alerted;
	uint8_t infra;              /* double encryption chosen at creation */
	uint16_t infra_wrapped_len;
	uint8_t infra_wrapped[VK_WRAPPED_MAX];
};

struct vr_item {
	uint64_t id;
	uint64_t vault_id;
	uint64_t created;
	char kind[16];              /* "files" or "restic" */
	uint8_t state;
	uint64_t deleted_at, purge_at;
	char owner[VG_PRINCIPAL_NAME_MAX + 1];
	char policy[VG_VAULT_NAME_MAX + 1];
	uint8_t sd_alerted;         /* upcoming-purge alert sent for this deletion */
	uint64_t repo_point;        /* restic items: the container point */
	uint64_t last_success, last_failure;
};

struct vr_point {
	uint64_t id;
	uint64_t item_id;
	uint8_t state;
	uint8_t kind;
	uint64_t created, committed;
	uint64_t expiry;
	uint64_t deleted_at, purge_at;
	uint64_t bytes;
	uint32_t objects;
	uint64_t session;           /* pending points bound to a connection; 0 = detached */
	uint8_t del_reason;         /* soft-deleted by: 1 user, 2 retention, 3 expiry */
	uint8_t sd_alerted;
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char ref[VG_OBJECT_NAME_MAX + 1];  /* snapshot points: the snapshot object */
};

struct vr_object {
	uint8_t blob[VC_BLOBID_LEN];
	uint64_t size;
	uint32_t seg_size;
	uint8_t sha256[VC_HASH_LEN];
	uint64_t created;
	uint8_t state;
	uint64_t deleted_at, purge_at;
	uint8_t sd_alerted;
	/* Optional trailing field, stored only when set (restic deletes). */
	char deleted_by[VG_PRINCIPAL_NAME_MAX + 1];
};

struct vr_blobref {
	uint64_t vault_id, item_id, point_id;
	char object[VG_OBJECT_NAME_MAX + 1];
};

/* auditor (SPEC §1): reads every vault's audit entries, alerts and
 * reports, nothing else; holds no roles; added by local root only. */
enum { VR_K_USER = 0, VR_K_AGENT = 1, VR_K_MONITOR = 2, VR_K_AUDITOR = 3, VR_K_LAST = VR_K_AUDITOR };
enum { VR_R_NONE = 0, VR_R_READER, VR_R_AGENT, VR_R_OPERATOR, VR_R_CONTRIBUTOR, VR_R_OWNER,
	/* issue 14: pull replication reads committed points and restic files;
	 * it never writes or deletes (SPEC §1) */
	VR_R_REPLICATOR, VR_R_MAX = VR_R_REPLICATOR };
#define VR_MAX_CERTS 4

struct vr_principal {
	uint8_t kind;
	uint8_t disabled;
	uint64_t created;
	uint8_t token_hash[VC_HASH_LEN];   /* SHA-256 of the token; all zero: none yet */
	uint64_t reg_expires;              /* agents: registration token valid until */
	uint8_t reg_hash[VC_HASH_LEN];     /* agents: SHA-256 of the one-time registration token */
	uint8_t ncerts;
	uint8_t certs[VR_MAX_CERTS][VC_HASH_LEN];
	char created_by[VG_PRINCIPAL_NAME_MAX + 1];
};

/* Retention policy (SPEC §7): 0 disables a tier; set tiers respect the floors. */
struct vr_policy {
	uint16_t daily_days, weekly_weeks, monthly_months, yearly_years;
	uint64_t created;
};

#define VR_MAX_APPROVERS 8
struct vr_guard {
	uint64_t created;
	uint32_t excluded;                 /* excludable critical ops turned off */
	uint8_t napprovers;
	char approvers[VR_MAX_APPROVERS][VG_PRINCIPAL_NAME_MAX + 1];
};

enum { VR_RQ_PENDING = 0, VR_RQ_APPROVED = 1, VR_RQ_USED = 2, VR_RQ_DENIED = 3 };
struct vr_request {
	char guard[VG_VAULT_NAME_MAX + 1];
	char op[32];
	char target[512];
	char requester[VG_PRINCIPAL_NAME_MAX + 1];
	char approver[VG_PRINCIPAL_NAME_MAX + 1];
	uint8_t state;
	uint64_t created, approved_at, expires;
};

struct vr_pin {
	uint8_t hash[VC_HASH_LEN];
	uint64_t expires;
	uint8_t used;
	char vault[VG_VAULT_NAME_MAX + 1];
	char creator[VG_PRINCIPAL_NAME_MAX + 1];
};

struct vr_alert {
	uint64_t seq;
	uint64_t time;
	char name[32];
	char severity[16];
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char vault[VG_VAULT_NAME_MAX + 1];
	char target[512];
	char detail[512];
};

/* A backup or restore job (SPEC §8 reports): one per committed point, per
 * restore, and per failure of either. */
enum { VR_JOB_BACKUP = 0, VR_JOB_RESTORE = 1,
	VR_JOB_SCRUB = 2 };     /* issue 14: one per vault scrubbed; item "" */
enum { VR_JOB_OK = 0, VR_JOB_FAILED = 1 };
struct vr_job {
	uint64_t seq;
	uint64_t time;
	uint8_t kind;               /* VR_JOB_* */
	uint8_t result;             /* VR_JOB_OK or VR_JOB_FAILED */
	uint64_t bytes;
	uint64_t point;             /* 0 if none */
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char detail[256];
};

struct vr_audit {
	uint64_t seq;
	uint64_t time;
	char principal[129];
	char op[65];
	char target[1025];
	char result[17];
	char reason[1025];
	char peer[129];
	uint8_t prev[VC_HASH_LEN];
	uint8_t hash[VC_HASH_LEN];
};

int vr_vault_enc(struct vg_wr *wr, const struct vr_vault *v);
int vr_vault_dec(const void *p, size_t n, struct vr_vault *v);
int vr_item_enc(struct vg_wr *wr, const struct vr_item *v);
int vr_item_dec(const void *p, size_t n, struct vr_item *v);
int vr_point_enc(struct vg_wr *wr, const struct vr_point *v);
int vr_point_dec(const void *p, size_t n, struct vr_point *v);
int vr_object_enc(struct vg_wr *wr, const struct vr_object *v);
int vr_object_dec(const void *p, size_t n, struct vr_object *v);
int vr_principal_enc(struct vg_wr *wr, const struct vr_principal *v);
int vr_principal_dec(const void *p, size_t n, struct vr_principal *v);
int vr_policy_enc(struct vg_wr *wr, const struct vr_policy *v);
int vr_policy_dec(const void *p, size_t n, struct vr_policy *v);
int vr_guard_enc(struct vg_wr *wr, const struct vr_guard *v);
int vr_guard_dec(const void *p, size_t n, struct vr_guard *v);
int vr_request_enc(struct vg_wr *wr, const struct vr_request *v);
int vr_request_dec(const void *p, size_t n, struct vr_request *v);
int vr_pin_enc(struct vg_wr *wr, const struct vr_pin *v);
int vr_pin_dec(const void *p, size_t n, struct vr_pin *v);
int vr_alert_enc(struct vg_wr *wr, const struct vr_alert *v);
int vr_alert_dec(const void *p, size_t n, struct vr_alert *v);
int vr_job_enc(struct vg_wr *wr, const struct vr_job *v);
int vr_job_dec(const void *p, size_t n, struct vr_job *v);
const char *vr_job_kind_name(uint8_t k);
const char *vr_kind_name(uint8_t k);
int vr_kind_parse(const char *s);
const char *vr_role_name(uint8_t r);
int vr_role_parse(const char *s);
int vr_blobref_enc(struct vg_wr *wr, const struct vr_blobref *v);
int vr_blobref_dec(const void *p, size_t n, struct vr_blobref *v);
/* The audit body (everything the HMAC covers, hash excluded) and the record. */
int vr_audit_body(struct vg_wr *wr, const struct vr_audit *v);
int vr_audit_enc(struct vg_wr *wr, const struct vr_audit *v);
int vr_audit_dec(const void *p, size_t n, struct vr_audit *v);

/* Keys. buf must hold 8 + 8 or 8 + name bytes. */
size_t vr_key_id_name(uint8_t *buf, uint64_t id, const char *name);
size_t vr_key_id_id(uint8_t *buf, uint64_t a, uint64_t b);

const char *vr_sd_name(uint8_t s);
const char *vr_immut_name(uint8_t s);
const char *vr_item_state_name(uint8_t s);
const char *vr_point_state_name(uint8_t s);

#endif
