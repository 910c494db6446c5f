/* denials.c - see denials.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "core_int.h"
#include "denials.h"
#include "vg_err.h"

struct kind {
	bool used;
	uint64_t h;
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char op[32];
	char result[8];         /* "denied" or "failed" */
	char target[300];
	char reason[300];
	char peer[129];
	uint64_t pending;       /* repeats not yet written */
	uint64_t since, last;   /* monotonic seconds */
};

struct pstate {
	bool used;
	char name[VG_PRINCIPAL_NAME_MAX + 1];
	uint64_t win, count, firsts;       /* this minute */
	uint64_t cwin, crit;               /* critical denials this alert window */
	uint64_t flood_at, crit_at;        /* last alerts (0: never) */
	uint64_t last;
	struct kind overflow;              /* new kinds past the budget */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kind kinds[VDENY_SLOTS];
static struct pstate ps[VDENY_PRINCIPALS];
static uint64_t gwin, gfirsts, last_flush;

static const char *const critical_ops[] = {
	"vault.set", "vault.delete", "vault.key", "item.stop", "item.policy", "point.delete",
	"restic.delete", "policy.set", "pin.generate", "role.set", "guard.approver",
	"guard.exclude", "principal.rotate", "principal.cert", NULL,
};

void vdeny_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(kinds, 0, sizeof(kinds));
	memset(ps, 0, sizeof(ps));
	gwin = gfirsts = last_flush = 0;
	pthread_mutex_unlock(&lock);
}

bool vdeny_critical_op(const char *op)
{
	for (const char *const *p = critical_ops; *p; p++)
		if (strcmp(*p, op) == 0)
			return true;
	return false;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec + 1;  /* never 0 */
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;  /* field separator */
}

static void fill(struct kind *k, uint64_t h, const struct vcaller *who, const char *op,
	const char *result, const char *target, const char *reason, uint64_t now)
{
	memset(k, 0, sizeof(*k));
	k->used = true;
	k->h = h;
	snprintf(k->principal, sizeof(k->principal), "%s", who->principal);
	snprintf(k->op, sizeof(k->op), "%s", op);
	snprintf(k->result, sizeof(k->result), "%s", result);
	snprintf(k->target, sizeof(k->target), "%s", target);
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
	snprintf(k->peer, sizeof(k->peer), "%s", who->peer);
	k->since = k->last = now;
}

static struct pstate *principal_state(const char *name, uint64_t now)
{
	struct pstate *free_slot = NULL, *oldest = NULL;

	for (int i = 0; i < VDENY_PRINCIPALS; i++) {
		struct pstate *p = &ps[i];
		if (p->used && strcmp(p->name, name) == 0)
			return p;
		if (!p->used && !free_slot)
			free_slot = p;
		if (p->used && p->overflow.pending == 0 && (!oldest || p->last < oldest->last))
			oldest = p;
	}
	if (!free_slot)
		free_slot = oldest;
	if (!free_slot)
		free_slot = &ps[0];  /* everyone has pending repeats: share the first */
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->win = free_slot->cwin = now;
	return free_slot;
}

unsigned vdeny_note(const struct vcaller *who, const char *op, const char *target,
	const char *reason)
{
	return vdeny_note_result(who, op, "denied", target, reason);
}

