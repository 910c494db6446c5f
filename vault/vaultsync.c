/* vaultsync.c - pull replication (issue 14, DESIGN.md "Wave 2").
 *
 *   primary appliance                       secondary appliance
 *   vaultd ◄─unix─ vaultgw :443 ◄──TLS (pinned CA)── vaultsync ─unix─► vaultd
 *                  (replicator principal,            (no keys; local root
 *                   read only, never deletes)          on this socket)
 *
 * A separate keyless process on the secondary: it pulls from the primary's
 * vaultgw as a principal holding the `replicator` role on the source vault
 * and writes into the local vaultd through its UNIX socket. The primary
 * opens nothing outbound. vaultctl's `remote` and `sync` words run this
 * program.
 *
 *   vaultsync [--socket S] [--config-dir D] remote add NAME URL --ca FILE --user U --token-file F
 *   vaultsync ... remote list
 *   vaultsync ... sync create JOB --remote NAME --vault SRC --to DST [--every DURATION]
 *   vaultsync ... sync run JOB | sync list | sync show JOB
 *   vaultsync ... repair VAULT --remote NAME --from-vault V   (vaultctl scrub --repair)
 *   vaultsync ... daemon            run every job with --every when it is due
 *
 * repair: scrubs VAULT through the local vaultd, and for each damaged
 * object fetches a copy with the recorded SHA-256 from the remote's vault V
 * (the same item and object name, in any of its points; restic files by
 * name) and hands it to VG_OP_OBJECT_REPAIR, which checks size and SHA-256
 * before the new blob replaces the damaged one (audited object.repair).
 * It needs a remote for the partner on this appliance: for the primary,
 * an operator-configured connection to the secondary, used only for this.
 *
 * Configuration (D, default /etc/vaultgate/sync, mode 0700; files 0600):
 *   remotes/NAME   url= ca= user= token=   (the token only here, never argv)
 *   jobs/JOB       remote= vault= to= every=
 *   state/JOB      an append-only journal, fsync'd per line:
 *                  "pending SRC DST" a source point being copied into DST
 *                  (a detached point on the secondary), "obj DST NAME" an
 *                  object that is in it, "done SRC DST" committed,
 *                  "run T objects bytes" a finished run.
 *
 * What a run does, per item of the source vault (names kept):
 *   - files items: every active (committed) source point not yet done is
 *     copied object by object into one detached pending point of the same
 *     item in DST; each object's upload carries the source's SHA-256, which
 *     the local vaultd checks before it stores the object; the point is
 *     committed only when whole. A run that is cut resumes with the next
 *     object of the same pending point; an object cut midway continues where
 *     vaultd stopped (VG_PUT_RESUMABLE: vaultd kept what came, the source is
 *     read from there with a Range GET, the whole object's SHA-256 is still
 *     checked). If vaultd restarted meanwhile, the object is sent again.
 *   - restic items: file by file (config, keys, data, index, snapshots in
 *     that order), each file the secondary lacks; restic names files by
 *     their SHA-256, which vaultd checks. The primary's vaultgw serves its
 *     `restic_vault`: replicate a restic item from that vault.
 * Nothing is ever deleted on the secondary: a point or file deleted at the
 * source stays, under the secondary's own retention, soft delete and
 * immutability.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "client.h"
#include "httpc.h"
#include "ops.h"
#include "ttyprog.h"
#include "vg_err.h"
#include "wire.h"


#define DEFAULT_SOCKET "/run/vaultgate/vaultd.sock"
#define DEFAULT_DIR "/etc/vaultgate/sync"
#define LIST_MAX (64u << 20)

static const char *sock = DEFAULT_SOCKET, *cdir = DEFAULT_DIR;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("vaultsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

/* ---- key=value files --------------------------------------------------------- */

struct kv {
	char url[1100], ca[PATH_MAX], user[130], token[200];
	char remote[80], vault[80], to[80];
	uint64_t every;
};

