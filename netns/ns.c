/* ns.c - see ns.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns.h"
#include "vg_err.h"

int vn_netns_name_check(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return VG_ENAME;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return VG_ENAME;
	}
	return 0;
}

static int ns_path(const char *name, char *buf, size_t len)
{
	int n;

	if (vn_netns_name_check(name))
		return VG_ENAME;
	n = snprintf(buf, len, "%s/%s", VN_NETNS_RUN_DIR, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool vn_netns_exists(const char *name)
{
	char path[128];
	struct stat st;

	return ns_path(name, path, sizeof(path)) == 0 && stat(path, &st) == 0;
}

/* /run/netns must be a shared mount point so that a bind mount made in it
 * is seen by every mount namespace (what iproute2 does). */
static int prepare_run_dir(void)
{
	if (mkdir(VN_NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", VN_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* not a mount point yet: bind it onto itself, then share it */
	if (mount(VN_NETNS_RUN_DIR, VN_NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", VN_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

int vn_netns_create(const char *name)
{
	char path[128];
	int fd, saved = -1, r;

	if ((r = ns_path(name, path, sizeof(path))))
		return r;
	if ((r = prepare_run_dir()))
		return r;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	if ((saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		goto fail;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		r = -errno;
		setns(saved, CLONE_NEWNET);
		goto fail;
	}
	if (setns(saved, CLONE_NEWNET) < 0) {
		/* we are stranded in the new namespace: nothing safe to do */
		r = -errno;
		goto fail;
	}
	close(saved);
	return 0;
fail:
	if (saved >= 0)
		close(saved);
	umount2(path, MNT_DETACH);
	unlink(path);
	return r;
}

int vn_netns_delete(const char *name)
{
	char path[128];
	int r;

	if ((r = ns_path(name, path, sizeof(path))))
		return r;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

int vn_netns_open(const char *name)
{
	char path[128];
	int fd, r;

	if (!name || !*name)
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	else if ((r = ns_path(name, path, sizeof(path))))
		return r;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int vn_netns_enter(const char *name)
{
	int fd, r = 0;

	if (!name || !*name)
		return VG_ENAME;
	if ((fd = vn_netns_open(name)) < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

int vn_netns_switch(const char *name, int *saved)
{
	int fd, r;

	*saved = -1;
	if (!name || !*name)
		return 0;
	if ((*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((fd = vn_netns_open(name)) < 0) {
		close(*saved);
		*saved = -1;
		return fd;
	}
	r = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	if (r) {
		close(*saved);
		*saved = -1;
	}
	return r;
}

int vn_netns_return(int saved)
{
	int r = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		r = -errno;
	close(saved);
	return r;
}
