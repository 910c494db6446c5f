/* h_keys.c - vaultd request handler for the keys off the box
 * (VG_OP_KEYS_EXPORT): the platform, audit and infrastructure keys sealed
 * under an operator's passphrase (keyexport.h). Import is offline: vaultd
 * --import-keys (keyimport.c), before vaultd first opens a state directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "core_int.h"
#include "keyexport.h"
#include "keyfile.h"
#include "log.h"
#include "mua.h"
#include "server_int.h"
#include "vg_err.h"

#define GUARDS_MAX 64

/* One vault per distinct guard: what vmua_check needs to find the guard. */
struct guards {
	struct vr_vault v[GUARDS_MAX];
	int n;
};

static int guard_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct guards *g = arg;

	(void)name;
	if (!*v->guard)
		return 0;
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->v[i].guard, v->guard) == 0)
			return 0;
	if (g->n == GUARDS_MAX)
		return VG_ELIMIT;
	g->v[g->n++] = *v;
	return 0;
}

/* The key files as they are on disk (vaultd made them; they are its own). */
static int load_keys(struct vcore *c, struct vkx_keys *k, char *why, size_t whysz)
{
	char path[sizeof(c->dir) + 32];
	int r;

	memset(k, 0, sizeof(*k));
	k->created = vault_now();
	snprintf(path, sizeof(path), "%s/keys/platform.key", c->dir);
	if ((r = vk_keyfile_load(path, false, k->platform, why, whysz)))
		return r;
	snprintf(path, sizeof(path), "%s/keys/audit.key", c->dir);
	if ((r = vk_keyfile_load(path, false, k->audit, why, whysz)))
		return r;
	snprintf(path, sizeof(path), "%s/keys/infra.key", c->dir);
	r = vk_keyfile_load(path, false, k->infra, why, whysz);
	if (r == 0)
		k->has_infra = true;
	else if (r == -ENOENT || access(path, F_OK) != 0)
		r = 0;  /* no vault asked for double encryption yet */
	return r;
}

int h_keys_export(struct conn *k, const struct vg_msg *m)
{
	char pass[VG_WIRE_STR_MAX + 1], why[400] = "", reason[160];
	struct guards *g = NULL;
	struct vkx_keys keys;
	struct vg_wr out, *w;
	MDB_txn *txn;
	size_t passlen;
	int r;

	memset(&keys, 0, sizeof(keys));
	vg_wr_init(&out, VKX_FILE_MAX);
	if (!k->who.root) {
		audit_refusal(k, "keys.export", "keys", VG_EDENIED,
			"only local root may export the keys (vaultctl on the appliance)");
		r = send_err(k, VG_EDENIED, "keys export: only local root may export the keys");
		goto out;
	}
	if (vg_msg_str(m, VG_TAG_VALUE, pass, sizeof(pass)) || (passlen = strlen(pass)) < VKX_PASS_MIN) {
		snprintf(why, sizeof(why), "the passphrase must be at least %d bytes", VKX_PASS_MIN);
		audit_refusal(k, "keys.export", "keys", VG_EINVAL, why);
		r = send_err(k, VG_EINVAL, "keys export: %s", why);
		goto out;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		r = send_err(k, -ENOMEM, NULL);
		goto out;
	}
	if ((r = vcore_vault_list(k->c, guard_cb, g))) {
		r = send_err(k, r, "keys export: listing the vaults' guards: %s", vg_strerror(r));
		goto out;
	}
	if ((r = load_keys(k->c, &keys, why, sizeof(why)))) {
		audit_refusal(k, "keys.export", "keys", r, why);
		r = send_err(k, r, "keys export: %s", why);
		goto out;
	}
	if ((r = vkx_seal(&keys, pass, passlen, 0, &out))) {
		r = send_err(k, r, "keys export: sealing failed: %s", vg_strerror(r));
		goto out;
	}
	/* The grant is consumed and the export audited in one transaction,
	 * committed before the sealed file leaves vaultd. */
	if ((r = vdb_begin(k->c->db, true, &txn))) {
		r = send_err(k, r, NULL);
		goto out;
	}
	for (int i = 0; i < g->n; i++) {
		if ((r = vmua_check(k->c, txn, &k->who, &g->v[i], VMUA_KEYS_EXPORT, "keys", why,
			     sizeof(why)))) {
			vdb_abort(txn);
			if (r == VG_EMUA && g->n > 1)
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
					" (%d guards are linked to vaults: a keys export needs a grant "
					"under each, which one request cannot carry: unlink all but one)",
					g->n);
			audit_refusal(k, "keys.export", "keys", r, *why ? why : vg_strerror(r));
			r = send_err(k, r, "keys export: %s", *why ? why : vg_strerror(r));
			goto out;
		}
	}
	snprintf(reason, sizeof(reason), "platform, audit%s keys sealed under a passphrase "
		"(scrypt, AES-256-GCM)", keys.has_infra ? ", infrastructure" : "");
	if ((r = vcore_audit_txn(k->c, txn, &k->who, "keys.export", "keys", "ok", reason))) {
		vdb_abort(txn);
		r = send_err(k, r, "keys export: %s", vg_strerror(r));
		goto out;
	}
	if ((r = vdb_commit(txn))) {
		r = send_err(k, r, "keys export: %s", vg_strerror(r));
		goto out;
	}
	log_info("keys exported by %s (sealed under a passphrase)", k->who.principal);
	/* The sealed file as one DATA frame (it is text with newlines, which
	 * a string field may not hold): RESP {SIZE}, DATA, END. */
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SIZE, out.len);
	if ((r = vg_send_frame(k->fd, w)) ||
	    (r = vg_send_data(k->fd, k->reqid, out.p, (uint32_t)out.len)))
		goto out;
	r = end_stream(k, 0);
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	vkx_wipe(&keys);
	vg_wr_free(&out);
	free(g);
	return r;
}