static int path_of(char *out, size_t n, const char *sub, const char *name)
{
	int k = vg_fmt(out, n, "%s/%s/%s", cdir, sub, name);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int read_kv(const char *sub, const char *name, struct kv *kv)
{
	char path[2048], line[PATH_MAX + 64];
	struct stat st;
	FILE *f;

	memset(kv, 0, sizeof(*kv));
	if (!name_ok(name) || path_of(path, sizeof(path), sub, name))
		return VG_ENAME;
	if (!(f = fopen(path, "re")))
		return errno == ENOENT ? VG_ENOTFOUND : -errno;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		fail("%s: mode %o: must not be readable by group or others", path, st.st_mode & 0777);
		return VG_EPOLICY;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *v;
		line[strcspn(line, "\n")] = 0;
		if (!eq)
			continue;
		*eq = 0;
		v = eq + 1;
#define KV(k) else if (strcmp(line, #k) == 0) vg_fmt(kv->k, sizeof(kv->k), "%s", v)
		if (0) {}
		KV(url); KV(ca); KV(user); KV(token); KV(remote); KV(vault); KV(to);
#undef KV
		else if (strcmp(line, "every") == 0)
			(void)vg_parse_u64(v, 0, UINT64_MAX, &kv->every);
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return 0;
}

static int write_file(const char *sub, const char *name, const char *text)
{
	char path[2048], tmp[2100], d[1100];
	int fd;
	size_t n = strlen(text);

	vg_fmt(d, sizeof(d), "%s/%s", cdir, sub);
	(void)mkdir(cdir, 0700);
	(void)mkdir(d, 0700);
	if (path_of(path, sizeof(path), sub, name))
		return VG_ENAME;
	vg_fmt(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (vg_write_full(fd, text, n) || fsync(fd) || close(fd) || rename(tmp, path)) {
		int e = -errno;
		unlink(tmp);
		return e ? e : VG_EINTERNAL;
	}
	return 0;
}

/* ---- the journal ------------------------------------------------------------- */

struct jent {
	char kind;                 /* 'p' pending, 'o' object, 'd' done */
	char src[24], dst[24];
	char obj[260];
};

struct journal {
	struct jent *e;
	size_t n, cap;
	int fd;
};

static int journal_open(const char *job, struct journal *j)
{
	char path[2048], d[1100], buf[600];
	FILE *f;

	memset(j, 0, sizeof(*j));
	vg_fmt(d, sizeof(d), "%s/state", cdir);
	(void)mkdir(d, 0700);
	if (path_of(path, sizeof(path), "state", job))
		return VG_ENAME;
	if ((f = fopen(path, "re"))) {
		while (fgets(buf, sizeof(buf), f)) {
			struct jent e = {0};
			char k[16];
			buf[strcspn(buf, "\n")] = 0;
			if (sscanf(buf, "%15s", k) != 1)
				continue;
			if (strcmp(k, "pending") == 0 && sscanf(buf, "%*s %23s %23s", e.src, e.dst) == 2)
				e.kind = 'p';
			else if (strcmp(k, "done") == 0 && sscanf(buf, "%*s %23s %23s", e.src, e.dst) == 2)
				e.kind = 'd';
			else if (strcmp(k, "obj") == 0 && sscanf(buf, "%*s %23s %259s", e.src, e.obj) == 2)
				e.kind = 'o';
			else
				continue;
			if (j->n == j->cap) {
				size_t nc = j->cap ? j->cap * 2 : 64;
				struct jent *ne = realloc(j->e, nc * sizeof(*ne));
				if (!ne) {
					fclose(f);
					return -ENOMEM;
				}
				j->e = ne;
				j->cap = nc;
			}
			j->e[j->n++] = e;
		}
		fclose(f);
	}
	if ((j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return -errno;
	return 0;
}

static void journal_close(struct journal *j)
{
	if (j->fd > 0)
		close(j->fd);
	free(j->e);
}

static int journal_add(struct journal *j, char kind, const char *src, const char *dst,
	const char *obj)
{
	char line[600];
	struct jent e = {.kind = kind};
	int n;

	vg_fmt(e.src, sizeof(e.src), "%s", src);
	vg_fmt(e.dst, sizeof(e.dst), "%s", dst ? dst : "");
	vg_fmt(e.obj, sizeof(e.obj), "%s", obj ? obj : "");
	n = kind == 'o' ? vg_fmt(line, sizeof(line), "obj %s %s\n", src, obj) :
		vg_fmt(line, sizeof(line), "%s %s %s\n", kind == 'p' ? "pending" : "done", src, dst);
	if (n < 0 || (size_t)n >= sizeof(line))
		return VG_EINVAL;
	if (vg_write_full(j->fd, line, (size_t)n) || fdatasync(j->fd))
		return -errno;
	if (j->n == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 64;
		struct jent *ne = realloc(j->e, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		j->e = ne;
		j->cap = nc;
	}
	j->e[j->n++] = e;
	return 0;
}

static const struct jent *journal_find(const struct journal *j, char kind, const char *src,
	const char *obj)
{
	const struct jent *hit = NULL;

	for (size_t i = 0; i < j->n; i++)
		if (j->e[i].kind == kind && strcmp(j->e[i].src, src) == 0 &&
		    (!obj || strcmp(j->e[i].obj, obj) == 0))
			hit = &j->e[i];
	return hit;
}

/* ---- the local vaultd -------------------------------------------------------- */

static struct vgc *local;

static int local_connect(void)
{
	int r;

	if ((r = vgc_connect(sock, &local)))
		return fail("cannot reach the local vaultd at %s: %s", sock, vg_strerror(r));
	return 0;
}

static const char *lerr(int r)
{
	return local && *vgc_errmsg(local) ? vgc_errmsg(local) : vg_strerror(r);
}

/* ---- the remote -------------------------------------------------------------- */

/* Percent-encodes a path segment (names follow a grammar; this is belt and braces). */
static void seg(char *out, size_t n, const char *s)
{
	size_t k = 0;

	for (; *s && k + 4 < n; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':')
			out[k++] = (char)ch;
		else
			k += (size_t)vg_fmt(out + k, n - k, "%%%02X", ch);
	}
	out[k] = 0;
}

static json_t *get_json(struct httpc *h, const char *path, char *why, size_t whysz)
{
	char *body = NULL;
	size_t len = 0;
	int status, r;
	json_t *j;
	json_error_t je;

	if ((r = httpc_get_all(h, path, &status, &body, &len, LIST_MAX, why, whysz)))
		return NULL;
	if (status != 200) {
		vg_fmt(why, whysz, "GET %s: HTTP %d: %.200s", path, status, body);
		free(body);
		return NULL;
	}
	j = json_loadb(body, len, 0, &je);
	free(body);
	if (!j)
		vg_fmt(why, whysz, "GET %s: bad JSON: %s", path, je.text);
	return j;
}

/* The rows of a listing: a JSON array, or the first array in an object. */
static json_t *rows_of(json_t *j)
{
	const char *k;
	json_t *v;

	if (json_is_array(j))
		return j;
	json_object_foreach(j, k, v)
		if (json_is_array(v))
			return v;
	return NULL;
}

struct pipe_up {
	int started, err;
	uint64_t bytes;
};

/* `sync run`'s progress line (ttyprog.h): bytes copied so far, no total
 * (the primary's listing says nothing of sizes up front). Off elsewhere. */
static struct vtp run_prog;
static uint64_t run_moved;

static int up_sink(void *arg, const uint8_t *p, size_t n)
{
	struct pipe_up *u = arg;
	int r;

	if ((r = vgc_upload_write(local, p, n))) {
		u->err = r;
		return r;
	}
	u->bytes += n;
	run_moved += n;
	vtp_update(&run_prog, run_moved);
	return 0;
}

/* GET path from the remote, from byte `from` on (a resumed upload), into an
 * upload already begun on the local link. */
static int pipe_object(struct httpc *h, const char *path, uint64_t from, int resumable, uint64_t *bytes,
	char *why, size_t whysz)
{
	struct pipe_up u = {0};
	struct vg_msg m;
	int status = 0, r, e;

	r = httpc_get_from(h, path, from, &status, up_sink, &u, why, whysz);
	if (!r && status != (from ? 206 : 200)) {
		vg_fmt(why, whysz, "GET %s: HTTP %d", path, status);
		r = VG_EPROTO;
	}
	if (r && resumable && !u.err && u.bytes) {
		/* The primary's side broke mid-object (the network, its gateway):
		 * drop the local link instead of giving the upload up, so vaultd
		 * keeps what came (VG_PUT_RESUMABLE) for the next run. */
		struct vgc *old = local;

		local = NULL;
		vgc_close(old);
		if (vgc_connect(sock, &local))
			local = NULL;
		return r;
	}
	if (r) {
		(void)vgc_upload_end(local, 1, &m);
		if (u.err)
			vg_fmt(why, whysz, "local vaultd: %s", lerr(u.err));
		return r;
	}
	if ((e = vgc_upload_end(local, 0, &m))) {
		vg_fmt(why, whysz, "local vaultd refused it: %s", lerr(e));
		return e;
	}
	*bytes += u.bytes;
	return 0;
}

struct run_stats {
	uint64_t points, objects, bytes, files, skipped;
};

static int ensure_item(const char *dst, const char *item, const char *kind, char *why,
	size_t whysz)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (strcmp(kind, "restic") == 0) {
		w = vgc_req(local, VG_OP_RESTIC_CREATE);
		vg_msgb_str(w, VG_TAG_VAULT, dst);
		vg_msgb_str(w, VG_TAG_ITEM, item);
	} else {
		w = vgc_req(local, VG_OP_ITEM_CREATE);
		vg_msgb_str(w, VG_TAG_VAULT, dst);
		vg_msgb_str(w, VG_TAG_ITEM, item);
		vg_msgb_str(w, VG_TAG_KIND, "files");
	}
	r = vgc_call(local, &m);
	if (r && r != VG_EEXISTS) {
		vg_fmt(why, whysz, "item %s/%s: %s", dst, item, lerr(r));
		return r;
	}
	return 0;
}

static int sync_point(struct httpc *h, struct journal *j, const struct kv *job, const char *item,
	const char *src, struct run_stats *rs, char *why, size_t whysz)
{
	char path[1400], ei[800], dst[24] = "";
	const struct jent *pe;
	json_t *list, *rows, *o;
	struct vg_msg m;
	struct vg_wr *w;
	size_t i;
	int r = 0, resumed;

	seg(ei, sizeof(ei), item);
	vg_fmt(path, sizeof(path), "/v1/vaults/%s/items/%s/points/%s/objects", job->vault, ei, src);
	if (!(list = get_json(h, path, why, whysz)))
		return VG_EPROTO;
	if (!(rows = rows_of(list))) {
		json_decref(list);
		vg_fmt(why, whysz, "GET %s: no rows", path);
		return VG_EPROTO;
	}
	/* resume the pending copy, if any */
	if ((pe = journal_find(j, 'p', src, NULL)))
		vg_fmt(dst, sizeof(dst), "%s", pe->dst);
	resumed = *dst != 0;
again:
	if (!*dst) {
		w = vgc_req(local, VG_OP_POINT_BEGIN);
		vg_msgb_str(w, VG_TAG_VAULT, job->to);
		vg_msgb_str(w, VG_TAG_ITEM, item);
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);  /* detached: it survives a cut */
		if ((r = vgc_call(local, &m)) || vg_msg_str(&m, VG_TAG_POINT, dst, sizeof(dst))) {
			vg_fmt(why, whysz, "point begin in %s/%s: %s", job->to, item, lerr(r));
			json_decref(list);
			return r ? r : VG_EPROTO;
		}
		if ((r = journal_add(j, 'p', src, dst, NULL))) {
			json_decref(list);
			return r;
		}
	}
	json_array_foreach(rows, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *hex = json_string_value(json_object_get(o, "sha256"));
		json_t *sz = json_object_get(o, "size");
		uint8_t sha[32];
		uint64_t from;
		char en[800];
		if (!name || !hex || !json_is_integer(sz) || vg_unhex(sha, sizeof(sha), hex)) {
			vg_fmt(why, whysz, "point %s: an object row without name, size or sha256", src);
			json_decref(list);
			return VG_EPROTO;
		}
		if (journal_find(j, 'o', dst, name))
			continue;
		w = vgc_req(local, VG_OP_OBJECT_PUT);
		vg_msgb_str(w, VG_TAG_VAULT, job->to);
		vg_msgb_str(w, VG_TAG_ITEM, item);
		vg_msgb_str(w, VG_TAG_POINT, dst);
		vg_msgb_str(w, VG_TAG_OBJECT, name);
		vg_msgb_u64(w, VG_TAG_SIZE, (uint64_t)json_integer_value(sz));
		vg_msgb_bytes(w, VG_TAG_SHA256, sha, sizeof(sha));
		vg_msgb_u32(w, VG_TAG_FLAGS, VG_PUT_RESUMABLE);  /* a cut keeps what came */
		if ((r = vgc_upload_begin(local))) {
			if (r == VG_EEXISTS) {
				/* in from a run cut after the upload, before the journal line */
				if ((r = journal_add(j, 'o', dst, NULL, name)))
					break;
				continue;
			}
			if (resumed && (r == VG_ENOTFOUND || r == VG_EBADSTATE)) {
				/* the pending point is gone (dropped after a day, or
				 * aborted): start this point over in a new one */
				resumed = 0;
				dst[0] = 0;
				r = 0;
				goto again;
			}
			vg_fmt(why, whysz, "%s/%s/%s/%s: %s", job->to, item, dst, name, lerr(r));
			break;
		}
		seg(en, sizeof(en), name);
		vg_fmt(path, sizeof(path), "/v1/vaults/%s/items/%s/points/%s/objects/%s",
			job->vault, ei, src, en);
		from = vgc_upload_offset(local);
		if (from)
			fprintf(stderr, "vaultsync: %s/%s/%s/%s: resumed at byte %llu of %lld\n", job->to, item, dst,
				name, (unsigned long long)from, (long long)json_integer_value(sz));
		if ((r = pipe_object(h, path, from, 1, &rs->bytes, why, whysz)) ||
		    (r = journal_add(j, 'o', dst, NULL, name)))
			break;
		rs->objects++;
	}
	json_decref(list);
	if (r)
		return r;
	w = vgc_req(local, VG_OP_POINT_COMMIT);
	vg_msgb_str(w, VG_TAG_VAULT, job->to);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	vg_msgb_str(w, VG_TAG_POINT, dst);
	if ((r = vgc_call(local, &m))) {
		vg_fmt(why, whysz, "commit %s/%s/%s: %s", job->to, item, dst, lerr(r));
		return r;
	}
	rs->points++;
	return journal_add(j, 'd', src, dst, NULL);
}

static int sync_files_item(struct httpc *h, struct journal *j, const struct kv *job,
	const char *item, struct run_stats *rs, char *why, size_t whysz)
{
	char path[1200], ei[800];
	json_t *list, *rows, *o;
	size_t i;
	int r = 0;

	seg(ei, sizeof(ei), item);
	vg_fmt(path, sizeof(path), "/v1/vaults/%s/items/%s/points", job->vault, ei);
	if (!(list = get_json(h, path, why, whysz)))
		return VG_EPROTO;
	if (!(rows = rows_of(list))) {
		json_decref(list);
		return 0;  /* no points */
	}
	json_array_foreach(rows, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *state = json_string_value(json_object_get(o, "state"));
		if (!id || strlen(id) != 16) {
			vg_fmt(why, whysz, "%s: a point row without an id", path);
			r = VG_EPROTO;
			break;
		}
		if ((state && strcmp(state, "active") != 0) || journal_find(j, 'd', id, NULL)) {
			rs->skipped++;
			continue;
		}
		if ((r = sync_point(h, j, job, item, id, rs, why, whysz)))
			break;
	}
	json_decref(list);
	return r;
}

static int sync_restic_item(struct httpc *h, const struct kv *job, const char *item,
	struct run_stats *rs, char *why, size_t whysz)
{
	static const char *const types[] = {"config", "keys", "data", "index", "snapshots"};
	char path[1200], ei[800];
	struct vg_msg m;
	struct vg_wr *w;
	int r = 0;

	seg(ei, sizeof(ei), item);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]) && !r; t++) {
		json_t *list = NULL, *o;
		size_t i, n = 1;
		int isconfig = t == 0;
		if (!isconfig) {
			vg_fmt(path, sizeof(path), "/restic/%s/%s/", ei, types[t]);
			if (!(list = get_json(h, path, why, whysz)))
				return VG_EPROTO;
			if (!json_is_array(list)) {
				json_decref(list);
				vg_fmt(why, whysz, "GET %s: not a list", path);
				return VG_EPROTO;
			}
			n = json_array_size(list);
		}
		for (i = 0; i < n && !r; i++) {
			char obj[300];
			const char *id = NULL;
			if (!isconfig) {
				o = json_array_get(list, i);
				id = json_is_string(o) ? json_string_value(o) :
					json_string_value(json_object_get(o, "name"));
				if (!id || strlen(id) != 64) {
					vg_fmt(why, whysz, "GET %s: a bad name", path);
					r = VG_EPROTO;
					break;
				}
				vg_fmt(obj, sizeof(obj), "%s:%s", types[t], id);
			} else {
				vg_fmt(obj, sizeof(obj), "config");
			}
			w = vgc_req(local, VG_OP_RESTIC_STAT);
			vg_msgb_str(w, VG_TAG_VAULT, job->to);
			vg_msgb_str(w, VG_TAG_ITEM, item);
			vg_msgb_str(w, VG_TAG_OBJECT, obj);
			if ((r = vgc_call(local, &m)) == 0) {
				rs->skipped++;
				continue;  /* already here (same name: same bytes) */
			}
			if (r != VG_ENOTFOUND) {
				vg_fmt(why, whysz, "%s/%s/%s: %s", job->to, item, obj, lerr(r));
				break;
			}
			w = vgc_req(local, VG_OP_RESTIC_PUT);
			vg_msgb_str(w, VG_TAG_VAULT, job->to);
			vg_msgb_str(w, VG_TAG_ITEM, item);
			vg_msgb_str(w, VG_TAG_OBJECT, obj);
			if ((r = vgc_upload_begin(local))) {
				vg_fmt(why, whysz, "%s/%s/%s: %s", job->to, item, obj, lerr(r));
				break;
			}
			if (isconfig)
				vg_fmt(path, sizeof(path), "/restic/%s/config", ei);
			else
				vg_fmt(path, sizeof(path), "/restic/%s/%s/%s", ei, types[t], id);
			if ((r = pipe_object(h, path, 0, 0, &rs->bytes, why, whysz)))
				break;
			rs->files++;
		}
		json_decref(list);
	}
	return r;
}

