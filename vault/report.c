/* report.c - see report.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "report.h"
#include "vg_err.h"

#define DAY 86400ull
#define PURGE_DAYS 14

struct rvault {
	char name[80], state[24], key[160], encryption[16], key_state[16];
	uint64_t quota, used;         /* issue 14; 0: no quota */
};

struct ritem {
	char vault[80], name[160], state[24], kind[16];
	uint64_t points, stored, soft_deleted, last_success, last_failure, purge_at;
	uint64_t jobs[2][2];          /* [backup|restore][ok|failed] */
	uint64_t quota, used, expect_every, missed;  /* issue 14; 0: not set */
};

struct rpoint {
	char vault[80], item[160], id[24], state[24];
	uint64_t committed, bytes, time2;
};

struct rjob {
	char vault[80], item[160], kind[16], result[16], point[24], detail[260];
	uint64_t time, bytes;
};

struct rep {
	uint64_t now, since;
	struct rvault *v;
	size_t nv;
	struct ritem *it;
	size_t ni;
	struct rpoint *p;
	size_t np;
	struct rjob *j;
	size_t nj;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vaultctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Capacity is 8, then doubles whenever the count n reaches a power of two. */
static void *grow(void *arr, size_t n, size_t sz)
{
	void *np;

	if (n != 0 && (n < 8 || (n & (n - 1))))
		return arr;
	if (!(np = realloc(arr, (n ? n * 2 : 8) * sz)))
		free(arr);
	return np;
}

#define APPEND(arr, n) ((arr = grow(arr, n, sizeof(*(arr)))) ? &(arr)[(n)++] : NULL)

static void str(const struct vg_msg *m, uint16_t tag, char *dst, size_t n)
{
	if (vg_msg_str(m, tag, dst, n))
		dst[0] = 0;
}

static uint64_t u64(const struct vg_msg *m, uint16_t tag)
{
	uint64_t v = 0;

	(void)vg_msg_u64(m, tag, &v);
	return v;
}

/* "k1=v1 k2=v2": copies the value of key into dst. */
static void kv(const char *s, const char *key, char *dst, size_t n)
{
	size_t kl = strlen(key);

	dst[0] = 0;
	for (const char *p = s; p && *p; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, " ");
			if (l >= n)
				l = n - 1;
			memcpy(dst, p + kl + 1, l);
			dst[l] = 0;
			return;
		}
	}
}

/* A numeric key=value of DETAIL; 0 when absent or malformed. */
static void kvu(const char *s, const char *key, uint64_t *out)
{
	char b[24];

	kv(s, key, b, sizeof(b));
	if (!*b || vg_parse_u64(b, 0, UINT64_MAX, out))
		*out = 0;
}

static struct ritem *find_item(struct rep *r, const char *vault, const char *item)
{
	for (size_t i = 0; i < r->ni; i++)
		if (strcmp(r->it[i].vault, vault) == 0 && strcmp(r->it[i].name, item) == 0)
			return &r->it[i];
	return NULL;
}

