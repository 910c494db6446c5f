/* restic_path.h - the restic REST path grammar (PROTOCOLS.md §1), refused
 * never cleaned up:
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
 * encoder and decoder of that name both live in restic_path.c.
 */
#ifndef GW_RESTIC_PATH_H
#define GW_RESTIC_PATH_H

#include "names.h"

#define GW_RESTIC_PREFIX "/restic/"
#define GW_RESTIC_ID_LEN 64

enum gw_rp_kind { GW_RP_ROOT = 1, GW_RP_CONFIG, GW_RP_LIST, GW_RP_FILE };
enum gw_rp_type { GW_RT_NONE = 0, GW_RT_KEYS, GW_RT_LOCKS, GW_RT_SNAPSHOTS, GW_RT_INDEX, GW_RT_DATA };

struct gw_restic_path {
	enum gw_rp_kind kind;
	enum gw_rp_type type;
	char item[VG_ITEM_NAME_MAX + 1];
	char id[GW_RESTIC_ID_LEN + 1];
	char object[16 + GW_RESTIC_ID_LEN];  /* "config" or "TYPE:ID" */
};

/* 0; VG_ENAME for a path outside the grammar (400); VG_ENOTFOUND for a
 * well-formed path naming an unknown type (404). */
int gw_restic_path_parse(const char *path, struct gw_restic_path *out);
const char *gw_restic_type_name(enum gw_rp_type t);
/* "TYPE:ID" / "config" -> type + id (the inverse of the object field). */
int gw_restic_object_parse(const char *object, enum gw_rp_type *t, char id[GW_RESTIC_ID_LEN + 1]);
/* 1 if s is exactly 64 lowercase hex digits. */
int gw_restic_id_ok(const char *s, size_t n);

#endif
