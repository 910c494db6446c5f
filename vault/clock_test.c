/* clock_test.c - wall-clock time plus a forward-only offset, and the
 * VG_TEST_CRASH_AT crash points (tests only). */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "vg_err.h"

static _Atomic uint64_t offset;

uint64_t vault_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec + atomic_load(&offset);
}

int vault_clock_advance(uint64_t secs)
{
	if (secs > 100ull * 366 * 86400)
		return VG_EINVAL;
	atomic_fetch_add(&offset, secs);
	return 0;
}

void vault_test_point(const char *name)
{
	const char *want = getenv("VG_TEST_CRASH_AT");

	if (want && strcmp(want, name) == 0)
		kill(getpid(), SIGKILL);
}