static int run_job(const char *jobname, struct run_stats *rs, char *why, size_t whysz)
{
	struct kv job, rem;
	struct httpc *h = NULL;
	struct journal j;
	json_t *list = NULL, *rows, *o;
	char path[300], line[200];
	size_t i;
	int r;

	memset(rs, 0, sizeof(*rs));
	if (!local && (r = vgc_connect(sock, &local))) {   /* dropped by a cut (pipe_object) */
		local = NULL;
		vg_fmt(why, whysz, "cannot reach the local vaultd at %s: %s", sock, vg_strerror(r));
		return r;
	}
	if ((r = read_kv("jobs", jobname, &job))) {
		vg_fmt(why, whysz, "sync job %s: %s", jobname, r == VG_ENOTFOUND ?
			"no such job (vaultctl sync list)" : vg_strerror(r));
		return r;
	}
	if ((r = read_kv("remotes", job.remote, &rem))) {
		vg_fmt(why, whysz, "remote %s: %s", job.remote, vg_strerror(r));
		return r;
	}
	r = httpc_new(rem.url, rem.ca, rem.user, rem.token, &h, why, whysz);
	OPENSSL_cleanse(rem.token, sizeof(rem.token));
	if (r)
		return r;
	if ((r = journal_open(jobname, &j))) {
		httpc_free(h);
		vg_fmt(why, whysz, "journal of %s: %s", jobname, vg_strerror(r));
		return r;
	}
	{
		struct vg_msg m;
		struct vg_wr *w = vgc_req(local, VG_OP_VAULT_GET);
		vg_msgb_str(w, VG_TAG_VAULT, job.to);
		if ((r = vgc_call(local, &m))) {
			vg_fmt(why, whysz, "destination vault %s: %s (create it first: it keeps its "
				"own keys, soft delete and immutability)", job.to, lerr(r));
			goto out;
		}
	}
	vg_fmt(path, sizeof(path), "/v1/vaults/%s/items", job.vault);
	if (!(list = get_json(h, path, why, whysz))) {
		r = VG_EPROTO;
		goto out;
	}
	if (!(rows = rows_of(list)))
		goto done;
	json_array_foreach(rows, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *kind = json_string_value(json_object_get(o, "kind"));
		const char *state = json_string_value(json_object_get(o, "state"));
		if (!name || !kind) {
			vg_fmt(why, whysz, "%s: an item row without name or kind", path);
			r = VG_EPROTO;
			break;
		}
		if (state && strcmp(state, "soft-deleted") == 0)
			continue;
		if ((r = ensure_item(job.to, name, kind, why, whysz)))
			break;
		r = strcmp(kind, "restic") == 0 ? sync_restic_item(h, &job, name, rs, why, whysz) :
			sync_files_item(h, &j, &job, name, rs, why, whysz);
		if (r)
			break;
	}
done:
	if (!r) {
		int n = vg_fmt(line, sizeof(line), "run %lld %llu %llu %llu %llu\n",
			(long long)time(NULL), (unsigned long long)rs->points,
			(unsigned long long)rs->objects, (unsigned long long)rs->files,
			(unsigned long long)rs->bytes);
		if (n > 0 && (size_t)n < sizeof(line))
			(void)vg_write_full(j.fd, line, (size_t)n);
	}
out:
	json_decref(list);
	journal_close(&j);
	httpc_free(h);
	return r;
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_remote(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[0], "add") == 0) {
		const char *name = argv[1], *url = argv[2], *ca = NULL, *user = NULL, *tf = NULL;
		char token[200], text[6000], why[300] = "", cab[PATH_MAX];
		struct httpc *h;
		int r;
		for (int i = 3; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--ca") == 0)
				ca = argv[i + 1];
			else if (strcmp(argv[i], "--user") == 0)
				user = argv[i + 1];
			else if (strcmp(argv[i], "--token-file") == 0)
				tf = argv[i + 1];
			else
				return fail("remote add: unknown option %s", argv[i]);
		}
		if (!ca || !user || !tf || (argc - 3) % 2)
			return fail("usage: remote add NAME URL --ca FILE --user U --token-file F");
		if (!name_ok(name))
			return fail("remote %s: a name is 1-64 of [A-Za-z0-9._-]", name);
		if (!realpath(ca, cab))
			return fail("--ca %s: %s", ca, strerror(errno));
		if (!*user || strlen(user) > 128 || strpbrk(user, ": \t\r\n"))
			return fail("--user: a principal name of 1-128 bytes, without ':' or spaces");
		if ((r = vgc_read_secret(tf, token, sizeof(token))))
			return fail("--token-file %s: cannot read a token: %s", tf, vgc_secret_strerror(r));
		if ((r = httpc_new(url, cab, user, token, &h, why, sizeof(why)))) {
			OPENSSL_cleanse(token, sizeof(token));
			return fail("remote %s: %s", name, why);
		}
		httpc_free(h);
		vg_fmt(text, sizeof(text), "url=%s\nca=%s\nuser=%s\ntoken=%s\n", url, cab, user, token);
		OPENSSL_cleanse(token, sizeof(token));
		r = write_file("remotes", name, text);
		OPENSSL_cleanse(text, sizeof(text));
		if (r)
			return fail("remote %s: %s", name, vg_strerror(r));
		printf("remote added: %s %s (as %s)\n", name, url, user);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		char d[1100];
		DIR *dp;
		struct dirent *de;
		vg_fmt(d, sizeof(d), "%s/remotes", cdir);
		if (!(dp = opendir(d)))
			return 0;
		while ((de = readdir(dp))) {
			struct kv kv;
			if (!name_ok(de->d_name) || strstr(de->d_name, ".tmp") || read_kv("remotes", de->d_name, &kv))
				continue;
			OPENSSL_cleanse(kv.token, sizeof(kv.token));
			printf("%s\t%s\tuser=%s\tca=%s\n", de->d_name, kv.url, kv.user, kv.ca);
		}
		closedir(dp);
		return 0;
	}
	return fail("usage: remote add NAME URL --ca FILE --user U --token-file F | remote list");
}

