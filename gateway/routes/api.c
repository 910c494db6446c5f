/* api.c - see api.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "body.h"
#include "buf.h"
#include "fetch.h"
#include "names.h"
#include "api.h"
#include "proxy.h"
#include "reply.h"
#include "router.h"
#include "vg_err.h"

#define MAX_SEGS 10
#define POINT_ID_LEN 16

struct api_path {
	int n;
	char seg[MAX_SEGS][VG_OBJECT_NAME_MAX + 1];
};

/* The names a request addresses, each checked against its grammar. */
struct api_target {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char point[POINT_ID_LEN + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
};

/* "/v1/a/b" -> {"v1","a","b"}. No empty segments, no '%'. */
static int split_path(const char *path, struct api_path *p)
{
	const char *s = path;

	memset(p, 0, sizeof(*p));
	if (*s != '/')
		return VG_ENAME;
	while (*s == '/') {
		const char *e = strchr(s + 1, '/');
		size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
		if (n == 0) {
			if (!e && p->n > 0)
				return 0;  /* a trailing slash */
			return VG_ENAME;
		}
		if (p->n == MAX_SEGS || n > VG_OBJECT_NAME_MAX || memchr(s + 1, '%', n))
			return VG_ENAME;
		memcpy(p->seg[p->n], s + 1, n);
		p->seg[p->n++][n] = 0;
		if (!e)
			break;
		s = e;
	}
	return 0;
}

static bool point_ok(const char *s)
{
	return vg_hexid_check(s, POINT_ID_LEN) == 0;
}

/* ---- vaultd fields -> JSON ----------------------------------------------- */

enum jt { J_SKIP = 0, J_STR, J_U64, J_U32, J_HEX };

static const struct {
	const char *key;
	enum jt type;
} tag_json[VG_TAG_MAX + 1] = {
	[VG_TAG_VAULT] = {"vault", J_STR},
	[VG_TAG_ITEM] = {"item", J_STR},
	[VG_TAG_POINT] = {"point", J_STR},
	[VG_TAG_OBJECT] = {"object", J_STR},
	[VG_TAG_SIZE] = {"size", J_U64},
	[VG_TAG_OFFSET] = {"offset", J_U64},
	[VG_TAG_LENGTH] = {"length", J_U64},
	[VG_TAG_SHA256] = {"sha256", J_HEX},
	[VG_TAG_TIME] = {"time", J_U64},
	[VG_TAG_STATE] = {"state", J_STR},
	[VG_TAG_PEER] = {"peer", J_STR},
	[VG_TAG_SEQ] = {"seq", J_U64},
	[VG_TAG_PRINCIPAL] = {"principal", J_STR},
	[VG_TAG_OPNAME] = {"op", J_STR},
	[VG_TAG_TARGET] = {"target", J_STR},
	[VG_TAG_RESULT] = {"result", J_STR},
	[VG_TAG_REASON] = {"reason", J_STR},
	[VG_TAG_HASH] = {"hash", J_HEX},
	[VG_TAG_COUNT] = {"count", J_U64},
	[VG_TAG_FLAGS] = {"flags", J_U32},
	[VG_TAG_NAME] = {"name", J_STR},
	[VG_TAG_VALUE] = {"value", J_STR},
	[VG_TAG_ROLE] = {"role", J_STR},
	[VG_TAG_KIND] = {"kind", J_STR},
	[VG_TAG_TIME2] = {"time2", J_U64},
	[VG_TAG_ID] = {"id", J_STR},
	[VG_TAG_SIZE2] = {"size2", J_U64},
	[VG_TAG_GRANT] = {"grant", J_STR},
	[VG_TAG_DETAIL] = {"detail", J_STR},
	/* never: STATUS, MESSAGE, OP, VERSION, CREDIT, AUTH_*, TOKEN, PIN */
};

/* Per-route names for the generic keys. */
struct rename {
	const char *from, *to;
};

/* How one kind of vaultd row reads in JSON: its renames, then the names
 * added beside the old ones (issue 20: /v1 only grows; api.yaml marks the
 * old names deprecated), then a kind-specific touch. */
struct view {
	const struct rename *rn;      /* replaces a key */
	const struct rename *alias;   /* adds `to` with the value of `from` */
	void (*dec)(json_t *o);
};

static const struct rename vault_names[] = {
	{"vault", "name"}, {"time", "created"}, {"kind", "key"}, {NULL, NULL}};
static const struct rename item_names[] = {
	{"item", "name"}, {"time", "created"}, {"time2", "last_success"}, {NULL, NULL}};
static const struct rename point_names[] = {
	{"point", "id"}, {"time", "committed"}, {"time2", "expiry"}, {"size", "bytes"},
	{"count", "objects"}, {NULL, NULL}};
static const struct rename object_names[] = {
	{"object", "name"}, {"time", "created"}, {"offset", "lock_until"}, {NULL, NULL}};
static const struct rename restic_deleted_names[] = {
	{"object", "name"}, {"time", "deleted_at"}, {"time2", "purge_at"},
	{"offset", "lock_until"}, {"principal", "deleted_by"}, {NULL, NULL}};
static const struct rename pending_names[] = {
	{"name", "what"}, {"value", "to"}, {"reason", "from"}, {"principal", "requested_by"},
	{"time", "requested_at"}, {"time2", "effective_at"}, {"kind", "alert"}, {NULL, NULL}};

/* A running job (VG_OP_JOB_RUNNING): its progress in bytes. */
static const struct rename job_names[] = {
	{"size", "bytes_done"}, {"size2", "bytes_total"}, {"time", "started"}, {NULL, NULL}};

static const struct rename alert_alias[] = {{"state", "severity"}, {NULL, NULL}};
static const struct rename policy_alias[] = {{"value", "retention"}, {NULL, NULL}};
static const struct rename mua_alias[] = {
	{"op", "operation"}, {"name", "guard"}, {"time", "requested_at"}, {"time2", "expires"},
	{NULL, NULL}};
/* What a change answers (VAULT_SET, *_DELETE, ITEM_SET_POLICY, ...):
 * time2 is when it takes effect or is purged. */
static const struct rename outcome_alias[] = {{"time2", "effective_at"}, {NULL, NULL}};
static const struct rename delete_alias[] = {{"time2", "purge_at"}, {NULL, NULL}};
/* An item delete's time2 reads as last_success under item_names (kept for
 * /v1; it is the purge time). */
static const struct rename item_delete_alias[] = {{"last_success", "purge_at"}, {NULL, NULL}};

static void dec_vault(json_t *o);
static void dec_report(json_t *o);
static void dec_mua(json_t *o);

static const struct view vault_view = {vault_names, NULL, dec_vault};
static const struct view item_view = {item_names, NULL, NULL};
static const struct view point_view = {point_names, NULL, NULL};
static void dec_lock(json_t *o);
static const struct view object_view = {object_names, NULL, dec_lock};
static const struct view restic_deleted_view = {restic_deleted_names, NULL, dec_lock};
static const struct view pending_view = {pending_names, NULL, NULL};
static const struct view alert_view = {NULL, alert_alias, NULL};
static const struct view policy_view = {NULL, policy_alias, NULL};
static const struct view mua_view = {NULL, mua_alias, dec_mua};
static const struct view report_view = {NULL, NULL, dec_report};
static const struct view outcome_view = {NULL, outcome_alias, NULL};
static const struct view delete_view = {NULL, delete_alias, NULL};
static const struct view plain_view = {NULL, NULL, NULL};
static const struct view audit_view = {NULL, NULL, NULL};
static const struct view job_view = {job_names, NULL, NULL};

static bool is_time_tag(uint16_t tag)
{
	return tag == VG_TAG_TIME || tag == VG_TAG_TIME2;
}

/* KEY (Unix seconds) gets KEY_unix (the same integer) and KEY_iso (ISO
 * 8601 UTC, or null for 0: never) beside it; an event's `time` gets `unix`
 * and `time_iso`. These are the names vaultctl --json and the webhook use
 * for the integer (where KEY itself is the ISO string, as it will be in
 * /v2). */
static void add_iso(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char name[64], ts[32];
	time_t t;
	struct tm tm;

	if (!v || !json_is_integer(v) || snprintf(name, sizeof(name), "%s_unix", key) >= (int)sizeof(name))
		return;
	json_object_set_new(o, strcmp(key, "time") == 0 ? "unix" : name,
		json_integer(json_integer_value(v)));
	snprintf(name, sizeof(name), "%s_iso", key);
	t = (time_t)json_integer_value(v);
	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		json_object_set_new(o, name, json_null());
		return;
	}
	json_object_set_new(o, name, json_string(ts));
}

