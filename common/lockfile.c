/* lockfile.c - exclusive OFD locks with the holder's own description. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lockfile.h"

static void read_holder(int fd, char *holder, size_t holdersz)
{
	long n;

	if (!holdersz)
		return;
	holder[0] = 0;
	n = pread(fd, holder, holdersz - 1, 0);
	if (n <= 0)
		return;
	holder[n] = 0;
	/* One line, printable: it is quoted back to an operator. */
	for (long i = 0; i < n; i++)
		if (holder[i] == '\n' || holder[i] == '\r') {
			holder[i] = 0;
			break;
		} else if ((unsigned char)holder[i] < 0x20 || (unsigned char)holder[i] == 0x7f) {
			holder[i] = '?';
		}
}

int vg_lock_acquire(const char *path, const char *info, int *fdp, char *holder, size_t holdersz)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	size_t len = strlen(info);
	int fd, e;

	*fdp = -1;
	if (holdersz)
		holder[0] = 0;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		e = errno;
		if (e == EAGAIN || e == EACCES) {
			read_holder(fd, holder, holdersz);
			e = EBUSY;
		}
		close(fd);
		return -e;
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, info, len, 0) != (ssize_t)len ||
	    pwrite(fd, "\n", 1, (off_t)len) != 1) {
		e = errno ? errno : EIO;
		close(fd);
		return -e;
	}
	*fdp = fd;
	return 0;
}

int vg_lock_holder(const char *path, char *holder, size_t holdersz)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd, e;

	if (holdersz)
		holder[0] = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (fl.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	read_holder(fd, holder, holdersz);
	close(fd);
	return 1;
}

void vg_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
