/* auth.h - principals, tokens, client-certificate fingerprints and role
 * assignments (SPEC §1), and the one permission check every request passes.
 *
 * A token is "vg_" + 64 hex digits (256 random bits). It is shown once; only
 * its SHA-256 is stored, and checks compare in constant time. The local
 * console (uid 0 on the socket, presenting no credential) is "root@local",
 * Owner of every vault; it is how the first Owner is bootstrapped. Every
 * other caller must present a credential, and vaultd alone decides.
 */
#ifndef VAULT_AUTH_H
#define VAULT_AUTH_H

#include <sys/types.h>

#include "core.h"
#include "wire.h"

#define VAUTH_TOKEN_LEN (3 + 64)

enum vperm {
	VP_VIEW,          /* vault, items, points, jobs, alerts */
	VP_PROTECT,       /* register an agent / protect an item */
	VP_BACKUP,        /* write a new recovery point */
	VP_RESTORE,       /* read object data */
	VP_POLICY,        /* create/modify/delete policy */
	VP_STOP,          /* stop protection (retain or delete data) */
	VP_PIN,           /* generate a security PIN */
	VP_SECURITY,      /* vault security settings, keys, role assignments */
	VP_DELETE_VAULT,
};

const char *vauth_perm_name(enum vperm p);

/* Fills who (principal, kind, root) from the request's credential and the
 * peer's uid. VG_EAUTH on a missing or bad credential. */
int vauth_authenticate(struct vcore *c, uid_t peer_uid, const struct vg_msg *m,
	struct vcaller *who);
/* VG_EDENIED unless who may do p on vault (and item, for agents' "own"). */
int vauth_authorize(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, enum vperm p, char *why, size_t whysz);
/* The caller's role on vault (VR_R_NONE if none; owner for root). */
int vauth_role(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault);
/* The role of a named principal on vault, inside txn. */
int vauth_role_in(struct vcore *c, MDB_txn *txn, const char *principal, const char *vault);
/* May who manage principals (root, or Owner of some vault)? */
int vauth_is_admin(struct vcore *c, const struct vcaller *who);
/* May who see across vaults: the global audit chain, every vault's alerts
 * and reports, every role assignment and MUA request (issue 12 item 5)?
 * Local root and principals of kind auditor (SPEC §1: read-only, no object
 * data; an auditor holds no role, so vauth_authorize refuses it
 * everything else). Everyone else sees what concerns a vault only with a
 * role on that vault (SPEC §1). */
int vauth_sees_all(const struct vcaller *who);

int vauth_principal_add(struct vcore *c, const struct vcaller *who, const char *name,
	int kind, char token[VAUTH_TOKEN_LEN + 1]);
/* The same with a token the caller chose and gives only as its SHA-256
 * (local root only: first-boot seeds); token is set to "". */
int vauth_principal_add_hash(struct vcore *c, const struct vcaller *who, const char *name,
	int kind, const uint8_t *token_hash, char token[VAUTH_TOKEN_LEN + 1]);
/* New token for name; the old one stops working at once. */
int vauth_principal_rotate(struct vcore *c, const struct vcaller *who, const char *name,
	char token[VAUTH_TOKEN_LEN + 1]);
int vauth_principal_cert(struct vcore *c, const struct vcaller *who, const char *name,
	const uint8_t fp[32], bool add);
int vauth_principal_get(struct vcore *c, MDB_txn *txn, const char *name, struct vr_principal *p);
int vauth_principal_list(struct vcore *c,
	int (*cb)(void *arg, const char *name, const struct vr_principal *p), void *arg);
int vauth_role_set(struct vcore *c, const struct vcaller *who, const char *name,
	const char *vault, int role);
int vauth_role_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *principal, const char *vault, int role), void *arg);
/* Agent registration: a one-time token valid for 10 days. */
int vauth_agent_register(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *name, char regtoken[VAUTH_TOKEN_LEN + 1], uint64_t *expires);
int vauth_agent_activate(struct vcore *c, const struct vcaller *who, const char *name,
	const char *regtoken, char token[VAUTH_TOKEN_LEN + 1]);

/* auth-bruteforce: this many failures from one source within the window
 * (seconds); sources are counted in a table of VAUTH_BRUTE_SLOTS (window.h)
 * held by the vcore. */
#define VAUTH_BRUTE_WINDOW 300
#define VAUTH_BRUTE_THRESHOLD 10
#define VAUTH_BRUTE_SLOTS 256
/* Counts a failed authentication from peer, by its source in the normal
 * form of common/peer.h (no port; IPv4-mapped as IPv4; IPv6 by /64), which
 * goes to source (a peer that does not parse counts as itself); returns 1
 * when the failures in the window reach the brute-force threshold (once per
 * window). */
int vauth_note_failure(struct vcore *c, const char *peer, char *source, size_t sourcesz);

#endif
