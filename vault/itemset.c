/* itemset.c - see itemset.h. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "core_int.h"
#include "itemset.h"
#include "missed.h"
#include "quota.h"
#include "vg_err.h"

#define WHY(...) ((void)(why && whysz ? snprintf(why, whysz, __VA_ARGS__) : 0))

int vitemset_parse_duration(const char *s, uint64_t *secs)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = {{0, 1}, {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	char num[24];
	size_t n = 0;
	uint64_t v;

	if (strcmp(s, "none") == 0) {
		*secs = 0;
		return 0;
	}
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(num) || (s[n] && s[n + 1]))
		return VG_EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (vg_parse_u64(num, 0, 1000000000ull, &v))
		return VG_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n] == units[i].unit) {
			*secs = v * units[i].mult;
			return 0;
		}
	return VG_EINVAL;
}

/* One row: parses value, stores it inside txn, and writes its normal
 * form into norm (for the audit entry). */
typedef int (*apply_fn)(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	const char *value, char *norm, size_t normsz, char *why, size_t whysz);

static int set_quota(struct vcore *c, MDB_txn *txn, const struct vr_item *it, const char *value,
	char *norm, size_t normsz, char *why, size_t whysz)
{
	uint64_t bytes;

	if (vquota_parse_bytes(value, &bytes)) {
		WHY("quota %s: expected a byte count (1048576, 512K, 10M, 2G, 1T) or none", value);
		return VG_EINVAL;
	}
	snprintf(norm, normsz, "%llu", (unsigned long long)bytes);
	return vquota_put(c, txn, 'i', it->id, bytes);
}

static int set_expect(struct vcore *c, MDB_txn *txn, const struct vr_item *it, const char *value,
	char *norm, size_t normsz, char *why, size_t whysz)
{
	uint64_t secs;

	if (vitemset_parse_duration(value, &secs) || (secs && secs < 60) ||
	    secs > 366ull * 86400) {
		WHY("expect-every %s: expected a duration from 1m to 366d (90m, 6h, 1d, 2w) or none",
			value);
		return VG_EINVAL;
	}
	snprintf(norm, normsz, "%llus", (unsigned long long)secs);
	return vmissed_put(c, txn, it->id, secs);
}

static const struct row {
	const char *name;
	apply_fn apply;
} rows[] = {
	{"quota", set_quota},
	{"expect-every", set_expect},
};

static const struct row *find(const char *setting)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].name, setting) == 0)
			return &rows[i];
	return NULL;
}

int vitemset_apply(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *setting, const char *value, char *why, size_t whysz)
{
	const struct row *row = find(setting);
	struct vr_vault v;
	struct vr_item it;
	char norm[64] = "", reason[160], target[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 2];
	MDB_txn *txn;
	int r;

	if (!row) {
		char names[200] = "";
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				i ? ", " : "", rows[i].name);
		WHY("unknown item setting %s (%s)", setting, names);
		return VG_EINVAL;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &v, &it)) ||
	    (r = row->apply(c, txn, &it, value, norm, sizeof(norm), why, whysz)))
		goto fail;
	snprintf(target, sizeof(target), "%s/%s", vault, item);
	snprintf(reason, sizeof(reason), "%s=%s", setting, norm);
	if ((r = vcore_audit_txn(c, txn, who, "item.set", target, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}