static int fetch(struct vgc *c, const char *vault, uint64_t since, struct rep *r)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_REPORT);
	char kind[16], d[400], buf[32];
	int rc;

	if (vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_u64(w, VG_TAG_TIME, since);
	if ((rc = vgc_call(c, &m)))
		return rc;
	r->now = u64(&m, VG_TAG_TIME);
	r->since = since;
	while ((rc = vgc_stream_next(c, &m)) == 1) {
		str(&m, VG_TAG_KIND, kind, sizeof(kind));
		if (strcmp(kind, "vault") == 0) {
			struct rvault *v = APPEND(r->v, r->nv);
			if (!v)
				return -ENOMEM;
			memset(v, 0, sizeof(*v));
			str(&m, VG_TAG_VAULT, v->name, sizeof(v->name));
			str(&m, VG_TAG_STATE, v->state, sizeof(v->state));
			str(&m, VG_TAG_DETAIL, d, sizeof(d));
			kv(d, "key", v->key, sizeof(v->key));
			kv(d, "encryption", v->encryption, sizeof(v->encryption));
			kv(d, "key-state", v->key_state, sizeof(v->key_state));
			kvu(d, "quota", &v->quota);
			kvu(d, "used", &v->used);
		} else if (strcmp(kind, "item") == 0) {
			struct ritem *it = APPEND(r->it, r->ni);
			if (!it)
				return -ENOMEM;
			memset(it, 0, sizeof(*it));
			str(&m, VG_TAG_VAULT, it->vault, sizeof(it->vault));
			str(&m, VG_TAG_ITEM, it->name, sizeof(it->name));
			str(&m, VG_TAG_STATE, it->state, sizeof(it->state));
			it->points = u64(&m, VG_TAG_COUNT);
			it->stored = u64(&m, VG_TAG_SIZE);
			it->soft_deleted = u64(&m, VG_TAG_SIZE2);
			it->last_success = u64(&m, VG_TAG_TIME);
			it->last_failure = u64(&m, VG_TAG_TIME2);
			str(&m, VG_TAG_DETAIL, d, sizeof(d));
			kv(d, "kind", it->kind, sizeof(it->kind));
			kv(d, "purge_at", buf, sizeof(buf));
			(void)vg_parse_u64(buf, 0, UINT64_MAX, &it->purge_at);
			kvu(d, "quota", &it->quota);
			kvu(d, "used", &it->used);
			kvu(d, "expect_every", &it->expect_every);
			kvu(d, "missed", &it->missed);
		} else if (strcmp(kind, "point") == 0) {
			struct rpoint *p = APPEND(r->p, r->np);
			if (!p)
				return -ENOMEM;
			memset(p, 0, sizeof(*p));
			str(&m, VG_TAG_VAULT, p->vault, sizeof(p->vault));
			str(&m, VG_TAG_ITEM, p->item, sizeof(p->item));
			str(&m, VG_TAG_POINT, p->id, sizeof(p->id));
			str(&m, VG_TAG_STATE, p->state, sizeof(p->state));
			p->committed = u64(&m, VG_TAG_TIME);
			p->bytes = u64(&m, VG_TAG_SIZE);
			p->time2 = u64(&m, VG_TAG_TIME2);
		} else if (strcmp(kind, "job") == 0) {
			struct rjob *j = APPEND(r->j, r->nj);
			struct ritem *it;
			if (!j)
				return -ENOMEM;
			memset(j, 0, sizeof(*j));
			str(&m, VG_TAG_VAULT, j->vault, sizeof(j->vault));
			str(&m, VG_TAG_ITEM, j->item, sizeof(j->item));
			str(&m, VG_TAG_NAME, j->kind, sizeof(j->kind));
			str(&m, VG_TAG_RESULT, j->result, sizeof(j->result));
			str(&m, VG_TAG_POINT, j->point, sizeof(j->point));
			str(&m, VG_TAG_DETAIL, j->detail, sizeof(j->detail));
			j->time = u64(&m, VG_TAG_TIME);
			j->bytes = u64(&m, VG_TAG_SIZE);
			if ((it = find_item(r, j->vault, j->item)))
				it->jobs[strcmp(j->kind, "restore") == 0][strcmp(j->result, "ok") != 0]++;
		}
		/* Unknown row kinds are from a newer vaultd: skipped. */
	}
	return rc;
}

static void rep_free(struct rep *r)
{
	free(r->v);
	free(r->it);
	free(r->p);
	free(r->j);
}

static void day(uint64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
}

static void human(uint64_t b, char *buf, size_t n)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, n, "%.1f %s", v, u[i]);
}

/* ---- series shared by JSON and HTML ------------------------------------------------ */

/* Stored bytes of one vault (NULL: all) just after time t: points committed
 * by t that are still active. */
static uint64_t stored_at(const struct rep *r, const char *vault, uint64_t t)
{
	uint64_t s = 0;

	for (size_t i = 0; i < r->np; i++)
		if ((!vault || strcmp(r->p[i].vault, vault) == 0) && r->p[i].committed <= t &&
		    strcmp(r->p[i].state, "active") == 0)
			s += r->p[i].bytes;
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted distinct commit times (plus now). */
static uint64_t *times(const struct rep *r, size_t *n)
{
	uint64_t *t = malloc((r->np + 1) * sizeof(*t));
	size_t k = 0;

	if (!t)
		return NULL;
	for (size_t i = 0; i < r->np; i++)
		if (r->p[i].committed)
			t[k++] = r->p[i].committed;
	t[k++] = r->now;
	qsort(t, k, sizeof(*t), cmp_u64);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || t[*n - 1] != t[i])
			t[(*n)++] = t[i];
	return t;
}

struct daycount {
	uint64_t day;                 /* unix time of 00:00 UTC */
	uint64_t ok, failed, purge_bytes, purge_count;
};

/* Jobs per day, oldest first: from the first day with a job (at least the
 * last 14 days, at most 60), to today. */
static struct daycount *jobs_per_day(const struct rep *r, size_t *n)
{
	uint64_t first = r->since / DAY * DAY, last = r->now / DAY * DAY, oldest = last;
	struct daycount *d;

