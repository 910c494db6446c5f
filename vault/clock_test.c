/* clock_test.c - the raw clocks plus offsets that tests move (tests only):
 * "advance" moves both clocks forward (time passes), "jump" moves the wall
 * clock alone (someone sets it); and the VG_TEST_CRASH_AT crash points. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "vg_err.h"

#define NS 1000000000ull
#define MAX_SECS (100ll * 366 * 86400)

static _Atomic uint64_t advanced;   /* seconds, both clocks */
static _Atomic int64_t jumped;      /* seconds, wall clock only */

static uint64_t ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

void vault_clock_raw(uint64_t *wall_ns, uint64_t *mono_ns)
{
	uint64_t a = atomic_load(&advanced) * NS;
	int64_t j = atomic_load(&jumped);

	*mono_ns = ns(CLOCK_BOOTTIME) + a;
	*wall_ns = ns(CLOCK_REALTIME) + a + (uint64_t)(j * (int64_t)NS);
}

int vault_clock_advance(uint64_t secs)
{
	if (secs > (uint64_t)MAX_SECS)
		return VG_EINVAL;
	atomic_fetch_add(&advanced, secs);
	return 0;
}

int vault_clock_jump(int64_t secs)
{
	if (secs > MAX_SECS || secs < -MAX_SECS)
		return VG_EINVAL;
	atomic_fetch_add(&jumped, secs);
	return 0;
}

void vault_test_point(const char *name)
{
	const char *want = getenv("VG_TEST_CRASH_AT");

	if (want && strcmp(want, name) == 0)
		kill(getpid(), SIGKILL);
}