static void add_alias(json_t *o, const char *from, const char *to, bool time)
{
	json_t *v = json_object_get(o, from);

	if (!v || json_object_get(o, to))
		return;
	json_object_set(o, to, v);
	if (time)
		add_iso(o, to);
}

static json_t *msg_json(const struct vg_msg *m, const struct view *vw)
{
	const char *times[8];
	size_t ntimes = 0;
	json_t *o = json_object();
	char hex[2 * 64 + 1];

	if (!o)
		return NULL;
	for (uint32_t i = 0; i < m->nfields; i++) {
		const struct vg_field *f = &m->f[i];
		const char *key;
		json_t *val = NULL;
		if (f->tag > VG_TAG_MAX || tag_json[f->tag].type == J_SKIP)
			continue;
		key = tag_json[f->tag].key;
		for (const struct rename *r = vw ? vw->rn : NULL; r && r->from; r++)
			if (strcmp(r->from, key) == 0)
				key = r->to;
		switch (tag_json[f->tag].type) {
		case J_STR:
			val = json_stringn((const char *)f->val, f->len);
			break;
		case J_U64:
			if (f->len == 8)
				val = json_integer((json_int_t)vg_get_u64(f->val));
			break;
		case J_U32:
			if (f->len == 4)
				val = json_integer((json_int_t)vg_get_u32(f->val));
			break;
		case J_HEX:
			if (f->len <= 64) {
				vg_hex(hex, f->val, f->len);
				val = json_string(hex);
			}
			break;
		case J_SKIP:
			break;
		}
		if (val) {
			json_object_set_new(o, key, val);
			if (is_time_tag(f->tag) && ntimes < 8)
				times[ntimes++] = key;
		}
	}
	/* New names go after the old ones: a client reading the old keys in
	 * order sees them as before. */
	for (size_t i = 0; i < ntimes; i++)
		add_iso(o, times[i]);
	for (const struct rename *r = vw ? vw->alias : NULL; r && r->from; r++) {
		bool time = false;
		for (size_t i = 0; i < ntimes; i++)
			time |= strcmp(times[i], r->from) == 0;
		add_alias(o, r->from, r->to, time);
	}
	if (vw && vw->dec)
		vw->dec(o);
	return o;
}

/* A vault's settings as fields, besides the `detail` string vaultd sends
 * ("soft-delete=on/30d immutability=disabled guard=- key=local
 * encryption=single key-state=ok"; a report's vault row has the last three). */
static void dec_vault(json_t *o)
{
	const char *d = json_string_value(json_object_get(o, "detail"));
	char buf[512], *save = NULL;

	if (!d || strlen(d) >= sizeof(buf))
		return;
	strcpy(buf, d);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		if (strcmp(tok, "soft-delete") == 0) {
			char *slash = strchr(eq, '/');
			unsigned long days;
			if (slash)
				*slash++ = 0;
			json_object_set_new(o, "soft_delete", json_string(eq));
			if (slash && sscanf(slash, "%lud", &days) == 1)
				json_object_set_new(o, "soft_delete_days", json_integer((json_int_t)days));
		} else if (strcmp(tok, "guard") == 0) {
			json_object_set_new(o, "guard", strcmp(eq, "-") == 0 ? json_null() : json_string(eq));
		} else if (strcmp(tok, "immutability") == 0 || strcmp(tok, "encryption") == 0 ||
			   strcmp(tok, "key-state") == 0 || strcmp(tok, "key") == 0) {
			char k[32];
			snprintf(k, sizeof(k), "%s", tok);
			for (char *c = k; *c; c++)
				if (*c == '-')
					*c = '_';
			if (strcmp(k, "key") != 0 || !json_object_get(o, "key"))
				json_object_set_new(o, k, json_string(eq));
		}
	}
}

/* A restic retention lock's end (Unix seconds) also as ISO 8601. */
static void dec_lock(json_t *o)
{
	add_iso(o, "lock_until");
}

/* A guard request: the names it is posted with (vault, operation, target)
 * and its guard; the vault is the first part of the target. */
static void dec_mua(json_t *o)
{
	const char *t = json_string_value(json_object_get(o, "target"));
	const char *slash;

	if (!t || json_object_get(o, "vault"))
		return;
	slash = strchr(t, '/');
	json_object_set_new(o, "vault", slash ? json_stringn(t, (size_t)(slash - t)) : json_string(t));
}

/* Report rows (VG_OP_REPORT, told apart by kind): named fields beside
 * count/size/size2/time/time2. */
static void dec_report(json_t *o)
{
	static const struct {
		const char *kind;
		struct rename al[6];
	} by_kind[] = {
		{"item", {{"count", "points"}, {"size", "stored_bytes"}, {"size2", "soft_deleted_bytes"},
			{"time", "last_success"}, {"time2", "last_failure"}, {NULL, NULL}}},
		{"point", {{"point", "id"}, {"time", "committed"}, {"size", "bytes"}, {NULL, NULL}}},
		{"job", {{"name", "job"}, {"size", "bytes"}, {NULL, NULL}}},
	};
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *state = json_string_value(json_object_get(o, "state"));

	if (!kind)
		return;
	if (strcmp(kind, "vault") == 0) {
		dec_vault(o);
		return;
	}
	for (size_t i = 0; i < sizeof(by_kind) / sizeof(by_kind[0]); i++) {
		if (strcmp(kind, by_kind[i].kind) != 0)
			continue;
		for (const struct rename *r = by_kind[i].al; r->from; r++)
			add_alias(o, r->from, r->to, strncmp(r->from, "time", 4) == 0);
	}
	if (strcmp(kind, "point") == 0)
		add_alias(o, "time2", state && strcmp(state, "soft-deleted") == 0 ? "purge_at" : "expiry",
			true);
}

static int send_json(struct gw_rctx *x, int status, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r;

	json_decref(o);
	if (!s)
		return gw_reply_error(x, 500, "internal", "out of memory");
	r = gw_reply_full(x, status, "application/json", s, strlen(s), NULL);
	free(s);
	return r;
}

/* A list: RESP already OK; ROW frames -> a JSON array, streamed chunked.
 * filter (may be NULL): keep only rows whose key equals value. */
static bool row_matches(json_t *o, const char *fkey, const char *fval, bool prefix)
{
	json_t *k = json_object_get(o, fkey);
	const char *s;
	size_t n = strlen(fval);

	if (!k || !json_is_string(k))
		return false;
	s = json_string_value(k);
	if (strcmp(s, fval) == 0)
		return true;
	return prefix && strncmp(s, fval, n) == 0 && s[n] == '/';
}

