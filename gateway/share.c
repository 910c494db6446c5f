/* share.c - see share.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "share.h"

struct holder {
	char name[VG_PRINCIPAL_NAME_MAX + 1];
	unsigned n;
};

struct gw_share {
	pthread_mutex_t lock;
	struct gw_share_limits l;
	unsigned writes;          /* non-admin changes holding a link */
	unsigned others;          /* non-admin claims of any kind */
	struct holder *h;         /* at most max principals hold links at once */
};

int gw_share_new(const struct gw_share_limits *l, struct gw_share **out)
{
	struct gw_share *s;

	*out = NULL;
	if (l->max == 0 || l->per_principal == 0 || l->per_principal > l->max ||
	    l->reserved >= l->max)
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))) || !(s->h = calloc(l->max, sizeof(*s->h)))) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->l = *l;
	*out = s;
	return 0;
}

void gw_share_free(struct gw_share *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->h);
	free(s);
}

static struct holder *find(struct gw_share *s, const char *principal, bool add)
{
	struct holder *free_slot = NULL;

	for (unsigned i = 0; i < s->l.max; i++) {
		if (s->h[i].n && strcmp(s->h[i].name, principal) == 0)
			return &s->h[i];
		if (!s->h[i].n && !free_slot)
			free_slot = &s->h[i];
	}
	if (add && free_slot) {
		strncpy(free_slot->name, principal, sizeof(free_slot->name) - 1);
		free_slot->name[sizeof(free_slot->name) - 1] = 0;
	}
	return add ? free_slot : NULL;
}

enum gw_share_result gw_share_claim(struct gw_share *s, const char *principal, bool admin,
	bool write)
{
	unsigned admin_only = (s->l.reserved + 3) / 4;
	enum gw_share_result r = GW_SHARE_OK;
	struct holder *h;

	pthread_mutex_lock(&s->lock);
	h = find(s, principal, true);
	if (!h || h->n >= s->l.per_principal)
		r = GW_SHARE_PRINCIPAL;
	else if (!admin && write && s->writes >= s->l.max - s->l.reserved)
		r = GW_SHARE_RESERVE;
	else if (!admin && s->others >= s->l.max - admin_only)
		r = GW_SHARE_RESERVE;
	if (r == GW_SHARE_OK) {
		h->n++;
		if (!admin) {
			s->others++;
			s->writes += write;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

void gw_share_release(struct gw_share *s, const char *principal, bool admin, bool write)
{
	struct holder *h;

	pthread_mutex_lock(&s->lock);
	if ((h = find(s, principal, false)) != NULL) {
		h->n--;
		if (!admin) {
			s->others--;
			s->writes -= write;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

unsigned gw_share_held(struct gw_share *s, const char *principal)
{
	struct holder *h;
	unsigned n;

	pthread_mutex_lock(&s->lock);
	h = find(s, principal, false);
	n = h ? h->n : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}
