/* limit.c - see limit.h. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "limit.h"
#include "names.h"
#include "peer.h"
#include "vg_err.h"

#define PROBE 8

uint64_t gw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void gw_addr_key_from(const struct sockaddr_storage *sa, struct gw_addr_key *k)
{
	struct vg_peer p;

	memset(k, 0, sizeof(*k));
	if (vg_peer_from_sockaddr(sa, &p) == 0)
		memcpy(k->b, p.key, sizeof(k->b));  /* the source: IPv4, or the IPv6 /64 */
}

/* Keyed FNV-1a: the seed is random per process, so nobody can aim many
 * sources at one slot chain. */
static uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	return h;
}

static uint64_t random_seed(void)
{
	uint64_t s = 0;

	if (RAND_bytes((unsigned char *)&s, sizeof(s)) != 1)
		s = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	return s;
}

/* ---- failed-authentication token buckets ------------------------------- */

struct rl_slot {
	struct gw_addr_key key;
	bool used;
	uint64_t milli_tokens;  /* tokens x 1000 */
	uint64_t last_ms;
};

struct gw_ratelimit {
	pthread_mutex_t lock;
	uint64_t burst_milli;
	uint64_t per_minute;
	uint64_t seed;
	unsigned nslots;
	struct rl_slot *slots;
};

int gw_rl_new(uint64_t burst, uint64_t per_minute, unsigned slots, struct gw_ratelimit **out)
{
	struct gw_ratelimit *rl;

	*out = NULL;
	if (burst == 0 || per_minute == 0 || slots < PROBE)
		return VG_EINVAL;
	if (!(rl = calloc(1, sizeof(*rl))) || !(rl->slots = calloc(slots, sizeof(*rl->slots)))) {
		free(rl);
		return -ENOMEM;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->burst_milli = burst * 1000u;
	rl->per_minute = per_minute;
	rl->nslots = slots;
	rl->seed = random_seed();
	*out = rl;
	return 0;
}

void gw_rl_free(struct gw_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

static void refill(struct gw_ratelimit *rl, struct rl_slot *s, uint64_t now)
{
	uint64_t dt = now > s->last_ms ? now - s->last_ms : 0;
	/* per_minute tokens per 60000 ms = per_minute milli-tokens per 60 ms */
	uint64_t add = dt * rl->per_minute / 60u;

	s->milli_tokens = s->milli_tokens + add > rl->burst_milli ? rl->burst_milli :
								    s->milli_tokens + add;
	s->last_ms = now;
}

/* Finds the source's slot; with create, claims a free or the fullest one. */
static struct rl_slot *rl_find(struct gw_ratelimit *rl, const struct gw_addr_key *k,
	uint64_t now, bool create)
{
	uint64_t h = hash_bytes(rl->seed, k->b, sizeof(k->b));
	struct rl_slot *victim = NULL;

	for (unsigned i = 0; i < PROBE; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % rl->nslots];
		if (s->used && memcmp(&s->key, k, sizeof(*k)) == 0) {
			refill(rl, s, now);
			return s;
		}
		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
			continue;
		}
		refill(rl, s, now);
		if (!victim || (victim->used && s->milli_tokens > victim->milli_tokens))
			victim = s;
	}
	if (!create)
		return NULL;
	/* Evicting the fullest bucket forgets the least suspicious source. */
	victim->used = true;
	victim->key = *k;
	victim->milli_tokens = rl->burst_milli;
	victim->last_ms = now;
	return victim;
}

bool gw_rl_blocked(struct gw_ratelimit *rl, const struct gw_addr_key *k, uint64_t now_ms)
{
	struct rl_slot *s;
	bool blocked;

	pthread_mutex_lock(&rl->lock);
	s = rl_find(rl, k, now_ms, false);
	blocked = s && s->milli_tokens < 1000u;
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

void gw_rl_fail(struct gw_ratelimit *rl, const struct gw_addr_key *k, uint64_t now_ms)
{
	struct rl_slot *s;

	pthread_mutex_lock(&rl->lock);
	s = rl_find(rl, k, now_ms, true);
	s->milli_tokens = s->milli_tokens >= 1000u ? s->milli_tokens - 1000u : 0;
	pthread_mutex_unlock(&rl->lock);
}

/* ---- connections per principal -------------------------------------------- */

struct pc_slot {
	char name[VG_PRINCIPAL_NAME_MAX + 1];
	uint64_t count;
};

struct gw_pcount {
	pthread_mutex_t lock;
	uint64_t seed;
	unsigned nslots;
	struct pc_slot *slots;
};

int gw_pcount_new(unsigned slots, struct gw_pcount **out)
{
	struct gw_pcount *pc;

	*out = NULL;
	if (slots < PROBE)
		return VG_EINVAL;
	if (!(pc = calloc(1, sizeof(*pc))) || !(pc->slots = calloc(slots, sizeof(*pc->slots)))) {
		free(pc);
		return -ENOMEM;
	}
	pthread_mutex_init(&pc->lock, NULL);
	pc->nslots = slots;
	pc->seed = random_seed();
	*out = pc;
	return 0;
}

void gw_pcount_free(struct gw_pcount *pc)
{
	if (!pc)
		return;
	pthread_mutex_destroy(&pc->lock);
	free(pc->slots);
	free(pc);
}

/* Linear probing over the whole table; a slot whose count drops to zero
 * keeps its name until reused, so chains stay intact. */
static struct pc_slot *pc_find(struct gw_pcount *pc, const char *name, bool create)
{
	uint64_t h = hash_bytes(pc->seed, name, strlen(name));
	struct pc_slot *free_slot = NULL;

	for (unsigned i = 0; i < pc->nslots; i++) {
		struct pc_slot *s = &pc->slots[(h + i) % pc->nslots];
		if (s->name[0] == 0) {
			if (!free_slot)
				free_slot = s;
			break;  /* end of chain */
		}
		if (strcmp(s->name, name) == 0)
			return s;
		if (s->count == 0 && !free_slot)
			free_slot = s;
	}
	if (!create || !free_slot)
		return NULL;
	if (free_slot->name[0] == 0 || free_slot->count == 0) {
		strncpy(free_slot->name, name, sizeof(free_slot->name) - 1);
		free_slot->name[sizeof(free_slot->name) - 1] = 0;
		free_slot->count = 0;
	}
	return free_slot;
}

int gw_pcount_acquire(struct gw_pcount *pc, const char *name, uint64_t max)
{
	struct pc_slot *s;
	int r = 0;

	if (strlen(name) > VG_PRINCIPAL_NAME_MAX)
		return VG_EINVAL;
	pthread_mutex_lock(&pc->lock);
	s = pc_find(pc, name, true);
	if (!s || s->count >= max)
		r = VG_ELIMIT;
	else
		s->count++;
	pthread_mutex_unlock(&pc->lock);
	return r;
}

void gw_pcount_release(struct gw_pcount *pc, const char *name)
{
	struct pc_slot *s;

	pthread_mutex_lock(&pc->lock);
	s = pc_find(pc, name, false);
	if (s && s->count > 0)
		s->count--;
	pthread_mutex_unlock(&pc->lock);
}

uint64_t gw_pcount_get(struct gw_pcount *pc, const char *name)
{
	struct pc_slot *s;
	uint64_t n;

	pthread_mutex_lock(&pc->lock);
	s = pc_find(pc, name, false);
	n = s ? s->count : 0;
	pthread_mutex_unlock(&pc->lock);
	return n;
}
