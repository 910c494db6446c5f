/* server.c - see server.h. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "server.h"
#include "running.h"
#include "s3auth.h"
#include "server_int.h"
#include "trusted_time.h"
#include "alerts.h"
#include "anchor.h"
#include "audit_guard.h"
#include "denials.h"
#include "names.h"
#include "peer.h"
#include "pin.h"
#include "vg_err.h"
#include "wire.h"


static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static int reg_fds[VSRV_MAX_CONNS];
static int reg_count;
static int reg_nonroot;    /* connections of peers other than uid 0 */
static uint64_t next_session = 1;

/* ---- responses ------------------------------------------------------------ */

int send_status(struct conn *k, uint8_t type, int status, const char *msg)
{
	vg_msgb_begin(&k->out, type, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_STATUS, (uint32_t)status);
	if (status || msg)
		vg_msgb_str(&k->out, VG_TAG_MESSAGE, msg ? msg : vg_strerror(status));
	return vg_send_frame(k->fd, &k->out);
}

int send_err(struct conn *k, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(msg, sizeof(msg), "%s", vg_strerror(status));
	}
	return send_status(k, VG_F_RESP, status, msg);
}

/* Starts an OK RESP; the handler adds fields and sends. */
struct vg_wr *resp_ok(struct conn *k)
{
	vg_msgb_begin(&k->out, VG_F_RESP, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_STATUS, 0);
	return &k->out;
}

struct vg_wr *row(struct conn *k)
{
	vg_msgb_begin(&k->out, VG_F_ROW, 0, k->reqid);
	return &k->out;
}

/* Refusals and failures of mutating requests go to the audit chain, as
 * "denied" or "failed" by the one classification (denials.h). */
void audit_refusal(struct conn *k, const char *op, const char *target, int r, const char *why)
{
	if (vcore_audit(k->c, &k->who, op, target, vdeny_result(r),
		    why ? why : vg_strerror(r)))
		log_warnx("audit append failed for %s %s", op, target);
}

void audit_fail(struct conn *k, const char *op, const char *target, int r, bool mutating)
{
	if (!mutating && !vdeny_is_refusal(r))
		return;
	if (vcore_audit(k->c, &k->who, op, target, vdeny_result(r),
		    vg_strerror(r)))
		log_warnx("audit append failed for %s %s", op, target);
}

/* ---- request argument helpers ----------------------------------------------- */

int get_args(const struct vg_msg *m, unsigned need, struct args *a)
{
	memset(a, 0, sizeof(*a));
	if ((need & A_VAULT) && vg_msg_str(m, VG_TAG_VAULT, a->vault, sizeof(a->vault)))
		return VG_EINVAL;
	if ((need & A_ITEM) && vg_msg_str(m, VG_TAG_ITEM, a->item, sizeof(a->item)))
		return VG_EINVAL;
	if ((need & A_OBJECT) && vg_msg_str(m, VG_TAG_OBJECT, a->object, sizeof(a->object)))
		return VG_EINVAL;
	if (need & A_POINT) {
		if (vg_msg_str(m, VG_TAG_POINT, a->pointstr, sizeof(a->pointstr)) ||
		    vcore_point_parse(a->pointstr, &a->point))
			return VG_EINVAL;
	}
	snprintf(a->target, sizeof(a->target), "%s%s%s%s%s%s%s", a->vault,
		*a->item ? "/" : "", a->item, *a->pointstr ? "/" : "", a->pointstr,
		*a->object ? "/" : "", a->object);
	return 0;
}

/* ---- handlers ---------------------------------------------------------------- */

const char *space_why(struct conn *k, int r, char *buf, size_t n)
{
	if (r == VG_ENOSPACE && vcore_meta_space(k->c, buf, n))
		return buf;
	return vg_strerror(r);
}

int end_stream(struct conn *k, int r)
{
	return send_status(k, VG_F_END, r, r ? vg_strerror(r) : NULL);
}

struct handler {
	const char *name;
	int (*fn)(struct conn *k, const struct vg_msg *m);
	/* Changes nothing (reads, and the bookkeeping of reads: restore jobs,
	 * the alert outbox): still served while the audit chain is broken and
	 * unacknowledged (audit_guard.h); everything else is refused then. */
	bool reads;
	/* The ingest path (a backup's begin, uploads, commit): its audit
	 * entries reach the high-water mark within a second (vaultd's thread)
	 * rather than after each request, which would add an fdatasync to
	 * every object. Everything else that may change something moves the
	 * mark before the next request is read (audit_hwm.h). */
	bool ingest;
};

