/* limit.h - the gateway's own limits, shared by the event loop and workers:
 *
 *   - failed-authentication rate per source address: a token bucket
 *     (burst, refill per minute); an empty bucket answers 429 before any
 *     credential reaches vaultd;
 *   - connections per principal (as vaultd named it): a counted table.
 *
 * Both tables have a fixed size and are safe to call from any thread.
 */
#ifndef GW_LIMIT_H
#define GW_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct gw_ratelimit;
struct gw_pcount;

/* A source address as a 16-byte key (IPv4 mapped into IPv6). */
struct gw_addr_key {
	uint8_t b[16];
};

void gw_addr_key_from(const struct sockaddr_storage *sa, struct gw_addr_key *k);

int gw_rl_new(uint64_t burst, uint64_t per_minute, unsigned slots, struct gw_ratelimit **out);
void gw_rl_free(struct gw_ratelimit *rl);
/* true if the source has no tokens left (answer 429). */
bool gw_rl_blocked(struct gw_ratelimit *rl, const struct gw_addr_key *k, uint64_t now_ms);
/* Records one failed attempt (takes a token). */
void gw_rl_fail(struct gw_ratelimit *rl, const struct gw_addr_key *k, uint64_t now_ms);

int gw_pcount_new(unsigned slots, struct gw_pcount **out);
void gw_pcount_free(struct gw_pcount *pc);
/* 0, or VG_ELIMIT when name already holds max connections (or the table is full). */
int gw_pcount_acquire(struct gw_pcount *pc, const char *name, uint64_t max);
void gw_pcount_release(struct gw_pcount *pc, const char *name);
uint64_t gw_pcount_get(struct gw_pcount *pc, const char *name);

uint64_t gw_now_ms(void);

#endif
