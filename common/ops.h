/* ops.h - the operations vaultd serves (the VG_TAG_OP of a REQ frame).
 * The numbers are the protocol: append only. */
#ifndef VG_OPS_H
#define VG_OPS_H

enum vg_op {
	VG_OP_PING = 1,
	VG_OP_VAULT_CREATE,
	VG_OP_VAULT_LIST,
	VG_OP_VAULT_GET,
	VG_OP_ITEM_CREATE,
	VG_OP_ITEM_LIST,
	VG_OP_POINT_BEGIN,
	VG_OP_OBJECT_PUT,       /* stream up */
	VG_OP_POINT_COMMIT,
	VG_OP_POINT_ABORT,
	VG_OP_POINT_LIST,       /* ROW frames */
	VG_OP_OBJECT_LIST,      /* ROW frames */
	VG_OP_OBJECT_GET,       /* stream down, with OFFSET/LENGTH */
	VG_OP_OBJECT_STAT,
	VG_OP_AUDIT_VERIFY,
	VG_OP_AUDIT_EXPORT,     /* ROW frames */
	VG_OP_WHOAMI,
	/* External events (vaultnet, timers): an audit entry and, with KIND,
	 * an alert. Local root only. OPNAME, TARGET, REASON, [KIND]. */
	VG_OP_EVENT_RECORD,
	/* restic repositories (PROTOCOLS.md §1), one item of kind "restic".
	 * OBJECT is "config" or "TYPE:ID" (TYPE in keys, locks, snapshots,
	 * index, data; ID 64 lowercase hex). */
	VG_OP_RESTIC_CREATE,    /* VAULT ITEM: idempotent */
	VG_OP_RESTIC_PUT,       /* VAULT ITEM OBJECT [SHA256] [SIZE]: stream up */
	VG_OP_RESTIC_GET,       /* VAULT ITEM OBJECT [OFFSET] [LENGTH]: stream down */
	VG_OP_RESTIC_STAT,      /* VAULT ITEM OBJECT -> SIZE */
	VG_OP_RESTIC_LIST,      /* VAULT ITEM KIND(type) -> ROW {NAME, SIZE} */
	VG_OP_RESTIC_DELETE,    /* VAULT ITEM OBJECT */
	VG_OP_MAX_CORE = VG_OP_RESTIC_DELETE,
};

#endif
