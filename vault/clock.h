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

#endif
