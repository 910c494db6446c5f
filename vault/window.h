/* window.h - counting events per key within a fixed window: the one table
 * behind "10 failed authentications from one source within 5 minutes"
 * (auth-bruteforce, auth.c) and "5 deletions by one principal within 10
 * minutes" (mass-deletion, lifecycle.c).
 *
 * A bounded table of slots, one per key; a key's window starts at its
 * first event and a new one starts at the first event after it ends. A new
 * key takes the slot whose window started longest ago (an unused one
 * first). Each table belongs to its vcore (core.h), not to the process, and
 * has its own lock. In memory only: a restart forgets it.
 */
#ifndef VAULT_WINDOW_H
#define VAULT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define VWIN_KEY_MAX 79

struct vwin;

/* nslots >= 1, window in seconds >= 1, threshold >= 1. */
int vwin_new(size_t nslots, uint64_t window, unsigned threshold, struct vwin **out);
void vwin_free(struct vwin *w);
/* Counts one event for key (at most VWIN_KEY_MAX bytes are kept) at now.
 * 1 when this event brings the key's count to the threshold, once per
 * window (the caller raises its alert); else 0. */
int vwin_hit(struct vwin *w, const char *key, uint64_t now);

#endif
