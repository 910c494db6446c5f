/* store_dir.c - the directory back end: blobs/XX/<32 hex blob id>, one file
 * per blob, written in place (O_EXCL), fdatasync'd with its directory
 * fsync'd before the caller may commit a record for it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "store_be.h"
#include "vg_err.h"

#define WRITEBACK_CHUNK (8u << 20)

struct dir_be {
	int dirfd;
	char path[4096];
};

struct dir_w {
	int fd, dirfd;
	uint64_t end, synced;       /* writeback started up to synced */
	char name[2 * VC_BLOBID_LEN + 1];
};

struct dir_r {
	int fd;
};

int vs_dir_open(const char *dir, void **out)
{
	struct dir_be *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		goto fail;
	if (snprintf(s->path, sizeof(s->path), "%s", dir) >= (int)sizeof(s->path)) {
		close(s->dirfd);
		free(s);
		return -ENAMETOOLONG;
	}
	*out = s;
	return 0;
fail:
	free(s);
	return -errno;
}

static void dir_close(void *be)
{
	struct dir_be *s = be;

	close(s->dirfd);
	free(s);
}

static int dir_blob_path(void *be, const uint8_t blob[VC_BLOBID_LEN], char *out, size_t outsz)
{
	struct dir_be *s = be;
	char sub[3], name[2 * VC_BLOBID_LEN + 1];

	vs_blob_name(blob, sub, name);
	if (snprintf(out, outsz, "%s/%s/%s", s->path, sub, name) >= (int)outsz)
		return -ENAMETOOLONG;
	return 0;
}

static int dir_describe(void *be, char *out, size_t outsz)
{
	struct dir_be *s = be;

	return snprintf(out, outsz, "directory %s", s->path) >= (int)outsz ? -ENAMETOOLONG : 0;
}

