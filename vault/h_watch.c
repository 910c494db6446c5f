/* h_watch.c - vaultd request handlers for issue 14's watchful vault:
 * item settings (itemset.c: quota, expect-every) and scrubs (scrub.c).
 * Vault quotas are a row of `vault set` (h_policy.c passes them here). */
#include <stdio.h>
#include <string.h>

#include "itemset.h"
#include "quota.h"
#include "scrub.h"
#include "running.h"
#include "server_int.h"
#include "vg_err.h"

/* Rows of h_data.c's item_settings (after its permission check). */
static int item_set(struct conn *k, const struct args *a, const char *setting, const char *value)
{
	char why[400] = "";
	int r = vitemset_apply(k->c, &k->who, a->vault, a->item, setting, value, why, sizeof(why));

	if (!r)
		return vg_send_frame(k->fd, resp_ok(k));
	audit_refusal(k, "item.set", a->target, r, *why ? why : NULL);
	return send_err(k, r, "item %s: %s", a->target, *why ? why : vg_strerror(r));
}

int item_set_quota(struct conn *k, const struct args *a, const char *value)
{
	return item_set(k, a, "quota", value);
}

int item_set_expect_every(struct conn *k, const struct args *a, const char *value)
{
	return item_set(k, a, "expect-every", value);
}

/* `vault set V quota BYTES` (after h_vault_set's permission check). */
int h_vault_set_quota(struct conn *k, const char *vault, const char *value)
{
	char why[400] = "";
	int r = vquota_vault_set(k->c, &k->who, vault, value, why, sizeof(why));

	if (!r)
		return vg_send_frame(k->fd, resp_ok(k));
	audit_refusal(k, "vault.set", vault, r, *why ? why : NULL);
	return send_err(k, r, "vault %s: %s", vault, *why ? why : vg_strerror(r));
}

static int bad_row(void *arg, const struct vscrub_bad *b)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_str(w, VG_TAG_VAULT, b->vault);
	vg_msgb_str(w, VG_TAG_ITEM, b->item);
	vg_msgb_str(w, VG_TAG_POINT, b->point);
	vg_msgb_str(w, VG_TAG_OBJECT, b->object);
	vg_msgb_str(w, VG_TAG_DETAIL, b->detail);
	vg_msgb_bytes(w, VG_TAG_SHA256, b->sha256, sizeof(b->sha256));
	return vg_send_frame(k->fd, w);
}

int h_scrub(struct conn *k, const struct vg_msg *m)
{
	struct vscrub_stats st;
	struct args a;
	struct vg_wr *w;
	uint64_t rate = 0;
	int r, all;

	memset(&a, 0, sizeof(a));
	all = vg_msg_str(m, VG_TAG_VAULT, a.vault, sizeof(a.vault)) != 0;
	(void)vg_msg_u64(m, VG_TAG_SIZE, &rate);
	if (all && !k->who.root) {
		audit_refusal(k, "scrub", "*", VG_EDENIED, "scrubbing every vault is for local root");
		return send_err(k, VG_EDENIED, "scrub: every vault is for local root; name a vault");
	}
	if (!all && (r = need(k, "scrub", a.vault, NULL, VP_POLICY)))
		return r < 0 ? r : 0;
	{
		struct vscrub_progress p;
		vscrub_progress(&p);
		if (p.running)
			return send_err(k, VG_EBADSTATE, "scrub: a scrub is already running "
				"(%llu of %llu objects done)", (unsigned long long)p.objects_done,
				(unsigned long long)p.objects_total);
	}
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	k->run = vrun_begin("scrub", all ? "*" : a.vault, "", NULL, k->who.principal, 0);
	r = vscrub_run(k->c, &k->who, all ? NULL : a.vault, rate, bad_row, k, &st);
	if (r)
		return end_stream(k, r);
	w = row(k);
	vg_msgb_str(w, VG_TAG_KIND, "summary");
	vg_msgb_u64(w, VG_TAG_COUNT, st.objects);
	vg_msgb_u64(w, VG_TAG_SIZE, st.bytes);
	vg_msgb_u64(w, VG_TAG_SIZE2, st.damaged);
	vg_msgb_u64(w, VG_TAG_TIME, st.seconds);
	if (st.skipped) {
		char d[200];
		snprintf(d, sizeof(d), "%llu objects skipped: vault %s: key unavailable",
			(unsigned long long)st.skipped, st.skipped_vault);
		vg_msgb_str(w, VG_TAG_DETAIL, d);
	}
	if ((r = vg_send_frame(k->fd, w)))
		return r;
	return end_stream(k, st.damaged ? VG_EINTEGRITY : st.skipped ? VG_EKEY : 0);
}

int h_object_repair(struct conn *k, const struct vg_msg *m)
{
	struct vcore_upload *u = NULL;
	char ps[65] = "";
	struct args a;
	uint64_t pid = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if (vg_msg_str(m, VG_TAG_VAULT, a.vault, sizeof(a.vault)) ||
	    vg_msg_str(m, VG_TAG_ITEM, a.item, sizeof(a.item)) ||
	    vg_msg_str(m, VG_TAG_OBJECT, a.object, sizeof(a.object)) ||
	    (vg_msg_str(m, VG_TAG_POINT, ps, sizeof(ps)) == 0 && strcmp(ps, "0") != 0 &&
	     vcore_point_parse(ps, &pid)))
		return send_err(k, VG_EINVAL, "object.repair needs a vault, an item, a point and an object");
	snprintf(a.target, sizeof(a.target), "%s/%s/%s/%s", a.vault, a.item, *ps ? ps : "0", a.object);
	if (!k->who.root) {
		audit_refusal(k, "object.repair", a.target, VG_EDENIED, "only local root repairs objects");
		return send_err(k, VG_EDENIED, "object.repair: only local root repairs objects");
	}
	if ((r = vcore_repair_begin(k->c, &k->who, a.vault, a.item, pid, a.object, &u))) {
		audit_refusal(k, "object.repair", a.target, r, NULL);
		return send_err(k, r, "object %s: %s", a.target, vg_strerror(r));
	}
	return stream_upload(k, u, "object.repair", a.target);
}
