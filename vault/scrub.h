/* scrub.h - re-read every blob and check every GCM tag (issue 14).
 *
 * vscrub_run() collects every object record (every point state: active,
 * soft-deleted, pending; restic files too) in one read transaction, then,
 * outside it, opens each blob under its vault's keys, authenticates every
 * segment and compares the SHA-256 of the plaintext with the record. A
 * damaged object (a tag that fails, a short or missing file, a wrong hash)
 * raises `integrity-failure` (critical) naming vault/item/point/object and
 * is audited (scrub.object, failed). A vault whose key is unavailable is
 * skipped and counted. The rate limit (bytes/s of ciphertext read; 0: none)
 * sleeps between segments. One scrub at a time (VG_EBADSTATE otherwise);
 * vscrub_progress() is what /metrics shows while it runs and after.
 * vscrub_cancel() stops a running scrub at its next segment (shutdown).
 * Each vault scrubbed gets a job record (kind scrub, item "", failed if
 * anything was damaged or its key was unavailable): in reports and in
 * vaultgate_jobs_total{kind="scrub"}.
 */
#ifndef VAULT_SCRUB_H
#define VAULT_SCRUB_H

#include <stdint.h>

#include "core.h"

struct vscrub_bad {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char point[17];
	char object[VG_OBJECT_NAME_MAX + 1];
	char detail[256];
	uint8_t sha256[32];          /* the recorded one: what a good copy hashes to */
};

struct vscrub_stats {
	uint64_t objects, bytes, damaged, skipped;
	uint64_t seconds;
	char skipped_vault[VG_VAULT_NAME_MAX + 1];
};

/* only_vault NULL: every vault. bad (may be NULL) is called for each
 * damaged object after its alert is raised. */
int vscrub_run(struct vcore *c, const struct vcaller *who, const char *only_vault,
	uint64_t rate, int (*bad)(void *arg, const struct vscrub_bad *b), void *arg,
	struct vscrub_stats *st);

struct vscrub_progress {
	int running;
	uint64_t objects_done, objects_total, bytes_done, bytes_total;
	uint64_t runs, damaged_total, objects_total_all, bytes_total_all;
	uint64_t last_start, last_end;   /* vault clock */
	uint64_t last_damaged;
};
void vscrub_progress(struct vscrub_progress *p);
void vscrub_cancel(void);

#endif
