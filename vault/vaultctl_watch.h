/* vaultctl_watch.h - `vaultctl scrub [VAULT] [--rate MB/s]` (issue 14):
 * one line per damaged object, a summary line; exit 0 when every tag and
 * hash checked, 1 when anything was damaged or could not be read. */
#ifndef VAULT_VAULTCTL_WATCH_H
#define VAULT_VAULTCTL_WATCH_H

#include "client.h"

int vctl_scrub(struct vgc *c, int argc, char **argv);
/* `vaultctl [--socket S] remote ...`, `... sync ...` and `... scrub VAULT
 * --repair --remote NAME --from-vault V` (as `vaultsync repair ...`): runs vaultsync (the
 * pull replicator, installed beside vaultctl) with the words after the
 * command and the socket (from --socket anywhere, or sock). -1 when the
 * command is another; else returns only on failure (1). */
int vctl_sync_exec(const char *sock, int argc, char **argv);

#endif
