/* vaultctl_s3.h - `vaultctl s3 key create|list|delete` (issue 16; s3key.h). */
#ifndef VAULT_VAULTCTL_S3_H
#define VAULT_VAULTCTL_S3_H

#include "client.h"

/* argv[0] is "key". Returns the exit status. */
int vctl_s3(struct vgc *c, int argc, char **argv);

#endif
