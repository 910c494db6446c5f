/* checkpoint.c - the metadata checkpoint and the point journal in the RADOS
 * pool, and an appliance rebuilt from them (see checkpoint.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit_hwm.h"
#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "core_int.h"
#include "keyfile.h"
#include "keys.h"
#include "log.h"
#include "vg_err.h"

static const char ck_magic[8] = {'V', 'G', 'C', 'K', 'P', 'T', '0', '1'};
static const char ck_aad[] = "vaultgate/checkpoint/v1";
static const char jk_aad[] = "vaultgate/journal/v1";
enum { REC_AUDIT = 1, REC_INFRA = 2, REC_MDB = 3 };

struct vcore_ckpt {
	pthread_mutex_t mu;
	int have;
	uint8_t jkey[VC_KEY_LEN];
};

void vcore_ckpt_free(struct vcore *c)
{
	if (!c->ckpt)
		return;
	OPENSSL_cleanse(c->ckpt->jkey, sizeof(c->ckpt->jkey));
	pthread_mutex_destroy(&c->ckpt->mu);
	free(c->ckpt);
	c->ckpt = NULL;
}

static int is_rados(struct vcore *c)
{
	return strcmp(vs_kind(c->store), "rados") == 0;
}

/* ---- the checkpoint -------------------------------------------------------- */

static int put_rec(uint8_t *p, size_t *off, uint8_t type, const void *src, size_t n)
{
	p[*off] = type;
	vg_put_u64(p + *off + 1, n);
	memcpy(p + *off + 9, src, n);
	*off += 9 + n;
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : VG_EINTERNAL;
		got += (size_t)k;
	}
	return 0;
}