static int parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		char u;
		uint64_t m;
	} units[] = {{0, 1}, {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	char num[24];
	size_t n = strspn(s, "0123456789");
	uint64_t v;

	if (n == 0 || n >= sizeof(num) || (s[n] && s[n + 1]))
		return VG_EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (vg_parse_u64(num, 1, 1000000000ull, &v))
		return VG_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n] == units[i].u) {
			*out = v * units[i].m;
			return 0;
		}
	return VG_EINVAL;
}

static void show_job(const char *name, const struct kv *job)
{
	char path[2048], buf[700], last[200] = "never";
	uint64_t done = 0, pending = 0;
	FILE *f;

	if (!path_of(path, sizeof(path), "state", name) && (f = fopen(path, "re"))) {
		while (fgets(buf, sizeof(buf), f)) {
			long long t;
			unsigned long long p, o, fl, b;
			if (strncmp(buf, "done ", 5) == 0)
				done++;
			else if (strncmp(buf, "pending ", 8) == 0)
				pending++;
			else if (sscanf(buf, "run %lld %llu %llu %llu %llu", &t, &p, &o, &fl, &b) == 5) {
				time_t tt = (time_t)t;
				struct tm tm;
				char ts[40];
				gmtime_r(&tt, &tm);
				strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
				vg_fmt(last, sizeof(last), "%s: %llu points, %llu objects, %llu restic "
					"files, %llu bytes", ts, p, o, fl, b);
			}
		}
		fclose(f);
	}
	printf("%s\tremote=%s\tvault=%s\tto=%s\tevery=%llus\tpoints-copied=%llu\t"
		"in-progress=%llu\tlast-run=%s\n", name, job->remote, job->vault, job->to,
		(unsigned long long)job->every, (unsigned long long)done,
		(unsigned long long)(pending > done ? pending - done : 0), last);
}

