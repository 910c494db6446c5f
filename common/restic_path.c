/* restic_path.c - see restic_path.h. */
#include <stdio.h>
#include <string.h>

#include "restic_path.h"
#include "vg_err.h"

static const char *const type_names[] = {
	[VG_RT_KEYS] = "keys",
	[VG_RT_LOCKS] = "locks",
	[VG_RT_SNAPSHOTS] = "snapshots",
	[VG_RT_INDEX] = "index",
	[VG_RT_DATA] = "data",
};

const char *vg_restic_type_name(enum vg_rp_type t)
{
	if (t < VG_RT_KEYS || t > VG_RT_DATA)
		return NULL;
	return type_names[t];
}

/* A segment of [a-z] letters only can name a type; anything else in the
 * type position is malformed. */
static int type_lookup(const char *s, size_t n, enum vg_rp_type *t)
{
	if (n == 0 || n > 16)
		return VG_ENAME;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return VG_ENAME;
	for (int i = VG_RT_KEYS; i <= VG_RT_DATA; i++)
		if (strlen(type_names[i]) == n && memcmp(type_names[i], s, n) == 0) {
			*t = (enum vg_rp_type)i;
			return 0;
		}
	return VG_ENOTFOUND;
}

int vg_restic_path_parse(const char *path, struct vg_restic_path *out)
{
	const char *p, *slash, *rest;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	n = strlen(VG_RESTIC_PREFIX);
	if (strncmp(path, VG_RESTIC_PREFIX, n) != 0 || strchr(path, '%'))
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
		out->kind = VG_RP_ROOT;
		return 0;
	}
	if (strcmp(rest, "config") == 0) {
		out->kind = VG_RP_CONFIG;
		strcpy(out->object, "config");
		return 0;
	}
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if ((r = type_lookup(rest, n, &out->type)))
		return r;
	if (!slash || slash[1] == 0) {
		out->kind = VG_RP_LIST;
		return 0;
	}
	p = slash + 1;
	if (vg_restic_id_check(p))
		return VG_ENAME;
	memcpy(out->id, p, VG_RESTIC_ID_LEN + 1);
	out->kind = VG_RP_FILE;
	snprintf(out->object, sizeof(out->object), "%s:%s", type_names[out->type], out->id);
	return 0;
}

int vg_restic_object_parse(const char *object, enum vg_rp_type *t, char id[VG_RESTIC_ID_LEN + 1])
{
	const char *colon;
	int r;

	if (strcmp(object, "config") == 0) {
		*t = VG_RT_NONE;
		id[0] = 0;
		return 0;
	}
	if (!(colon = strchr(object, ':')))
		return VG_ENAME;
	if ((r = type_lookup(object, (size_t)(colon - object), t)))
		return VG_ENAME;
	if (vg_restic_id_check(colon + 1))
		return VG_ENAME;
	memcpy(id, colon + 1, VG_RESTIC_ID_LEN + 1);
	return 0;
}

int vg_restic_type_parse(const char *s, enum vg_rp_type *t)
{
	return type_lookup(s, strlen(s), t) ? VG_ENAME : 0;
}
