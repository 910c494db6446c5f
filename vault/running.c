/* running.c - see running.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "running.h"
#include "scrub.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct vrun_job jobs[VRUN_MAX];
static bool used[VRUN_MAX];
static uint64_t next_id = 1;

int vrun_begin(const char *kind, const char *vault, const char *item, const char *object,
	const char *principal, uint64_t total)
{
	int slot = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < VRUN_MAX; i++) {
		if (used[i])
			continue;
		struct vrun_job *j = &jobs[i];
		memset(j, 0, sizeof(*j));
		j->id = next_id++;
		snprintf(j->kind, sizeof(j->kind), "%s", kind);
		snprintf(j->vault, sizeof(j->vault), "%s", vault ? vault : "*");
		snprintf(j->item, sizeof(j->item), "%s", item ? item : "");
		snprintf(j->object, sizeof(j->object), "%s", object ? object : "");
		snprintf(j->principal, sizeof(j->principal), "%s", principal ? principal : "");
		j->total = total;
		j->started = vault_now();
		used[i] = true;
		slot = i;
		break;
	}
	pthread_mutex_unlock(&lock);
	return slot;
}

void vrun_total(int slot, uint64_t total)
{
	if (slot < 0 || slot >= VRUN_MAX)
		return;
	pthread_mutex_lock(&lock);
	jobs[slot].total = total;
	pthread_mutex_unlock(&lock);
}

void vrun_add(int slot, uint64_t bytes)
{
	if (slot < 0 || slot >= VRUN_MAX)
		return;
	pthread_mutex_lock(&lock);
	jobs[slot].done += bytes;
	pthread_mutex_unlock(&lock);
}

void vrun_end(int *slot)
{
	if (*slot >= 0 && *slot < VRUN_MAX) {
		pthread_mutex_lock(&lock);
		used[*slot] = false;
		pthread_mutex_unlock(&lock);
	}
	*slot = -1;
}

int vrun_each(int (*cb)(void *arg, const struct vrun_job *j), void *arg)
{
	struct vrun_job *copy;
	size_t n = 0;
	int r = 0;
	struct vscrub_progress sp;

	copy = malloc(sizeof(jobs));
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < VRUN_MAX; i++)
		if (used[i])
			copy[n++] = jobs[i];
	pthread_mutex_unlock(&lock);
	vscrub_progress(&sp);
	for (size_t i = 0; i < n && !r; i++) {
		if (strcmp(copy[i].kind, "scrub") == 0 && sp.running) {
			copy[i].done = sp.bytes_done;
			copy[i].total = sp.bytes_total;
		}
		r = cb(arg, &copy[i]);
	}
	free(copy);
	return r;
}
