/* clock_real.c - the raw wall and monotonic clocks; they cannot be moved,
 * and test crash points (clock.h) are ignored. */
#include <time.h>

#include "clock.h"
#include "vg_err.h"

static uint64_t ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vault_clock_raw(uint64_t *wall_ns, uint64_t *mono_ns)
{
	*mono_ns = ns(CLOCK_BOOTTIME);
	*wall_ns = ns(CLOCK_REALTIME);
}

int vault_clock_advance(uint64_t secs)
{
	(void)secs;
	return VG_EDENIED;
}

int vault_clock_jump(int64_t secs)
{
	(void)secs;
	return VG_EDENIED;
}

void vault_test_point(const char *name)
{
	(void)name;
}
