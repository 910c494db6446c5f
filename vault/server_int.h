/* server_int.h - what vaultd's request handlers share with server.c:
 * the connection, response helpers and argument parsing. */
#ifndef VAULT_SERVER_INT_H
#define VAULT_SERVER_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "auth.h"
#include "core.h"
#include "wire.h"

#define MAX_BOUND_POINTS 64

struct conn {
	struct vcore *c;
	int fd;
	uint64_t session;
	uid_t uid;
	pid_t pid;
	struct vcaller who;        /* per request */
	uint8_t *buf;              /* VG_WIRE_MAX_DATA */
	struct vg_wr out;
	uint32_t reqid;
	struct {
		char vault[VG_VAULT_NAME_MAX + 1];
		char item[VG_ITEM_NAME_MAX + 1];
		char opener[VG_PRINCIPAL_NAME_MAX + 1];  /* the principal that began it */
		uint64_t id;
	} bound[MAX_BOUND_POINTS];
	int nbound;
	int slot;
	bool auth_audited;         /* the current request's auth refusal is audited */
	char auth_why[300];        /* and its reason, sent back (S3: "Code: why") */
	/* The backup or restore job the current request streams for (set by
	 * h_object_put/h_object_get; restic requests are no jobs). */
	struct {
		bool active;
		uint8_t kind;              /* VR_JOB_* */
		char vault[VG_VAULT_NAME_MAX + 1];
		char item[VG_ITEM_NAME_MAX + 1];
		uint64_t point;
	} job;
	int run;                   /* its running.h slot (-1: none), freed after each request */
};