static const struct handler handlers[VG_OP_MAX_CORE + 1] = {
	[VG_OP_PING] = {"ping", h_ping, true},
	[VG_OP_VAULT_CREATE] = {"vault.create", h_vault_create},
	[VG_OP_VAULT_LIST] = {"vault.list", h_vault_list, true},
	[VG_OP_VAULT_GET] = {"vault.get", h_vault_get, true},
	[VG_OP_ITEM_CREATE] = {"item.create", h_item_create},
	[VG_OP_ITEM_LIST] = {"item.list", h_item_list, true},
	[VG_OP_POINT_BEGIN] = {"point.begin", h_point_begin, false, true},
	[VG_OP_OBJECT_PUT] = {"object.put", h_object_put, false, true},
	[VG_OP_POINT_COMMIT] = {"point.commit", h_point_commit, false, true},
	[VG_OP_POINT_ABORT] = {"point.abort", h_point_abort},
	[VG_OP_POINT_LIST] = {"point.list", h_point_list, true},
	[VG_OP_OBJECT_LIST] = {"object.list", h_object_list, true},
	[VG_OP_OBJECT_GET] = {"object.get", h_object_get, true},
	[VG_OP_OBJECT_STAT] = {"object.stat", h_object_stat, true},
	[VG_OP_AUDIT_VERIFY] = {"audit.verify", h_audit_verify, true},
	[VG_OP_AUDIT_EXPORT] = {"audit.export", h_audit_export, true},
	[VG_OP_WHOAMI] = {"whoami", h_whoami, true},
	[VG_OP_EVENT_RECORD] = {"event.record", h_event_record},
	[VG_OP_PRINCIPAL_ADD] = {"principal.add", h_principal_add},
	[VG_OP_PRINCIPAL_LIST] = {"principal.list", h_principal_list, true},
	[VG_OP_PRINCIPAL_ROTATE] = {"principal.rotate", h_principal_rotate},
	[VG_OP_PRINCIPAL_CERT] = {"principal.cert", h_principal_cert},
	[VG_OP_ROLE_SET] = {"role.set", h_role_set},
	[VG_OP_ROLE_LIST] = {"role.list", h_role_list, true},
	[VG_OP_AGENT_REGISTER] = {"agent.register", h_agent_register},
	[VG_OP_AGENT_ACTIVATE] = {"agent.activate", h_agent_activate},
	[VG_OP_ALERT_LIST] = {"alert.list", h_alert_list, true},
	[VG_OP_CLOCK_ADVANCE] = {"clock.advance", h_clock_advance},
	[VG_OP_VAULT_SET] = {"vault.set", h_vault_set},
	[VG_OP_VAULT_DELETE] = {"vault.delete", h_vault_delete},
	[VG_OP_VAULT_UNDELETE] = {"vault.undelete", h_vault_undelete},
	[VG_OP_POLICY_SET] = {"policy.set", h_policy_set},
	[VG_OP_POLICY_LIST] = {"policy.list", h_policy_list, true},
	[VG_OP_ITEM_SET_POLICY] = {"item.policy", h_item_set_policy},
	[VG_OP_ITEM_STOP] = {"item.stop", h_item_stop},
	[VG_OP_ITEM_UNDELETE] = {"item.undelete", h_item_undelete},
	[VG_OP_ITEM_RESUME] = {"item.resume", h_item_resume},
	[VG_OP_POINT_DELETE] = {"point.delete", h_point_delete},
	[VG_OP_POINT_UNDELETE] = {"point.undelete", h_point_undelete},
	[VG_OP_GUARD_CREATE] = {"guard.create", h_guard_create},
	[VG_OP_GUARD_APPROVER] = {"guard.approver", h_guard_approver},
	[VG_OP_GUARD_EXCLUDE] = {"guard.exclude", h_guard_exclude},
	[VG_OP_GUARD_CHECK] = {"guard.check", h_guard_check, true},
	[VG_OP_MUA_REQUEST] = {"mua.request", h_mua_request},
	[VG_OP_MUA_APPROVE] = {"mua.approve", h_mua_approve},
	[VG_OP_MUA_LIST] = {"mua.list", h_mua_list, true},
	[VG_OP_PIN_GENERATE] = {"pin.generate", h_pin_generate},
	[VG_OP_PURGE_RUN] = {"purge.run", h_purge_run},
	[VG_OP_RESTIC_CREATE] = {"restic.create", h_restic_create},
	[VG_OP_RESTIC_PUT] = {"restic.put", h_restic_put, false, true},
	[VG_OP_RESTIC_GET] = {"restic.get", h_restic_get, true},
	[VG_OP_RESTIC_STAT] = {"restic.stat", h_restic_stat, true},
	[VG_OP_RESTIC_LIST] = {"restic.list", h_restic_list, true},
	[VG_OP_RESTIC_DELETE] = {"restic.delete", h_restic_delete},
	[VG_OP_VAULT_KEY] = {"vault.key", h_vault_key},
	[VG_OP_METRICS] = {"metrics", h_metrics, true},
	[VG_OP_REPORT] = {"report", h_report, true},
	[VG_OP_NOTIFY_NEXT] = {"notify.next", h_notify_next, true},
	[VG_OP_NOTIFY_ACK] = {"notify.ack", h_notify_ack, true},
	[VG_OP_AUDIT_ACK] = {"audit.acknowledge", h_audit_ack, true},
	[VG_OP_PENDING_LIST] = {"pending.list", h_pending_list, true},
	[VG_OP_PENDING_CANCEL] = {"pending.cancel", h_pending_cancel},
	[VG_OP_CLOCK_ACCEPT] = {"clock.accept", h_clock_accept},
	[VG_OP_ITEM_SET] = {"item.set", h_item_set},
	[VG_OP_SCRUB] = {"scrub", h_scrub},
	[VG_OP_OBJECT_REPAIR] = {"object.repair", h_object_repair},
	[VG_OP_KEYS_EXPORT] = {"keys.export", h_keys_export},
	[VG_OP_AUDIT_ANCHOR] = {"audit.anchor", h_audit_anchor, true},
	[VG_OP_RESTIC_DELETED] = {"restic.deleted", h_restic_deleted, true},
	[VG_OP_RESTIC_UNDELETE] = {"restic.undelete", h_restic_undelete},
	[VG_OP_JOB_RUNNING] = {"job.running", h_job_running, true},
	[VG_OP_FIREWALL] = {"firewall", h_firewall, true},
	[VG_OP_S3_KEY_CREATE] = {"s3.key.create", h_s3_key_create},
	[VG_OP_S3_KEY_LIST] = {"s3.key.list", h_s3_key_list, true},
	[VG_OP_S3_KEY_DELETE] = {"s3.key.delete", h_s3_key_delete},
	[VG_OP_S3_READ] = {"s3.read", h_s3, true},
	[VG_OP_S3_WRITE] = {"s3.write", h_s3},
};