static int cmd_sync(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[0], "create") == 0) {
		const char *job = argv[1], *remote = NULL, *vault = NULL, *to = NULL;
		uint64_t every = 0;
		char text[600];
		struct kv kv;
		int r;
		for (int i = 2; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--remote") == 0)
				remote = argv[i + 1];
			else if (strcmp(argv[i], "--vault") == 0)
				vault = argv[i + 1];
			else if (strcmp(argv[i], "--to") == 0)
				to = argv[i + 1];
			else if (strcmp(argv[i], "--every") == 0) {
				if (parse_duration(argv[i + 1], &every) || every < 60)
					return fail("--every %s: a duration of at least 1m (15m, 6h, 1d)",
						argv[i + 1]);
			} else
				return fail("sync create: unknown option %s", argv[i]);
		}
		if (!remote || !vault || !to || (argc - 2) % 2)
			return fail("usage: sync create JOB --remote NAME --vault SRC --to DST [--every DURATION]");
		if (!name_ok(job) || !name_ok(vault) || !name_ok(to))
			return fail("sync create: bad job or vault name");
		if ((r = read_kv("remotes", remote, &kv)))
			return fail("remote %s: %s", remote, r == VG_ENOTFOUND ?
				"no such remote (vaultctl remote list)" : vg_strerror(r));
		OPENSSL_cleanse(kv.token, sizeof(kv.token));
		vg_fmt(text, sizeof(text), "remote=%s\nvault=%s\nto=%s\nevery=%llu\n", remote, vault,
			to, (unsigned long long)every);
		if ((r = write_file("jobs", job, text)))
			return fail("sync job %s: %s", job, vg_strerror(r));
		printf("sync job created: %s (%s:%s -> %s)\n", job, remote, vault, to);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "run") == 0) {
		struct run_stats rs;
		char why[600] = "";
		int r;
		char label[120];
		if (local_connect())
			return 1;
		snprintf(label, sizeof(label), "sync %s", argv[1]);
		vtp_begin(&run_prog, label, 0);
		r = run_job(argv[1], &rs, why, sizeof(why));
		vtp_end(&run_prog);
		if (r)
			return fail("sync %s: %s", argv[1], *why ? why : vg_strerror(r));
		printf("sync %s: %llu points (%llu objects), %llu restic files, %llu bytes copied; "
			"%llu already here\n", argv[1], (unsigned long long)rs.points,
			(unsigned long long)rs.objects, (unsigned long long)rs.files,
			(unsigned long long)rs.bytes, (unsigned long long)rs.skipped);
		return 0;
	}
	if ((argc == 1 && strcmp(argv[0], "list") == 0) || (argc == 2 && strcmp(argv[0], "show") == 0)) {
		char d[1100];
		DIR *dp;
		struct dirent *de;
		struct kv kv;
		if (argc == 2) {
			int r = read_kv("jobs", argv[1], &kv);
			if (r)
				return fail("sync job %s: %s", argv[1], r == VG_ENOTFOUND ? "no such job" :
					vg_strerror(r));
			show_job(argv[1], &kv);
			return 0;
		}
		vg_fmt(d, sizeof(d), "%s/jobs", cdir);
		if (!(dp = opendir(d)))
			return 0;
		while ((de = readdir(dp)))
			if (name_ok(de->d_name) && !strstr(de->d_name, ".tmp") &&
			    !read_kv("jobs", de->d_name, &kv))
				show_job(de->d_name, &kv);
		closedir(dp);
		return 0;
	}
	return fail("usage: sync create JOB --remote NAME --vault SRC --to DST [--every DURATION] | "
		"sync run JOB | sync list | sync show JOB");
}

