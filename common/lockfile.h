/* lockfile.h - one process per resource: a state directory, a namespace.
 *
 * vg_lock_acquire() takes an exclusive open-file-description lock
 * (fcntl F_OFD_SETLK) on PATH and keeps it for as long as *fd stays open:
 * normally the life of the process, since the kernel drops it on exit
 * however the process ends (no stale locks after a crash or SIGKILL).
 * Once it holds the lock it writes INFO ("vaultd pid 123 socket /run/x")
 * into the file, so a refused process can name the holder.
 *
 * Returns 0; -EBUSY with HOLDER filled when another process holds it
 * (HOLDER is "" if the holder had not yet written its line); or -errno.
 * vg_lock_holder() only looks: 1 with HOLDER filled if held, 0 if free
 * (or absent), -errno on error. It never creates the file.
 */
#ifndef VG_LOCKFILE_H
#define VG_LOCKFILE_H

#include <stddef.h>

int vg_lock_acquire(const char *path, const char *info, int *fd, char *holder, size_t holdersz);
int vg_lock_holder(const char *path, char *holder, size_t holdersz);
void vg_lock_release(int fd);

#endif