	for (size_t i = 0; i < r->nj; i++)
		if (r->j[i].time / DAY * DAY < oldest)
			oldest = r->j[i].time / DAY * DAY;
	if (oldest > first)
		first = oldest;
	if (last - first < 13 * DAY)
		first = last > 13 * DAY ? last - 13 * DAY : 0;
	if (last - first > 59 * DAY)
		first = last - 59 * DAY;
	*n = (size_t)((last - first) / DAY + 1);
	if (!(d = calloc(*n, sizeof(*d))))
		return NULL;
	for (size_t i = 0; i < *n; i++)
		d[i].day = first + i * DAY;
	for (size_t i = 0; i < r->nj; i++) {
		uint64_t jd = r->j[i].time / DAY * DAY;
		if (jd < first || jd > last)
			continue;
		if (strcmp(r->j[i].result, "ok") == 0)
			d[(jd - first) / DAY].ok++;
		else
			d[(jd - first) / DAY].failed++;
	}
	return d;
}

/* Bytes and count purging on each of the next PURGE_DAYS days. */
static void purges(const struct rep *r, struct daycount d[PURGE_DAYS])
{
	uint64_t first = r->now / DAY * DAY;

	memset(d, 0, PURGE_DAYS * sizeof(*d));
	for (int i = 0; i < PURGE_DAYS; i++)
		d[i].day = first + (uint64_t)i * DAY;
	for (size_t i = 0; i < r->np; i++) {
		uint64_t pd;
		const struct ritem *it = find_item((struct rep *)r, r->p[i].vault, r->p[i].item);
		uint64_t at = strcmp(r->p[i].state, "soft-deleted") == 0 ? r->p[i].time2 :
			      it && it->purge_at ? it->purge_at : 0;
		if (!at || at < first)
			continue;
		pd = (at / DAY * DAY - first) / DAY;
		if (pd < PURGE_DAYS) {
			d[pd].purge_bytes += r->p[i].bytes;
			d[pd].purge_count++;
		}
	}
}

/* ---- text and JSON ----------------------------------------------------------------- */

/* The box's clock as the kernel keeps it, read-only (modes 0): synchronised
 * when an NTP client (systemd-timesyncd on the appliance) has cleared
 * STA_UNSYNC and the maximum error is under 16 s, the test timedatectl's
 * NTPSynchronized makes. Expiry and purges depend on this clock. */
static int clock_synced(long *maxerr_us)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	if (adjtimex(&tx) < 0)
		return 0;
	*maxerr_us = tx.maxerror;
	return !(tx.status & STA_UNSYNC) && tx.maxerror < 16000000;
}

static void text(const struct rep *r)
{
	char a[32], b[32], s1[32], s2[32];
	long maxerr = 0;

	if (clock_synced(&maxerr))
		printf("clock: synchronised (NTP, maximum error %ld ms)\n", maxerr / 1000);
	else
		printf("clock: not synchronised (no NTP client has set the kernel clock)\n");

	for (size_t i = 0; i < r->nv; i++) {
		printf("vault %s (%s) key=%s encryption=%s key-state=%s", r->v[i].name, r->v[i].state,
			r->v[i].key, r->v[i].encryption, r->v[i].key_state);
		if (r->v[i].quota) {
			human(r->v[i].used, s1, sizeof(s1));
			human(r->v[i].quota, s2, sizeof(s2));
			printf(" quota %s of %s used", s1, s2);
		}
		printf("\n");
		for (size_t j = 0; j < r->ni; j++) {
			const struct ritem *it = &r->it[j];
			if (strcmp(it->vault, r->v[i].name) != 0)
				continue;
			vg_time_iso(it->last_success, "never", a, sizeof(a));
			vg_time_iso(it->last_failure, "never", b, sizeof(b));
			human(it->stored, s1, sizeof(s1));
			human(it->soft_deleted, s2, sizeof(s2));
			printf("  item %s (%s, %s): %llu points, stored %s, soft-deleted %s, "
				"last success %s, last failure %s, backups %llu ok/%llu failed, "
				"restores %llu ok/%llu failed\n", it->name, it->kind, it->state,
				(unsigned long long)it->points, s1, s2, a, b,
				(unsigned long long)it->jobs[0][0], (unsigned long long)it->jobs[0][1],
				(unsigned long long)it->jobs[1][0], (unsigned long long)it->jobs[1][1]);
			if (it->quota) {
				human(it->used, s1, sizeof(s1));
				human(it->quota, s2, sizeof(s2));
				printf("    quota %s of %s used\n", s1, s2);
			}
			if (it->expect_every)
				printf("    expected every %llus: %s\n", (unsigned long long)it->expect_every,
					it->missed ? "BACKUP MISSED" : "on time");
		}
	}
}

