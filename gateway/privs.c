/* privs.c - see privs.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"
#include "vg_err.h"

#define MAX_GROUPS 64

static int still_root(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	if (getresuid(&r, &e, &s) < 0 || getresgid(&gr, &ge, &gs) < 0)
		return 1;
	return r == 0 || e == 0 || s == 0 || gr == 0 || ge == 0 || gs == 0;
}

int gw_privs_drop(const char *user, char *why, size_t whysz)
{
	gid_t groups[MAX_GROUPS];
	int ngroups = MAX_GROUPS;
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0) {
		if (still_root()) {
			snprintf(why, whysz, "running with a root id; refusing");
			return -EPERM;
		}
		goto locked;
	}
	if (!(pw = getpwnam(user))) {
		snprintf(why, whysz, "user %s does not exist", user);
		return -ENOENT;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(why, whysz, "user %s has uid or gid 0; refusing to run as root", user);
		return -EPERM;
	}
	if (getgrouplist(user, pw->pw_gid, groups, &ngroups) < 0) {
		snprintf(why, whysz, "user %s is in more than %d groups", user, MAX_GROUPS);
		return -E2BIG;
	}
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == 0) {
			snprintf(why, whysz, "user %s is in group 0; refusing", user);
			return -EPERM;
		}
	if (setgroups((size_t)ngroups, groups) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		int e = errno;
		snprintf(why, whysz, "dropping privileges to %s: %s", user, strerror(e));
		return -e;
	}
	if (still_root() || setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(why, whysz, "still root after dropping privileges; refusing");
		return -EPERM;
	}
locked:
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int e = errno;
		snprintf(why, whysz, "PR_SET_NO_NEW_PRIVS: %s", strerror(e));
		return -e;
	}
	return 0;
}
