/* policy.c - see policy.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "policy.h"
#include "vg_err.h"

#define DAY 86400ull

int vpolicy_parse(const char *spec, struct vr_policy *p, char *why, size_t whysz)
{
	char buf[256], *save = NULL, *tok;
	unsigned seen = 0;

	memset(p, 0, sizeof(*p));
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
		snprintf(why, whysz, "policy too long");
		return VG_EINVAL;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		static const char *const keys[] = {"daily", "weekly", "monthly", "yearly"};
		uint16_t *dst[] = {&p->daily_days, &p->weekly_weeks, &p->monthly_months, &p->yearly_years};
		char *eq = strchr(tok, '=');
		uint64_t v;
		int i;

		if (!eq) {
			snprintf(why, whysz, "\"%s\": expected key=value", tok);
			return VG_EINVAL;
		}
		*eq = 0;
		for (i = 0; i < 4 && strcmp(tok, keys[i]) != 0; i++)
			;
		if (i == 4) {
			snprintf(why, whysz, "unknown policy key \"%s\" (daily, weekly, monthly, yearly)", tok);
			return VG_EINVAL;
		}
		if (seen & (1u << i)) {
			snprintf(why, whysz, "%s given twice", tok);
			return VG_EINVAL;
		}
		seen |= 1u << i;
		if (vg_parse_u64(eq + 1, 0, 36500, &v)) {
			snprintf(why, whysz, "%s=%s: expected a whole number", tok, eq + 1);
			return VG_EINVAL;
		}
		*dst[i] = (uint16_t)v;
	}
	if (p->daily_days < 7) {
		snprintf(why, whysz, "daily retention %u days is below the floor of 7 days", p->daily_days);
		return VG_EPOLICY;
	}
	if (p->weekly_weeks && p->weekly_weeks < 4) {
		snprintf(why, whysz, "weekly retention %u weeks is below the floor of 4 weeks", p->weekly_weeks);
		return VG_EPOLICY;
	}
	if (p->monthly_months && p->monthly_months < 3) {
		snprintf(why, whysz, "monthly retention %u months is below the floor of 3 months",
			p->monthly_months);
		return VG_EPOLICY;
	}
	if (p->yearly_years && p->yearly_years < 1) {
		snprintf(why, whysz, "yearly retention below the floor of 1 year");
		return VG_EPOLICY;
	}
	return 0;
}

int vpolicy_format(const struct vr_policy *p, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "daily=%u,weekly=%u,monthly=%u,yearly=%u", p->daily_days,
		p->weekly_weeks, p->monthly_months, p->yearly_years);
	return n < 0 || (size_t)n >= outsz ? VG_ETOOBIG : 0;
}

int vpolicy_lowers(const struct vr_policy *a, const struct vr_policy *b)
{
	return b->daily_days < a->daily_days || b->weekly_weeks < a->weekly_weeks ||
	       b->monthly_months < a->monthly_months || b->yearly_years < a->yearly_years;
}

static size_t pol_key(uint8_t *key, uint64_t vault_id, const char *name)
{
	return vr_key_id_name(key, vault_id, name);
}

int vpolicy_get(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	struct vr_policy *p)
{
	uint8_t key[8 + VG_VAULT_NAME_MAX];
	MDB_val v;
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	r = vdb_get(c->db, txn, VDB_POLICIES, key, pol_key(key, vault_id, name), &v);
	if (r == VG_ENOTFOUND && strcmp(name, "default") == 0) {
		memset(p, 0, sizeof(*p));
		p->daily_days = 30;
		return 0;
	}
	if (r)
		return r;
	return vr_policy_dec(v.mv_data, v.mv_size, p);
}

int vpolicy_put(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	const struct vr_policy *p)
{
	uint8_t key[8 + VG_VAULT_NAME_MAX];
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	return vcore_put(c, txn, VDB_POLICIES, key, pol_key(key, vault_id, name), p, false);
}

int vpolicy_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *name, const struct vr_policy *p), void *arg)
{
	struct vr_vault v;
	struct vr_policy def;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, val;
	uint8_t prefix[8];
	int r, saw_default = 0;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)) ||
	    (r = vdb_cursor(c->db, txn, VDB_POLICIES, &cur)))
		goto out;
	vg_put_u64(prefix, v.id);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &val, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &val, false)) {
		struct vr_policy p;
		char name[VG_VAULT_NAME_MAX + 1];
		if ((r = vdb_key_name(&k, 8, VG_VAULT_NAME_MAX, name)))
			break;
		saw_default |= strcmp(name, "default") == 0;
		if ((r = vr_policy_dec(val.mv_data, val.mv_size, &p)) || (r = cb(arg, name, &p)))
			break;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
	if (!r && !saw_default && !(r = vpolicy_get(c, txn, v.id, "default", &def)))
		r = cb(arg, "default", &def);
out:
	vdb_abort(txn);
	return r;
}

/* ---- expiry ---------------------------------------------------------------- */

static uint64_t add_months(uint64_t t, unsigned months)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	tm.tm_mon += (int)months;
	tm.tm_isdst = 0;
	return (uint64_t)timegm(&tm);
}

