/* clock.h - the one clock every time rule reads (expiry, soft-delete purge,
 * PIN validity, MUA windows).
 *
 * vault_now() is the trusted time (trusted_time.c, SPEC §11): the wall
 * clock checked against the monotonic clock and a persisted high-water
 * mark. It never goes back, and after a forward jump of the wall clock it
 * follows the monotonic clock and holds purges and expiries until an Owner
 * accepts the new time (trusted_time.h).
 *
 * The raw clocks come from one of two files, chosen by meson: clock_real.c
 * (installed vaultd: CLOCK_REALTIME and CLOCK_BOOTTIME; vault_clock_advance
 * and vault_clock_jump refuse) and clock_test.c (the vaultd-testclock
 * binary built only for tests: "advance" moves both clocks forward, as if
 * time passed; "jump" moves the wall clock alone, as if someone set it).
 * A production build has no way to be told a false time other than its
 * real wall clock, which is exactly what trusted_time.c distrusts.
 */
#ifndef VAULT_CLOCK_H
#define VAULT_CLOCK_H

#include <stdint.h>

/* Trusted unix seconds (trusted_time.c). */
uint64_t vault_now(void);
/* The raw clocks in nanoseconds: the wall clock (CLOCK_REALTIME) and the
 * monotonic clock that counts suspend too (CLOCK_BOOTTIME). */
void vault_clock_raw(uint64_t *wall_ns, uint64_t *mono_ns);
/* Moves the test clock forward by secs (both clocks). VG_EDENIED in
 * production builds. */
int vault_clock_advance(uint64_t secs);
/* Moves the test wall clock alone by secs (negative: back). VG_EDENIED in
 * production builds. */
int vault_clock_jump(int64_t secs);

/* A named crash point for tests, on the same seam: in the test daemon, if
 * the environment variable VG_TEST_CRASH_AT equals name, the process kills
 * itself with SIGKILL there (no clean-up runs, as in a power cut). The
 * production vaultd ignores the variable. Points:
 *   key-change:wrapped   the DEK is re-wrapped under the new KEK, not committed */
void vault_test_point(const char *name);

#endif
