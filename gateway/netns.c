/* netns.c - see netns.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "netns.h"
#include "vg_err.h"

int gw_netns_enter(const char *name, char *why, size_t whysz)
{
	char path[128];
	int fd, e;

	if (vg_name_check(name, 64) || strchr(name, ':')) {
		snprintf(why, whysz, "network namespace name '%.64s' is invalid", name);
		return VG_ENAME;
	}
	snprintf(path, sizeof(path), "%s/%s", GW_NETNS_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(why, whysz, "%s: %s", path, strerror(e));
		return -e;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		e = errno;
		close(fd);
		snprintf(why, whysz, "setns %s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}