/* ---- authentication -------------------------------------------------------- */

/* An S3 signature (s3auth.h) is a credential for S3 actions only: a
 * captured one must not authorize anything else. A refusal is audited
 * with its reason here and counted toward auth-bruteforce. */
static int s3_authenticate(struct conn *k, uint32_t op, const struct vg_msg *m, const char *peer)
{
	char why[300] = "", cred[257] = "", source[VG_PEER_ADDR_MAX + 4];
	int r;

	if (op != VG_OP_S3_READ && op != VG_OP_S3_WRITE) {
		snprintf(why, sizeof(why), "AccessDenied: an S3 signature is no credential for "
			"operation %u", op);
		r = VG_EAUTH;
	} else {
		r = vs3_authenticate(k->c, m, &k->who, why, sizeof(why));
	}
	if (r != VG_EAUTH)
		return r;
	(void)vg_msg_str(m, VG_TAG_S3_CRED, cred, sizeof(cred));
	if (strchr(cred, '/'))
		*strchr(cred, '/') = 0;
	snprintf(k->who.principal, sizeof(k->who.principal), "s3:%s",
		*cred && vg_name_check(cred, VG_PRINCIPAL_NAME_MAX - 3) == 0 ? cred : "unknown");
	audit_refusal(k, "s3.auth", "-", VG_EAUTH, why);
	k->auth_audited = true;
	snprintf(k->auth_why, sizeof(k->auth_why), "%s", why);
	if (vauth_note_failure(k->c, peer, source, sizeof(source)))
		(void)valert_raise(k->c, NULL, "auth-bruteforce", &k->who, NULL, source,
			"10 or more failed authentications within 5 minutes");
	return r;
}

/* Who is asking: vaultd decides from the request's credential and the
 * peer's uid (auth.c). A refusal is audited; repeated refusals from one
 * source raise auth-bruteforce. */
