/* anchor.h - the audit chain head, signed and sent off the box (SPEC §11).
 *
 * The audit chain (audit.h) is MAC'd with a key that lives on the same disk,
 * so a copy of the whole state directory restored later is a consistent,
 * older chain: nothing on the box can tell. An anchor is the chain head
 * (sequence number and entry hash) signed with Ed25519 under keys/anchor.key
 * (its own key: neither the audit key nor a data key) and sent where the
 * box cannot take it back: syslog ("vaultgate-anchor ...", LOG_NOTICE,
 * forwarded by the admin's syslog to a log host) and the webhook (an
 * "audit-anchor" record in the alert outbox, delivered by vaultnotify).
 *
 * vaultd anchors after every VANCHOR_EVERY audit entries, after every
 * critical alert, at start-up, and on demand ("vaultctl audit anchor").
 * "vaultctl audit verify --anchor SEQ:HASH" proves that the chain still
 * holds entry SEQ with that hash: a state directory rolled back to a copy
 * older than the anchor, or a chain rewritten since, fails it.
 *
 * The anchor line: "seq=N hash=HEX time=UNIX instance=ID key=PUBHEX sig=HEX",
 * the signature over "vaultgate-anchor/v1 " followed by the same line up to
 * and without " sig=...".
 */
#ifndef VAULT_ANCHOR_H
#define VAULT_ANCHOR_H

#include <stdint.h>

#include "core.h"

#define VANCHOR_EVERY 64
#define VANCHOR_LINE_MAX 400

/* A critical alert was raised: anchor at the next vanchor_maybe(). */
void vanchor_note_critical(void);
/* Outside any transaction (after a request, after a purger pass): sends an
 * anchor if one is due. force: now, whatever the count (start-up). */
int vanchor_maybe(struct vcore *c, int force);
/* The current head as a signed anchor line, sent now (syslog, webhook). */
int vanchor_send(struct vcore *c, char line[VANCHOR_LINE_MAX], char *why, size_t whysz);
/* 0 if the chain holds entry seq with hash; VG_EINTEGRITY with why if not. */
int vanchor_check(struct vcore *c, uint64_t seq, const uint8_t hash[32], char *why, size_t whysz);

#endif
