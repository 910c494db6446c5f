/* audit_guard.c - see audit_guard.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "audit_guard.h"
#include "clock.h"
#include "vg_err.h"

static const struct vcaller system_caller = {.principal = "system", .peer = "local", .root = true};

int vaudit_start(struct vcore *c, uint64_t *count, char *why, size_t whysz)
{
	struct va_report rep;
	uint64_t brk = 0;
	int r;

	why[0] = 0;
	r = va_verify_report(c->audit, c->db, &rep, why, whysz);
	*count = rep.count;
	if (r == VG_EINTEGRITY) {
		brk = rep.bad_seq;
	} else if (r) {
		return r;
	} else {
		r = va_hwm_check(c->audit, c->db, c->ast.hwm_path, &c->ast.hwm, &brk, why, whysz);
		if (r && r != VG_EINTEGRITY)
			return r;
	}
	if (r == 0) {
		/* No mark yet (a new or an older state directory): start one. */
		if (access(c->ast.hwm_path, F_OK) != 0) {
			c->ast.hwm.gen = 1;
			if ((r = va_hwm_write(c->audit, c->ast.hwm_path, &c->ast.hwm)))
				return r;
		}
		return vaudit_sync(c);
	}
	pthread_mutex_lock(&c->ast.lock);
	c->ast.broken = 1;
	c->ast.brk = brk;
	snprintf(c->ast.why, sizeof(c->ast.why), "%s", why);
	pthread_mutex_unlock(&c->ast.lock);
	(void)vcore_audit(c, &system_caller, "audit.broken", "audit", "failed", why);
	(void)valert_raise(c, NULL, "audit-broken", NULL, NULL, "audit", why);
	return 1;
}

bool vaudit_broken(struct vcore *c, char *why, size_t whysz)
{
	bool b;

	pthread_mutex_lock(&c->ast.lock);
	b = c->ast.broken;
	if (b && why)
		snprintf(why, whysz, "%s", c->ast.why);
	pthread_mutex_unlock(&c->ast.lock);
	return b;
}

int vaudit_acknowledge(struct vcore *c, const struct vcaller *who, const char *reason,
	uint64_t *seq)
{
	char text[1024];
	MDB_txn *txn;
	int r;

	pthread_mutex_lock(&c->ast.lock);
	if (!c->ast.broken) {
		r = VG_EBADSTATE;
		goto out;
	}
	snprintf(text, sizeof(text), "break at entry %llu acknowledged (%s): %s",
		(unsigned long long)c->ast.brk, c->ast.why, reason);
	{
		struct va_entry e = {
			.principal = who->principal, .op = "audit.acknowledge", .target = "audit",
			.result = "ok", .reason = text, .peer = who->peer,
		};
		if ((r = vdb_begin(c->db, true, &txn)))
			goto out;
		if ((r = va_acknowledge(c->audit, c->db, txn, vault_now(), &e, c->ast.brk, seq))) {
			vdb_abort(txn);
			goto out;
		}
		if ((r = vdb_commit(txn)))
			goto out;
	}
	c->ast.broken = 0;
	/* From here the mark follows the head again. */
	r = va_hwm_sync(c->audit, c->db, c->ast.hwm_path, &c->ast.hwm);
out:
	pthread_mutex_unlock(&c->ast.lock);
	return r;
}

int vaudit_sync(struct vcore *c)
{
	int r = 0;

	pthread_mutex_lock(&c->ast.lock);
	if (!c->ast.broken)
		r = va_hwm_sync(c->audit, c->db, c->ast.hwm_path, &c->ast.hwm);
	pthread_mutex_unlock(&c->ast.lock);
	return r;
}
