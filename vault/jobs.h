/* jobs.h - backup and restore jobs (SPEC §8 reports). A committed point is
 * recorded by core.c in the commit's transaction (vcore_job_put, core_int.h);
 * the process edge records restores and failures here. A failure also sets
 * the item's last_failure and raises backup-failed or restore-failed
 * (severity error). */
#ifndef VAULT_JOBS_H
#define VAULT_JOBS_H

#include <stdbool.h>

#include "core.h"

/* Does error r make a backup or restore a failed job (rather than a
 * refusal, which is audited but is no job)? */
bool vjob_is_failure(int r);
int vjob_failed(struct vcore *c, const struct vcaller *who, const char *vault, const char *item,
	uint8_t kind, uint64_t point, const char *detail);
int vjob_restored(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, uint64_t bytes, const char *detail);
/* Jobs at or after since (unix seconds), oldest first. */
int vjob_list(struct vcore *c, uint64_t since, int (*cb)(void *arg, const struct vr_job *j),
	void *arg);

#endif