/* ---- scrub --repair ------------------------------------------------------------- */

struct damaged {
	char vault[80], item[300], point[24], object[300];
	uint8_t sha[32];
};

/* Finds, in the remote's vault rv, a committed copy of item/object with
 * this SHA-256: its path in out. 0, VG_ENOTFOUND, or an error with why. */
static int find_copy(struct httpc *h, const char *rv, const struct damaged *d, char *out,
	size_t n, char *why, size_t whysz)
{
	char path[1400], ei[800], en[800];
	json_t *pts, *rows, *p;
	size_t i;
	int r = VG_ENOTFOUND;

	seg(ei, sizeof(ei), d->item);
	seg(en, sizeof(en), d->object);
	if (strcmp(d->object, "config") == 0 || strchr(d->object, ':')) {
		/* a restic file: the same name is the same bytes (config: checked below) */
		char type[16] = "";
		const char *colon = strchr(d->object, ':');
		if (colon && (size_t)(colon - d->object) < sizeof(type))
			memcpy(type, d->object, (size_t)(colon - d->object));
		if (colon)
			vg_fmt(out, n, "/restic/%s/%s/%s", ei, type, colon + 1);
		else
			vg_fmt(out, n, "/restic/%s/config", ei);
		return 0;
	}
	vg_fmt(path, sizeof(path), "/v1/vaults/%s/items/%s/points", rv, ei);
	if (!(pts = get_json(h, path, why, whysz)))
		return VG_EPROTO;
	if (!(rows = rows_of(pts))) {
		json_decref(pts);
		return VG_ENOTFOUND;
	}
	json_array_foreach(rows, i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		json_t *objs, *orows, *o;
		size_t k;
		if (!id)
			continue;
		vg_fmt(path, sizeof(path), "/v1/vaults/%s/items/%s/points/%s/objects", rv, ei, id);
		if (!(objs = get_json(h, path, why, whysz)))
			continue;
		orows = rows_of(objs);
		for (k = 0; orows && k < json_array_size(orows); k++) {
			const char *name, *hex;
			uint8_t sha[32];
			o = json_array_get(orows, k);
			name = json_string_value(json_object_get(o, "name"));
			hex = json_string_value(json_object_get(o, "sha256"));
			if (name && hex && strcmp(name, d->object) == 0 &&
			    !vg_unhex(sha, sizeof(sha), hex) && memcmp(sha, d->sha, 32) == 0) {
				vg_fmt(out, n, "/v1/vaults/%s/items/%s/points/%s/objects/%s", rv, ei, id, en);
				r = 0;
				break;
			}
		}
		json_decref(objs);
		if (!r)
			break;
	}
	json_decref(pts);
	return r;
}

