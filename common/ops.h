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
	VG_OP_WHOAMI,           /* -> PRINCIPAL KIND [FLAGS: VG_WHOAMI_ADMIN] */
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
	VG_OP_RESTIC_DELETE,    /* VAULT ITEM OBJECT -> DETAIL("soft-deleted until T" |
	                         * "permanently deleted" | "not found: nothing deleted")
	                         * [TIME: purge at] */
	/* principals and roles (SPEC §1) */
	VG_OP_PRINCIPAL_ADD,    /* NAME KIND -> TOKEN (shown once) */
	VG_OP_PRINCIPAL_LIST,   /* ROW {NAME KIND TIME COUNT(certs)} */
	VG_OP_PRINCIPAL_ROTATE, /* NAME [PIN for agents] -> TOKEN */
	VG_OP_PRINCIPAL_CERT,   /* NAME HASH [FLAGS bit0: remove] */
	VG_OP_ROLE_SET,         /* NAME VAULT ROLE ("none" revokes) */
	VG_OP_ROLE_LIST,        /* [VAULT] -> ROW {NAME VAULT ROLE} */
	VG_OP_AGENT_REGISTER,   /* VAULT NAME -> TOKEN (registration, 10 days) TIME2 */
	VG_OP_AGENT_ACTIVATE,   /* NAME TOKEN(registration) -> TOKEN; needs no credential */
	VG_OP_ALERT_LIST,       /* [VAULT] [SEQ] -> ROW {SEQ TIME NAME STATE(severity) PRINCIPAL VAULT TARGET DETAIL} */
	VG_OP_CLOCK_ADVANCE,    /* SIZE seconds: test daemon only, local root only */
	/* security policy (SPEC §2, §3, §5, §6, §7). What a change or delete
	 * did comes back in its RESP (SPEC §2, §11): STATE "done" | "soft-deleted"
	 * | "permanently-deleted" | "pending", TIME2 (purge or effective time),
	 * ID (a pending change), DETAIL ("soft-deleted until 2026-12-21T18:00:00Z",
	 * "permanently deleted", "pending until T (id ID)"). */
	VG_OP_VAULT_SET,        /* VAULT NAME(setting) VALUE [GRANT] */
	VG_OP_VAULT_DELETE,     /* VAULT [GRANT] */
	VG_OP_VAULT_UNDELETE,   /* VAULT */
	VG_OP_POLICY_SET,       /* VAULT NAME VALUE("daily=30,weekly=4,...") [GRANT] */
	VG_OP_POLICY_LIST,      /* VAULT -> ROW {NAME VALUE} */
	VG_OP_ITEM_SET_POLICY,  /* VAULT ITEM NAME(policy) [GRANT] */
	VG_OP_ITEM_STOP,        /* VAULT ITEM [FLAGS bit0: delete data] [GRANT] [PIN] */
	VG_OP_ITEM_UNDELETE,    /* VAULT ITEM */
	VG_OP_ITEM_RESUME,      /* VAULT ITEM */
	VG_OP_POINT_DELETE,     /* VAULT ITEM POINT [GRANT] */
	VG_OP_POINT_UNDELETE,   /* VAULT ITEM POINT */
	VG_OP_GUARD_CREATE,     /* NAME */
	VG_OP_GUARD_APPROVER,   /* NAME PRINCIPAL [FLAGS bit0: remove] */
	VG_OP_GUARD_EXCLUDE,    /* NAME OPNAME [FLAGS bit0: include again] */
	VG_OP_GUARD_CHECK,      /* -> ROW {NAME(guard) VAULT PRINCIPAL} */
	VG_OP_MUA_REQUEST,      /* VAULT OPNAME TARGET -> ID */
	VG_OP_MUA_APPROVE,      /* ID [SIZE: window seconds] [FLAGS bit0: deny] */
	VG_OP_MUA_LIST,         /* [VAULT] -> ROW */
	VG_OP_PIN_GENERATE,     /* VAULT [GRANT] -> PIN, TIME2 expiry */
	VG_OP_PURGE_RUN,        /* local root: run the purger pass now */
	/* keys (SPEC §4). VAULT_CREATE also takes [FLAGS bit0: infrastructure
	 * (double) encryption], fixed at creation. */
	VG_OP_VAULT_KEY,        /* VAULT KIND("cmk"|"platform") [NAME(key label)] [GRANT]
	                         * -> KIND(new key ref). Moves or rotates the KEK that
	                         * wraps the vault's DEK; the data is not re-encrypted.
	                         * cmk -> platform is refused (VG_EPOLICY). MUA op
	                         * "key-change", target VAULT. */
	/* VG_OP_METRICS: no fields. Local root or a principal of kind monitor
	 * (others: VG_EDENIED). Answer: RESP {status 0, SIZE: body bytes}, then
	 * DATA frames, then END {status}: the shape of OBJECT_GET. The DATA
	 * bytes, in order, are the body to serve on /metrics with
	 * "Content-Type: text/plain; version=0.0.4": the Prometheus text
	 * exposition format, every line ending in '\n', # HELP and # TYPE for
	 * every family. A non-zero END status means the body is incomplete
	 * (answer 503). Families (vault/metrics.c):
	 *   vaultgate_alerts_total{name,severity}               counter
	 *   vaultgate_jobs_total{vault,kind,result}             counter
	 *   vaultgate_firewall_drops_total                      counter (vaultnet events)
	 *   vaultgate_alert_outbox_dropped_total                counter
	 *   vaultgate_vaults                                    gauge
	 *   vaultgate_vault_key_available{vault,key}            gauge 0|1
	 *   vaultgate_items{vault}                              gauge
	 *   vaultgate_recovery_points{vault,item}               gauge
	 *   vaultgate_stored_bytes{vault,item}                  gauge
	 *   vaultgate_soft_deleted_bytes{vault,item}            gauge
	 *   vaultgate_last_backup_timestamp_seconds{vault,item} gauge (absent if never)
	 *   vaultgate_last_backup_age_seconds{vault,item}       gauge (absent if never)
	 *   vaultgate_alert_outbox_pending                      gauge */
	VG_OP_METRICS,
	/* VG_OP_REPORT: [VAULT] [TIME: jobs since, unix s; default 30 days ago].
	 * Vaults the caller may view (VG_EDENIED for a named one it may not).
	 * RESP {TIME: vaultd's now}, then ROW frames told apart by KIND, then END:
	 *   "vault" VAULT STATE DETAIL("key=REF encryption=single|double key-state=ok|sealed")
	 *   "item"  VAULT ITEM STATE COUNT(active points) SIZE(stored bytes)
	 *           SIZE2(soft-deleted bytes) TIME(last success) TIME2(last failure)
	 *           DETAIL("kind=files|restic purge_at=UNIX|0")
	 *   "point" VAULT ITEM POINT STATE TIME(committed) SIZE
	 *           TIME2(expiry if active, purge time if soft-deleted)
	 *   "job"   VAULT ITEM TIME NAME("backup"|"restore") RESULT("ok"|"failed")
	 *           SIZE POINT(or "") DETAIL */
	VG_OP_REPORT,
	/* The alert outbox (vaultd --alert-outbox), drained by vaultnotify.
	 * Local root or a monitor principal only. */
	VG_OP_NOTIFY_NEXT,      /* -> the oldest undelivered alert: SEQ TIME NAME
	                         * STATE(severity) PRINCIPAL VAULT TARGET DETAIL
	                         * ID(this vaultd's instance id); VG_ENOTFOUND if none */
	VG_OP_NOTIFY_ACK,       /* SEQ: delivered; removes it from the outbox */
	/* REASON: acknowledges a broken audit chain (vault/audit_guard.h);
	 * local root or a vault Owner. -> SEQ of the acknowledgment entry. */
	VG_OP_AUDIT_ACK,
	/* Weakening changes held for their cooling-off (SPEC §11). */
	VG_OP_PENDING_LIST,     /* [VAULT] -> ROW {ID VAULT NAME(what) VALUE(new) REASON(old)
	                         * PRINCIPAL(requester) TIME(requested) TIME2(effective)
	                         * KIND(alert)}: vaults the caller may view */
	VG_OP_PENDING_CANCEL,   /* ID: an Owner of its vault or an approver of its guard.
	                         * FLAGS bit0: apply it now instead (test daemon and
	                         * local root only, like the test clock) */
	/* Trusted time (SPEC §11): after a clock-jump, purges and expiries are
	 * held until an Owner (of any vault) or local root accepts the new time;
	 * under a guard it needs a grant for "clock-accept" on target "clock". */
	VG_OP_CLOCK_ACCEPT,     /* [GRANT] -> TIME(now) DETAIL */
	/* VAULT ITEM NAME(setting) VALUE: one setting of an existing item, from
	 * one table (vault/h_data.c item_settings): "agent" gives the item to
	 * an agent principal (as item.create --agent: VP_PROTECT; audited);
	 * "quota" BYTES|none and "expect-every" DURATION|none (issue 14,
	 * vault/itemset.c; VP_POLICY; audited). */
	VG_OP_ITEM_SET,
	/* VG_OP_SCRUB: [VAULT] [SIZE: rate limit, bytes/s; 0 none]. Re-reads
	 * every blob of every object (every point state) and checks every GCM
	 * tag (vault/scrub.h). Local root for all vaults; a vault's
	 * Contributor or Owner for one. RESP, then a ROW per damaged object
	 * {VAULT ITEM POINT OBJECT DETAIL SHA256(recorded)}, then a ROW {KIND "summary" COUNT
	 * (objects) SIZE (bytes) SIZE2 (damaged) TIME (seconds)}, then END
	 * {status: VG_EINTEGRITY if anything was damaged}. */
	VG_OP_SCRUB,
	/* VALUE(passphrase, >= 12 bytes) [GRANT] -> RESP {SIZE}, one DATA frame,
	 * END: the platform, audit and infrastructure keys sealed under the
	 * passphrase, the file's bytes (vault/keyexport.h).
	 * Local root only; MUA op keys-export (target "keys"), mandatory, under
	 * every guard linked to a vault; audited keys.export. */
	VG_OP_KEYS_EXPORT,
	/* The audit chain head, signed and sent off the box now (vault/anchor.h);
	 * local root, auditors and vault Owners. -> DETAIL(the anchor line).
	 * AUDIT_VERIFY also takes [SEQ HASH]: an anchor the chain must hold
	 * (VG_EINTEGRITY, SEQ, MESSAGE if it does not). */
	VG_OP_AUDIT_ANCHOR,
	/* Soft-deleted restic files (SPEC §10). */
	VG_OP_RESTIC_DELETED,   /* VAULT ITEM -> ROW {OBJECT SIZE TIME(deleted at)
	                         * TIME2(purge at) OFFSET(lock until, 0: none)
	                         * PRINCIPAL(deleted by)} */
	VG_OP_RESTIC_UNDELETE,  /* VAULT ITEM (OBJECT | TIME: deleted at or after, 0: all)
	                         * -> COUNT(files restored). Contributor or Owner. */
	/* VAULT ITEM POINT(0 or absent: the restic container) OBJECT: stream up
	 * (the shape of OBJECT_PUT) a good copy of a damaged object; it must
	 * have the recorded size and SHA-256 (VG_EINVAL), then replaces the
	 * blob, audited object.repair (vault/core.h vcore_repair_begin). Local
	 * root only (vaultsync's `scrub --repair`). */
	VG_OP_OBJECT_REPAIR,
	/* The jobs running now (vault/running.h): no fields -> ROW {ID KIND
	 * VAULT("*": every vault) ITEM SIZE(bytes done) SIZE2(bytes in all; 0:
	 * not known) TIME(started) PRINCIPAL}, the rows the caller may view
	 * (VP_VIEW on the vault; every row for local root and auditors; a
	 * caller always sees its own jobs). */
	VG_OP_JOB_RUNNING,
	/* The private endpoint's firewall, read by the vaultnet helper
	 * (vault/firewall.h): KIND("show"|"verify"|"export"|"explain")
	 * [VALUE(source address) [NAME(port 1-65535 | "ping")]: explain] ->
	 * RESP {COUNT(vaultnet's exit status: 1 = drift) SIZE}, DATA (its
	 * output), END. Local root, auditors, monitors, vault Owners. */
	VG_OP_FIREWALL,
	/* S3 (issue 16; vault/s3.h). Keys: local root or an Owner (as tokens). */
	VG_OP_S3_KEY_CREATE,    /* PRINCIPAL -> ID(access key id) TOKEN(secret, shown once) */
	VG_OP_S3_KEY_LIST,      /* [PRINCIPAL] -> ROW {ID PRINCIPAL TIME} */
	VG_OP_S3_KEY_DELETE,    /* ID */
	/* One S3 action (KIND: its name, vault/s3.c's table), signed by the
	 * client (VG_TAG_S3_*): vaultd verifies the signature and that the
	 * canonical request names this action, bucket, key and version. READ
	 * for actions that change nothing, WRITE for the others. */
	VG_OP_S3_READ,
	VG_OP_S3_WRITE,
	VG_OP_MAX_CORE = VG_OP_S3_WRITE,
};

/* AUDIT_EXPORT's FLAGS: this read is a person's view (the console):
 * vaultd records it as audit.view before it sends the entries. */
#define VG_AUDIT_EXPORT_VIEW (1u << 0)

/* WHOAMI's FLAGS: the caller is local root or Owner of some vault (the
 * gateway's fair share of vaultd links keeps a reserve for them). */
#define VG_WHOAMI_ADMIN (1u << 0)

/* OBJECT_PUT's FLAGS: resumable (issue 14, vaultsync). With a SIZE and a
 * SHA256, an upload cut because the client vanished is parked, and the next
 * OBJECT_PUT of the same point, object, size and SHA256 by the same
 * principal continues it: the first WINDOW then carries OFFSET, the bytes
 * already stored; the client sends the rest (core.h, vcore_upload_park). */
#define VG_PUT_RESUMABLE (1u << 0)

#endif
