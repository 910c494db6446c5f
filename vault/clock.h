/* clock.h - the one clock every time rule reads (expiry, soft-delete purge,
 * PIN validity, MUA windows).
 *
 * Two implementations, chosen by meson: clock_real.c (installed vaultd:
 * wall time, and vault_clock_advance() refuses) and clock_test.c (the
 * vaultd-testclock binary built only for tests: an offset that tests move
 * forward, never backward). A production build has no way to be told a
 * false time.
 */
#ifndef VAULT_CLOCK_H
#define VAULT_CLOCK_H

#include <stdint.h>

uint64_t vault_now(void);
/* Moves the test clock forward by secs. VG_EDENIED in production builds. */
int vault_clock_advance(uint64_t secs);

/* A named crash point for tests, on the same seam: in the test daemon, if
 * the environment variable VG_TEST_CRASH_AT equals name, the process kills
 * itself with SIGKILL there (no clean-up runs, as in a power cut). The
 * production vaultd ignores the variable. Points:
 *   key-change:wrapped   the DEK is re-wrapped under the new KEK, not committed */
void vault_test_point(const char *name);

#endif
