/* keyfile.h - 32-byte secret files (platform key, audit key).
 *
 * A key file must be a regular file owned by the running user, with no
 * group or other permission bits, holding exactly 32 bytes. It is created
 * (O_EXCL, mode 0600, fsync'd with its directory) if absent and create is
 * set. Anything else is refused with VG_EKEYFILE and a reason.
 */
#ifndef VAULT_KEYFILE_H
#define VAULT_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int vk_keyfile_load(const char *path, bool create, uint8_t key[32],
	char *why, size_t whysz);

#endif