static int cmd_repair(int argc, char **argv)
{
	const char *vault = NULL, *remote = NULL, *from = NULL;
	struct damaged *d = NULL;
	size_t nd = 0, cap = 0, fixed = 0;
	struct httpc *h = NULL;
	struct kv rem;
	struct vg_msg m;
	struct vg_wr *w;
	char why[600] = "";
	int r;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--remote") == 0 && i + 1 < argc)
			remote = argv[++i];
		else if (strcmp(argv[i], "--from-vault") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (argv[i][0] != '-' && !vault)
			vault = argv[i];
		else
			return fail("usage: scrub VAULT --repair --remote NAME --from-vault VAULT");
	}
	if (!vault || !remote || !from)
		return fail("usage: scrub VAULT --repair --remote NAME --from-vault VAULT");
	if ((r = read_kv("remotes", remote, &rem)))
		return fail("remote %s: %s", remote, r == VG_ENOTFOUND ?
			"no such remote (vaultctl remote list)" : vg_strerror(r));
	r = httpc_new(rem.url, rem.ca, rem.user, rem.token, &h, why, sizeof(why));
	OPENSSL_cleanse(rem.token, sizeof(rem.token));
	if (r)
		return fail("remote %s: %s", remote, why);
	if (local_connect()) {
		httpc_free(h);
		return 1;
	}
	/* 1. what is damaged here */
	w = vgc_req(local, VG_OP_SCRUB);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	if ((r = vgc_call(local, &m))) {
		httpc_free(h);
		return fail("scrub %s: %s", vault, lerr(r));
	}
	while ((r = vgc_stream_next(local, &m)) == 1) {
		const uint8_t *sha;
		uint32_t shalen = 0;
		char kind[16] = "";
		if (vg_msg_str(&m, VG_TAG_KIND, kind, sizeof(kind)) == 0)
			continue;  /* the summary */
		if (nd == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct damaged *nn = realloc(d, nc * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				break;
			}
			d = nn;
			cap = nc;
		}
		memset(&d[nd], 0, sizeof(d[nd]));
		if (vg_msg_str(&m, VG_TAG_VAULT, d[nd].vault, sizeof(d[nd].vault)) ||
		    vg_msg_str(&m, VG_TAG_ITEM, d[nd].item, sizeof(d[nd].item)) ||
		    vg_msg_str(&m, VG_TAG_POINT, d[nd].point, sizeof(d[nd].point)) ||
		    vg_msg_str(&m, VG_TAG_OBJECT, d[nd].object, sizeof(d[nd].object)) ||
		    vg_msg_bytes(&m, VG_TAG_SHA256, &sha, &shalen) || shalen != 32) {
			r = VG_EPROTO;
			break;
		}
		memcpy(d[nd].sha, sha, 32);
		nd++;
	}
	if (r && r != VG_EINTEGRITY) {
		free(d);
		httpc_free(h);
		return fail("scrub %s: %s", vault, lerr(r));
	}
	/* 2. a good copy of each from the partner */
	for (size_t i = 0; i < nd; i++) {
		char path[1400];
		uint64_t bytes = 0;
		why[0] = 0;
		if ((r = find_copy(h, from, &d[i], path, sizeof(path), why, sizeof(why)))) {
			printf("NOT REPAIRED: %s/%s/%s/%s: %s\n", d[i].vault, d[i].item, d[i].point,
				d[i].object, r == VG_ENOTFOUND ? "no copy with its SHA-256 on the remote" : why);
			continue;
		}
		w = vgc_req(local, VG_OP_OBJECT_REPAIR);
		vg_msgb_str(w, VG_TAG_VAULT, d[i].vault);
		vg_msgb_str(w, VG_TAG_ITEM, d[i].item);
		vg_msgb_str(w, VG_TAG_POINT, d[i].point);
		vg_msgb_str(w, VG_TAG_OBJECT, d[i].object);
		if ((r = vgc_upload_begin(local))) {
			printf("NOT REPAIRED: %s/%s/%s/%s: %s\n", d[i].vault, d[i].item, d[i].point,
				d[i].object, lerr(r));
			continue;
		}
		if ((r = pipe_object(h, path, 0, 0, &bytes, why, sizeof(why)))) {
			printf("NOT REPAIRED: %s/%s/%s/%s: %s\n", d[i].vault, d[i].item, d[i].point,
				d[i].object, why);
			continue;
		}
		printf("repaired: %s/%s/%s/%s (%llu bytes from %s:%s)\n", d[i].vault, d[i].item,
			d[i].point, d[i].object, (unsigned long long)bytes, remote, from);
		fixed++;
	}
	printf("%zu damaged, %zu repaired\n", nd, fixed);
	free(d);
	httpc_free(h);
	return fixed == nd ? 0 : 1;
}

