/* enrol.c - see enrol.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "enrol.h"
#include "vg_err.h"

#define SLOTS 512

/* key: "s:" + source address or "a:" + agent name. */
static struct slot {
	char key[80];
	uint64_t start;
	unsigned count;
} slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot for key (the oldest one is reused when the table is full); its
 * window restarted if it ran out. Called with lock held. */
static struct slot *find(const char *kind, const char *name, uint64_t now, int create)
{
	char key[sizeof(slots[0].key)];
	int oldest = 0;

	snprintf(key, sizeof(key), "%s%s", kind, name);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].key[0] && strcmp(slots[i].key, key) == 0) {
			if (now - slots[i].start > VENROL_WINDOW) {
				slots[i].start = now;
				slots[i].count = 0;
			}
			return &slots[i];
		}
		if (slots[i].start < slots[oldest].start)
			oldest = i;
	}
	if (!create)
		return NULL;
	snprintf(slots[oldest].key, sizeof(slots[oldest].key), "%s", key);
	slots[oldest].start = now;
	slots[oldest].count = 0;
	return &slots[oldest];
}

static uint64_t left(const struct slot *s, uint64_t now)
{
	return s->start + VENROL_WINDOW > now ? s->start + VENROL_WINDOW - now : 1;
}

int venrol_check(const char *source, const char *agent, uint64_t now, uint64_t *retry, char *why,
	size_t whysz)
{
	struct slot *s;
	int r = 0;

	pthread_mutex_lock(&lock);
	if ((s = find("a:", agent, now, 0)) && s->count >= VENROL_PER_AGENT) {
		*retry = left(s, now);
		snprintf(why, whysz, "%u failed activations of agent %s within %d minutes; retry in %llu s",
			s->count, agent, VENROL_WINDOW / 60, (unsigned long long)*retry);
		r = VG_ELIMIT;
	} else if ((s = find("s:", source, now, 0)) && s->count >= VENROL_PER_SOURCE) {
		*retry = left(s, now);
		snprintf(why, whysz, "%u failed activations from %s within %d minutes; retry in %llu s",
			s->count, source, VENROL_WINDOW / 60, (unsigned long long)*retry);
		r = VG_ELIMIT;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

int venrol_failed(const char *source, const char *agent, uint64_t now)
{
	struct slot *s;
	int fire = 0;

	pthread_mutex_lock(&lock);
	if ((s = find("s:", source, now, 1)))
		s->count++;
	if ((s = find("a:", agent, now, 1)) && ++s->count == VENROL_PER_AGENT)
		fire = 1;
	pthread_mutex_unlock(&lock);
	return fire;
}
