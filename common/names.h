/* names.h - the one grammar for vault, item, object and principal names.
 *
 *   name := [A-Za-z0-9] [A-Za-z0-9._:@+=-]*      1..max bytes
 *
 * "..", "/", NUL, spaces and control bytes are refused, never cleaned up.
 */
#ifndef VG_NAMES_H
#define VG_NAMES_H

#include <stddef.h>

#define VG_VAULT_NAME_MAX 64
#define VG_ITEM_NAME_MAX 128
#define VG_OBJECT_NAME_MAX 255
#define VG_PRINCIPAL_NAME_MAX 64

/* 0 or VG_ENAME. */
int vg_name_check(const char *s, size_t maxlen);

/* Ids made of hex digits (restic file ids, point ids): 0 if s is exactly
 * `len` lowercase hex digits, else VG_ENAME. Upper case is refused: an id
 * has one spelling. */
int vg_hexid_check(const char *s, size_t len);

#endif
