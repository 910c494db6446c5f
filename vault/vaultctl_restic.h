/* vaultctl_restic.h - `vaultctl restic ...`: soft-deleted restic files
 * (SPEC §10), from VG_OP_RESTIC_DELETED and VG_OP_RESTIC_UNDELETE. */
#ifndef VAULT_VAULTCTL_RESTIC_H
#define VAULT_VAULTCTL_RESTIC_H

#include "client.h"

/* argv[0] is "deleted" or "undelete". Returns the exit status. */
int vctl_restic(struct vgc *c, int argc, char **argv);

#endif
