/* keyimport.h - vaultd --import-keys (keyimport.c has the why). */
#ifndef VAULT_KEYIMPORT_H
#define VAULT_KEYIMPORT_H

#include <stddef.h>

/* Imports file's keys into dir (passphrase: first line of passfile, or of
 * stdin if NULL). 0 with msg saying what was done, or an error with msg
 * saying why (nothing written, or what was written removed again). */
int vkx_import(const char *dir, const char *file, const char *passfile, char *msg, size_t msgsz);

#endif