static int authenticate(struct conn *k, uint32_t op, const struct vg_msg *m)
{
	char peer[129] = "local", source[VG_PEER_ADDR_MAX + 4];
	struct vg_peer np;
	int r;

	(void)vg_msg_str(m, VG_TAG_PEER, peer, sizeof(peer));
	memset(&k->who, 0, sizeof(k->who));
	/* The network source in its one normal form (peer.h): the address
	 * without its port, IPv4-mapped IPv6 as IPv4. */
	snprintf(k->who.peer, sizeof(k->who.peer), "%s",
		vg_peer_parse(peer, &np) == 0 ? np.addr : peer);
	k->who.session = k->session;
	(void)vg_msg_str(m, VG_TAG_GRANT, k->who.grant, sizeof(k->who.grant));
	(void)vg_msg_str(m, VG_TAG_PIN, k->who.pin, sizeof(k->who.pin));
	if (op == VG_OP_PING || op == VG_OP_AGENT_ACTIVATE) {
		snprintf(k->who.principal, sizeof(k->who.principal), "anonymous");
		return 0;
	}
	if (vg_msg_has(m, VG_TAG_S3_SIG) || vg_msg_has(m, VG_TAG_S3_CRED))
		return s3_authenticate(k, op, m, peer);
	r = vauth_authenticate(k->c, k->uid, m, &k->who);
	if (r == VG_EAUTH) {
		char user[VG_PRINCIPAL_NAME_MAX + 1] = "";
		if (vg_msg_str(m, VG_TAG_AUTH_USER, user, sizeof(user)) || vg_name_check(user, VG_PRINCIPAL_NAME_MAX))
			snprintf(user, sizeof(user), "unknown");
		snprintf(k->who.principal, sizeof(k->who.principal), "%s", user);
		if (vauth_note_failure(k->c, peer, source, sizeof(source)))
			(void)valert_raise(k->c, NULL, "auth-bruteforce", &k->who, NULL, source,
				"10 or more failed authentications within 5 minutes");
	}
	return r;
}

int need(struct conn *k, const char *op, const char *vault, const char *item, enum vperm p)
{
	char why[300] = "";
	char target[300];
	int r = vauth_authorize(k->c, &k->who, vault, item, p, why, sizeof(why));

	if (r == 0)
		return 0;
	snprintf(target, sizeof(target), "%s%s%s", vault, item ? "/" : "", item ? item : "");
	if (vcore_audit(k->c, &k->who, op, target, vdeny_result(r),
		*why ? why : vg_strerror(r)))
		log_warnx("audit append failed for %s %s", op, target);
	r = send_err(k, r, "%s", *why ? why : vg_strerror(r));
	return r ? r : 1;
}

/* While the audit chain is broken and unacknowledged, a request that would
 * change anything is refused (and the refusal audited): 1 when refused,
 * <0 on an I/O error, 0 to go on. */
static int refuse_broken(struct conn *k, const char *op)
{
	char why[512], msg[900];
	int r;

	if (!vaudit_broken(k->c, why, sizeof(why)))
		return 0;
	snprintf(msg, sizeof(msg), "the audit chain is broken (%s): changes are refused until "
		"local root or an Owner acknowledges it (vaultctl audit acknowledge --reason TEXT)", why);
	audit_refusal(k, op, "-", VG_EBADSTATE, msg);
	r = send_err(k, VG_EBADSTATE, "%s", msg);
	return r ? r : 1;
}

/* ---- connection loop --------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits until the whole first frame is buffered (peeked, not read), within
 * VSRV_HANDSHAKE_MS from the connect: a peer that sends nothing, or trickles
 * its HELLO, holds its slot no longer than that. */
