/* restic_path.h - the restic REST path grammar (PROTOCOLS.md §1) and the
 * object names it maps to: the one copy, for vaultgw (paths) and vaultd
 * (object names, list types). Refused, never cleaned up:
 *
 *   /restic/ITEM/                   the repository (POST ?create=true)
 *   /restic/ITEM/config
 *   /restic/ITEM/TYPE/              list (also without the final slash)
 *   /restic/ITEM/TYPE/ID            one file
 *
 *   ITEM  the item name grammar (common/names.h)
 *   TYPE  keys | locks | snapshots | index | data
 *   ID    exactly 64 lowercase hex digits
 *
 * No percent-decoding: '%' is refused, like "..", "." and empty segments.
 * The object name sent to vaultd is "config" or "TYPE:ID" (common/ops.h);
 * encoder and decoder of that name both live in restic_path.c, and vaultd
 * checks the names it is sent with the same decoder.
 */
#ifndef VG_RESTIC_PATH_H
#define VG_RESTIC_PATH_H

#include "names.h"

#define VG_RESTIC_PREFIX "/restic/"
#define VG_RESTIC_ID_LEN 64

enum vg_rp_kind { VG_RP_ROOT = 1, VG_RP_CONFIG, VG_RP_LIST, VG_RP_FILE };
enum vg_rp_type { VG_RT_NONE = 0, VG_RT_KEYS, VG_RT_LOCKS, VG_RT_SNAPSHOTS, VG_RT_INDEX, VG_RT_DATA };

struct vg_restic_path {
	enum vg_rp_kind kind;
	enum vg_rp_type type;
	char item[VG_ITEM_NAME_MAX + 1];
	char id[VG_RESTIC_ID_LEN + 1];
	char object[16 + VG_RESTIC_ID_LEN];  /* "config" or "TYPE:ID" */
};

/* 0; VG_ENAME for a path outside the grammar (400); VG_ENOTFOUND for a
 * well-formed path naming an unknown type (404). */
int vg_restic_path_parse(const char *path, struct vg_restic_path *out);
const char *vg_restic_type_name(enum vg_rp_type t);
/* "TYPE:ID" / "config" -> type + id (the inverse of the object field). */
int vg_restic_object_parse(const char *object, enum vg_rp_type *t, char id[VG_RESTIC_ID_LEN + 1]);
/* A list type by name ("keys" ... "data"): 0, else VG_ENAME. */
int vg_restic_type_parse(const char *s, enum vg_rp_type *t);
/* 0 if s is exactly 64 lowercase hex digits, else VG_ENAME. */
static inline int vg_restic_id_check(const char *s)
{
	return vg_hexid_check(s, VG_RESTIC_ID_LEN);
}

#endif