static void stream_rows(struct gw_rctx *x, struct vgc *v, const struct view *rn,
	const char *fkey, const char *fval, bool single, bool prefix)
{
	struct vg_msg m;
	bool first = true;
	json_t *found = NULL;
	int r;

	if (!single && (gw_reply_begin(x, 200, "application/json", -1, NULL) ||
			       gw_reply_data(x, "[", 1))) {
		x->link_bad = true;
		return;
	}
	while ((r = vgc_stream_next(v, &m)) == 1) {
		json_t *o;
		char *s;
		if (m.type != VG_F_ROW) {
			r = VG_EPROTO;
			break;
		}
		if (!(o = msg_json(&m, rn))) {
			r = -ENOMEM;
			break;
		}
		if (fkey && !row_matches(o, fkey, fval, prefix)) {
			json_decref(o);
			continue;
		}
		if (single) {
			if (!found)
				found = o;
			else
				json_decref(o);
			continue;
		}
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (!s) {
			r = -ENOMEM;
			break;
		}
		if ((!first && gw_reply_data(x, ",", 1)) || gw_reply_data(x, s, strlen(s))) {
			free(s);
			x->link_bad = true;
			return;
		}
		free(s);
		first = false;
	}
	if (r) {
		if (gw_link_failed(v, r) || r == VG_EPROTO || r == -ENOMEM)
			x->link_bad = true;
		json_decref(found);
		if (single && !x->head_sent) {
			gw_reply_op_error(x, v, r);
			return;
		}
		x->aborted = true;
		gw_metrics_add(GW_C_STREAM_ABORT, 1);
		return;
	}
	if (single) {
		if (!found)
			gw_reply_error(x, 404, "not-found", "%s not found", fval);
		else
			send_json(x, 200, found);
		return;
	}
	if (gw_reply_data(x, "]", 1) == 0)
		gw_reply_end(x);
}

/* JSON request bodies: an object, at most max_body_json bytes. */
static json_t *read_json(struct gw_rctx *x)
{
	size_t cap = x->srv->cfg->max_body_json, len;
	json_error_t je;
	json_t *o;
	int r;

	if (x->req->body == GW_BODY_LENGTH && x->req->content_length > cap) {
		gw_reply_error(x, 413, "too-big", "JSON bodies may be at most %zu bytes", cap);
		return NULL;
	}
	if ((r = gw_body_read_all(x, x->io, cap < x->iocap ? cap : x->iocap, &len))) {
		if (r == VG_ETOOBIG)
			gw_reply_error(x, 413, "too-big", "JSON bodies may be at most %zu bytes", cap);
		else if (r == VG_EPROTO)
			gw_reply_error(x, 400, "bad-request", "malformed chunked body");
		else
			x->aborted = true;
		return NULL;
	}
	o = json_loadb((const char *)x->io, len, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid", "body is not a JSON object: %s",
			o ? "not an object" : je.text);
		return NULL;
	}
	return o;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- handlers --------------------------------------------------------------- */

/* Starts a vaultd request, with the MUA grant and the security PIN the
 * client sent (X-Vaultgate-Grant, X-Vaultgate-Pin), if any. */
static struct vg_wr *req(struct gw_rctx *x, struct vgc *v, uint32_t op)
{
	struct vg_wr *w = vgc_req(v, op);

	if (x->req->grant[0])
		vg_msgb_str(w, VG_TAG_GRANT, x->req->grant);
	if (x->req->pin[0])
		vg_msgb_str(w, VG_TAG_PIN, x->req->pin);
	return w;
}

static void add_names(struct vg_wr *w, const struct api_target *t, unsigned need)
{
	if (need & 1)
		vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	if (need & 2)
		vg_msgb_str(w, VG_TAG_ITEM, t->item);
	if (need & 4)
		vg_msgb_str(w, VG_TAG_POINT, t->point);
}

static void call_list(struct gw_rctx *x, struct vgc *v, uint32_t op, const struct api_target *t,
	unsigned need, const struct view *rn, const char *fkey, const char *fval, bool single,
	uint32_t flags, uint64_t seq, bool prefix)
{
	struct vg_msg m;
	struct vg_wr *w = req(x, v, op);
	int r;

	add_names(w, t, need);
	if (flags)
		vg_msgb_u32(w, VG_TAG_FLAGS, flags);
	if (seq)
		vg_msgb_u64(w, VG_TAG_SEQ, seq);
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	stream_rows(x, v, rn, fkey, fval, single, prefix);
}

/* Runs the request built on v and keeps the ROW whose key equals val (as
 * the view names it): 0 with *out (NULL when no row matched), or an error. */
static int find_row(struct vgc *v, const struct view *vw, const char *key, const char *val,
	json_t **out)
{
	struct vg_msg m;
	int r;

	*out = NULL;
	if ((r = vgc_call(v, &m)))
		return r;
	while ((r = vgc_stream_next(v, &m)) == 1) {
		json_t *o;
		if (m.type != VG_F_ROW)
			return VG_EPROTO;
		if (!(o = msg_json(&m, vw)))
			continue;
		if (!*out && row_matches(o, key, val, false))
			*out = o;
		else
			json_decref(o);
	}
	return r;
}

/* The vault as GET /v1/vaults/V shows it: its fields, its settings as
 * fields, and its weakening changes still in their cooling-off (SPEC §11)
 * under "pending". */
static int vault_json(struct vgc *v, const char *vault, json_t **out)
{
	struct vg_msg m;
	json_t *o, *pend;
	int r;

	*out = NULL;
	vg_msgb_str(vgc_req(v, VG_OP_VAULT_GET), VG_TAG_VAULT, vault);
	if ((r = vgc_call(v, &m)))
		return r;
	if (!(o = msg_json(&m, &vault_view)) || !(pend = json_array())) {
		json_decref(o);
		return -ENOMEM;
	}
	json_object_set_new(o, "pending", pend);
	vg_msgb_str(vgc_req(v, VG_OP_PENDING_LIST), VG_TAG_VAULT, vault);
	if ((r = vgc_call(v, &m))) {
		json_decref(o);
		return r;
	}
	while ((r = vgc_stream_next(v, &m)) == 1) {
		if (m.type != VG_F_ROW) {
			r = VG_EPROTO;
			break;
		}
		json_array_append_new(pend, msg_json(&m, &pending_view));
	}
	if (r) {
		json_decref(o);
		return r == VG_EPROTO ? r : VG_ECLOSED;
	}
	*out = o;
	return 0;
}

static void vault_get(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o;
	int r = vault_json(v, t->vault, &o);

	if (r == VG_EPROTO || r == VG_ECLOSED) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd broke off the pending list");
	} else if (r) {
		gw_reply_op_error(x, v, r);
	} else {
		send_json(x, 200, o);
	}
}

/* The resource a change leaves behind, read back after it (issue 20: a
 * mutation answers the resource as it now is). */
enum res { RES_NONE = 0, RES_VAULT, RES_ITEM, RES_POLICY, RES_REQUEST, RES_POINT };

static int res_json(struct gw_rctx *x, struct vgc *v, enum res kind, const struct api_target *t,
	const char *name, json_t **out)
{
	struct vg_wr *w;

	/* Read without the request's grant or PIN: reading needs neither, and
	 * a grant is for the change it was approved for. */
	(void)x;
	*out = NULL;
	switch (kind) {
	case RES_VAULT:
		return vault_json(v, t->vault, out);
	case RES_ITEM:
		w = vgc_req(v, VG_OP_ITEM_LIST);
		vg_msgb_str(w, VG_TAG_VAULT, t->vault);
		return find_row(v, &item_view, "name", t->item, out);
	case RES_POLICY:
		w = vgc_req(v, VG_OP_POLICY_LIST);
		vg_msgb_str(w, VG_TAG_VAULT, t->vault);
		return find_row(v, &policy_view, "name", name, out);
	case RES_REQUEST:
		(void)vgc_req(v, VG_OP_MUA_LIST);
		return find_row(v, &mua_view, "id", name, out);
	case RES_POINT:
		w = vgc_req(v, VG_OP_POINT_LIST);
		add_names(w, t, 3);
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);  /* soft-deleted ones too */
		return find_row(v, &point_view, "id", t->point, out);
	case RES_NONE:
		break;
	}
	return 0;
}