static json_t *to_json(const struct rep *r)
{
	json_t *root = json_object(), *vaults = json_array(), *jobs = json_array();
	json_t *perday = json_array(), *series = json_array(), *pur = json_array();
	struct daycount pd[PURGE_DAYS], *jd;
	uint64_t *ts;
	size_t nd = 0, nt = 0;
	char buf[40];
	long maxerr = 0;

	json_object_set_new(root, "clock_synchronised", json_boolean(clock_synced(&maxerr)));

	vg_time_iso(r->now, "never", buf, sizeof(buf));
	json_object_set_new(root, "generated", json_string(buf));
	json_object_set_new(root, "unix", json_integer((json_int_t)r->now));
	json_object_set_new(root, "jobs_since", json_integer((json_int_t)r->since));
	for (size_t i = 0; i < r->nv; i++) {
		json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", r->v[i].name, "state",
			r->v[i].state, "key", r->v[i].key, "encryption", r->v[i].encryption,
			"key_state", r->v[i].key_state);
		json_t *items = json_array();
		uint64_t st = 0, sd = 0, np = 0;
		for (size_t j = 0; j < r->ni; j++) {
			const struct ritem *it = &r->it[j];
			if (strcmp(it->vault, r->v[i].name) != 0)
				continue;
			st += it->stored;
			sd += it->soft_deleted;
			np += it->points;
			json_array_append_new(items, json_pack(
				"{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}",
				"name", it->name, "kind", it->kind, "state", it->state,
				"recovery_points", (json_int_t)it->points,
				"stored_bytes", (json_int_t)it->stored,
				"soft_deleted_bytes", (json_int_t)it->soft_deleted,
				"last_success", (json_int_t)it->last_success,
				"last_failure", (json_int_t)it->last_failure,
				"purge_at", (json_int_t)it->purge_at,
				"jobs", "backup_ok", (json_int_t)it->jobs[0][0],
				"backup_failed", (json_int_t)it->jobs[0][1],
				"restore_ok", (json_int_t)it->jobs[1][0],
				"restore_failed", (json_int_t)it->jobs[1][1]));
			if (it->quota || it->expect_every) {
				json_t *last = json_array_get(items, json_array_size(items) - 1);
				if (it->quota) {
					json_object_set_new(last, "quota_bytes", json_integer((json_int_t)it->quota));
					json_object_set_new(last, "quota_used_bytes", json_integer((json_int_t)it->used));
				}
				if (it->expect_every) {
					json_object_set_new(last, "expect_every_seconds",
						json_integer((json_int_t)it->expect_every));
					json_object_set_new(last, "backup_missed", json_boolean(it->missed));
				}
			}
		}
		if (r->v[i].quota) {
			json_object_set_new(v, "quota_bytes", json_integer((json_int_t)r->v[i].quota));
			json_object_set_new(v, "quota_used_bytes", json_integer((json_int_t)r->v[i].used));
		}
		json_object_set_new(v, "recovery_points", json_integer((json_int_t)np));
		json_object_set_new(v, "stored_bytes", json_integer((json_int_t)st));
		json_object_set_new(v, "soft_deleted_bytes", json_integer((json_int_t)sd));
		json_object_set_new(v, "items", items);
		json_array_append_new(vaults, v);
	}
	json_object_set_new(root, "vaults", vaults);
	for (size_t i = 0; i < r->nj; i++)
		json_array_append_new(jobs, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:s}",
			"time", (json_int_t)r->j[i].time, "vault", r->j[i].vault, "item", r->j[i].item,
			"kind", r->j[i].kind, "result", r->j[i].result, "bytes", (json_int_t)r->j[i].bytes,
			"point", r->j[i].point, "detail", r->j[i].detail));
	json_object_set_new(root, "jobs", jobs);
	if ((jd = jobs_per_day(r, &nd))) {
		for (size_t i = 0; i < nd; i++) {
			day(jd[i].day, buf, sizeof(buf));
			json_array_append_new(perday, json_pack("{s:s,s:I,s:I}", "day", buf,
				"ok", (json_int_t)jd[i].ok, "failed", (json_int_t)jd[i].failed));
		}
		free(jd);
	}
	json_object_set_new(root, "jobs_per_day", perday);
	if ((ts = times(r, &nt))) {
		for (size_t i = 0; i < nt; i++)
			json_array_append_new(series, json_pack("{s:I,s:I}", "time", (json_int_t)ts[i],
				"stored_bytes", (json_int_t)stored_at(r, NULL, ts[i])));
		free(ts);
	}
	json_object_set_new(root, "stored_bytes_over_time", series);
	purges(r, pd);
	for (int i = 0; i < PURGE_DAYS; i++) {
		day(pd[i].day, buf, sizeof(buf));
		json_array_append_new(pur, json_pack("{s:s,s:I,s:I}", "day", buf,
			"points", (json_int_t)pd[i].purge_count, "bytes", (json_int_t)pd[i].purge_bytes));
	}
	json_object_set_new(root, "upcoming_purges", pur);
	return root;
}