/* Runs each job with an interval when it is due, until SIGTERM. */
static int cmd_daemon(void)
{
	struct {
		char name[80];
		time_t last;
	} seen[64];
	size_t nseen = 0;

	if (local_connect())
		return 1;
	for (;;) {
		char d[1100];
		DIR *dp;
		struct dirent *de;
		vg_fmt(d, sizeof(d), "%s/jobs", cdir);
		if ((dp = opendir(d))) {
			while ((de = readdir(dp))) {
				struct kv kv;
				struct run_stats rs;
				char why[600] = "";
				size_t k;
				time_t now = time(NULL);
				if (!name_ok(de->d_name) || strstr(de->d_name, ".tmp") ||
				    read_kv("jobs", de->d_name, &kv) || !kv.every)
					continue;
				for (k = 0; k < nseen && strcmp(seen[k].name, de->d_name); k++)
					;
				if (k == nseen) {
					if (nseen == 64)
						continue;
					vg_fmt(seen[nseen].name, sizeof(seen[0].name), "%s", de->d_name);
					seen[nseen++].last = 0;
				}
				if (seen[k].last && (uint64_t)(now - seen[k].last) < kv.every)
					continue;
				seen[k].last = now;
				if (run_job(de->d_name, &rs, why, sizeof(why)))
					fprintf(stderr, "vaultsync: sync %s: %s\n", de->d_name, why);
				else
					fprintf(stderr, "vaultsync: sync %s: %llu points, %llu restic files, "
						"%llu bytes\n", de->d_name, (unsigned long long)rs.points,
						(unsigned long long)rs.files, (unsigned long long)rs.bytes);
			}
			closedir(dp);
		}
		sleep(10);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"config-dir", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch, r;

	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (getenv("VAULTD_SOCKET"))
		sock = getenv("VAULTD_SOCKET");
	if (getenv("VG_SYNC_DIR"))
		cdir = getenv("VG_SYNC_DIR");
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'c': cdir = optarg; break;
		case 'q': vtp_set_quiet(true); break;
		case 'h':
			printf("usage: vaultsync [--socket PATH] [--config-dir DIR] [--quiet] COMMAND\n"
				"  remote add NAME URL --ca FILE --user U --token-file F|-\n"
				"  remote list\n"
				"  sync create JOB --remote NAME --vault SRC --to DST [--every DURATION]\n"
				"  sync run JOB | sync list | sync show JOB\n"
				"  repair VAULT --remote NAME --from-vault VAULT   scrub, then fetch good\n"
				"                        copies of damaged objects (vaultctl scrub --repair)\n"
				"  daemon                run every job with --every when it is due\n"
				"  --quiet               no progress line (sync run draws one on stderr\n"
				"                        only when it is a terminal)\n"
				"  -h, --help            this text\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return fail("usage: vaultsync [--socket PATH] [--config-dir DIR] remote|sync|daemon ...");
	if (strcmp(argv[optind], "remote") == 0)
		r = cmd_remote(argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "sync") == 0)
		r = cmd_sync(argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "repair") == 0)
		r = cmd_repair(argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "daemon") == 0 && optind + 1 == argc)
		r = cmd_daemon();
	else
		r = fail("unknown command %s", argv[optind]);
	if (local)
		vgc_close(local);
	return r;
}