static const char *const res_key[] = {
	[RES_VAULT] = "vault", [RES_ITEM] = "item", [RES_POLICY] = "policy",
	[RES_REQUEST] = "request", [RES_POINT] = "point"};

/* The resource read back into o under its kind's name, when it can be. */
static void attach_res(struct gw_rctx *x, struct vgc *v, json_t *o, enum res kind,
	const struct api_target *t)
{
	json_t *res = NULL;
	int r;

	if (!o)
		return;
	r = res_json(x, v, kind, t, NULL, &res);
	if (r && (gw_link_failed(v, r) || r == VG_EPROTO || r == VG_ECLOSED))
		x->link_bad = true;
	if (res)
		json_object_set_new(o, res_key[kind], res);
}

/* finish(), with the resource read back under its kind's name ("vault",
 * "item", "policy", "request") beside what vaultd said the change did. A
 * resource that can no longer be read (a deleted vault) is left out. */
static void finish_res(struct gw_rctx *x, struct vgc *v, int status, const struct view *vw,
	enum res kind, const struct api_target *t, const char *name)
{
	struct vg_msg m;
	json_t *o, *res = NULL;
	int r;

	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (!(o = msg_json(&m, vw))) {
		gw_reply_error(x, 500, "internal", "out of memory");
		return;
	}
	if (!name && kind == RES_REQUEST)
		name = json_string_value(json_object_get(o, "id"));
	if (name || kind != RES_REQUEST) {
		r = res_json(x, v, kind, t, name, &res);
		if (r && (gw_link_failed(v, r) || r == VG_EPROTO || r == VG_ECLOSED))
			x->link_bad = true;
		if (res)
			json_object_set_new(o, res_key[kind], res);
	}
	send_json(x, status, o);
}

static void vault_create(struct gw_rctx *x, struct vgc *v)
{
	json_t *o = read_json(x);
	const char *name;
	struct vg_msg m;
	int r;

	if (!o)
		return;
	name = json_str(o, "name");
	if (!name || vg_name_check(name, VG_VAULT_NAME_MAX)) {
		json_decref(o);
		gw_reply_error(x, 400, "bad-name", "\"name\" must be a valid vault name");
		return;
	}
	vg_msgb_str(req(x, v, VG_OP_VAULT_CREATE), VG_TAG_VAULT, name);
	if ((r = vgc_call(v, &m))) {
		json_decref(o);
		gw_reply_op_error(x, v, r);
		return;
	}
	{
		json_t *res;
		struct api_target t = {0};
		snprintf(t.vault, sizeof(t.vault), "%s", name);
		r = res_json(x, v, RES_VAULT, &t, NULL, &res);
		if (r && (gw_link_failed(v, r) || r == VG_EPROTO || r == VG_ECLOSED))
			x->link_bad = true;
		send_json(x, 201, res ? res : json_pack("{s:s}", "name", name));
	}
	json_decref(o);
}

static void item_create(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o = read_json(x);
	const char *name, *kind;
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (!o)
		return;
	name = json_str(o, "name");
	kind = json_str(o, "kind");
	if (!name || vg_name_check(name, VG_ITEM_NAME_MAX) ||
	    (kind && vg_name_check(kind, 32))) {
		json_decref(o);
		gw_reply_error(x, 400, "bad-name",
			"\"name\" must be a valid item name, \"kind\" a short word");
		return;
	}
	w = req(x, v, VG_OP_ITEM_CREATE);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_ITEM, name);
	if (kind)
		vg_msgb_str(w, VG_TAG_KIND, kind);
	if ((r = vgc_call(v, &m))) {
		json_decref(o);
		gw_reply_op_error(x, v, r);
		return;
	}
	{
		json_t *out = json_pack("{s:s, s:s, s:s}", "vault", t->vault, "name", name, "kind",
			kind ? kind : "files"), *res;
		struct api_target it = *t;
		snprintf(it.item, sizeof(it.item), "%s", name);
		r = res_json(x, v, RES_ITEM, &it, NULL, &res);
		if (r && (gw_link_failed(v, r) || r == VG_EPROTO || r == VG_ECLOSED))
			x->link_bad = true;
		if (out && res)
			json_object_update_missing(out, res);
		json_decref(res);
		send_json(x, 201, out);
	}
	json_decref(o);
}

static void point_begin(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	char point[POINT_ID_LEN + 1];
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	w = req(x, v, VG_OP_POINT_BEGIN);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_ITEM, t->item);
	vg_msgb_u32(w, VG_TAG_FLAGS, 1);  /* detached: HTTP requests span links */
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (vg_msg_str(&m, VG_TAG_POINT, point, sizeof(point)) || !point_ok(point)) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd sent no point id");
		return;
	}
	send_json(x, 201, json_pack("{s:s, s:s, s:s}", "vault", t->vault, "item", t->item,
				 "point", point));
}

static void point_op(struct gw_rctx *x, struct vgc *v, const struct api_target *t, uint32_t op)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	w = req(x, v, op);
	add_names(w, t, 7);
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (op == VG_OP_POINT_DELETE) {
		/* What vaultd did, not what it was asked (SPEC §2). */
		char state[32], detail[200];
		uint64_t until = 0;
		if (vg_msg_str(&m, VG_TAG_STATE, state, sizeof(state)) ||
		    vg_msg_str(&m, VG_TAG_DETAIL, detail, sizeof(detail))) {
			x->link_bad = true;
			gw_reply_error(x, 502, "protocol", "vaultd did not say what the delete did");
			return;
		}
		(void)vg_msg_u64(&m, VG_TAG_TIME2, &until);
		{
			json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "id", t->point, "state", state,
				"result", detail, "purge_at", (json_int_t)until);
			if (o)
				add_iso(o, "purge_at");
			attach_res(x, v, o, RES_POINT, t);
			send_json(x, 200, o);
		}
		return;
	}
	if (op != VG_OP_POINT_COMMIT) {
		json_t *o = json_pack("{s:s, s:s}", "id", t->point, "state",
			op == VG_OP_POINT_ABORT ? "aborted" : "active");
		if (o && op == VG_OP_POINT_UNDELETE)
			attach_res(x, v, o, RES_POINT, t);
		send_json(x, 200, o);
		return;
	}
	send_json(x, 200, msg_json(&m, &point_view));
}