/* ---- HTML ---------------------------------------------------------------------------- */

static const char *const palette[] = {"#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
	"#db2777", "#65a30d", "#475569"};

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A "nice" axis maximum whose quarters read well: 4, 8, 20, 40, 100...
 * for counts; 4 KiB, 8 KiB, ... 512 KiB, 1 MiB, 2 MiB, 4 MiB ... for bytes. */
static uint64_t nice_max(uint64_t v, int bytes)
{
	static const uint64_t steps[] = {4, 8, 20, 40};
	uint64_t m;

	if (bytes) {
		for (m = 4096; m < v && m < (1ull << 62); m *= 2)
			;
		return m;
	}
	for (uint64_t base = 1;; base *= 10)
		for (int i = 0; i < 4; i++)
			if (base * steps[i] >= v)
				return base * steps[i];
}

/* Chart geometry: the wide chart spans the page, the narrow ones half of it;
 * their viewBoxes are about their rendered size so text reads the same. */
#define CW_WIDE 1120
#define CW_NARROW 540
#define CH 260
#define ML 70
#define MR 24
#define MT 16
#define MB 48

static int CW = CW_WIDE;

static void axis_y(FILE *f, uint64_t max, int bytes)
{
	char lab[32];

	for (int i = 0; i <= 4; i++) {
		double y = MT + (CH - MT - MB) * (1.0 - i / 4.0);
		uint64_t v = max * (uint64_t)i / 4;
		if (bytes)
			human(v, lab, sizeof(lab));
		else
			snprintf(lab, sizeof(lab), "%llu", (unsigned long long)v);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
			"<text x=\"%d\" y=\"%.1f\" class=\"yl\">%s</text>\n", ML, y, CW - MR, y, ML - 8,
			y + 4, lab);
	}
}

static void chart_stored(FILE *f, const struct rep *r)
{
	size_t nt = 0;
	uint64_t *ts = times(r, &nt), max = 0, t0, t1;
	double pw = CW - ML - MR, ph = CH - MT - MB;
	char lab[32];

	CW = CW_WIDE;
	pw = CW - ML - MR;
	fprintf(f, "<svg id=\"chart-stored-bytes\" class=\"chart\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"Stored bytes over time\">\n", CW, CH);
	if (!ts) {
		fprintf(f, "</svg>\n");
		return;
	}
	t0 = ts[0];
	t1 = ts[nt - 1];
	if (t1 - t0 < DAY) {
		t0 = t1 > DAY ? t1 - DAY : 0;
	}
	for (size_t v = 0; v < r->nv; v++)
		for (size_t i = 0; i < nt; i++) {
			uint64_t s = stored_at(r, r->v[v].name, ts[i]);
			if (s > max)
				max = s;
		}
	max = nice_max(max, 1);
	axis_y(f, max, 1);
	for (int i = 0; i <= 4; i++) {
		uint64_t t = t0 + (t1 - t0) * (uint64_t)i / 4;
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(lab, sizeof(lab), "%m-%d %H:%M", &tm);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xl%s\">%s</text>\n",
			ML + pw * i / 4.0, CH - MB + 18, i == 0 ? " xs" : i == 4 ? " xe" : "", lab);
	}
	for (size_t v = 0; v < r->nv; v++) {
		const char *col = palette[v % 8];
		double px = 0, py = 0;
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"", col);
		for (size_t i = 0; i < nt; i++) {
			uint64_t t = ts[i] < t0 ? t0 : ts[i];
			double x = ML + pw * (double)(t - t0) / (double)(t1 - t0 ? t1 - t0 : 1);
			double y = MT + ph * (1.0 - (double)stored_at(r, r->v[v].name, ts[i]) / (double)max);
			if (i)
				fprintf(f, "%.1f,%.1f ", x, py);  /* a step: bytes change at commits */
			fprintf(f, "%.1f,%.1f ", x, y);
			px = x;
			py = y;
		}
		fprintf(f, "\"/>\n<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", px, py, col);
		fprintf(f, "<rect x=\"%zu\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			"<text x=\"%zu\" y=\"%d\" class=\"lg\">", ML + 10 + v * 150, CH - 14, col,
			ML + 24 + v * 150, CH - 5);
		esc(f, r->v[v].name);
		fprintf(f, "</text>\n");
	}
	free(ts);
	fprintf(f, "</svg>\n");
}

