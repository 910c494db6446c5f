/* vaultctl_watch.h - `vaultctl scrub [VAULT] [--rate MB/s]` (issue 14):
 * one line per damaged object, a summary line; exit 0 when every tag and
 * hash checked, 1 when anything was damaged or could not be read. */
#ifndef VAULT_VAULTCTL_WATCH_H
#define VAULT_VAULTCTL_WATCH_H

#include "client.h"

int vctl_scrub(struct vgc *c, int argc, char **argv);

#endif
