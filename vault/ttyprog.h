/* ttyprog.h - one updating progress line on stderr for long work at the
 * terminal (issue 18): `vaultctl backup`, `restore`, `scrub` and `sync run`.
 *
 *   backup v1/host1: 1.2 GiB of 50.0 GiB (2%), 96.3 MiB/s, ETA 8m39s
 *
 * Bytes, rate, and the percentage and ETA when the size is known. Only
 * when stderr is a terminal and --quiet was not given: a pipe, a file or a
 * journal gets nothing extra. Redrawn at most 4 times a second, in place
 * (CR, erase to end of line); vtp_end() draws the last state and ends the
 * line. Never writes to stdout (what commands print there is unchanged). */
#ifndef VAULT_TTYPROG_H
#define VAULT_TTYPROG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct vtp {
	bool on;
	char label[700];
	uint64_t done, total;          /* total 0: not known */
	struct timespec t0, last;
	bool drawn;
};

/* --quiet: no progress line, whatever stderr is. */
void vtp_set_quiet(bool quiet);
void vtp_begin(struct vtp *p, const char *label, uint64_t total);
void vtp_total(struct vtp *p, uint64_t total);
/* done: bytes so far (absolute). */
void vtp_update(struct vtp *p, uint64_t done);
void vtp_end(struct vtp *p);

#endif
