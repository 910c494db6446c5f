/* trusted_time.c - see trusted_time.h. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "mua.h"
#include "trusted_time.h"
#include "vg_err.h"

#define NS 1000000000ull
#define MARK_KEY "time/mark"
#define MARK_LEN (8 + 8 + 36 + 1 + 8)   /* hw, mono, boot id, held, jump */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool init;
	uint64_t base_wall, base_mono;   /* the last trusted reading (ns) */
	uint64_t hw;                     /* the high-water mark handed out (ns) */
	bool held;                       /* a forward jump not yet accepted */
	bool raise;                      /* ... whose alert is still to be raised */
	uint64_t jump;                   /* how far ahead the wall clock was (ns) */
	bool dirty;                      /* hold state changed: persist */
} T;

static void boot_id(char out[37])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	long n = fd >= 0 ? vg_read_full(fd, out, 36) : -1;

	if (fd >= 0)
		close(fd);
	if (n != 36)
		memset(out, '?', 36);
	out[36] = 0;
}

/* With lock held: start from the raw clocks if nothing was loaded. */
static void init_locked(uint64_t w, uint64_t m)
{
	if (T.init)
		return;
	T.init = true;
	T.base_wall = T.hw = w;
	T.base_mono = m;
}

static uint64_t now_locked(void)
{
	uint64_t w, m, el, est, t;

	vault_clock_raw(&w, &m);
	init_locked(w, m);
	el = m > T.base_mono ? m - T.base_mono : 0;
	est = T.base_wall + el;
	if (!T.held && w > est + el / 1000 + (uint64_t)VTIME_TOLERANCE * NS) {
		T.held = T.raise = T.dirty = true;
		T.jump = w - est;
	}
	if (T.held || w < est) {
		/* Held, or the wall clock is behind: the monotonic clock carries
		 * time forward from the last trusted reading. */
		t = est;
	} else {
		/* Within tolerance: the wall clock is the time, but the base only
		 * follows it at the monotonic rate plus 0.1%, so that small steps
		 * cannot add up to a large one. */
		t = w;
		T.base_wall = w < est + el / 1000 ? w : est + el / 1000;
		T.base_mono = m;
	}
	if (t < T.hw)
		t = T.hw;
	T.hw = t;
	return t;
}

uint64_t vault_now(void)
{
	uint64_t t;

	pthread_mutex_lock(&lock);
	t = now_locked();
	pthread_mutex_unlock(&lock);
	return t / NS;
}

bool vtime_held(char *detail, size_t n)
{
	bool h;

	pthread_mutex_lock(&lock);
	(void)now_locked();
	h = T.held;
	if (detail && n)
		snprintf(detail, n, "the wall clock jumped %llu s ahead of the monotonic clock",
			(unsigned long long)(T.jump / NS));
	pthread_mutex_unlock(&lock);
	return h;
}

static int put_mark(struct vcore *c, MDB_txn *txn)
{
	uint8_t b[MARK_LEN];
	uint64_t w, m;
	char id[37];

	boot_id(id);
	pthread_mutex_lock(&lock);
	vault_clock_raw(&w, &m);
	(void)now_locked();
	vg_put_u64(b, T.hw);
	vg_put_u64(b + 8, T.base_mono + (T.hw > T.base_wall ? T.hw - T.base_wall : 0));
	memcpy(b + 16, id, 36);
	b[52] = T.held;
	vg_put_u64(b + 53, T.jump);
	T.dirty = false;
	pthread_mutex_unlock(&lock);
	return vdb_put(c->db, txn, VDB_META, MARK_KEY, strlen(MARK_KEY), b, sizeof(b), false);
}

int vtime_persist(struct vcore *c, MDB_txn *txn)
{
	return put_mark(c, txn);
}

int vtime_load(struct vcore *c)
{
	uint64_t w, m, hw, mono, jump;
	char id[37], was[37];
	MDB_txn *txn;
	MDB_val v;
	int r, held;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, MARK_KEY, strlen(MARK_KEY), &v);
	if (r == VG_ENOTFOUND) {
		vdb_abort(txn);
		return 0;  /* a new state directory: start from the wall clock */
	}
	if (r || v.mv_size != MARK_LEN) {
		vdb_abort(txn);
		return r ? r : VG_EINTEGRITY;
	}
	hw = vg_get_u64(v.mv_data);
	mono = vg_get_u64((uint8_t *)v.mv_data + 8);
	memcpy(was, (uint8_t *)v.mv_data + 16, 36);
	was[36] = 0;
	held = ((uint8_t *)v.mv_data)[52];
	jump = vg_get_u64((uint8_t *)v.mv_data + 53);
	vdb_abort(txn);
	boot_id(id);

	pthread_mutex_lock(&lock);
	vault_clock_raw(&w, &m);
	T.init = true;
	T.hw = hw;
	T.held = held;
	T.jump = jump;
	if (held || (strcmp(id, was) == 0 && m >= mono)) {
		/* Same boot (or a hold to keep): the monotonic clock says how much
		 * time really passed since the mark. */
		T.base_wall = hw;
		T.base_mono = strcmp(id, was) == 0 && m >= mono ? mono : m;
	} else {
		/* After a reboot: only "never behind the mark" can be enforced. */
		T.base_wall = w > hw ? w : hw;
		T.base_mono = m;
	}
	(void)now_locked();
	pthread_mutex_unlock(&lock);
	return 0;
}