int vcore_checkpoint(struct vcore *c, uint64_t *bytes, char *why, size_t whysz)
{
	uint8_t akey[32], ikey[32], ck[VC_KEY_LEN], wrapped[VK_WRAPPED_MAX], nonce[VC_NONCE_LEN];
	uint8_t *plain = NULL, *out = NULL;
	size_t wlen = sizeof(wrapped), plen, off = 0, hlen, outlen = 0;
	char path[2300];
	struct stat st;
	struct vc_aead *a = NULL;
	int fd = -1, r, infra = 0;
	off_t mdb_len;

	*bytes = 0;
	if (!is_rados(c))
		return -ENOTSUP;
	snprintf(path, sizeof(path), "%s/keys/audit.key", c->dir);
	if ((r = vk_keyfile_load(path, false, akey, why, whysz)))
		return r;
	snprintf(path, sizeof(path), "%s/keys/infra.key", c->dir);
	if (stat(path, &st) == 0) {
		if ((r = vk_keyfile_load(path, false, ikey, why, whysz)))
			goto out;
		infra = 1;
	}
	/* A consistent copy: one LMDB read transaction, compacted. */
	if ((fd = memfd_create("vaultgate-checkpoint", MFD_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	if ((r = vdb_copy_fd(c->db, fd))) {
		snprintf(why, whysz, "copying the metadata: %s", vg_strerror(r));
		goto out;
	}
	if ((mdb_len = lseek(fd, 0, SEEK_END)) < 0) {
		r = -errno;
		goto out;
	}
	plen = 2 * (9 + 32) + 9 + (size_t)mdb_len;
	if (!(plain = malloc(plen))) {
		r = -ENOMEM;
		goto out;
	}
	put_rec(plain, &off, REC_AUDIT, akey, 32);
	if (infra)
		put_rec(plain, &off, REC_INFRA, ikey, 32);
	plain[off] = REC_MDB;
	vg_put_u64(plain + off + 1, (uint64_t)mdb_len);
	off += 9;
	if ((r = read_all(fd, plain + off, (size_t)mdb_len)))
		goto out;
	off += (size_t)mdb_len;
	plen = off;
	if ((r = vc_random(ck, sizeof(ck))) || (r = vc_random(nonce, sizeof(nonce))) ||
	    (r = c->local->ops->wrap(c->local, ck, ck_aad, sizeof(ck_aad) - 1, wrapped, &wlen)))
		goto out;
	hlen = 8 + 8 + 4 + wlen + VC_NONCE_LEN + 8;
	outlen = hlen + plen + VC_TAG_LEN;
	if (!(out = malloc(outlen))) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(out, ck_magic, 8);
	vg_put_u64(out + 8, vault_now());
	vg_put_u32(out + 16, (uint32_t)wlen);
	memcpy(out + 20, wrapped, wlen);
	memcpy(out + 20 + wlen, nonce, VC_NONCE_LEN);
	vg_put_u64(out + 20 + wlen + VC_NONCE_LEN, plen);
	if ((r = vc_aead_new(ck, &a)) || (r = vc_aead_seal(a, nonce, out, hlen, plain, plen, out + hlen)))
		goto out;
	if ((r = vs_meta_put(c->store, "checkpoint", out, outlen))) {
		snprintf(why, whysz, "writing the checkpoint to the pool: %s", vg_strerror(r));
		goto out;
	}
	*bytes = outlen;
out:
	if (fd >= 0)
		close(fd);
	vc_aead_free(a);
	OPENSSL_cleanse(akey, sizeof(akey));
	OPENSSL_cleanse(ikey, sizeof(ikey));
	OPENSSL_cleanse(ck, sizeof(ck));
	if (plain) {
		OPENSSL_cleanse(plain, plen);
		free(plain);
	}
	free(out);
	return r;
}

/* ---- the journal ------------------------------------------------------------- */

/* The journal key: unwrapped from the pool, or made and stored once. */
static int journal_key(struct vcore *c, struct vk_provider *local, uint8_t key[VC_KEY_LEN])
{
	uint8_t *w = NULL, wrapped[VK_WRAPPED_MAX];
	size_t wn = 0, wlen = sizeof(wrapped);
	int r;

	static pthread_mutex_t alloc_mu = PTHREAD_MUTEX_INITIALIZER;

	/* Commits journal from many threads: one of them allocates. */
	pthread_mutex_lock(&alloc_mu);
	if (!c->ckpt && (c->ckpt = calloc(1, sizeof(*c->ckpt))))
		pthread_mutex_init(&c->ckpt->mu, NULL);
	pthread_mutex_unlock(&alloc_mu);
	if (!c->ckpt)
		return -ENOMEM;
	pthread_mutex_lock(&c->ckpt->mu);
	if (c->ckpt->have) {
		memcpy(key, c->ckpt->jkey, VC_KEY_LEN);
		pthread_mutex_unlock(&c->ckpt->mu);
		return 0;
	}
	r = vs_meta_get(c->store, "jkey", &w, &wn);
	if (r == 0) {
		r = local->ops->unwrap(local, w, wn, jk_aad, sizeof(jk_aad) - 1, c->ckpt->jkey);
	} else if (r == VG_ENOTFOUND && !c->readonly) {
		if (!(r = vc_random(c->ckpt->jkey, VC_KEY_LEN)) &&
		    !(r = local->ops->wrap(local, c->ckpt->jkey, jk_aad, sizeof(jk_aad) - 1, wrapped, &wlen)))
			r = vs_meta_put(c->store, "jkey", wrapped, wlen);
	}
	free(w);
	if (!r) {
		c->ckpt->have = 1;
		memcpy(key, c->ckpt->jkey, VC_KEY_LEN);
	}
	pthread_mutex_unlock(&c->ckpt->mu);
	return r;
}

/* One journal record: u64 committed | u64 point | vault NUL item NUL
 * [object NUL] (a restic snapshot file; records without one name a point). */
static void journal_rec(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	uint64_t committed, const char *object)
{
	uint8_t key[VC_KEY_LEN], rec[4 + VC_NONCE_LEN + 16 + 3 * 256 + VC_TAG_LEN],
		pt[16 + 3 * 256];
	size_t vn = strlen(vault), in = strlen(item), on = object ? strlen(object) : 0,
		n = 16 + vn + 1 + in + 1 + (object ? on + 1 : 0);
	struct vc_aead *a = NULL;
	int r;

	if (!is_rados(c) || vn > 255 || in > 255 || on > 255)
		return;
	if ((r = journal_key(c, c->local, key)))
		goto fail;
	vg_put_u64(pt, committed);
	vg_put_u64(pt + 8, pid);
	memcpy(pt + 16, vault, vn + 1);
	memcpy(pt + 16 + vn + 1, item, in + 1);
	if (object)
		memcpy(pt + 16 + vn + 1 + in + 1, object, on + 1);
	vg_put_u32(rec, (uint32_t)(VC_NONCE_LEN + n + VC_TAG_LEN));
	if ((r = vc_random(rec + 4, VC_NONCE_LEN)) || (r = vc_aead_new(key, &a)) ||
	    (r = vc_aead_seal(a, rec + 4, jk_aad, sizeof(jk_aad) - 1, pt, n, rec + 4 + VC_NONCE_LEN)) ||
	    (r = vs_log_append(c->store, "journal", rec, 4 + VC_NONCE_LEN + n + VC_TAG_LEN)))
		goto fail;
	vc_aead_free(a);
	OPENSSL_cleanse(key, sizeof(key));
	return;
fail:
	vc_aead_free(a);
	OPENSSL_cleanse(key, sizeof(key));
	log_warnx("journal: %s/%s/%016llx%s%s not journalled in the pool: %s", vault, item,
		(unsigned long long)pid, object ? "/" : "", object ? object : "", vg_strerror(r));
}

void vcore_journal_point(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	uint64_t committed)
{
	journal_rec(c, vault, item, pid, committed, NULL);
}

void vcore_journal_object(struct vcore *c, const char *vault, const char *item, uint64_t pid,
	uint64_t committed, const char *object)
{
	/* Only restic snapshot files: they are what a restic user calls a
	 * backup; packs and indexes only matter through them. */
	if (strncmp(object, "snapshots:", 10) == 0)
		journal_rec(c, vault, item, pid, committed, object);
}

/* ---- recovery ------------------------------------------------------------------ */

static int write_new(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600), r = 0;

	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < n && !r;) {
		ssize_t k = write(fd, p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			r = k < 0 ? -errno : VG_EINTERNAL;
		else
			done += (size_t)k;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int vcore_pool_restore(const char *dir, const struct vs_rados_conf *rc, uint64_t *created,
	char *why, size_t whysz)
{
	struct vk_provider *local = NULL;
	struct vs_store *st = NULL;
	struct vc_aead *a = NULL;
	uint8_t *blob = NULL, *plain = NULL, ck[VC_KEY_LEN];
	const uint8_t *audit = NULL, *infra = NULL, *mdb = NULL;
	size_t n = 0, hlen, plen = 0, mdb_len = 0;
	uint32_t wlen;
	char path[2300];
	struct stat sb;
	int r;

	snprintf(path, sizeof(path), "%s/keys/platform.key", dir);
	if (stat(path, &sb) < 0) {
		snprintf(why, whysz, "%s: %s (recovery needs the platform key of the appliance that "
			"wrote the pool)", path, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/meta/data.mdb", dir);
	if (stat(path, &sb) == 0) {
		snprintf(why, whysz, "%s exists: recover only into a fresh state directory", path);
		return VG_EEXISTS;
	}
	snprintf(path, sizeof(path), "%s/keys/platform.key", dir);
	if ((r = vk_local_open(path, &local, why, whysz)) ||
	    (r = vs_open_rados(rc, &st, why, whysz)))
		goto out;
	if ((r = vs_meta_get(st, "checkpoint", &blob, &n))) {
		snprintf(why, whysz, "pool %s: no readable checkpoint: %s", rc->pool, vg_strerror(r));
		goto out;
	}
	r = VG_EINTEGRITY;
	snprintf(why, whysz, "pool %s: the checkpoint is damaged or was not written with this "
		"platform key", rc->pool);
	if (n < 20 || memcmp(blob, ck_magic, 8) != 0 || (wlen = vg_get_u32(blob + 16)) > VK_WRAPPED_MAX ||
	    n < (hlen = 20 + wlen + VC_NONCE_LEN + 8) + VC_TAG_LEN ||
	    (plen = vg_get_u64(blob + 20 + wlen + VC_NONCE_LEN)) != n - hlen - VC_TAG_LEN)
		goto out;
	if (local->ops->unwrap(local, blob + 20, wlen, ck_aad, sizeof(ck_aad) - 1, ck) != 0)
		goto out;
	if (!(plain = malloc(plen ? plen : 1))) {
		r = -ENOMEM;
		goto out;
	}
	if (vc_aead_new(ck, &a) ||
	    vc_aead_open(a, blob + 20 + wlen, blob, hlen, blob + hlen, plen, plain) != 0)
		goto out;
	for (size_t off = 0; off + 9 <= plen;) {
		uint64_t len = vg_get_u64(plain + off + 1);
		uint8_t type = plain[off];
		if (len > plen - off - 9)
			goto out;
		if (type == REC_AUDIT && len == 32)
			audit = plain + off + 9;
		else if (type == REC_INFRA && len == 32)
			infra = plain + off + 9;
		else if (type == REC_MDB) {
			mdb = plain + off + 9;
			mdb_len = (size_t)len;
		}
		off += 9 + (size_t)len;
	}
	if (!audit || !mdb)
		goto out;
	*created = vg_get_u64(blob + 8);
	snprintf(path, sizeof(path), "%s/meta", dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		goto out;
	}
#define PUT(name, p, len) \
	(snprintf(path, sizeof(path), "%s/" name, dir), (r = write_new(path, p, len)) ? \
		(snprintf(why, whysz, "%s: %s", path, vg_strerror(r)), r) : 0)
	if (PUT("keys/audit.key", audit, 32) || (infra && PUT("keys/infra.key", infra, 32)) ||
	    PUT("meta/data.mdb", mdb, mdb_len))
		goto out;
#undef PUT
	*why = 0;
	r = 0;
out:
	vc_aead_free(a);
	OPENSSL_cleanse(ck, sizeof(ck));
	if (plain) {
		OPENSSL_cleanse(plain, plen);
		free(plain);
	}
	free(blob);
	vs_close(st);
	if (local)
		local->ops->free(local);
	return r;
}

/* Is the repository file in the recovered metadata (and not deleted)? */
static int object_active(struct vcore *c, MDB_txn *txn, uint64_t pid, const char *object)
{
	uint8_t key[8 + VG_OBJECT_NAME_MAX + 1];
	struct vr_object o;
	MDB_val v;

	if (strlen(object) > VG_OBJECT_NAME_MAX ||
	    vdb_get(c->db, txn, VDB_OBJECTS, key, vr_key_id_name(key, pid, object), &v) ||
	    vr_object_dec(v.mv_data, v.mv_size, &o))
		return 0;
	return o.state == VR_O_ACTIVE;
}

int vcore_pool_recovered(struct vcore *c, uint64_t created, unsigned *lost, unsigned *lost_snaps,
	char *list, size_t listsz)
{
	struct vcaller sys = {.principal = "system", .peer = "local", .session = 0};
	uint8_t key[VC_KEY_LEN], *j = NULL, pt[16 + 3 * 256];
	size_t jn = 0, used = 0;
	char reason[600];
	struct vc_aead *a = NULL;
	MDB_txn *txn = NULL;
	int r;

	*lost = *lost_snaps = 0;
	if (listsz)
		*list = 0;
	r = vs_log_read(c->store, "journal", &j, &jn);
	if (r == VG_ENOTFOUND)
		r = 0, jn = 0;
	if (r || (jn && ((r = journal_key(c, c->local, key)) || (r = vc_aead_new(key, &a)))))
		goto out;
	if ((r = vdb_begin(c->db, false, &txn)))
		goto out;
	for (size_t off = 0; off + 4 <= jn;) {
		uint32_t len = vg_get_u32(j + off);
		size_t n;
		uint64_t when, pid;
		struct vr_vault v;
		struct vr_item it;
		struct vr_point p;
		const char *vault, *item, *object = NULL;
		char ps[17], shown[2 + VG_OBJECT_NAME_MAX], *q;
		if (len < VC_NONCE_LEN + 16 + 2 + VC_TAG_LEN || len > jn - off - 4 ||
		    (n = len - VC_NONCE_LEN - VC_TAG_LEN) > sizeof(pt)) {
			log_warnx("recovery: the journal is damaged at byte %zu; later entries skipped", off);
			break;
		}
		if (vc_aead_open(a, j + off + 4, jk_aad, sizeof(jk_aad) - 1, j + off + 4 + VC_NONCE_LEN,
			    n, pt) != 0 || pt[n - 1] != 0) {
			log_warnx("recovery: a journal entry does not authenticate (byte %zu): skipped", off);
			off += 4 + len;
			continue;
		}
		off += 4 + len;
		when = vg_get_u64(pt);
		pid = vg_get_u64(pt + 8);
		vault = (const char *)pt + 16;
		item = vault + strlen(vault) + 1;
		if ((const uint8_t *)item >= pt + n || when < created)
			continue;
		if ((const uint8_t *)item + strlen(item) + 1 < pt + n)
			object = item + strlen(item) + 1;  /* a restic snapshot file */
		if (vcore_get_vault(c, txn, vault, &v) == 0 && vcore_get_item(c, txn, v.id, item, &it) == 0 &&
		    vcore_get_point(c, txn, it.id, pid, &p) == 0 && (!object || object_active(c, txn, pid, object)))
			continue;  /* in the checkpoint after all (same second) */
		vcore_point_str(pid, ps);
		/* Shown as restic's own path: "snapshots:ID" is "snapshots/ID". */
		snprintf(shown, sizeof(shown), "%s%s", object ? "/" : "", object ? object : "");
		if (object && (q = strchr(shown, ':')))
			*q = '/';
		log_warnx("recovery: %s %s/%s/%s%s (committed after the checkpoint) is lost",
			object ? "restic snapshot" : "point", vault, item, ps, shown);
		if (used < listsz) {
			int k = snprintf(list + used, listsz - used, "%s/%s/%s%s\n", vault, item, ps,
				shown);
			used += k > 0 ? (size_t)k : 0;
			if (used >= listsz)
				used = listsz;
		}
		(*(object ? lost_snaps : lost))++;
	}
	vdb_abort(txn);
	txn = NULL;
	if ((r = vdb_begin(c->db, true, &txn)))
		goto out;
	snprintf(reason, sizeof(reason), "rebuilt from the pool checkpoint of %llu; %u point%s "
		"and %u restic snapshot%s committed after it lost%s%.400s", (unsigned long long)created,
		*lost, *lost == 1 ? "" : "s", *lost_snaps, *lost_snaps == 1 ? "" : "s",
		*lost || *lost_snaps ? ": " : "", listsz ? list : "");
	for (char *q = reason; *q; q++)
		if (*q == '\n')
			*q = ' ';
	if ((r = vcore_audit_txn(c, txn, &sys, "recovery.pool", "*", "ok", reason)))
		goto out;
	r = vdb_commit(txn);
	txn = NULL;
	if (!r) {
		/* The rebuilt directory has no high-water mark yet: set it at the
		 * recovered head (whose last entry is this recovery), so the
		 * chain is checked from here on as on any appliance. */
		struct va_hwm h;
		char path[2300];
		memset(&h, 0, sizeof(h));
		snprintf(path, sizeof(path), "%s/audit.hwm", c->dir);
		if ((r = va_hwm_sync(c->audit, c->db, path, &h)))
			log_warnx("recovery: writing %s: %s", path, vg_strerror(r));
	}
out:
	vdb_abort(txn);
	vc_aead_free(a);
	OPENSSL_cleanse(key, sizeof(key));
	free(j);
	return r;
}