static void object_put(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	uint64_t max = x->srv->cfg->max_body_object;
	char shahex[80];
	uint8_t sha[32];
	struct vg_msg m;
	struct vg_wr *w;
	bool link_ok;
	int st, q;

	if (x->req->body == GW_BODY_NONE) {
		gw_reply_error(x, 411, "invalid", "an upload needs Content-Length or chunked encoding");
		return;
	}
	if (x->req->body == GW_BODY_LENGTH && x->req->content_length > max) {
		gw_reply_error(x, 413, "too-big", "objects may be at most %llu bytes",
			(unsigned long long)max);
		return;
	}
	q = gw_query_get(x->req->query, "sha256", shahex, sizeof(shahex));
	if (q < 0 || (q == 1 && (strlen(shahex) != 64 || vg_unhex(sha, sizeof(sha), shahex)))) {
		gw_reply_error(x, 400, "invalid", "sha256 must be 64 hex digits");
		return;
	}
	w = req(x, v, VG_OP_OBJECT_PUT);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_ITEM, t->item);
	vg_msgb_str(w, VG_TAG_POINT, t->point);
	vg_msgb_str(w, VG_TAG_OBJECT, t->object);
	if (q == 1)
		vg_msgb_bytes(w, VG_TAG_SHA256, sha, sizeof(sha));
	if (x->req->body == GW_BODY_LENGTH)
		vg_msgb_u64(w, VG_TAG_SIZE, x->req->content_length);
	enum gw_up_result res = gw_proxy_upload(x, v, max, &m, &st, &link_ok);
	if (gw_upload_transport_failed(x, res, st, link_ok))
		return;
	switch (res) {
	case GW_UP_OK:
		x->link_bad = !link_ok;
		{
			json_t *o = msg_json(&m, &object_view);
			if (o)
				json_object_set_new(o, "name", json_string(t->object));
			send_json(x, 201, o);
		}
		return;
	case GW_UP_CLIENT:
	case GW_UP_LINK:
		return;  /* answered above */
	case GW_UP_REFUSED:
		x->link_bad = !link_ok;
		if (st == VG_ETOOBIG)
			gw_reply_error(x, 413, "too-big", "objects may be at most %llu bytes",
				(unsigned long long)max);
		else
			gw_reply_op_error(x, v, st);
		return;
	}
}

static void object_target(struct gw_rctx *x, struct vg_wr *w, const void *arg)
{
	const struct api_target *t = arg;

	(void)x;
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_ITEM, t->item);
	vg_msgb_str(w, VG_TAG_POINT, t->point);
	vg_msgb_str(w, VG_TAG_OBJECT, t->object);
}

/* PATCH /v1/vaults/V: exactly one setting per request, so that a refusal
 * (immutability, a guard) never leaves half a change behind. */
static const struct {
	const char *json, *setting;
} vault_settings[] = {
	{"soft_delete", "soft-delete"},
	{"soft_delete_days", "soft-delete-days"},
	{"immutability", "immutability"},
	{"guard", "guard"},
};

static void vault_set(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o = read_json(x), *val;
	const char *key, *setting = NULL;
	char value[64];
	struct vg_wr *w;

	if (!o)
		return;
	if (json_object_size(o) != 1) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid", "PATCH one setting at a time");
		return;
	}
	json_object_foreach(o, key, val) {
		for (size_t i = 0; i < sizeof(vault_settings) / sizeof(vault_settings[0]); i++)
			if (strcmp(key, vault_settings[i].json) == 0)
				setting = vault_settings[i].setting;
		if (json_is_string(val) && strlen(json_string_value(val)) < sizeof(value))
			strcpy(value, json_string_value(val));
		else if (json_is_integer(val) && json_integer_value(val) >= 0)
			snprintf(value, sizeof(value), "%lld", (long long)json_integer_value(val));
		else
			setting = NULL;
	}
	json_decref(o);
	if (!setting) {
		gw_reply_error(x, 400, "invalid",
			"settings: soft_delete, soft_delete_days, immutability, guard");
		return;
	}
	w = req(x, v, VG_OP_VAULT_SET);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_NAME, setting);
	vg_msgb_str(w, VG_TAG_VALUE, value);
	finish_res(x, v, 200, &outcome_view, RES_VAULT, t, NULL);
}

static void item_policy(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o = read_json(x);
	const char *policy;
	struct vg_wr *w;

	if (!o)
		return;
	policy = json_str(o, "policy");
	if (!policy || json_object_size(o) != 1 || vg_name_check(policy, 64)) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid", "PATCH an item with {\"policy\": NAME}");
		return;
	}
	w = req(x, v, VG_OP_ITEM_SET_POLICY);
	add_names(w, t, 3);
	vg_msgb_str(w, VG_TAG_NAME, policy);
	json_decref(o);
	finish_res(x, v, 200, &outcome_view, RES_ITEM, t, NULL);
}

static void policy_set(struct gw_rctx *x, struct vgc *v, const struct api_target *t,
	const char *name)
{
	json_t *o = read_json(x);
	const char *spec;
	struct vg_wr *w;

	if (!o)
		return;
	spec = json_str(o, "retention");
	if (!spec || json_object_size(o) != 1 || strlen(spec) > 256) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid",
			"PUT a policy with {\"retention\": \"daily=D[,weekly=W][,monthly=M][,yearly=Y]\"}");
		return;
	}
	w = req(x, v, VG_OP_POLICY_SET);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_NAME, name);
	vg_msgb_str(w, VG_TAG_VALUE, spec);
	json_decref(o);
	finish_res(x, v, 200, &outcome_view, RES_POLICY, t, name);
}

static void pin_generate(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	char pin[32];
	uint64_t expires = 0;
	struct vg_msg m;
	int r;

	vg_msgb_str(req(x, v, VG_OP_PIN_GENERATE), VG_TAG_VAULT, t->vault);
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (vg_msg_str(&m, VG_TAG_PIN, pin, sizeof(pin))) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd sent no PIN");
		return;
	}
	(void)vg_msg_u64(&m, VG_TAG_TIME2, &expires);
	/* Shown once, to its requester; never logged. */
	{
		json_t *o = json_pack("{s:s, s:s, s:I}", "vault", t->vault, "pin", pin, "expires",
			(json_int_t)expires);
		if (o)
			add_iso(o, "expires");
		send_json(x, 201, o);
	}
	OPENSSL_cleanse(pin, sizeof(pin));
}

static void mua_request(struct gw_rctx *x, struct vgc *v)
{
	json_t *o = read_json(x);
	const char *vault, *op, *target;
	struct vg_wr *w;

	if (!o)
		return;
	vault = json_str(o, "vault");
	op = json_str(o, "operation");
	target = json_str(o, "target");
	if (!vault || !op || !target || vg_name_check(vault, VG_VAULT_NAME_MAX) ||
	    vg_name_check(op, 63) || strlen(target) > 500) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid",
			"a request needs {\"vault\", \"operation\", \"target\"}");
		return;
	}
	w = req(x, v, VG_OP_MUA_REQUEST);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_OPNAME, op);
	vg_msgb_str(w, VG_TAG_TARGET, target);
	json_decref(o);
	finish_res(x, v, 201, &plain_view, RES_REQUEST, NULL, NULL);
}

static void mua_approve(struct gw_rctx *x, struct vgc *v, const char *id, bool deny)
{
	json_t *o = NULL, *win;
	struct vg_wr *w;

	if (!deny && !x->body_done) {
		if (!(o = read_json(x)))
			return;
		win = json_object_get(o, "window");
		if (win && (!json_is_integer(win) || json_integer_value(win) <= 0)) {
			json_decref(o);
			gw_reply_error(x, 400, "invalid", "\"window\" is a number of seconds");
			return;
		}
	}
	w = req(x, v, VG_OP_MUA_APPROVE);
	vg_msgb_str(w, VG_TAG_ID, id);
	if (o && (win = json_object_get(o, "window")))
		vg_msgb_u64(w, VG_TAG_SIZE, (uint64_t)json_integer_value(win));
	if (deny)
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	json_decref(o);
	finish_res(x, v, 200, &plain_view, RES_REQUEST, NULL, id);
}

/* PUT /v1/vaults/V/key {"kind": "cmk"|"platform", "name": LABEL}: moves or
 * rotates the key that wraps the vault's data key (SPEC §4). */
