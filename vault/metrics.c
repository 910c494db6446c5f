/* metrics.c - see metrics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "metrics.h"
#include "missed.h"
#include "quota.h"
#include "scrub.h"
#include "stats.h"
#include "vg_err.h"

#define FW_DROPS_KEY "fw_drops_total"

/* A label value with \, " and newline escaped (names follow a grammar that
 * excludes them, but the format is not ours to trust). */
static void label(struct vg_wr *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			vg_wr_printf(w, "\\%c", *s);
		else if (*s == '\n')
			vg_wr_printf(w, "\\n");
		else
			vg_wr_bytes(w, s, 1);
	}
}

static void head(struct vg_wr *w, const char *name, const char *type, const char *help)
{
	vg_wr_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t meta_u64(struct vcore *c, MDB_txn *txn, const char *key)
{
	MDB_val v;

	if (vdb_get(c->db, txn, VDB_META, key, strlen(key), &v) == 0 && v.mv_size == 8)
		return vg_get_u64(v.mv_data);
	return 0;
}

int vmetrics_count(struct vcore *c, const char *key, uint64_t n)
{
	uint8_t b[8];
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	vg_put_u64(b, meta_u64(c, txn, key) + n);
	if ((r = vdb_put(c->db, txn, VDB_META, key, strlen(key), b, 8, false))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

/* Counters kept in meta: alerts by name, jobs by vault/kind/result, drops. */
static int counters(struct vcore *c, struct vg_wr *w)
{
	static const char jp[] = "jobs_total/";
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	const char *sev, *name;
	char key[80];
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	head(w, "vaultgate_alerts_total", "counter", "Alerts raised, by name and severity.");
	for (int i = 0; (name = valert_name_at(i, &sev)); i++) {
		snprintf(key, sizeof(key), "alerts_total/%s", name);
		vg_wr_printf(w, "vaultgate_alerts_total{name=\"%s\",severity=\"%s\"} %llu\n", name, sev,
			(unsigned long long)meta_u64(c, txn, key));
	}
	head(w, "vaultgate_jobs_total", "counter", "Backup and restore jobs, by vault, kind and result.");
	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, jp, sizeof(jp) - 1, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, jp, sizeof(jp) - 1, &k, &v, false)) {
		char buf[200], *vault, *kind, *result;
		size_t n = k.mv_size - (sizeof(jp) - 1);
		if (n >= sizeof(buf) || v.mv_size != 8)
			continue;
		memcpy(buf, (char *)k.mv_data + sizeof(jp) - 1, n);
		buf[n] = 0;
		vault = buf;
		if (!(kind = strchr(vault, '/')) || !(result = strchr(kind + 1, '/')))
			continue;
		*kind++ = 0;
		*result++ = 0;
		vg_wr_printf(w, "vaultgate_jobs_total{vault=\"");
		label(w, vault);
		vg_wr_printf(w, "\",kind=\"%s\",result=\"%s\"} %llu\n", kind, result,
			(unsigned long long)vg_get_u64(v.mv_data));
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
	head(w, "vaultgate_firewall_drops_total", "counter",
		"Packets the private endpoint's firewall dropped, as reported by vaultnet.");
	vg_wr_printf(w, "vaultgate_firewall_drops_total %llu\n",
		(unsigned long long)meta_u64(c, txn, FW_DROPS_KEY));
	head(w, "vaultgate_alert_outbox_dropped_total", "counter",
		"Alerts dropped from a full webhook outbox.");
	vg_wr_printf(w, "vaultgate_alert_outbox_dropped_total %llu\n",
		(unsigned long long)meta_u64(c, txn, "outbox_dropped"));
out:
	vdb_abort(txn);
	return r;
}

static void item_labels(struct vg_wr *w, const struct vstats *st, const struct vstats_item *it)
{
	vg_wr_printf(w, "{vault=\"");
	label(w, st->vaults[it->vault].name);
	vg_wr_printf(w, "\",item=\"");
	label(w, it->name);
	vg_wr_printf(w, "\"}");
}

/* Issue 14: quotas and their usage, the disk floor, missed backups, scrubs. */
static void watch_gauges(struct vcore *c, const struct vstats *st, struct vg_wr *w)
{
	struct vscrub_progress sp;
	uint64_t free_b = 0;
	MDB_txn *txn;

	head(w, "vaultgate_item_last_backup_timestamp_seconds", "gauge",
		"Unix time of the item's last successful backup, 0 if none yet (every item).");
	for (size_t j = 0; j < st->nitems; j++) {
		vg_wr_printf(w, "vaultgate_item_last_backup_timestamp_seconds");
		item_labels(w, st, &st->items[j]);
		vg_wr_printf(w, " %llu\n", (unsigned long long)st->items[j].it.last_success);
	}
	if (vdb_begin(c->db, false, &txn) == 0) {
		head(w, "vaultgate_item_expect_every_seconds", "gauge",
			"The item's expected backup interval (item set expect-every).");
		for (size_t j = 0; j < st->nitems; j++) {
			uint64_t e = 0;
			if (vmissed_get(c, txn, st->items[j].it.id, &e) || !e)
				continue;
			vg_wr_printf(w, "vaultgate_item_expect_every_seconds");
			item_labels(w, st, &st->items[j]);
			vg_wr_printf(w, " %llu\n", (unsigned long long)e);
		}
		head(w, "vaultgate_item_backup_missed", "gauge",
			"1 while the item's expected backup is missed (until the next success).");
		for (size_t j = 0; j < st->nitems; j++) {
			uint64_t e = 0;
			if (vmissed_get(c, txn, st->items[j].it.id, &e) || !e)
				continue;
			vg_wr_printf(w, "vaultgate_item_backup_missed");
			item_labels(w, st, &st->items[j]);
			vg_wr_printf(w, " %d\n", vmissed_is_missed(c, txn, st->items[j].it.id));
		}
		/* One group per family: values first, then the two families. */
		{
			size_t n = st->nvaults + st->nitems;
			uint64_t *q = calloc(n ? n : 1, sizeof(*q)), *u = calloc(n ? n : 1, sizeof(*u));
			for (size_t i = 0; q && u && i < n; i++) {
				int item = i >= st->nvaults;
				uint64_t id = item ? st->items[i - st->nvaults].it.id : st->vaults[i].v.id;
				if (vquota_get(c, txn, item ? 'i' : 'v', id, &q[i]) || !q[i] ||
				    (item ? vquota_item_usage(c, txn, id, &u[i]) :
					    vquota_vault_usage(c, txn, id, &u[i])))
					q[i] = 0;
			}
			for (int f = 0; q && u && f < 2; f++) {
				const char *fam = f ? "vaultgate_quota_used_bytes" : "vaultgate_quota_bytes";
				head(w, fam, "gauge", f ? "Bytes counted against the quota: every stored "
					"object, any state." : "Quota of a vault (item=\"\") or an item.");
				for (size_t i = 0; i < n; i++) {
					if (!q[i])
						continue;
					vg_wr_printf(w, "%s", fam);
					if (i >= st->nvaults) {
						item_labels(w, st, &st->items[i - st->nvaults]);
					} else {
						vg_wr_printf(w, "{vault=\"");
						label(w, st->vaults[i].name);
						vg_wr_printf(w, "\",item=\"\"}");
					}
					vg_wr_printf(w, " %llu\n", (unsigned long long)(f ? u[i] : q[i]));
				}
			}
			free(q);
			free(u);
		}
		vdb_abort(txn);
	}
	(void)vs_free_bytes(c->store, &free_b);
	head(w, "vaultgate_disk_free_bytes", "gauge", "Free bytes on the blob store's disk.");
	vg_wr_printf(w, "vaultgate_disk_free_bytes %llu\n", (unsigned long long)free_b);
	head(w, "vaultgate_disk_floor_bytes", "gauge",
		"Below this much free space new uploads are refused (vaultd --disk-floor).");
	vg_wr_printf(w, "vaultgate_disk_floor_bytes %llu\n", (unsigned long long)vquota_floor());
	vscrub_progress(&sp);
	head(w, "vaultgate_scrub_running", "gauge", "1 while a scrub runs.");
	vg_wr_printf(w, "vaultgate_scrub_running %d\n", sp.running);
	head(w, "vaultgate_scrub_objects_done", "gauge", "Objects checked by the current or last scrub.");
	vg_wr_printf(w, "vaultgate_scrub_objects_done %llu\n", (unsigned long long)sp.objects_done);
	head(w, "vaultgate_scrub_objects", "gauge", "Objects the current or last scrub set out to check.");
	vg_wr_printf(w, "vaultgate_scrub_objects %llu\n", (unsigned long long)sp.objects_total);
	head(w, "vaultgate_scrub_bytes_done", "gauge", "Bytes checked by the current or last scrub.");
	vg_wr_printf(w, "vaultgate_scrub_bytes_done %llu\n", (unsigned long long)sp.bytes_done);
	head(w, "vaultgate_scrub_bytes", "gauge", "Bytes the current or last scrub set out to check.");
	vg_wr_printf(w, "vaultgate_scrub_bytes %llu\n", (unsigned long long)sp.bytes_total);
	head(w, "vaultgate_scrub_runs_total", "counter", "Scrubs completed since vaultd started.");
	vg_wr_printf(w, "vaultgate_scrub_runs_total %llu\n", (unsigned long long)sp.runs);
	head(w, "vaultgate_scrub_damaged_objects_total", "counter",
		"Damaged objects found by scrubs since vaultd started.");
	vg_wr_printf(w, "vaultgate_scrub_damaged_objects_total %llu\n",
		(unsigned long long)sp.damaged_total);
	head(w, "vaultgate_scrub_last_completion_timestamp_seconds", "gauge",
		"Unix time the last scrub ended (0: none since vaultd started).");
	vg_wr_printf(w, "vaultgate_scrub_last_completion_timestamp_seconds %llu\n",
		(unsigned long long)sp.last_end);
}

static void gauges(struct vcore *c, const struct vstats *st, struct vg_wr *w)
{
	uint64_t now = vault_now(), pending = 0;

	head(w, "vaultgate_vaults", "gauge", "Vaults, including soft-deleted ones.");
	vg_wr_printf(w, "vaultgate_vaults %zu\n", st->nvaults);
	head(w, "vaultgate_vault_key_available", "gauge",
		"1 if the vault's keys worked at their last use, 0 if the vault is sealed.");
	for (size_t i = 0; i < st->nvaults; i++) {
		vg_wr_printf(w, "vaultgate_vault_key_available{vault=\"");
		label(w, st->vaults[i].name);
		vg_wr_printf(w, "\",key=\"");
		label(w, st->vaults[i].v.keyref);
		vg_wr_printf(w, "\"} %d\n", vcore_key_sealed(c, st->vaults[i].v.id) ? 0 : 1);
	}
	head(w, "vaultgate_items", "gauge", "Protected items per vault.");
	for (size_t i = 0; i < st->nvaults; i++) {
		size_t n = 0;
		for (size_t j = 0; j < st->nitems; j++)
			n += st->items[j].vault == i;
		vg_wr_printf(w, "vaultgate_items{vault=\"");
		label(w, st->vaults[i].name);
		vg_wr_printf(w, "\"} %zu\n", n);
	}
#define PER_ITEM(name, type, help, field)                                   \
	head(w, name, type, help);                                          \
	for (size_t j = 0; j < st->nitems; j++) {                           \
		vg_wr_printf(w, "%s", name);                                \
		item_labels(w, st, &st->items[j]);                          \
		vg_wr_printf(w, " %llu\n", (unsigned long long)(field));    \
	}
	PER_ITEM("vaultgate_recovery_points", "gauge", "Active recovery points per item.",
		st->items[j].points)
	PER_ITEM("vaultgate_stored_bytes", "gauge", "Bytes of active recovery points per item.",
		st->items[j].stored)
	PER_ITEM("vaultgate_soft_deleted_bytes", "gauge", "Bytes awaiting purge per item.",
		st->items[j].soft_deleted)
#undef PER_ITEM
	head(w, "vaultgate_last_backup_timestamp_seconds", "gauge",
		"Unix time of the item's last successful backup.");
	for (size_t j = 0; j < st->nitems; j++)
		if (st->items[j].it.last_success) {
			vg_wr_printf(w, "vaultgate_last_backup_timestamp_seconds");
			item_labels(w, st, &st->items[j]);
			vg_wr_printf(w, " %llu\n", (unsigned long long)st->items[j].it.last_success);
		}
	head(w, "vaultgate_last_backup_age_seconds", "gauge",
		"Seconds since the item's last successful backup.");
	for (size_t j = 0; j < st->nitems; j++)
		if (st->items[j].it.last_success) {
			uint64_t t = st->items[j].it.last_success;
			vg_wr_printf(w, "vaultgate_last_backup_age_seconds");
			item_labels(w, st, &st->items[j]);
			vg_wr_printf(w, " %llu\n", (unsigned long long)(now > t ? now - t : 0));
		}
	watch_gauges(c, st, w);
	(void)valert_outbox_pending(c, &pending);
	head(w, "vaultgate_alert_outbox_pending", "gauge", "Alerts waiting for webhook delivery.");
	vg_wr_printf(w, "vaultgate_alert_outbox_pending %llu\n", (unsigned long long)pending);
}

int vmetrics_render(struct vcore *c, struct vg_wr *out)
{
	struct vstats st;
	int r;

	if ((r = vstats_collect(c, NULL, false, &st)))
		return r;
	if (!(r = counters(c, out))) {
		gauges(c, &st, out);
		r = out->err;
	}
	vstats_free(&st);
	return r;
}
