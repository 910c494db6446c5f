/* audit_hwm.h - the audit chain's high-water mark, kept outside LMDB.
 *
 * The head in LMDB is MAC'd, but an older head is a valid head for an
 * older chain: someone who can write the state directory (mdb_dump /
 * mdb_load) can cut the log back to any earlier head and keep its MAC. So
 * vaultd also keeps STATE/audit.hwm, a small file holding the newest
 * (seq, hash) it has committed, MAC'd with the audit key, fsync'd, written
 * after every request that may change something but the ingest path
 * (server.c: backup begin, uploads, commit), once a second while the head
 * moves otherwise (the ingest path, refusal aggregates, the purger) and at
 * shutdown. At start the head
 * must have reached it (seq >= hwm seq) and entry hwm.seq must still hash
 * to what it held; otherwise the log was cut back (audit-broken).
 *
 *   file  = slot[0] slot[1]                       (128 bytes each)
 *   slot  = "VGHWM001" | gen u64 | seq u64 | hash[32] | HMAC(audit key,
 *           "vaultgate/audit/hwm/v1", the 56 bytes before) | zero padding
 *
 * Each write goes to slot gen % 2 (the newest valid gen wins), so a torn
 * write leaves the other slot. v2 heads (audit.h) say a file is kept: a
 * missing file is then a finding too. What this does not stop: someone
 * who restores an older copy of this file together with the log; that
 * needs an anchor off the box (vault/anchor.c).
 */
#ifndef VAULT_AUDIT_HWM_H
#define VAULT_AUDIT_HWM_H

#include <stdint.h>

#include "audit.h"

struct va_hwm {
	uint64_t gen, seq;
	uint8_t hash[VC_HASH_LEN];
};

/* VG_ENOTFOUND: no file; VG_EINTEGRITY: no slot with a good MAC. */
int va_hwm_read(struct va_audit *a, const char *path, struct va_hwm *h);
/* Writes h (gen already advanced) and fdatasyncs it (the directory too
 * when the file is new). */
int va_hwm_write(struct va_audit *a, const char *path, const struct va_hwm *h);

/* At start: 0 if the log reaches the mark (h is what was read, or zeroed
 * when there is none to check); VG_EINTEGRITY with why and *brk (the first
 * entry missing or replaced) if it was cut back. */
int va_hwm_check(struct va_audit *a, struct vdb *db, const char *path, struct va_hwm *h,
	uint64_t *brk, char *why, size_t whysz);
/* Moves the mark to the current head if it moved (h is the last written). */
int va_hwm_sync(struct va_audit *a, struct vdb *db, const char *path, struct va_hwm *h);

#endif