static int wait_hello(struct conn *k)
{
	uint64_t deadline = mono_ms() + VSRV_HANDSHAKE_MS;
	size_t need = VG_WIRE_HDR;
	struct vg_frame_hdr h;
	int r;

	for (;;) {
		uint64_t now = mono_ms();
		struct pollfd pf = {.fd = k->fd, .events = POLLIN};
		ssize_t n;

		if (now >= deadline)
			return VG_ELIMIT;
		if (poll(&pf, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(k->fd, k->buf, need, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return VG_ECLOSED;
		if (n >= (ssize_t)VG_WIRE_HDR && need == VG_WIRE_HDR) {
			if ((r = vg_frame_hdr_decode(k->buf, &h)))
				return r;
			if (h.len > VG_WIRE_MAX_CTRL)
				return VG_EPROTO;
			need = VG_WIRE_HDR + h.len;
		}
		if (n >= (ssize_t)need)
			return 0;
		(void)poll(NULL, 0, 10);  /* part of it: wait for the rest */
	}
}

static int handshake(struct conn *k)
{
	struct vg_msg m;
	uint32_t ver;
	int r;

	if ((r = wait_hello(k))) {
		if (r == VG_ELIMIT)
			log_debug("session %llu: no HELLO within %d ms (uid %u): closed",
				(unsigned long long)k->session, VSRV_HANDSHAKE_MS, (unsigned)k->uid);
		return r;
	}
	if ((r = vg_recv_msg(k->fd, k->buf, &m)))
		return r;
	k->reqid = m.reqid;
	if (m.type != VG_F_HELLO || vg_msg_u32(&m, VG_TAG_VERSION, &ver)) {
		send_err(k, VG_EPROTO, "expected HELLO with a version");
		return VG_EPROTO;
	}
	if (ver != VG_WIRE_VERSION) {
		send_err(k, VG_EVERSION, "protocol version %u is not supported (vaultd speaks %u)",
			ver, VG_WIRE_VERSION);
		return VG_EVERSION;
	}
	vg_msgb_begin(&k->out, VG_F_WELCOME, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_VERSION, VG_WIRE_VERSION);
	return vg_send_frame(k->fd, &k->out);
}

static void serve(struct conn *k)
{
	struct vg_msg m;
	uint32_t op;
	int r;

	if (handshake(k))
		return;
	for (;;) {
		r = vg_recv_msg(k->fd, k->buf, &m);
		if (r) {
			if (r != VG_ECLOSED)
				log_debug("session %llu: %s", (unsigned long long)k->session, vg_strerror(r));
			if (r == VG_EPROTO && m.bad_tag)
				(void)send_err(k, VG_EPROTO, "malformed frame: %s is %u bytes, longer "
					"than %u", vg_tag_name(m.bad_tag), m.bad_len,
					vg_tag_max(m.bad_tag));
			else if (r == VG_EPROTO || r == VG_ETOOBIG)
				(void)send_err(k, VG_EPROTO, "malformed frame");
			return;
		}
		k->reqid = m.reqid;
		if (m.type != VG_F_REQ || vg_msg_u32(&m, VG_TAG_OP, &op)) {
			(void)send_err(k, VG_EPROTO, "expected a request, got %s",
				vg_frame_type_name(m.type));
			return;  /* out of sync: drop the connection */
		}
		if (op == 0 || op > VG_OP_MAX_CORE || !handlers[op].fn) {
			if (send_err(k, VG_EPROTO, "unknown operation %u", op))
				return;
			continue;
		}
		k->auth_audited = false;
		if ((r = authenticate(k, op, &m))) {
			if (!k->auth_audited)
				audit_fail(k, handlers[op].name, "-", r, true);
			if (k->auth_audited ? send_err(k, r, "%s", k->auth_why) : send_err(k, r, NULL))
				return;
			continue;
		}
		if (!handlers[op].reads && (r = refuse_broken(k, handlers[op].name))) {
			if (r < 0)
				return;
			continue;
		}
		k->job.active = false;
		k->run = -1;
		(void)vtime_sync(k->c);  /* a clock jump is alerted before anything acts on it */
		r = handlers[op].fn(k, &m);
		vrun_end(&k->run);
		(void)vpin_alerts(k->c);  /* pin-bruteforce, outside the refused request's txn */
		/* The audit head off the box when due (anchor.h); the ingest path
		 * is anchored by the next other request or purger pass. */
		if (!handlers[op].ingest)
			(void)vanchor_maybe(k->c, 0);
		/* A change moves the audit high-water mark at once (the once-a-
		 * second thread catches the ingest path): audit_hwm.h. */
		if (!handlers[op].reads && !handlers[op].ingest)
			(void)vaudit_sync(k->c);
		if (r)
			return;  /* I/O or protocol failure: the connection is done */
	}
}

static void *conn_main(void *arg)
{
	struct conn *k = arg;

	serve(k);
	/* Points this connection began and never committed are aborted, each
	 * in the name of the principal that began it. */
	for (int i = 0; i < k->nbound; i++) {
		struct vcaller who = k->who;
		snprintf(who.principal, sizeof(who.principal), "%s", k->bound[i].opener);
		who.session = k->session;
		(void)vcore_point_abort(k->c, &who, k->bound[i].vault, k->bound[i].item,
			k->bound[i].id);
	}
	pthread_mutex_lock(&reg_lock);
	reg_fds[k->slot] = -1;
	reg_count--;
	if (k->uid != 0)
		reg_nonroot--;
	pthread_cond_broadcast(&reg_cond);
	pthread_mutex_unlock(&reg_lock);
	close(k->fd);
	/* The last request (its token or PIN) and the caller's PIN and grant
	 * go with the connection; the writer wipes itself. */
	vg_wr_free(&k->out);
	explicit_bzero(k->buf, VG_WIRE_MAX_DATA);
	free(k->buf);
	explicit_bzero(&k->who, sizeof(k->who));
	free(k);
	return NULL;
}

int vsrv_listen(const struct vsrv_opts *o, int *lfd, char *why, size_t whysz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(o->socket_path) >= sizeof(sa.sun_path)) {
		snprintf(why, whysz, "%s: socket path too long", o->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, o->socket_path);
	if (lstat(o->socket_path, &st) == 0) {
		int probe;
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, whysz, "%s exists and is not a socket", o->socket_path);
			return -EEXIST;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(why, whysz, "%s: another vaultd is listening", o->socket_path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(o->socket_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(o->socket_path, 0660) < 0)
		goto fail;
	if (o->socket_group) {
		struct group *g = getgrnam(o->socket_group);
		if (!g) {
			snprintf(why, whysz, "socket group %s does not exist", o->socket_group);
			close(fd);
			return -ENOENT;
		}
		if (chown(o->socket_path, (uid_t)-1, g->gr_gid) < 0)
			goto fail;
	}
	if (listen(fd, 128) < 0)
		goto fail;
	*lfd = fd;
	return 0;
fail:
	snprintf(why, whysz, "%s: %s", o->socket_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

int vsrv_run(struct vcore *c, int lfd, int sigfd)
{
	struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
	pthread_attr_t attr;
	uint64_t last_refusal_log = 0;

	for (int i = 0; i < VSRV_MAX_CONNS; i++)
		reg_fds[i] = -1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct conn *k;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		pthread_t th;
		int fd, slot = -1, open_now;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo != SIGHUP) {
				log_info("signal %u: shutting down", si.ssi_signo);
				break;
			}
			continue;
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&reg_lock);
		/* The last VSRV_ROOT_RESERVED slots are for uid 0 only. */
		if (cred.uid == 0 || reg_nonroot < VSRV_MAX_CONNS - VSRV_ROOT_RESERVED)
			for (int i = 0; i < VSRV_MAX_CONNS; i++)
				if (reg_fds[i] < 0) {
					slot = i;
					break;
				}
		if (slot >= 0) {
			reg_fds[slot] = fd;
			reg_count++;
			if (cred.uid != 0)
				reg_nonroot++;
		}
		open_now = reg_count;
		pthread_mutex_unlock(&reg_lock);
		if (slot < 0) {
			uint64_t now = mono_ms();
			if (now - last_refusal_log >= 1000) {
				log_warnx("connection of uid %u refused: %d connections open (%d slots "
					  "kept for uid 0)", (unsigned)cred.uid, open_now, VSRV_ROOT_RESERVED);
				last_refusal_log = now;
			}
			close(fd);
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (k)
			k->buf = malloc(VG_WIRE_MAX_DATA);
		if (!k || !k->buf) {
			if (k)
				free(k);
			goto drop;
		}
		k->c = c;
		k->fd = fd;
		k->slot = slot;
		k->uid = cred.uid;
		k->pid = cred.pid;
		k->session = __atomic_fetch_add(&next_session, 1, __ATOMIC_RELAXED);
		vg_wr_init(&k->out, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
		if (pthread_create(&th, &attr, conn_main, k) != 0) {
			free(k->buf);
			free(k);
			goto drop;
		}
		continue;
drop:
		pthread_mutex_lock(&reg_lock);
		reg_fds[slot] = -1;
		reg_count--;
		if (cred.uid != 0)
			reg_nonroot--;
		pthread_mutex_unlock(&reg_lock);
		close(fd);
	}
	close(lfd);
	/* Wake every connection thread and wait for them to clean up. */
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < VSRV_MAX_CONNS; i++)
		if (reg_fds[i] >= 0)
			shutdown(reg_fds[i], SHUT_RDWR);
	while (reg_count > 0)
		pthread_cond_wait(&reg_cond, &reg_lock);
	pthread_mutex_unlock(&reg_lock);
	pthread_attr_destroy(&attr);
	return 0;
}