static void chart_jobs(FILE *f, const struct rep *r)
{
	size_t nd = 0;
	struct daycount *d = jobs_per_day(r, &nd);
	double pw = CW - ML - MR, ph = CH - MT - MB, bw;
	uint64_t max = 0;
	char lab[16];

	CW = CW_NARROW;
	pw = CW - ML - MR;
	fprintf(f, "<svg id=\"chart-jobs-per-day\" class=\"chart\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"Jobs per day by result\">\n", CW, CH);
	if (!d || nd == 0) {
		free(d);
		fprintf(f, "</svg>\n");
		return;
	}
	for (size_t i = 0; i < nd; i++)
		if (d[i].ok + d[i].failed > max)
			max = d[i].ok + d[i].failed;
	max = nice_max(max, 0);
	axis_y(f, max, 0);
	bw = pw / (double)nd;
	for (size_t i = 0; i < nd; i++) {
		double x = ML + bw * (double)i + bw * 0.15, w = bw * 0.7;
		double hok = ph * (double)d[i].ok / (double)max, hf = ph * (double)d[i].failed / (double)max;
		double base = MT + ph;
		if (d[i].ok)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"ok\">"
				"<title>%llu ok</title></rect>\n", x, base - hok, w, hok,
				(unsigned long long)d[i].ok);
		if (d[i].failed)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bad\">"
				"<title>%llu failed</title></rect>\n", x, base - hok - hf, w, hf,
				(unsigned long long)d[i].failed);
		if ((nd - 1 - i) % ((nd + 7) / 8) == 0) {  /* about 8 labels, the last day always */
			day(d[i].day, lab, sizeof(lab));
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xl\">%s</text>\n", x + w / 2,
				CH - MB + 18, lab + 5);
		}
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" class=\"ok\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"lg\">succeeded</text>"
		"<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" class=\"bad\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"lg\">failed</text>\n",
		ML + 10, CH - 14, ML + 24, CH - 5, ML + 120, CH - 14, ML + 134, CH - 5);
	free(d);
	fprintf(f, "</svg>\n");
}

static void chart_purges(FILE *f, const struct rep *r)
{
	struct daycount d[PURGE_DAYS];
	double pw = CW - ML - MR, ph = CH - MT - MB, bw = pw / PURGE_DAYS;
	uint64_t max = 0;
	char lab[16], hb[32];

	CW = CW_NARROW;
	pw = CW - ML - MR;
	bw = pw / PURGE_DAYS;
	purges(r, d);
	fprintf(f, "<svg id=\"chart-upcoming-purges\" class=\"chart\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"Upcoming purges\">\n", CW, CH);
	for (int i = 0; i < PURGE_DAYS; i++)
		if (d[i].purge_bytes > max)
			max = d[i].purge_bytes;
	max = nice_max(max, 1);
	axis_y(f, max, 1);
	for (int i = 0; i < PURGE_DAYS; i++) {
		double x = ML + bw * i + bw * 0.15, w = bw * 0.7;
		double h = ph * (double)d[i].purge_bytes / (double)max;
		if (d[i].purge_count) {
			human(d[i].purge_bytes, hb, sizeof(hb));
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"purge\">"
				"<title>%llu points, %s</title></rect>\n"
				"<text x=\"%.1f\" y=\"%.1f\" class=\"bl\">%llu</text>\n", x, MT + ph - h, w,
				h < 1 ? 1 : h, (unsigned long long)d[i].purge_count, hb, x + w / 2,
				MT + ph - h - 4, (unsigned long long)d[i].purge_count);
		}
		if (i % 2 == 0) {
			day(d[i].day, lab, sizeof(lab));
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xl\">%s</text>\n", x + w / 2,
				CH - MB + 18, lab + 5);
		}
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" class=\"purge\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"lg\">bytes purged that day (figures: recovery points)</text>\n",
		ML + 10, CH - 14, ML + 24, CH - 5);
	fprintf(f, "</svg>\n");
}

