/* restic_path.c - see restic_path.h. */
#include <stdio.h>
#include <string.h>

#include "restic_path.h"
#include "vg_err.h"

static const char *const type_names[] = {
	[GW_RT_KEYS] = "keys",
	[GW_RT_LOCKS] = "locks",
	[GW_RT_SNAPSHOTS] = "snapshots",
	[GW_RT_INDEX] = "index",
	[GW_RT_DATA] = "data",
};

const char *gw_restic_type_name(enum gw_rp_type t)
{
	if (t < GW_RT_KEYS || t > GW_RT_DATA)
		return NULL;
	return type_names[t];
}

int gw_restic_id_ok(const char *s, size_t n)
{
	if (n != GW_RESTIC_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A segment of [a-z] letters only can name a type; anything else in the
 * type position is malformed. */
static int type_lookup(const char *s, size_t n, enum gw_rp_type *t)
{
	if (n == 0 || n > 16)
		return VG_ENAME;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return VG_ENAME;
	for (int i = GW_RT_KEYS; i <= GW_RT_DATA; i++)
		if (strlen(type_names[i]) == n && memcmp(type_names[i], s, n) == 0) {
			*t = (enum gw_rp_type)i;
			return 0;
		}
	return VG_ENOTFOUND;
}

int gw_restic_path_parse(const char *path, struct gw_restic_path *out)
{
	const char *p, *slash, *rest;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	n = strlen(GW_RESTIC_PREFIX);
	if (strncmp(path, GW_RESTIC_PREFIX, n) != 0 || strchr(path, '%'))
		return VG_ENAME;
	p = path + n;
	slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) > VG_ITEM_NAME_MAX)
		return VG_ENAME;
	memcpy(out->item, p, (size_t)(slash - p));
	out->item[slash - p] = 0;
	if (vg_name_check(out->item, VG_ITEM_NAME_MAX))
		return VG_ENAME;
	rest = slash + 1;
	if (*rest == 0) {
		out->kind = GW_RP_ROOT;
		return 0;
	}
	if (strcmp(rest, "config") == 0) {
		out->kind = GW_RP_CONFIG;
		strcpy(out->object, "config");
		return 0;
	}
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if ((r = type_lookup(rest, n, &out->type)))
		return r;
	if (!slash || slash[1] == 0) {
		out->kind = GW_RP_LIST;
		return 0;
	}
	p = slash + 1;
	n = strlen(p);
	if (!gw_restic_id_ok(p, n))
		return VG_ENAME;
	memcpy(out->id, p, n + 1);
	out->kind = GW_RP_FILE;
	snprintf(out->object, sizeof(out->object), "%s:%s", type_names[out->type], out->id);
	return 0;
}

int gw_restic_object_parse(const char *object, enum gw_rp_type *t, char id[GW_RESTIC_ID_LEN + 1])
{
	const char *colon;
	int r;

	if (strcmp(object, "config") == 0) {
		*t = GW_RT_NONE;
		id[0] = 0;
		return 0;
	}
	if (!(colon = strchr(object, ':')))
		return VG_ENAME;
	if ((r = type_lookup(object, (size_t)(colon - object), t)))
		return VG_ENAME;
	if (!gw_restic_id_ok(colon + 1, strlen(colon + 1)))
		return VG_ENAME;
	memcpy(id, colon + 1, GW_RESTIC_ID_LEN + 1);
	return 0;
}
