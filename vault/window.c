/* window.c - see window.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

struct vwin_slot {
	char key[VWIN_KEY_MAX + 1];
	uint64_t start;          /* of the current window */
	unsigned count;
	bool fired;              /* the threshold was reached in this window */
};

struct vwin {
	pthread_mutex_t lock;
	uint64_t window;
	unsigned threshold;
	size_t n;
	struct vwin_slot slot[];
};

int vwin_new(size_t nslots, uint64_t window, unsigned threshold, struct vwin **out)
{
	struct vwin *w;

	*out = NULL;
	if (nslots == 0 || nslots > 65536 || window == 0 || threshold == 0)
		return -EINVAL;
	if (!(w = calloc(1, sizeof(*w) + nslots * sizeof(w->slot[0]))))
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->window = window;
	w->threshold = threshold;
	w->n = nslots;
	*out = w;
	return 0;
}

void vwin_free(struct vwin *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int vwin_hit(struct vwin *w, const char *key, uint64_t now)
{
	char k[VWIN_KEY_MAX + 1];
	struct vwin_slot *s = NULL;
	size_t oldest = 0;
	int fire = 0;

	snprintf(k, sizeof(k), "%s", key);
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->slot[i].key, k) == 0) {
			s = &w->slot[i];
			break;
		}
		if (w->slot[i].start < w->slot[oldest].start)
			oldest = i;
	}
	if (!s || now - s->start > w->window) {
		if (!s) {
			s = &w->slot[oldest];
			memcpy(s->key, k, sizeof(k));
		}
		s->start = now;
		s->count = 0;
		s->fired = false;
	}
	if (++s->count >= w->threshold && !s->fired)
		fire = s->fired = true;
	pthread_mutex_unlock(&w->lock);
	return fire;
}
