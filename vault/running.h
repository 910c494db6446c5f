/* running.h - the jobs running right now, in vaultd's memory only (issue
 * 18): native backups (OBJECT_PUT) and restores (OBJECT_GET) with the
 * bytes moved so far and the size when it is known, and the scrub (its
 * progress from scrub.h). Finished jobs are records (jobs.h); this table
 * is only what is in flight, for `GET /v1/jobs`, the console and
 * `vaultctl scrub`'s progress line (VG_OP_JOB_RUNNING).
 *
 * A slot is taken by job_begin (server_int.h) and h_scrub, moved by the
 * streaming loops, and given back by the dispatcher after every request,
 * whatever the handler did, so a slot never outlives its request. The
 * table is fixed (VRUN_MAX slots); a job that finds it full simply runs
 * unlisted. */
#ifndef VAULT_RUNNING_H
#define VAULT_RUNNING_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#define VRUN_MAX 256

struct vrun_job {
	uint64_t id;                   /* unique for vaultd's life */
	char kind[16];                 /* backup, restore, scrub */
	char vault[VG_VAULT_NAME_MAX + 1];   /* "*": every vault (scrub) */
	char item[VG_ITEM_NAME_MAX + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	uint64_t done, total;          /* bytes; total 0: not known */
	uint64_t started;              /* unix seconds (vault clock) */
};

/* A slot for a job (-1 when the table is full: the job runs unlisted). */
int vrun_begin(const char *kind, const char *vault, const char *item, const char *object,
	const char *principal, uint64_t total);
void vrun_total(int slot, uint64_t total);
void vrun_add(int slot, uint64_t bytes);
/* Frees *slot (if any) and sets it to -1. */
void vrun_end(int *slot);
/* A copy of every running job, for cb; a nonzero return stops. Scrub
 * slots carry the scrub's current bytes. */
int vrun_each(int (*cb)(void *arg, const struct vrun_job *j), void *arg);

#endif