int send_status(struct conn *k, uint8_t type, int status, const char *msg);
int send_err(struct conn *k, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct vg_wr *resp_ok(struct conn *k);
struct vg_wr *row(struct conn *k);
int end_stream(struct conn *k, int r);
/* The text for r: "metadata space low: ..." when r is VG_ENOSPACE because
 * the metadata reserve is reached (core.h), else vg_strerror(r). */
const char *space_why(struct conn *k, int r, char *buf, size_t n);
void audit_fail(struct conn *k, const char *op, const char *target, int r, bool mutating);
/* Audits a refusal with its reason (NULL: the error's text). */
void audit_refusal(struct conn *k, const char *op, const char *target, int r, const char *why);
/* Permission check with audit and a 403-style RESP on refusal; returns 0
 * when allowed, 1 when refused (RESP sent), or an I/O error. */
int need(struct conn *k, const char *op, const char *vault, const char *item, enum vperm p);
/* need() inside a handler of `struct conn *k`: returns from the handler
 * when refused (0: the RESP is sent) or on an I/O error. */
#define NEED(op, vault, item, perm)                                  \
	do {                                                          \
		int _n = need(k, op, vault, item, perm);              \
		if (_n)                                               \
			return _n < 0 ? _n : 0;                       \
	} while (0)

struct args {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
	char pointstr[65];
	char kind[65];
	uint64_t point;
	char target[700];
};

enum { A_VAULT = 1, A_ITEM = 2, A_POINT = 4, A_OBJECT = 8 };
int get_args(const struct vg_msg *m, unsigned need_mask, struct args *a);

/* "WHAT: key unavailable: WHY" for a sealed vault (VG_EKEY). */
const char *key_detail(struct conn *k, const char *vault, char *buf, size_t n);
int send_key_err(struct conn *k, const char *what, const char *vault);
/* The current request is a backup or restore job of vault/item. */
void job_begin(struct conn *k, uint8_t kind, const char *vault, const char *item, uint64_t point);
/* Records the current job's failure (if r is one, see jobs.h) or success. */
void job_done(struct conn *k, int r, uint64_t bytes, const char *detail);

/* Quotas and the disk floor before an upload (h_data.c): 0, 1 when refused
 * (answered, audited), or an I/O error. */
int upload_admit(struct conn *k, const char *op, const char *vault, const char *item,
	const char *target, uint64_t size, uint64_t *limit);
/* A stored blob failed authentication on a route with no job (restic):
 * audit entry and integrity-failure alert naming vault/item/file. */
void integrity_failed(struct conn *k, const char *op, const char *target);

/* The two streaming shapes (h_data.c); both consume their handle. */
int stream_upload(struct conn *k, struct vcore_upload *u, const char *op, const char *target);
int stream_download(struct conn *k, struct vcore_download *d, const struct vr_object *o,
	uint64_t off, uint64_t len, const char *op, const char *target);

/* Handlers outside server.c. */
typedef int (*vhandler)(struct conn *k, const struct vg_msg *m);
int h_ping(struct conn *k, const struct vg_msg *m);
int h_job_running(struct conn *k, const struct vg_msg *m);
int h_firewall(struct conn *k, const struct vg_msg *m);
int h_whoami(struct conn *k, const struct vg_msg *m);
int h_vault_create(struct conn *k, const struct vg_msg *m);
int h_vault_list(struct conn *k, const struct vg_msg *m);
int h_vault_get(struct conn *k, const struct vg_msg *m);
int h_item_create(struct conn *k, const struct vg_msg *m);
int h_item_set(struct conn *k, const struct vg_msg *m);
int h_keys_export(struct conn *k, const struct vg_msg *m);
int h_item_list(struct conn *k, const struct vg_msg *m);
int h_point_begin(struct conn *k, const struct vg_msg *m);
int h_point_commit(struct conn *k, const struct vg_msg *m);
int h_point_abort(struct conn *k, const struct vg_msg *m);
int h_point_list(struct conn *k, const struct vg_msg *m);
int h_object_list(struct conn *k, const struct vg_msg *m);
int h_object_put(struct conn *k, const struct vg_msg *m);
int h_object_get(struct conn *k, const struct vg_msg *m);
int h_object_stat(struct conn *k, const struct vg_msg *m);
int h_audit_verify(struct conn *k, const struct vg_msg *m);
int h_audit_export(struct conn *k, const struct vg_msg *m);
int h_audit_ack(struct conn *k, const struct vg_msg *m);
int h_principal_add(struct conn *k, const struct vg_msg *m);
int h_principal_list(struct conn *k, const struct vg_msg *m);
int h_principal_rotate(struct conn *k, const struct vg_msg *m);
int h_principal_cert(struct conn *k, const struct vg_msg *m);
int h_role_set(struct conn *k, const struct vg_msg *m);
int h_role_list(struct conn *k, const struct vg_msg *m);
int h_agent_register(struct conn *k, const struct vg_msg *m);
int h_agent_activate(struct conn *k, const struct vg_msg *m);
int h_event_record(struct conn *k, const struct vg_msg *m);
int h_alert_list(struct conn *k, const struct vg_msg *m);
int h_vault_set(struct conn *k, const struct vg_msg *m);
int h_vault_delete(struct conn *k, const struct vg_msg *m);
int h_vault_undelete(struct conn *k, const struct vg_msg *m);
int h_policy_set(struct conn *k, const struct vg_msg *m);
int h_policy_list(struct conn *k, const struct vg_msg *m);
int h_item_set_policy(struct conn *k, const struct vg_msg *m);
int h_item_stop(struct conn *k, const struct vg_msg *m);
int h_item_undelete(struct conn *k, const struct vg_msg *m);
int h_item_resume(struct conn *k, const struct vg_msg *m);
int h_point_delete(struct conn *k, const struct vg_msg *m);
int h_point_undelete(struct conn *k, const struct vg_msg *m);
int h_guard_create(struct conn *k, const struct vg_msg *m);
int h_guard_approver(struct conn *k, const struct vg_msg *m);
int h_guard_exclude(struct conn *k, const struct vg_msg *m);
int h_guard_check(struct conn *k, const struct vg_msg *m);
int h_mua_request(struct conn *k, const struct vg_msg *m);
int h_mua_approve(struct conn *k, const struct vg_msg *m);
int h_mua_list(struct conn *k, const struct vg_msg *m);
int h_pin_generate(struct conn *k, const struct vg_msg *m);
int h_purge_run(struct conn *k, const struct vg_msg *m);
int h_clock_advance(struct conn *k, const struct vg_msg *m);
int h_restic_create(struct conn *k, const struct vg_msg *m);
int h_restic_put(struct conn *k, const struct vg_msg *m);
int h_restic_get(struct conn *k, const struct vg_msg *m);
/* S3 (s3.c, h_s3key.c) */
int h_s3(struct conn *k, const struct vg_msg *m);
int h_s3_key_create(struct conn *k, const struct vg_msg *m);
int h_s3_key_list(struct conn *k, const struct vg_msg *m);
int h_s3_key_delete(struct conn *k, const struct vg_msg *m);
/* stream_upload with hooks: write replaces vcore_upload_write for each
 * DATA frame (S3 chunk signatures, the MD5 ETag); done runs after the
 * upload finished, before the RESP (it may add fields to w, or fail). */
struct upload_hooks {
	int (*write)(void *arg, struct vcore_upload *u, const uint8_t *p, size_t n);
	int (*done)(void *arg, uint64_t size, const uint8_t sha[VC_HASH_LEN], struct vg_wr *w,
		char *why, size_t whysz);
	void *arg;
};
/* stream_download with more RESP fields (extra adds them). */
int stream_download_hooked(struct conn *k, struct vcore_download *d, const struct vr_object *o,
	uint64_t off, uint64_t len, const char *op, const char *target,
	void (*extra)(void *arg, struct vg_wr *w), void *arg);
int stream_upload_hooked(struct conn *k, struct vcore_upload *u, const char *op,
	const char *target, const struct upload_hooks *h);
int h_restic_stat(struct conn *k, const struct vg_msg *m);
int h_restic_list(struct conn *k, const struct vg_msg *m);
int h_restic_delete(struct conn *k, const struct vg_msg *m);
int h_restic_deleted(struct conn *k, const struct vg_msg *m);
int h_restic_undelete(struct conn *k, const struct vg_msg *m);
int h_vault_key(struct conn *k, const struct vg_msg *m);
int h_metrics(struct conn *k, const struct vg_msg *m);
int h_report(struct conn *k, const struct vg_msg *m);
int h_notify_next(struct conn *k, const struct vg_msg *m);
int h_notify_ack(struct conn *k, const struct vg_msg *m);
int h_pending_list(struct conn *k, const struct vg_msg *m);
int h_pending_cancel(struct conn *k, const struct vg_msg *m);
int h_clock_accept(struct conn *k, const struct vg_msg *m);
int h_audit_anchor(struct conn *k, const struct vg_msg *m);
/* h_watch.c (issue 14) */
int h_scrub(struct conn *k, const struct vg_msg *m);
int h_object_repair(struct conn *k, const struct vg_msg *m);
/* rows of h_data.c's item settings table */
int item_set_quota(struct conn *k, const struct args *a, const char *value);
int item_set_expect_every(struct conn *k, const struct args *a, const char *value);
int h_vault_set_quota(struct conn *k, const char *vault, const char *value);


#endif