const char vreport_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"background:#f1f5f9;color:#0f172a}"
	"header{background:#0f172a;color:#f8fafc;padding:18px 32px}"
	"header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#94a3b8;font-size:13px}"
	"main{padding:20px 32px;max-width:1200px}"
	".cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}"
	".card{flex:1 1 0;background:#fff;border-radius:8px;padding:12px 16px;min-width:110px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	".card b{display:block;font-size:22px}.card span{font-size:12px;color:#64748b}"
	".grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}"
	"section{background:#fff;border-radius:8px;padding:14px 18px;margin-bottom:16px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	"h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}"
	"svg.chart{width:100%;height:auto}"
	"svg .grid{stroke:#e2e8f0;stroke-width:1}"
	"svg text{font-size:11px;fill:#475569}svg .yl{text-anchor:end}svg .xl{text-anchor:middle}"
	"svg .xl.xs{text-anchor:start}svg .xl.xe{text-anchor:end}"
	"svg .bl{text-anchor:middle;font-weight:600;fill:#9a3412}"
	"svg .ok{fill:#22c55e}svg .bad{fill:#ef4444}svg .purge{fill:#f97316}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th{text-align:left;color:#64748b;font-weight:600;border-bottom:2px solid #e2e8f0;padding:6px}"
	"td{border-bottom:1px solid #f1f5f9;padding:6px}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".tag{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:600}"
	".t-ok{background:#dcfce7;color:#166534}.t-bad{background:#fee2e2;color:#991b1b}"
	".t-warn{background:#ffedd5;color:#9a3412}.t-info{background:#e0e7ff;color:#3730a3}"
	".muted{color:#64748b}p.muted{font-size:12px;margin:0 0 8px;font-family:ui-monospace,monospace}";

static void tag(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<span class=\"tag %s\">", cls);
	esc(f, s);
	fprintf(f, "</span>");
}

static void body(FILE *f, const struct rep *r);

static int html(const struct rep *r, const char *path)
{
	char tmp[4096], a[40], b[40];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkstemp(tmp)) < 0)
		return -errno;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return -errno;
	}
	(void)fchmod(fd, 0644);
	vg_time_iso(r->now, "never", a, sizeof(a));
	vg_time_iso(r->since, "never", b, sizeof(b));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>vaultgate report %s</title><style>%s</style></head><body>\n", a, vreport_css);
	fprintf(f, "<header><h1>vaultgate backup report</h1><p>generated %s &middot; jobs since %s"
		"</p></header><main>\n", a, b);
	body(f, r);
	fprintf(f, "</main></body></html>\n");
	if (fflush(f) || fsync(fd) || ferror(f)) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

/* Everything inside <main>: cards, the three charts, a section per vault,
 * the recent jobs. The file and the console (vreport_body) share it. */
