/* vg_err.h - one error space for all of vaultgate.
 *
 * Internal functions return 0 on success, a negative errno, or one of the
 * negative VG_E* codes below (a reserved range far from errno values).
 * vg_strerror() covers both; vg_errcode() gives the stable short code that
 * crosses process and API boundaries ("integrity", "not-found", ...).
 */
#ifndef VG_ERR_H
#define VG_ERR_H

enum {
	VG_EBASE = -20000,
	VG_EPROTO = VG_EBASE,   /* malformed frame or message */
	VG_EVERSION,            /* protocol version mismatch */
	VG_EINTEGRITY,          /* authentication tag / chain / size mismatch */
	VG_ENOTFOUND,           /* no such vault, item, point or object */
	VG_EEXISTS,             /* name already taken */
	VG_ENAME,               /* name violates the grammar */
	VG_EAUTH,               /* missing or bad credentials */
	VG_EDENIED,             /* authenticated but not allowed */
	VG_EBADSTATE,           /* object in the wrong state for this op */
	VG_EKEY,                /* key unavailable */
	VG_ENOSPACE,            /* out of space or over quota */
	VG_ERANGE,              /* unsatisfiable byte range */
	VG_EIMMUTABLE,          /* refused by immutability */
	VG_EPOLICY,             /* refused by a policy rule */
	VG_EMUA,                /* needs a multi-user authorization grant */
	VG_EPIN,                /* security PIN missing, wrong or expired */
	VG_EKEYFILE,            /* key file unreadable, wrong size or too open */
	VG_ETOOBIG,             /* value over its limit */
	VG_EINVAL,              /* bad argument */
	VG_ECLOSED,             /* peer closed the connection */
	VG_EINTERNAL,           /* a bug or a storage failure */
	VG_ESOFTDELETED,        /* the target is soft-deleted */
	VG_ELIMIT,              /* rate or connection limit */
	VG_ELAST
};

const char *vg_strerror(int err);
const char *vg_errcode(int err);
int vg_errcode_parse(const char *code);

#endif