static void vault_key(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o = read_json(x);
	const char *kind, *name;
	struct vg_wr *w;

	if (!o)
		return;
	kind = json_str(o, "kind");
	name = json_str(o, "name");
	if (!kind || (strcmp(kind, "cmk") != 0 && strcmp(kind, "platform") != 0) ||
	    (name && (strlen(name) == 0 || strlen(name) > 128))) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid", "a key is {\"kind\": \"cmk\"|\"platform\", \"name\": LABEL}");
		return;
	}
	w = req(x, v, VG_OP_VAULT_KEY);
	vg_msgb_str(w, VG_TAG_VAULT, t->vault);
	vg_msgb_str(w, VG_TAG_KIND, kind);
	if (name)
		vg_msgb_str(w, VG_TAG_NAME, name);
	json_decref(o);
	finish_res(x, v, 200, &outcome_view, RES_VAULT, t, NULL);
}

/* POST /v1/vaults/V/items/I/restic/undelete with {"all": true},
 * {"since": UNIX} or {"names": ["TYPE:ID", ...]}: soft-deleted restic
 * files back (SPEC §10). vaultd decides who may (Contributor, Owner). */
static int restic_undelete_one(struct gw_rctx *x, struct vgc *v, const struct api_target *t,
	const char *name, uint64_t since, uint64_t *total)
{
	struct vg_wr *w = req(x, v, VG_OP_RESTIC_UNDELETE);
	struct vg_msg m;
	uint64_t n = 0;
	int r;

	add_names(w, t, 3);
	if (name)
		vg_msgb_str(w, VG_TAG_OBJECT, name);
	else
		vg_msgb_u64(w, VG_TAG_TIME, since);
	if ((r = vgc_call(v, &m))) {
		gw_reply_op_error(x, v, r);
		return r;
	}
	(void)vg_msg_u64(&m, VG_TAG_COUNT, &n);
	*total += n;
	return 0;
}

static void restic_undelete(struct gw_rctx *x, struct vgc *v, const struct api_target *t)
{
	json_t *o = read_json(x), *all, *since, *names;
	uint64_t total = 0;
	size_t i;

	if (!o)
		return;
	all = json_object_get(o, "all");
	since = json_object_get(o, "since");
	names = json_object_get(o, "names");
	if (json_object_size(o) != 1 || (all && !json_is_true(all)) ||
	    (since && (!json_is_integer(since) || json_integer_value(since) <= 0)) ||
	    (names && (!json_is_array(names) || json_array_size(names) == 0 ||
			      json_array_size(names) > 1000))) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid", "POST {\"all\": true}, {\"since\": UNIX} or "
			"{\"names\": [\"TYPE:ID\", ...]}");
		return;
	}
	if (names) {
		json_t *e;
		json_array_foreach(names, i, e) {
			if (!json_is_string(e) || vg_name_check(json_string_value(e), VG_OBJECT_NAME_MAX)) {
				json_decref(o);
				gw_reply_error(x, 400, "bad-name", "names must be restic file names");
				return;
			}
		}
		json_array_foreach(names, i, e)
			if (restic_undelete_one(x, v, t, json_string_value(e), 0, &total)) {
				json_decref(o);
				return;
			}
	} else if (restic_undelete_one(x, v, t, NULL,
			   since ? (uint64_t)json_integer_value(since) : 0, &total)) {
		json_decref(o);
		return;
	}
	json_decref(o);
	send_json(x, 200, json_pack("{s:I}", "restored", (json_int_t)total));
}

static void whoami(struct gw_rctx *x)
{
	send_json(x, 200, json_pack("{s:s, s:s}", "principal", x->c->principal, "kind",
				 x->c->kind[0] ? x->c->kind : "unknown"));
}

/* POST /v1/agents/activate {"agent": NAME, "registration_token": TOKEN}
 * -> 200 {"agent", "token"}: the one route that takes no credential. The
 * registration token is the credential; vaultd checks it (expiry, single
 * use, its limits per source and per agent, enrol.h) and audits every
 * attempt. A refusal also takes a token from this source's failed-attempt
 * bucket, which answers 429 before vaultd is asked once it is empty. */
static void agent_activate(struct gw_rctx *x)
{
	char name[VG_PRINCIPAL_NAME_MAX + 1], reg[300], tok[300];
	const char *a, *t;
	struct vg_msg m;
	struct vg_wr *w;
	struct vgc *v;
	json_t *o;
	int r;

	if (!(o = read_json(x)))
		return;
	OPENSSL_cleanse(x->io, x->iocap);
	a = json_str(o, "agent");
	t = json_str(o, "registration_token");
	if (!a || !t || vg_name_check(a, VG_PRINCIPAL_NAME_MAX) || strlen(t) == 0 ||
	    strlen(t) >= sizeof(reg) || json_object_size(o) != 2) {
		json_decref(o);
		gw_reply_error(x, 400, "invalid",
			"expected {\"agent\": NAME, \"registration_token\": TOKEN} and nothing else");
		return;
	}
	snprintf(name, sizeof(name), "%s", a);
	snprintf(reg, sizeof(reg), "%s", t);
	json_decref(o);
	if (gw_vaultd_open_anon(x, &v)) {
		OPENSSL_cleanse(reg, sizeof(reg));
		return;
	}
	w = vgc_req(v, VG_OP_AGENT_ACTIVATE);
	vg_msgb_str(w, VG_TAG_NAME, name);
	vg_msgb_str(w, VG_TAG_TOKEN, reg);
	OPENSSL_cleanse(reg, sizeof(reg));
	r = vgc_call(v, &m);
	/* The request frame held the registration token. */
	OPENSSL_cleanse(w->p, w->cap);
	if (r) {
		gw_reply_op_error(x, v, r);   /* VG_EAUTH takes a token from the bucket */
	} else if (vg_msg_str(&m, VG_TAG_TOKEN, tok, sizeof(tok))) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd sent no token");
	} else {
		send_json(x, 200, json_pack("{s:s, s:s}", "agent", name, "token", tok));
		OPENSSL_cleanse(tok, sizeof(tok));
	}
	gw_vaultd_close(x, v);
}

/* ---- dispatch ----------------------------------------------------------------- */

enum api_op {
	A_NONE = 0, A_WHOAMI, A_AUDIT, A_VAULTS, A_VAULT_NEW, A_VAULT, A_VAULT_SET,
	A_VAULT_DELETE, A_VAULT_UNDELETE, A_PIN, A_ALERTS, A_VAULT_AUDIT, A_POLICIES,
	A_POLICY_SET, A_ITEMS, A_ITEM_NEW, A_ITEM, A_ITEM_POLICY, A_ITEM_STOP, A_ITEM_UNDELETE,
	A_ITEM_RESUME, A_POINTS, A_POINT_NEW, A_POINT, A_POINT_DELETE, A_POINT_UNDELETE,
	A_POINT_ABORT, A_COMMIT, A_OBJECTS, A_OBJ_PUT, A_OBJ_GET, A_MUA_LIST, A_MUA_REQUEST,
	A_MUA_APPROVE, A_MUA_DENY, A_VAULT_KEY, A_REPORT, A_VAULT_REPORT, A_AGENT_ACTIVATE,
	A_RESTIC_DELETED, A_RESTIC_UNDELETE, A_JOBS,
};

/* The native API's routes: one row per (method, path pattern). A segment
 * in braces is a name, checked against its grammar (param_ok); anything
 * else is literal. This table is the router: gateway/api.yaml must list
 * exactly these (tests/integration/gateway/test_api_schema.sh compares
 * them both ways). Keep one row per line, in this form. */