static void body(FILE *f, const struct rep *r)
{
	char a[40], b[40], s1[32], s2[32];
	uint64_t tp = 0, ts = 0, tsd = 0, jok = 0, jbad = 0;

	for (size_t i = 0; i < r->ni; i++) {
		tp += r->it[i].points;
		ts += r->it[i].stored;
		tsd += r->it[i].soft_deleted;
	}
	for (size_t i = 0; i < r->nj; i++)
		*(strcmp(r->j[i].result, "ok") == 0 ? &jok : &jbad) += 1;
	human(ts, s1, sizeof(s1));
	human(tsd, s2, sizeof(s2));
	fprintf(f, "<div class=\"cards\"><div class=\"card\"><b>%zu</b><span>vaults</span></div>"
		"<div class=\"card\"><b>%zu</b><span>protected items</span></div>"
		"<div class=\"card\"><b>%llu</b><span>recovery points</span></div>"
		"<div class=\"card\"><b>%s</b><span>stored</span></div>"
		"<div class=\"card\"><b>%s</b><span>soft-deleted</span></div>"
		"<div class=\"card\"><b>%llu</b><span>jobs succeeded</span></div>"
		"<div class=\"card\"><b>%llu</b><span>jobs failed</span></div></div>\n",
		r->nv, r->ni, (unsigned long long)tp, s1, s2, (unsigned long long)jok,
		(unsigned long long)jbad);
	fprintf(f, "<section><h2>Stored bytes over time</h2>\n");
	chart_stored(f, r);
	fprintf(f, "</section>\n<div class=\"grid2\"><section><h2>Jobs per day</h2>\n");
	chart_jobs(f, r);
	fprintf(f, "</section><section><h2>Upcoming purges (next %d days)</h2>\n", PURGE_DAYS);
	chart_purges(f, r);
	fprintf(f, "</section></div>\n");
	for (size_t i = 0; i < r->nv; i++) {
		const struct rvault *v = &r->v[i];
		fprintf(f, "<section><h2>Vault ");
		esc(f, v->name);
		fprintf(f, " ");
		tag(f, strcmp(v->state, "active") == 0 ? "t-ok" : "t-warn", v->state);
		fprintf(f, " ");
		tag(f, strcmp(v->key_state, "ok") == 0 ? "t-info" : "t-bad",
			strcmp(v->key_state, "ok") == 0 ? (strncmp(v->key, "pkcs11:", 7) == 0 ?
				"customer-managed key" : "platform key") : "key unavailable");
		if (strcmp(v->encryption, "double") == 0) {
			fprintf(f, " ");
			tag(f, "t-info", "double encryption");
		}
		fprintf(f, "</h2><p class=\"muted\">key ");
		esc(f, v->key);
		fprintf(f, "</p><table><tr><th>item</th><th>kind</th><th>state</th><th>points</th>"
			"<th>stored</th><th>soft-deleted</th><th>last success</th><th>last failure</th>"
			"<th>backups ok/failed</th><th>restores ok/failed</th></tr>\n");
		for (size_t j = 0; j < r->ni; j++) {
			const struct ritem *it = &r->it[j];
			int bad = it->last_failure && it->last_failure >= it->last_success;
			if (strcmp(it->vault, v->name) != 0)
				continue;
			vg_time_iso(it->last_success, "never", a, sizeof(a));
			vg_time_iso(it->last_failure, "never", b, sizeof(b));
			human(it->stored, s1, sizeof(s1));
			human(it->soft_deleted, s2, sizeof(s2));
			fprintf(f, "<tr><td>");
			esc(f, it->name);
			fprintf(f, "</td><td>");
			esc(f, it->kind);
			fprintf(f, "</td><td>");
			tag(f, strcmp(it->state, "protected") == 0 ? "t-ok" : "t-warn", it->state);
			fprintf(f, "</td><td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%s"
				"</td><td>%s</td><td>", (unsigned long long)it->points, s1, s2, a);
			if (it->last_failure)
				tag(f, bad ? "t-bad" : "t-warn", b);
			else
				fprintf(f, "<span class=\"muted\">never</span>");
			fprintf(f, "</td><td class=\"n\">%llu / %llu</td><td class=\"n\">%llu / %llu</td></tr>\n",
				(unsigned long long)it->jobs[0][0], (unsigned long long)it->jobs[0][1],
				(unsigned long long)it->jobs[1][0], (unsigned long long)it->jobs[1][1]);
		}
		fprintf(f, "</table></section>\n");
	}
	fprintf(f, "<section><h2>Recent jobs</h2><table><tr><th>time</th><th>vault</th><th>item</th>"
		"<th>job</th><th>result</th><th>bytes</th><th>detail</th></tr>\n");
	for (size_t i = r->nj > 25 ? r->nj - 25 : 0; i < r->nj; i++) {
		const struct rjob *j = &r->j[r->nj - 1 - (i - (r->nj > 25 ? r->nj - 25 : 0))];
		vg_time_iso(j->time, "never", a, sizeof(a));
		human(j->bytes, s1, sizeof(s1));
		fprintf(f, "<tr><td>%s</td><td>", a);
		esc(f, j->vault);
		fprintf(f, "</td><td>");
		esc(f, j->item);
		fprintf(f, "</td><td>");
		esc(f, j->kind);
		fprintf(f, "</td><td>");
		tag(f, strcmp(j->result, "ok") == 0 ? "t-ok" : "t-bad", j->result);
		fprintf(f, "</td><td class=\"n\">%s</td><td>", s1);
		esc(f, j->detail);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table></section>\n");
}

int vreport_body(struct vgc *c, const char *vault, uint64_t days, FILE *f)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  /* CW: one chart at a time */
	uint64_t now = (uint64_t)time(NULL);
	struct rep r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = fetch(c, vault, now > days * DAY ? now - days * DAY : 0, &r);
	if (!rc) {
		pthread_mutex_lock(&lock);
		body(f, &r);
		pthread_mutex_unlock(&lock);
	}
	rep_free(&r);
	return rc;
}

int vctl_report(struct vgc *c, int argc, char **argv)
{
	const char *vault = NULL, *html_path = NULL;
	struct rep r;
	uint64_t days = 30;
	int json = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html_path = argv[++i];
		else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
			if (vg_parse_u64(argv[++i], 1, 3660, &days))
				return fail("--days %s: expected 1 to 3660", argv[i]);
		} else if (argv[i][0] != '-' && !vault)
			vault = argv[i];
		else
			return fail("report [VAULT] [--days N] [--json] [--html FILE]");
	}
	memset(&r, 0, sizeof(r));
	{
		uint64_t now = (uint64_t)time(NULL);
		rc = fetch(c, vault, now > days * DAY ? now - days * DAY : 0, &r);
	}
	if (rc) {
		const char *m = *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(rc);
		rep_free(&r);
		return fail("report: %s", m);
	}
	if (html_path && (rc = html(&r, html_path))) {
		rep_free(&r);
		return fail("%s: %s", html_path, vg_strerror(rc));
	}
	if (json) {
		json_t *j = to_json(&r);
		char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	} else if (!html_path) {
		text(&r);
	} else {
		printf("report written to %s\n", html_path);
	}
	rep_free(&r);
	return 0;
}
