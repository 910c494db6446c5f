/* vg_err.c - messages and stable codes for the VG_E* error space. */
#include <errno.h>
#include <string.h>

#include "vg_err.h"

static const struct {
	const char *code;
	const char *msg;
} vg_errs[] = {
	[VG_EPROTO - VG_EBASE] = {"protocol", "malformed protocol message"},
	[VG_EVERSION - VG_EBASE] = {"version", "protocol version mismatch"},
	[VG_EINTEGRITY - VG_EBASE] = {"integrity", "integrity check failed: stored data was altered"},
	[VG_ENOTFOUND - VG_EBASE] = {"not-found", "not found"},
	[VG_EEXISTS - VG_EBASE] = {"exists", "already exists"},
	[VG_ENAME - VG_EBASE] = {"bad-name", "invalid name"},
	[VG_EAUTH - VG_EBASE] = {"unauthenticated", "missing or invalid credentials"},
	[VG_EDENIED - VG_EBASE] = {"forbidden", "permission denied"},
	[VG_EBADSTATE - VG_EBASE] = {"bad-state", "operation not valid in the current state"},
	[VG_EKEY - VG_EBASE] = {"key-unavailable", "key unavailable"},
	[VG_ENOSPACE - VG_EBASE] = {"no-space", "out of space or over quota"},
	[VG_ERANGE - VG_EBASE] = {"range", "requested range not satisfiable"},
	[VG_EIMMUTABLE - VG_EBASE] = {"immutable", "refused: the vault is immutable"},
	[VG_EPOLICY - VG_EBASE] = {"policy", "refused by policy"},
	[VG_EMUA - VG_EBASE] = {"mua-required", "multi-user authorization required"},
	[VG_EPIN - VG_EBASE] = {"pin", "security PIN missing, wrong or expired"},
	[VG_EKEYFILE - VG_EBASE] = {"bad-key-file", "key file invalid"},
	[VG_ETOOBIG - VG_EBASE] = {"too-big", "value too large"},
	[VG_EINVAL - VG_EBASE] = {"invalid", "invalid argument"},
	[VG_ECLOSED - VG_EBASE] = {"closed", "connection closed"},
	[VG_EINTERNAL - VG_EBASE] = {"internal", "internal error"},
	[VG_ESOFTDELETED - VG_EBASE] = {"soft-deleted", "the target is soft-deleted"},
	[VG_ELIMIT - VG_EBASE] = {"limit", "limit reached"},
};

const char *vg_strerror(int err)
{
	if (err >= VG_EBASE && err < VG_ELAST)
		return vg_errs[err - VG_EBASE].msg;
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

const char *vg_errcode(int err)
{
	if (err >= VG_EBASE && err < VG_ELAST)
		return vg_errs[err - VG_EBASE].code;
	switch (err) {
	case -ENOENT:
		return "not-found";
	case -ENOSPC:
	case -EDQUOT:
		return "no-space";
	case -EINVAL:
		return "invalid";
	default:
		return "internal";
	}
}

int vg_errcode_parse(const char *code)
{
	for (int e = VG_EBASE; e < VG_ELAST; e++)
		if (strcmp(vg_errs[e - VG_EBASE].code, code) == 0)
			return e;
	return VG_EINTERNAL;
}
