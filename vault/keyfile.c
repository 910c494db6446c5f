/* keyfile.c - see keyfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "crypto.h"
#include "keyfile.h"
#include "vg_err.h"

static int fsync_parent(const char *path)
{
	char tmp[4096];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int create_key(const char *path, uint8_t key[32], char *why, size_t whysz)
{
	int fd, r;

	if ((r = vc_random(key, 32)))
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, whysz, "%s: cannot create: %s", path, strerror(errno));
		return VG_EKEYFILE;
	}
	r = vg_write_full(fd, key, 32);
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (!r)
		r = fsync_parent(path);
	if (r) {
		unlink(path);
		OPENSSL_cleanse(key, 32);
		snprintf(why, whysz, "%s: cannot write: %s", path, vg_strerror(r));
		return VG_EKEYFILE;
	}
	return 0;
}

int vk_keyfile_load(const char *path, bool create, uint8_t key[32], char *why, size_t whysz)
{
	struct stat st;
	uint8_t extra;
	long n;
	int fd;

	/* O_NONBLOCK: a FIFO planted at the path must not block start-up
	 * waiting for a writer; fstat below refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && create)
			return create_key(path, key, why, whysz);
		snprintf(why, whysz, "%s: cannot open: %s", path, strerror(errno));
		return VG_EKEYFILE;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "%s: not a regular file", path);
		goto bad;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whysz, "%s: owned by uid %u, expected %u", path,
			(unsigned)st.st_uid, (unsigned)geteuid());
		goto bad;
	}
	if (st.st_mode & 077) {
		snprintf(why, whysz, "%s: mode %03o is too open, expected 0600", path,
			(unsigned)(st.st_mode & 0777));
		goto bad;
	}
	n = vg_read_full(fd, key, 32);
	if (n != 32 || vg_read_full(fd, &extra, 1) != 0) {
		snprintf(why, whysz, "%s: must hold exactly 32 bytes", path);
		OPENSSL_cleanse(key, 32);
		goto bad;
	}
	close(fd);
	return 0;
bad:
	close(fd);
	return VG_EKEYFILE;
}
