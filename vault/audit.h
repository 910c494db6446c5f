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

/* Iterates entries with seq >= from, in order, until cb returns non-zero. */
int va_iter(struct vdb *db, MDB_txn *txn, uint64_t from,
	int (*cb)(void *arg, const struct vr_audit *e), void *arg);

#endif