static const struct api_route {
	enum gw_method method;
	const char *path;
	enum api_op op;
} api_routes[] = {
	{GW_M_GET, "/v1/whoami", A_WHOAMI},
	{GW_M_GET, "/v1/audit", A_AUDIT},
	{GW_M_GET, "/v1/report", A_REPORT},
	{GW_M_GET, "/v1/jobs", A_JOBS},
	{GW_M_POST, "/v1/agents/activate", A_AGENT_ACTIVATE},
	{GW_M_GET, "/v1/guards/{guard}/requests", A_MUA_LIST},
	{GW_M_POST, "/v1/guards/{guard}/requests", A_MUA_REQUEST},
	{GW_M_POST, "/v1/guards/{guard}/requests/{request}/approve", A_MUA_APPROVE},
	{GW_M_POST, "/v1/guards/{guard}/requests/{request}/deny", A_MUA_DENY},
	{GW_M_GET, "/v1/vaults", A_VAULTS},
	{GW_M_POST, "/v1/vaults", A_VAULT_NEW},
	{GW_M_GET, "/v1/vaults/{vault}", A_VAULT},
	{GW_M_PATCH, "/v1/vaults/{vault}", A_VAULT_SET},
	{GW_M_DELETE, "/v1/vaults/{vault}", A_VAULT_DELETE},
	{GW_M_POST, "/v1/vaults/{vault}/undelete", A_VAULT_UNDELETE},
	{GW_M_POST, "/v1/vaults/{vault}/pin", A_PIN},
	{GW_M_GET, "/v1/vaults/{vault}/alerts", A_ALERTS},
	{GW_M_GET, "/v1/vaults/{vault}/audit", A_VAULT_AUDIT},
	{GW_M_GET, "/v1/vaults/{vault}/report", A_VAULT_REPORT},
	{GW_M_GET, "/v1/vaults/{vault}/policies", A_POLICIES},
	{GW_M_PUT, "/v1/vaults/{vault}/policies/{policy}", A_POLICY_SET},
	{GW_M_PUT, "/v1/vaults/{vault}/key", A_VAULT_KEY},
	{GW_M_GET, "/v1/vaults/{vault}/items", A_ITEMS},
	{GW_M_POST, "/v1/vaults/{vault}/items", A_ITEM_NEW},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}", A_ITEM},
	{GW_M_PATCH, "/v1/vaults/{vault}/items/{item}", A_ITEM_POLICY},
	{GW_M_DELETE, "/v1/vaults/{vault}/items/{item}", A_ITEM_STOP},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/undelete", A_ITEM_UNDELETE},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/resume", A_ITEM_RESUME},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}/restic/deleted", A_RESTIC_DELETED},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/restic/undelete", A_RESTIC_UNDELETE},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}/points", A_POINTS},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/points", A_POINT_NEW},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}/points/{point}", A_POINT},
	{GW_M_DELETE, "/v1/vaults/{vault}/items/{item}/points/{point}", A_POINT_DELETE},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/points/{point}/commit", A_COMMIT},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/points/{point}/abort", A_POINT_ABORT},
	{GW_M_POST, "/v1/vaults/{vault}/items/{item}/points/{point}/undelete", A_POINT_UNDELETE},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}/points/{point}/objects", A_OBJECTS},
	{GW_M_GET, "/v1/vaults/{vault}/items/{item}/points/{point}/objects/{object}", A_OBJ_GET},
	{GW_M_HEAD, "/v1/vaults/{vault}/items/{item}/points/{point}/objects/{object}", A_OBJ_GET},
	{GW_M_PUT, "/v1/vaults/{vault}/items/{item}/points/{point}/objects/{object}", A_OBJ_PUT},
};

/* A path name into its slot of t, if it fits its grammar. */
static bool param_ok(const char *name, const char *s, struct api_target *t)
{
	static const struct {
		const char *name;
		size_t max;       /* 0: a point id */
		size_t slot;      /* offsetof in struct api_target */
	} params[] = {
		{"{vault}", VG_VAULT_NAME_MAX, offsetof(struct api_target, vault)},
		{"{item}", VG_ITEM_NAME_MAX, offsetof(struct api_target, item)},
		{"{point}", 0, offsetof(struct api_target, point)},
		{"{object}", VG_OBJECT_NAME_MAX, offsetof(struct api_target, object)},
		{"{policy}", 64, offsetof(struct api_target, object)},
		{"{guard}", 64, offsetof(struct api_target, object)},
		{"{request}", 63, offsetof(struct api_target, item)},  /* the request id */
	};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strcmp(params[i].name, name) != 0)
			continue;
		if (params[i].max ? vg_name_check(s, params[i].max) != 0 : !point_ok(s))
			return false;
		strcpy((char *)t + params[i].slot, s);
		return true;
	}
	return false;
}

/* Does the pattern have the request's shape (segment count, literals)? */
static bool pattern_matches(const char *pat, const struct api_path *p)
{
	int i = 0;

	for (const char *s = pat + 1; s; i++) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (i >= p->n)
			return false;
		if (s[0] != '{' && (strlen(p->seg[i]) != n || memcmp(p->seg[i], s, n) != 0))
			return false;
		s = e ? e + 1 : NULL;
	}
	return i == p->n;
}

static bool pattern_params(const char *pat, const struct api_path *p, struct api_target *t)
{
	char name[16];
	int i = 0;

	for (const char *s = pat + 1; s; i++) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (s[0] == '{') {
			if (n >= sizeof(name))
				return false;
			memcpy(name, s, n);
			name[n] = 0;
			if (!param_ok(name, p->seg[i], t))
				return false;
		}
		s = e ? e + 1 : NULL;
	}
	return true;
}

/* The metrics label of a path, by how deep it goes. */
static enum gw_route route_label(const struct api_path *p)
{
	if (p->n >= 8 && strcmp(p->seg[7], "objects") == 0)
		return GW_R_API_OBJECTS;
	if (p->n >= 6 && strcmp(p->seg[5], "points") == 0)
		return GW_R_API_POINTS;
	if (p->n >= 4 && strcmp(p->seg[3], "items") == 0)
		return GW_R_API_ITEMS;
	if (p->n >= 2 && strcmp(p->seg[1], "vaults") == 0)
		return GW_R_API_VAULTS;
	return GW_R_API_OTHER;
}

/* Maps (method, path) to an operation through api_routes, or answers
 * itself: 400 for a name outside its grammar, 405 (with Allow) for a
 * path that exists under other methods, 404 for anything else. */
static enum api_op classify(struct gw_rctx *x, const struct api_path *p, struct api_target *t)
{
	char allow[64] = "";
	bool shape = false;

	memset(t, 0, sizeof(*t));
	x->route = route_label(p);
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		const struct api_route *r = &api_routes[i];
		if (!pattern_matches(r->path, p))
			continue;
		if (!shape && !pattern_params(r->path, p, t)) {
			gw_reply_error(x, 400, "bad-name", "a name in the path violates the name grammar");
			return A_NONE;
		}
		shape = true;
		if (r->method == x->req->method)
			return r->op;
		if (strlen(allow) + 10 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				allow[0] ? ", " : "", gw_method_name(r->method));
	}
	if (shape)
		gw_reply_405(x, allow);
	else
		gw_reply_error(x, 404, "not-found", "no such API route");
	return A_NONE;
}