/* Opens (creating if needed, durably) the sub-directory for a blob. */
static int open_subdir(struct dir_be *s, const char *sub)
{
	int fd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	if (mkdirat(s->dirfd, sub, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (fsync(s->dirfd) < 0)
		return -errno;
	fd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static int dir_wopen(void *be, const uint8_t blob[VC_BLOBID_LEN], void **out)
{
	struct dir_be *s = be;
	struct dir_w *w = calloc(1, sizeof(*w));
	char sub[3];
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	vs_blob_name(blob, sub, w->name);
	if ((w->dirfd = open_subdir(s, sub)) < 0) {
		r = w->dirfd;
		free(w);
		return r;
	}
	w->fd = openat(w->dirfd, w->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0) {
		r = -errno;
		close(w->dirfd);
		free(w);
		return r;
	}
	*out = w;
	return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = pwrite(fd, p + done, n - done, (off_t)(off + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC || errno == EDQUOT ? VG_ENOSPACE : -errno;
		}
		done += (size_t)k;
	}
	return 0;
}

static int dir_wseg(void *wp, uint64_t idx, uint64_t off, const uint8_t *p, size_t n)
{
	struct dir_w *w = wp;
	int r;

	if ((r = pwrite_all(w->fd, p, n, off)))
		return r;
	w->end = off + n;
	/* Start writeback early so the final fdatasync has little left to do. */
	if (w->end - w->synced >= WRITEBACK_CHUNK) {
		(void)sync_file_range(w->fd, (off_t)w->synced, (off_t)(w->end - w->synced),
			SYNC_FILE_RANGE_WRITE);
		w->synced = w->end;
	}
	return 0;
}

static int dir_wsync(void *wp)
{
	return 0;  /* one fdatasync covers the segments and the header (whdr) */
}

static int dir_whdr(void *wp, const uint8_t *hdr, size_t n)
{
	struct dir_w *w = wp;
	int r;

	if ((r = pwrite_all(w->fd, hdr, n, 0)))
		return r == VG_ENOSPACE ? r : VG_EINTERNAL;
	if (fdatasync(w->fd) < 0 || fsync(w->dirfd) < 0)
		return -errno;
	return 0;
}

static void dir_wclose(void *wp, int keep)
{
	struct dir_w *w = wp;

	close(w->fd);
	if (!keep)
		(void)unlinkat(w->dirfd, w->name, 0);
	close(w->dirfd);
	free(w);
}

static int dir_ropen(void *be, const uint8_t blob[VC_BLOBID_LEN], const struct vs_geom *g, void **out)
{
	struct dir_be *s = be;
	struct dir_r *r;
	char sub[3], name[2 * VC_BLOBID_LEN + 1], path[64];
	struct stat st;
	int fd, rc;

	*out = NULL;
	vs_blob_name(blob, sub, name);
	snprintf(path, sizeof(path), "%s/%s", sub, name);
	fd = openat(s->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? VG_EINTEGRITY : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != VS_HDR_LEN + (g->nseg - 1) * (uint64_t)g->full + g->last) {
		rc = VG_EINTEGRITY;
		close(fd);
		return rc;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	*out = r;
	return 0;
}

static int pread_exact(int fd, uint8_t *p, size_t n, uint64_t off)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k == 0 ? VG_EINTEGRITY : -errno;
		got += (size_t)k;
	}
	return 0;
}

static int dir_rhdr(void *rp, uint8_t *hdr, size_t n)
{
	struct dir_r *r = rp;

	return pread_exact(r->fd, hdr, n, 0);
}

static int dir_rseg(void *rp, uint64_t idx, uint64_t off, uint8_t *p, size_t n)
{
	struct dir_r *r = rp;

	return pread_exact(r->fd, p, n, off);
}

static void dir_rclose(void *rp)
{
	struct dir_r *r = rp;

	close(r->fd);
	free(r);
}

static int dir_unlink_name(void *be, const char *sub, const char *name)
{
	struct dir_be *s = be;
	int dfd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		r = -errno;
	else if (fsync(dfd) < 0)
		r = -errno;
	close(dfd);
	return r;
}

static int dir_unlink(void *be, const uint8_t blob[VC_BLOBID_LEN])
{
	char sub[3], name[2 * VC_BLOBID_LEN + 1];

	vs_blob_name(blob, sub, name);
	return dir_unlink_name(be, sub, name);
}

static int dir_scan(void *be, int (*cb)(void *arg, const uint8_t *blob, const char *sub,
	const char *name), void *arg)
{
	struct dir_be *s = be;
	DIR *top;
	struct dirent *de;
	int r = 0, fd = dup(s->dirfd);

	if (fd < 0 || !(top = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(top);
	while (!r && (de = readdir(top))) {
		DIR *d;
		struct dirent *e;
		int sfd;

		if (de->d_name[0] == '.')
			continue;
		sfd = openat(s->dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0 || !(d = fdopendir(sfd))) {
			if (sfd >= 0)
				close(sfd);
			continue;
		}
		while (!r && (e = readdir(d))) {
			uint8_t blob[VC_BLOBID_LEN];
			char sub[3], name[2 * VC_BLOBID_LEN + 1];
			if (e->d_name[0] == '.')
				continue;
			if (vg_unhex(blob, sizeof(blob), e->d_name) == 0) {
				vs_blob_name(blob, sub, name);
				if (strcmp(sub, de->d_name) != 0 || strcmp(name, e->d_name) != 0) {
					r = cb(arg, NULL, de->d_name, e->d_name);
					continue;
				}
				r = cb(arg, blob, de->d_name, e->d_name);
			} else {
				r = cb(arg, NULL, de->d_name, e->d_name);
			}
		}
		closedir(d);
	}
	closedir(top);
	return r;
}

static int dir_free_bytes(void *be, uint64_t *out)
{
	struct dir_be *s = be;
	struct statvfs sv;

	if (fstatvfs(s->dirfd, &sv) < 0)
		return -errno;
	*out = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

const struct vs_be_ops vs_dir_ops = {
	.name = "dir",
	.close = dir_close,
	.wopen = dir_wopen,
	.wseg = dir_wseg,
	.wsync = dir_wsync,
	.whdr = dir_whdr,
	.wclose = dir_wclose,
	.ropen = dir_ropen,
	.rhdr = dir_rhdr,
	.rseg = dir_rseg,
	.rclose = dir_rclose,
	.unlink = dir_unlink,
	.unlink_name = dir_unlink_name,
	.scan = dir_scan,
	.free_bytes = dir_free_bytes,
	.blob_path = dir_blob_path,
	.meta_put = NULL,
	.meta_get = NULL,
	.describe = dir_describe,
};
