/* clock_real.c - wall-clock time; the clock cannot be moved, and test
 * crash points (clock.h) are ignored. */
#include <time.h>

#include "clock.h"
#include "vg_err.h"

uint64_t vault_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

int vault_clock_advance(uint64_t secs)
{
	(void)secs;
	return VG_EDENIED;
}

void vault_test_point(const char *name)
{
	(void)name;
}