void gw_api_handle(struct gw_rctx *x)
{
	struct api_path p;
	struct api_target t;
	enum api_op op;
	struct vgc *v;
	char buf[32];
	uint64_t seq = 0, since = 0;
	bool takes_body;

	x->route = GW_R_API_OTHER;
	if (split_path(x->req->path, &p) || p.n < 2 || strcmp(p.seg[0], "v1") != 0) {
		gw_reply_error(x, p.n < 2 ? 404 : 400, p.n < 2 ? "not-found" : "bad-name",
			"no such API route");
		return;
	}
	if ((op = classify(x, &p, &t)) == A_NONE)
		return;
	if (op == A_AGENT_ACTIVATE) {
		agent_activate(x);
		return;
	}
	takes_body = op == A_VAULT_NEW || op == A_ITEM_NEW || op == A_OBJ_PUT || op == A_VAULT_SET ||
		op == A_ITEM_POLICY || op == A_POLICY_SET || op == A_MUA_REQUEST ||
		op == A_MUA_APPROVE || op == A_VAULT_KEY || op == A_RESTIC_UNDELETE;
	if ((op == A_REPORT || op == A_VAULT_REPORT) &&
	    gw_query_get(x->req->query, "since", buf, sizeof(buf)) == 1 &&
	    vg_parse_u64(buf, 0, UINT64_MAX, &since)) {
		gw_reply_error(x, 400, "invalid", "since is a unix time");
		return;
	}
	if (!takes_body && gw_no_body(x))
		return;
	if ((op == A_AUDIT || op == A_VAULT_AUDIT || op == A_ALERTS) &&
	    gw_query_get(x->req->query, "from", buf, sizeof(buf)) == 1 &&
	    vg_parse_u64(buf, 1, UINT64_MAX, &seq)) {
		gw_reply_error(x, 400, "invalid", "from must be a sequence number");
		return;
	}
	if (gw_vaultd_open(x, &v))
		return;
	switch (op) {
	case A_WHOAMI: whoami(x); break;
	case A_AUDIT:
		call_list(x, v, VG_OP_AUDIT_EXPORT, &t, 0, &audit_view, NULL, NULL, false, 0, seq, false);
		break;
	case A_VAULT_AUDIT:
		/* vaultd scopes the entries to the vault and checks the caller
		 * owns it (issue 12 item 5); the gateway filters nothing. */
		call_list(x, v, VG_OP_AUDIT_EXPORT, &t, 1, &audit_view, NULL, NULL, false, 0, seq, false);
		break;
	case A_ALERTS:
		call_list(x, v, VG_OP_ALERT_LIST, &t, 1, &alert_view, NULL, NULL, false, 0, seq, false);
		break;
	case A_POLICIES:
		call_list(x, v, VG_OP_POLICY_LIST, &t, 1, &policy_view, NULL, NULL, false, 0, 0, false);
		break;
	case A_POLICY_SET: policy_set(x, v, &t, t.object); break;
	case A_VAULTS:
		call_list(x, v, VG_OP_VAULT_LIST, &t, 0, &vault_view, NULL, NULL, false, 0, 0, false);
		break;
	case A_VAULT_NEW: vault_create(x, v); break;
	case A_VAULT: vault_get(x, v, &t); break;
	case A_VAULT_SET: vault_set(x, v, &t); break;
	case A_VAULT_DELETE:
		add_names(req(x, v, VG_OP_VAULT_DELETE), &t, 1);
		finish_res(x, v, 200, &delete_view, RES_VAULT, &t, NULL);
		break;
	case A_VAULT_UNDELETE:
		add_names(req(x, v, VG_OP_VAULT_UNDELETE), &t, 1);
		finish_res(x, v, 200, &plain_view, RES_VAULT, &t, NULL);
		break;
	case A_PIN: pin_generate(x, v, &t); break;
	case A_ITEMS:
		call_list(x, v, VG_OP_ITEM_LIST, &t, 1, &item_view, NULL, NULL, false, 0, 0, false);
		break;
	case A_ITEM:
		call_list(x, v, VG_OP_ITEM_LIST, &t, 1, &item_view, "name", t.item, true, 0, 0, false);
		break;
	case A_ITEM_NEW: item_create(x, v, &t); break;
	case A_ITEM_POLICY: item_policy(x, v, &t); break;
	case A_ITEM_STOP: {
		struct vg_wr *w = req(x, v, VG_OP_ITEM_STOP);
		add_names(w, &t, 3);
		if (gw_query_get(x->req->query, "delete_data", buf, sizeof(buf)) == 1 &&
		    strcmp(buf, "true") == 0)
			vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		/* item_view's time2 is last_success (kept for /v1); here it is
		 * the purge time, also as purge_at. */
		finish_res(x, v, 200, &(const struct view){item_names, item_delete_alias, NULL}, RES_ITEM, &t,
			NULL);
		break;
	}
	case A_ITEM_UNDELETE:
		add_names(req(x, v, VG_OP_ITEM_UNDELETE), &t, 3);
		finish_res(x, v, 200, &item_view, RES_ITEM, &t, NULL);
		break;
	case A_ITEM_RESUME:
		add_names(req(x, v, VG_OP_ITEM_RESUME), &t, 3);
		finish_res(x, v, 200, &item_view, RES_ITEM, &t, NULL);
		break;
	case A_POINTS: {
		uint32_t all = gw_query_get(x->req->query, "all", buf, sizeof(buf)) == 1 &&
			strcmp(buf, "true") == 0;
		call_list(x, v, VG_OP_POINT_LIST, &t, 3, &point_view, NULL, NULL, false, all, 0, false);
		break;
	}
	case A_POINT:
		call_list(x, v, VG_OP_POINT_LIST, &t, 3, &point_view, "id", t.point, true, 1, 0, false);
		break;
	case A_POINT_NEW: point_begin(x, v, &t); break;
	case A_POINT_ABORT: point_op(x, v, &t, VG_OP_POINT_ABORT); break;
	case A_POINT_DELETE: point_op(x, v, &t, VG_OP_POINT_DELETE); break;
	case A_POINT_UNDELETE: point_op(x, v, &t, VG_OP_POINT_UNDELETE); break;
	case A_COMMIT: point_op(x, v, &t, VG_OP_POINT_COMMIT); break;
	case A_OBJECTS:
		call_list(x, v, VG_OP_OBJECT_LIST, &t, 7, &object_view, NULL, NULL, false, 0, 0, false);
		break;
	case A_OBJ_PUT: object_put(x, v, &t); break;
	case A_OBJ_GET: {
		const struct gw_fetch f = {
			.get_op = VG_OP_OBJECT_GET,
			.stat_op = VG_OP_OBJECT_STAT,
			.target = object_target,
			.arg = &t,
		};
		if (x->req->method == GW_M_HEAD)
			gw_fetch_head(x, v, &f);
		else
			gw_fetch_get(x, v, &f);
		break;
	}
	case A_VAULT_KEY: vault_key(x, v, &t); break;
	case A_REPORT:
	case A_VAULT_REPORT: {
		struct vg_wr *w = req(x, v, VG_OP_REPORT);
		struct vg_msg m;
		int r;
		if (op == A_VAULT_REPORT)
			vg_msgb_str(w, VG_TAG_VAULT, t.vault);
		if (since)
			vg_msgb_u64(w, VG_TAG_TIME, since);
		if ((r = vgc_call(v, &m)))
			gw_reply_op_error(x, v, r);
		else
			stream_rows(x, v, &report_view, NULL, NULL, false, false);
		break;
	}
	case A_RESTIC_DELETED:
		call_list(x, v, VG_OP_RESTIC_DELETED, &t, 3, &restic_deleted_view, NULL, NULL, false,
			0, 0, false);
		break;
	case A_RESTIC_UNDELETE: restic_undelete(x, v, &t); break;
	case A_MUA_LIST:
		call_list(x, v, VG_OP_MUA_LIST, &t, 0, &mua_view, "name", t.object, false, 0, 0, false);
		break;
	case A_JOBS:
		call_list(x, v, VG_OP_JOB_RUNNING, &t, 0, &job_view, NULL, NULL, false, 0, 0, false);
		break;
	case A_MUA_REQUEST: mua_request(x, v); break;
	case A_MUA_APPROVE: mua_approve(x, v, t.item, false); break;
	case A_MUA_DENY: mua_approve(x, v, t.item, true); break;
	default:
		gw_reply_error(x, 500, "internal", "unrouted operation");
	}
	gw_vaultd_close(x, v);
}