unsigned vdeny_note_result(const struct vcaller *who, const char *op, const char *result,
	const char *target, const char *reason)
{
	uint64_t now = mono(), h;
	struct pstate *p;
	struct kind *k = NULL, *victim = NULL;
	bool denied = strcmp(result, "denied") == 0;
	unsigned out = 0;

	reason = reason ? reason : "";
	h = fnv(fnv(fnv(fnv(fnv(14695981039346656037ull, who->principal), op), result), target),
		reason);
	pthread_mutex_lock(&lock);
	if (now - gwin >= 60) {
		gwin = now;
		gfirsts = 0;
	}
	p = principal_state(who->principal, now);
	p->last = now;
	if (now - p->win >= 60) {
		p->win = now;
		p->count = p->firsts = 0;
	}
	if (++p->count == VDENY_FLOOD && (!p->flood_at || now - p->flood_at >= VDENY_ALERT_S)) {
		p->flood_at = now;
		out |= VDENY_FLOOD_ALERT;
	}
	if (denied && vdeny_critical_op(op)) {
		if (now - p->cwin >= VDENY_ALERT_S) {
			p->cwin = now;
			p->crit = 0;
		}
		if (++p->crit >= VDENY_CRITICAL && (!p->crit_at || now - p->crit_at >= VDENY_ALERT_S)) {
			p->crit_at = now;
			out |= VDENY_CRIT_ALERT;
		}
	}
	for (int i = 0; i < VDENY_SLOTS; i++) {
		struct kind *s = &kinds[(h + (uint64_t)i) % VDENY_SLOTS];
		if (s->used && s->h == h && strcmp(s->principal, who->principal) == 0 &&
		    strcmp(s->op, op) == 0 && strcmp(s->result, result) == 0 && strncmp(s->target, target, sizeof(s->target) - 1) == 0 &&
		    strncmp(s->reason, reason, sizeof(s->reason) - 1) == 0) {
			k = s;
			break;
		}
		if (!s->used) {
			victim = s;
			break;
		}
		if (s->pending == 0 && (!victim || s->last < victim->last))
			victim = s;
	}
	if (k) {
		k->pending++;
		k->last = now;
		snprintf(k->peer, sizeof(k->peer), "%s", who->peer);
	} else if (victim && p->firsts < VDENY_KINDS_PER_MIN && gfirsts < VDENY_KINDS_GLOBAL_PER_MIN) {
		p->firsts++;
		gfirsts++;
		fill(victim, h, who, op, result, target, reason, now);
		out |= VDENY_WRITE;
	} else {
		/* Past the budget for new kinds: one aggregate per principal. */
		if (!p->overflow.used)
			fill(&p->overflow, 0, who, "denials", "denied", "*",
				"refusals and failures of further kinds (new kinds over the per-minute budget)",
				now);
		p->overflow.pending++;
		p->overflow.last = now;
	}
	pthread_mutex_unlock(&lock);
	return out;
}

static int write_agg(struct vcore *c, MDB_txn *txn, const struct kind *k, uint64_t now)
{
	struct vcaller who = {0};
	char reason[512];

	snprintf(who.principal, sizeof(who.principal), "%s", k->principal);
	snprintf(who.peer, sizeof(who.peer), "%s", k->peer);
	if (k->h == 0)  /* a principal's overflow: none of these was written */
		snprintf(reason, sizeof(reason), "%s [%llu refusal%s in %llus, aggregated]",
			k->reason, (unsigned long long)k->pending, k->pending == 1 ? "" : "s",
			(unsigned long long)(now - k->since));
	else
		snprintf(reason, sizeof(reason), "%s [repeated %llu more time%s in %llus, aggregated]",
			k->reason, (unsigned long long)k->pending, k->pending == 1 ? "" : "s",
			(unsigned long long)(now - k->since));
	return vcore_audit_txn(c, txn, &who, k->op, k->target, k->result, reason);
}

int vdeny_flush(struct vcore *c, bool force)
{
	struct kind *due;
	uint64_t now = mono();
	size_t n = 0;
	MDB_txn *txn;
	int r = 0;

	if (!(due = malloc((VDENY_SLOTS + VDENY_PRINCIPALS) * sizeof(*due))))
		return -ENOMEM;
	pthread_mutex_lock(&lock);
	if (!force && now - last_flush < VDENY_FLUSH_S) {
		pthread_mutex_unlock(&lock);
		free(due);
		return 0;
	}
	last_flush = now;
	for (int i = 0; i < VDENY_SLOTS; i++)
		if (kinds[i].used && kinds[i].pending) {
			due[n++] = kinds[i];
			kinds[i].pending = 0;
			kinds[i].since = now;
		}
	for (int i = 0; i < VDENY_PRINCIPALS; i++)
		if (ps[i].used && ps[i].overflow.pending) {
			due[n++] = ps[i].overflow;
			ps[i].overflow.used = false;
			ps[i].overflow.pending = 0;
		}
	pthread_mutex_unlock(&lock);
	if (n && !(r = vdb_begin(c->db, true, &txn))) {
		for (size_t i = 0; i < n && !r; i++)
			r = write_agg(c, txn, &due[i], now);
		if (r)
			vdb_abort(txn);
		else
			r = vdb_commit(txn);
	}
	free(due);
	return r;
}

static const int refusals[] = {
	VG_EAUTH, VG_EDENIED, VG_EIMMUTABLE, VG_EPOLICY, VG_EMUA, VG_EPIN, VG_ENAME, VG_ELIMIT,
	VG_EBADSTATE,
};

bool vdeny_is_refusal(int r)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (r == refusals[i])
			return true;
	return false;
}

const char *vdeny_result(int r)
{
	return vdeny_is_refusal(r) ? "denied" : "failed";
}
