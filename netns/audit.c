/* audit.c - see audit.h. */
#include <stdio.h>

#include "audit.h"
#include "client.h"
#include "vg_err.h"

int vn_audit_event(const char *socket_path, const char *opname, const char *target,
		   const char *reason, const char *kind, char *err, size_t errlen)
{
	struct vgc *c = NULL;
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (errlen)
		err[0] = '\0';
	if ((r = vgc_connect(socket_path, &c))) {
		snprintf(err, errlen, "connecting to %s: %s", socket_path, vg_strerror(r));
		return r;
	}
	w = vgc_req(c, VG_OP_EVENT_RECORD);
	vg_msgb_str(w, VG_TAG_OPNAME, opname);
	vg_msgb_str(w, VG_TAG_TARGET, target);
	vg_msgb_str(w, VG_TAG_REASON, reason);
	if (kind)
		vg_msgb_str(w, VG_TAG_KIND, kind);
	if ((r = vgc_call(c, &m)))
		snprintf(err, errlen, "vaultd refused %s: %s", opname,
			 vgc_errmsg(c)[0] ? vgc_errmsg(c) : vg_strerror(r));
	vgc_close(c);
	return r;
}
