/* vaultctl_watch.h - `vaultctl scrub [VAULT] [--rate MB/s]` (issue 14):
 * one line per damaged object, a summary line; exit 0 when every tag and
 * hash checked, 1 when anything was damaged or could not be read. */
#ifndef VAULT_VAULTCTL_WATCH_H
#define VAULT_VAULTCTL_WATCH_H

#include "client.h"

int vctl_scrub(struct vgc *c, int argc, char **argv);
/* Where scrub's progress line asks (a second link to vaultd, polling
 * VG_OP_JOB_RUNNING while the scrub streams on the first): the socket and
 * the credential of this run, kept by pointer. */
void vctl_progress_link(const char *sock, const struct vgc_auth *auth);
/* `vaultctl [--socket S] remote ...`, `... sync ...` and `... scrub VAULT
 * --repair --remote NAME --from-vault V` (as `vaultsync repair ...`): runs vaultsync (the
 * pull replicator, installed beside vaultctl) with the words after the
 * command and the socket (from --socket anywhere, or sock). -1 when the
 * command is another; else returns only on failure (1). */
int vctl_sync_exec(const char *sock, int argc, char **argv);

#endif
