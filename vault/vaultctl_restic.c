/* vaultctl_restic.c - see vaultctl_restic.h.
 *
 *   restic deleted VAULT ITEM [--json]
 *       one soft-deleted file a line: name, size, deleted at, purge at,
 *       lock until ("-" if none), deleted by
 *   restic undelete VAULT ITEM (--all | --since TIME | NAME...)
 *       TIME: unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "ops.h"
#include "vaultctl_restic.h"
#include "vg_err.h"

static int fail(const char *what, struct vgc *c, int r)
{
	const char *msg = c && *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r);

	fprintf(stderr, "vaultctl: %s: %s\n", what, msg);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: vaultctl restic deleted VAULT ITEM [--json]\n"
			"       vaultctl restic undelete VAULT ITEM (--all | --since TIME | NAME...)\n");
	return 2;
}

/* Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, all UTC. */
static int parse_time(const char *s, uint64_t *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	if (vg_parse_u64(s, 0, UINT64_MAX / 2, out) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end)
			return VG_EINVAL;
	}
	if ((t = timegm(&tm)) < 0)
		return VG_EINVAL;
	*out = (uint64_t)t;
	return 0;
}

static int deleted(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r, json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc != 2 && !json)
		return usage();
	w = vgc_req(c, VG_OP_RESTIC_DELETED);
	vg_msgb_str(w, VG_TAG_VAULT, argv[0]);
	vg_msgb_str(w, VG_TAG_ITEM, argv[1]);
	if ((r = vgc_call(c, &m)))
		return fail(argv[1], c, r);
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char name[256] = "", by[130] = "", del[32], purge[32], lock[32];
		uint64_t size = 0, dt = 0, pt = 0, lt = 0;
		vg_msg_str(&m, VG_TAG_OBJECT, name, sizeof(name));
		vg_msg_str(&m, VG_TAG_PRINCIPAL, by, sizeof(by));
		vg_msg_u64(&m, VG_TAG_SIZE, &size);
		vg_msg_u64(&m, VG_TAG_TIME, &dt);
		vg_msg_u64(&m, VG_TAG_TIME2, &pt);
		vg_msg_u64(&m, VG_TAG_OFFSET, &lt);
		vg_time_iso(dt, "-", del, sizeof(del));
		vg_time_iso(pt, "-", purge, sizeof(purge));
		vg_time_iso(lt, "-", lock, sizeof(lock));
		if (json) {
			json_t *o = json_pack("{s:s,s:I,s:s,s:I,s:s,s:I,s:s,s:I,s:s}", "name", name,
				"size", (json_int_t)size, "deleted_at", del, "deleted_unix",
				(json_int_t)dt, "purge_at", purge, "purge_unix", (json_int_t)pt,
				"lock_until", lock, "lock_until_unix", (json_int_t)lt, "deleted_by", by);
			char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
			if (js)
				puts(js);
			free(js);
			json_decref(o);
		} else {
			printf("%s\t%llu bytes\tdeleted=%s\tpurge_at=%s\tlock_until=%s\tby=%s\n", name,
				(unsigned long long)size, del, purge, lock, by);
		}
	}
	return r ? fail("restic deleted", c, r) : 0;
}

static int undelete_one(struct vgc *c, const char *vault, const char *item, const char *name,
	uint64_t since, uint64_t *total)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_RESTIC_UNDELETE);
	uint64_t n = 0;
	int r;

	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	if (name)
		vg_msgb_str(w, VG_TAG_OBJECT, name);
	else
		vg_msgb_u64(w, VG_TAG_TIME, since);
	if ((r = vgc_call(c, &m)))
		return fail(name ? name : item, c, r);
	(void)vg_msg_u64(&m, VG_TAG_COUNT, &n);
	*total += n;
	return 0;
}

static int undelete(struct vgc *c, int argc, char **argv)
{
	uint64_t since = 0, total = 0;
	int rc = 0;

	if (argc < 3)
		return usage();
	if (strcmp(argv[2], "--all") == 0 || strcmp(argv[2], "--since") == 0) {
		if (argv[2][2] == 'a' ? argc != 3 : argc != 4)
			return usage();
		if (argc == 4 && (parse_time(argv[3], &since) || since == 0)) {
			fprintf(stderr, "vaultctl: --since %s: expected unix seconds, YYYY-MM-DD or "
					"YYYY-MM-DDTHH:MM:SSZ\n", argv[3]);
			return 2;
		}
		rc = undelete_one(c, argv[0], argv[1], NULL, since, &total);
	} else {
		for (int i = 2; i < argc; i++)
			rc |= undelete_one(c, argv[0], argv[1], argv[i], 0, &total);
	}
	printf("%llu restic files restored in %s/%s\n", (unsigned long long)total, argv[0], argv[1]);
	return rc;
}

int vctl_restic(struct vgc *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "deleted") == 0)
		return deleted(c, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "undelete") == 0)
		return undelete(c, argc - 1, argv + 1);
	return usage();
}