int vtime_sync(struct vcore *c)
{
	static const struct vcaller clk = {.principal = "clock", .peer = "local"};
	char detail[200];
	bool raise, dirty;
	MDB_txn *txn;
	int r;

	pthread_mutex_lock(&lock);
	(void)now_locked();
	raise = T.raise;
	dirty = T.dirty;
	snprintf(detail, sizeof(detail), "the wall clock jumped %llu s ahead of the time vaultd "
		"measured; purges and expiries are held until an Owner accepts it (vaultctl clock accept)",
		(unsigned long long)(T.jump / NS));
	T.raise = false;
	pthread_mutex_unlock(&lock);
	if (!raise && !dirty)
		return 0;
	if ((r = vdb_begin(c->db, true, &txn)))
		goto undo;
	if ((r = put_mark(c, txn)) ||
	    (raise && (r = vcore_audit_txn(c, txn, &clk, "clock.jump", "clock", "held", detail))) ||
	    (raise && (r = valert_raise(c, txn, "clock-jump", &clk, NULL, "clock", detail)))) {
		vdb_abort(txn);
		goto undo;
	}
	if (!(r = vdb_commit(txn)))
		return 0;
undo:
	/* Try again at the next call. */
	pthread_mutex_lock(&lock);
	T.raise = T.raise || raise;
	T.dirty = true;
	pthread_mutex_unlock(&lock);
	return r;
}

struct guarded {
	struct vr_vault v;
	char want_guard[VG_VAULT_NAME_MAX + 1];
	int found, exact;
};

static int guarded_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct guarded *g = arg;

	(void)name;
	if (!*v->guard || v->state != VR_V_ACTIVE || g->exact)
		return 0;
	if (!g->found || strcmp(v->guard, g->want_guard) == 0) {
		g->v = *v;
		g->found = 1;
		g->exact = strcmp(v->guard, g->want_guard) == 0;
	}
	return 0;
}

static int accept_locked(struct vcore *c, MDB_txn *txn, char *detail, size_t n);

int vtime_accept(struct vcore *c, const struct vcaller *who, char *detail, size_t n, char *why,
	size_t whysz)
{
	struct guarded g = {0};
	struct vr_request rq;
	MDB_txn *txn;
	MDB_val v;
	int r;

	/* The grant names its guard; check it against a vault that guard
	 * protects (any guarded vault when there is no usable grant, for the
	 * refusal's message). */
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (*who->grant && vdb_get(c->db, txn, VDB_REQUESTS, who->grant, strnlen(who->grant, 32),
				   &v) == 0 &&
	    vr_request_dec(v.mv_data, v.mv_size, &rq) == 0)
		snprintf(g.want_guard, sizeof(g.want_guard), "%s", rq.guard);
	vdb_abort(txn);
	if ((r = vcore_vault_list(c, guarded_cb, &g)))
		return r;
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if (!vtime_held(NULL, 0)) {
		snprintf(why, whysz, "no clock jump is waiting to be accepted");
		r = VG_EBADSTATE;
		goto fail;
	}
	if (g.found && (r = vmua_check(c, txn, who, &g.v, VMUA_CLOCK_ACCEPT, "clock", why, whysz)))
		goto fail;
	if ((r = accept_locked(c, txn, detail, n)) ||
	    (r = vcore_audit_txn(c, txn, who, "clock.accept", "clock", "ok", detail)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

/* Inside txn: lifts the hold and persists the mark. On a failed commit the
 * hold is lifted in memory only; the persisted one comes back at restart. */
static int accept_locked(struct vcore *c, MDB_txn *txn, char *detail, size_t n)
{
	uint64_t w, m, before;

	pthread_mutex_lock(&lock);
	(void)now_locked();
	if (!T.held) {
		pthread_mutex_unlock(&lock);
		return VG_EBADSTATE;
	}
	vault_clock_raw(&w, &m);
	before = T.hw;
	T.held = T.raise = false;
	T.base_wall = w > T.hw ? w : T.hw;
	T.base_mono = m;
	T.jump = 0;
	(void)now_locked();
	snprintf(detail, n, "time accepted: trusted time moved from %llu to %llu",
		(unsigned long long)(before / NS), (unsigned long long)(T.hw / NS));
	pthread_mutex_unlock(&lock);
	return put_mark(c, txn);
}
