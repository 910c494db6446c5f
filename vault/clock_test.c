/* clock_test.c - wall-clock time plus a forward-only offset (tests only). */
#include <stdatomic.h>
#include <time.h>

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
