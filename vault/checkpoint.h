/* checkpoint.h - rebuilding an appliance from its RADOS pool.
 *
 * The metadata checkpoint (pool object "vaultgate.checkpoint", a manifest
 * over parts, replaced atomically) is a compacted LMDB copy plus the audit
 * key (and the infrastructure key, if any), sealed with AES-256-GCM under
 * a fresh checkpoint key that the platform key wraps (the same wrap as a
 * vault's DEK, aad "vaultgate/checkpoint/v1"):
 *
 *   "VGCKPT01" | u64 created (vault time) | u32 wlen | wrapped key[wlen] |
 *   nonce[12] | u64 len | AES-GCM(ck, nonce, aad = all before)(payload) | tag[16]
 *   payload: records u8 type (1 audit.key, 2 infra.key, 3 data.mdb) | u64 len | bytes
 *
 * The point journal (pool object "vaultgate.journal", appended) names each
 * committed point, sealed under a journal key the platform key wraps
 * (object "vaultgate.jkey"), so a recovery can name what the checkpoint
 * missed:  u32 len | nonce[12] | AES-GCM(jk)(u64 committed | u64 point |
 * vault NUL item NUL [object NUL]) | tag[16]; a record with an object names
 * a restic snapshot file ("snapshots:ID", shown as restic's "snapshots/ID")
 * committed into a repository point.
 *
 * Recovery point objective: a point committed before the last checkpoint
 * (every --checkpoint-minutes, and at a clean shutdown) comes back; one
 * committed after it is named as lost. RPO = the checkpoint interval.
 */
#ifndef VAULT_CHECKPOINT_H
#define VAULT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Writes the checkpoint (rados store only: -ENOTSUP otherwise). */
int vcore_checkpoint(struct vcore *c, uint64_t *bytes, char *why, size_t whysz);
/* Appends a committed point to the journal (best effort; rados only). */
void vcore_journal_point(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	uint64_t committed);
void vcore_ckpt_free(struct vcore *c);

/* Before vcore_open: a fresh state directory holding only
 * keys/platform.key gets the checkpoint's keys and LMDB. */
int vcore_pool_restore(const char *dir, const struct vs_rados_conf *rc, uint64_t *created,
	char *why, size_t whysz);
/* Appends a restic snapshot file committed into a repository point (other
 * objects are not journalled), so a recovery names each lost snapshot. */
void vcore_journal_object(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	uint64_t committed, const char *object);
/* After vcore_open on the restored directory: names the journal's points
 * and restic snapshot files committed after the checkpoint that it does
 * not hold (log + out, one "vault/item/point" or
 * "vault/item/point/snapshots/ID" per line), and audits the recovery. */
int vcore_pool_recovered(struct vcore *c, uint64_t created, unsigned *lost, unsigned *lost_snaps,
	char *list, size_t listsz);

#endif
