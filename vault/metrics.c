/* metrics.c - see metrics.h. */
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "metrics.h"
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