struct period {
	int week, month, year;  /* keys of the period a time falls in */
};

static struct period period_of(uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	struct period p;

	gmtime_r(&tt, &tm);
	p.year = tm.tm_year;
	p.month = tm.tm_year * 12 + tm.tm_mon;
	/* Weeks start on Monday: days since the epoch (a Thursday) shifted. */
	p.week = (int)((t / DAY + 3) / 7);
	return p;
}

static uint64_t expiry_for(const struct vr_policy *pol, uint64_t t, int first_week,
	int first_month, int first_year)
{
	uint64_t e = t + pol->daily_days * DAY, x;

	if (pol->weekly_weeks && first_week && (x = t + pol->weekly_weeks * 7 * DAY) > e)
		e = x;
	if (pol->monthly_months && first_month && (x = add_months(t, pol->monthly_months)) > e)
		e = x;
	if (pol->yearly_years && first_year && (x = add_months(t, 12u * pol->yearly_years)) > e)
		e = x;
	return e;
}

/* Oldest first; equal commit times in point-id order (the order the
 * points table holds them in), as the insertion sort this replaces kept
 * them: that sort was quadratic and took 95 % of vaultd's time on a
 * 2,500-version S3 bucket, since every commit computes an expiry. */
static int cmp_committed(const void *a, const void *b)
{
	const struct vr_point *x = a, *y = b;

	if (x->committed != y->committed)
		return x->committed < y->committed ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The item's points that retention governs (not pending, not the restic
 * container), oldest first. */
static int item_points(struct vcore *c, MDB_txn *txn, uint64_t item_id, struct vr_point **out,
	size_t *n)
{
	size_t all, k = 0;
	int r = vcore_item_points(c, txn, item_id, out, &all);

	*n = 0;
	if (r)
		return r;
	for (size_t i = 0; i < all; i++)
		if ((*out)[i].state != VR_P_PENDING && (*out)[i].kind != VR_PK_REPO)
			(*out)[k++] = (*out)[i];
	*n = k;
	if (k > 1)
		qsort(*out, k, sizeof(**out), cmp_committed);
	return 0;
}

int vpolicy_point_expiry(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, struct vr_point *p)
{
	struct vr_policy pol;
	struct vr_point *pts;
	struct period me = period_of(p->committed), o;
	int fw = 1, fm = 1, fy = 1, r;
	size_t n;

	if ((r = vpolicy_get(c, txn, v->id, it->policy, &pol)) ||
	    (r = item_points(c, txn, it->id, &pts, &n)))
		return r;
	for (size_t i = 0; i < n; i++) {
		if (pts[i].id == p->id || pts[i].state != VR_P_ACTIVE)
			continue;
		o = period_of(pts[i].committed);
		fw &= o.week != me.week;
		fm &= o.month != me.month;
		fy &= o.year != me.year;
	}
	free(pts);
	p->expiry = expiry_for(&pol, p->committed, fw, fm, fy);
	return 0;
}

int vpolicy_apply_item(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, const struct vr_policy *pol, uint64_t now,
	uint32_t *cut, uint32_t *restored)
{
	struct vr_point *pts;
	struct period last = {-1, -1, -1};
	size_t n, newest = SIZE_MAX;
	int r = 0;

	if ((r = item_points(c, txn, it->id, &pts, &n)))
		return r;
	/* The newest point that is live or held by retention is never cut. */
	for (size_t i = 0; i < n; i++)
		if (pts[i].state == VR_P_ACTIVE ||
		    (pts[i].state == VR_P_SOFTDELETED && pts[i].del_reason == VR_DEL_RETENTION))
			newest = i;
	for (size_t i = 0; i < n && !r; i++) {
		struct vr_point *p = &pts[i];
		struct period me;
		int counts = p->state == VR_P_ACTIVE ||
			(p->state == VR_P_SOFTDELETED && p->del_reason == VR_DEL_RETENTION);
		if (!counts || p->kind == VR_PK_SNAPSHOT)
			continue;
		me = period_of(p->committed);
		p->expiry = expiry_for(pol, p->committed, me.week != last.week,
			me.month != last.month, me.year != last.year);
		last = me;
		if (p->state == VR_P_ACTIVE && p->expiry <= now && i != newest) {
			/* Cut by the new retention: soft-deleted, recoverable. */
			p->state = VR_P_SOFTDELETED;
			p->del_reason = VR_DEL_RETENTION;
			p->deleted_at = now;
			p->purge_at = now + (uint64_t)(v->sd_state == VR_SD_OFF ? 0 : v->sd_days) * DAY;
			p->sd_alerted = 0;
			(*cut)++;
		} else if (p->state == VR_P_SOFTDELETED && (p->expiry > now || i == newest)) {
			/* Retention raised again: the point comes back. */
			p->state = VR_P_ACTIVE;
			p->del_reason = VR_DEL_NONE;
			p->deleted_at = p->purge_at = 0;
			(*restored)++;
		}
		r = vcore_put_point(c, txn, p);
	}
	free(pts);
	return r;
}
