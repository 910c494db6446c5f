/* restic.c - see restic.h. */
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "lifecycle.h"
#include "policy.h"
#include "restic.h"
#include "vg_err.h"

static const char *const restic_types[] = {"keys", "locks", "snapshots", "index", "data", NULL};

int vrestic_type_check(const char *type)
{
	for (int i = 0; restic_types[i]; i++)
		if (strcmp(type, restic_types[i]) == 0)
			return 0;
	return VG_ENAME;
}

int vrestic_name_check(const char *name, char type[16])
{
	const char *colon;
	size_t tl;

	if (strcmp(name, "config") == 0) {
		strcpy(type, "config");
		return 0;
	}
	colon = strchr(name, ':');
	if (!colon || (tl = (size_t)(colon - name)) >= 16)
		return VG_ENAME;
	memcpy(type, name, tl);
	type[tl] = 0;
	if (vrestic_type_check(type) || strlen(colon + 1) != 64)
		return VG_ENAME;
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return VG_ENAME;
	return 0;
}

int vrestic_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, int may_create, int *created)
{
	struct vr_item it;
	int r;

	*created = 0;
	r = vcore_item_get(c, vault, item, &it);
	if (r == 0)
		return strcmp(it.kind, "restic") == 0 ? 0 : VG_EEXISTS;
	if (r != VG_ENOTFOUND)
		return r;
	if (!may_create)
		return VG_EDENIED;
	r = vcore_item_create(c, who, vault, item, "restic", NULL);
	if (r == 0)
		*created = 1;
	return r == VG_EEXISTS ? 0 : r;  /* a concurrent init won the race */
}

int vcore_snapshot_added(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, const char *object, uint64_t size, const struct vcaller *who)
{
	struct vr_point p;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = vc_random(&p.id, sizeof(p.id))))
		return r;
	p.id |= 1;
	p.item_id = it->id;
	p.state = VR_P_ACTIVE;
	p.kind = VR_PK_SNAPSHOT;
	p.created = p.committed = vault_now();
	p.bytes = size;
	p.objects = 1;
	snprintf(p.principal, sizeof(p.principal), "%s", who->principal);
	snprintf(p.ref, sizeof(p.ref), "%s", object);
	if ((r = vpolicy_point_expiry(c, txn, v, it, &p)))
		return r;
	return vcore_put_point(c, txn, &p);
}

struct rl {
	const char *prefix;
	size_t plen;
	int (*cb)(void *arg, const char *id, uint64_t size);
	void *arg;
};

static int rl_cb(void *arg, const char *name, const struct vr_object *o)
{
	struct rl *l = arg;

	if (strncmp(name, l->prefix, l->plen) != 0)
		return 0;
	return l->cb(l->arg, name + l->plen, o->size);
}

int vrestic_list(struct vcore *c, const char *vault, const char *item, const char *type,
	int (*cb)(void *arg, const char *id, uint64_t size), void *arg)
{
	struct vr_item it;
	char prefix[32];
	struct rl l = {prefix, 0, cb, arg};
	int r;

	if ((r = vrestic_type_check(type)))
		return r;
	if ((r = vcore_item_get(c, vault, item, &it)))
		return r;
	if (strcmp(it.kind, "restic") != 0)
		return VG_EBADSTATE;
	l.plen = (size_t)snprintf(prefix, sizeof(prefix), "%s:", type);
	/* object_list shows active objects only. */
	return vcore_object_list(c, vault, item, it.repo_point, rl_cb, &l);
}

int vrestic_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *object)
{
	char type[16];
	int r;

	if ((r = vrestic_name_check(object, type)))
		return r;
	r = vlife_object_delete(c, who, vault, item, object, strcmp(type, "locks") == 0);
	return r == VG_ENOTFOUND ? 0 : r;
}
