/* audit.h - the hash-chained, append-only audit log.
 *
 *   hash_n = HMAC-SHA-256(audit key, body_n), where body_n encodes
 *            seq, time, principal, op, target, result, reason, peer, hash_{n-1}
 *   head   = (seq_last, hash_last, HMAC(audit key, "head" | seq_last | hash_last))
 *
 * Entries are appended inside the caller's write transaction, so a mutation
 * and its audit entry commit together or not at all. Verification walks the
 * chain and finds any edited, removed, inserted or reordered entry, and the
 * MAC'd head catches truncation of the tail. The audit key is its own file
 * (keys/audit.key), separate from every data key.
 */
#ifndef VAULT_AUDIT_H
#define VAULT_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "crypto.h"
#include "record.h"

struct va_audit;

int va_open(const char *keypath, struct va_audit **out, char *why, size_t whysz);
void va_free(struct va_audit *a);

struct va_entry {
	const char *principal;
	const char *op;
	const char *target;
	const char *result;   /* "ok", "denied", "failed" */
	const char *reason;
	const char *peer;
};

int va_append(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t now,
	const struct va_entry *e, uint64_t *seq_out);

/* 0 if the chain is intact; VG_EINTEGRITY with *bad_seq and why otherwise. */
int va_verify(struct va_audit *a, struct vdb *db, uint64_t *count, uint64_t *bad_seq,
	char *why, size_t whysz);

/* What a verification found. An acknowledged break (`vaultctl audit
 * acknowledge`) is a MAC'd meta record "audit_epoch/SEQ": the entry that
 * failed (brk) and the audit.acknowledge entry at SEQ with its hash.
 * Verification meets the failure at brk, starts again at SEQ and checks
 * everything after it; any other failure is a break. */
struct va_report {
	uint64_t count;        /* entries verified */
	uint64_t bad_seq;      /* the entry that fails (0: none) */
	uint64_t acks;         /* acknowledged breaks */
	uint64_t known_break;  /* the newest one's failing entry (0: none) */
	uint64_t ack_seq;      /* and its audit.acknowledge entry */
	uint64_t head_seq;
	int head_version;      /* 2: the head says a high-water file is kept */
};
int va_verify_report(struct va_audit *a, struct vdb *db, struct va_report *rep,
	char *why, size_t whysz);

/* Appends e (op "audit.acknowledge") and records that the break at brk is
 * acknowledged as of that entry, inside txn. */
int va_acknowledge(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t now,
	const struct va_entry *e, uint64_t brk, uint64_t *seq_out);

/* The head, its MAC checked (VG_EINTEGRITY if it fails); version 1 or 2. */
int va_head(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t *seq,
	uint8_t hash[VC_HASH_LEN], int *version);
/* The stored hash of entry seq (VG_ENOTFOUND if there is none). */
int va_entry_hash(struct vdb *db, MDB_txn *txn, uint64_t seq, uint8_t hash[VC_HASH_LEN]);
/* HMAC-SHA-256 under the audit key, with a domain label. */
int va_mac(struct va_audit *a, const char *label, const void *p, size_t n,
	uint8_t mac[VC_HASH_LEN]);

/* Iterates entries with seq >= from, in order, until cb returns non-zero. */
int va_iter(struct vdb *db, MDB_txn *txn, uint64_t from,
	int (*cb)(void *arg, const struct vr_audit *e), void *arg);

#endif
