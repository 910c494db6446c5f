/* fakeclock.c - an LD_PRELOAD shim that moves a process's wall clock, and
 * only its wall clock, for tests of trusted time (SPEC §11) against the
 * production vaultd: clock_gettime(CLOCK_REALTIME*), time() and
 * gettimeofday() return the real time plus a signed number of seconds read
 * from the file named by $VG_FAKECLOCK_FILE (re-read at every call; a
 * missing or unreadable file means 0). CLOCK_MONOTONIC and CLOCK_BOOTTIME
 * are untouched, which is exactly what a wall-clock jump looks like.
 *
 *   LD_PRELOAD=.../libvg_fakeclock.so VG_FAKECLOCK_FILE=$W/offset vaultd ...
 *   echo 1382400 >$W/offset      # the wall clock is now 16 days ahead
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*gettime_fn)(clockid_t, struct timespec *);

static long long offset(void)
{
	const char *path = getenv("VG_FAKECLOCK_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

static int real_gettime(clockid_t id, struct timespec *ts)
{
	static gettime_fn next;

	if (!next) {
		void *p = dlsym(RTLD_NEXT, "clock_gettime");
		memcpy(&next, &p, sizeof(next));  /* POSIX: dlsym returns functions too */
	}
	return next(id, ts);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_gettime(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)offset();
	return r;
}

time_t time(time_t *t)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (t)
		*t = now;
	return now;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
