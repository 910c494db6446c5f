/* keyimport.c - vaultd --import-keys FILE: the keys off the box brought
 * back onto a replacement appliance (keyexport.h has the file).
 *
 * Offline, on purpose: vaultd makes fresh keys the first time it opens a
 * state directory, and a running vaultd cannot swap the key that wraps
 * every vault's DEK or the one its audit chain is MAC'd with. So the
 * import runs before the first start, into a state directory whose keys/
 * holds none of the three files (a fresh appliance, with the old data's
 * meta/ and blobs/ put in place), and:
 *   1. opens the file with the passphrase (--passphrase-file, or stdin);
 *   2. writes the keys (O_EXCL, 0600, fsync'd, owned like the directory);
 *   3. opens the state: the audit chain must verify under the imported
 *      audit key, and every vault under the platform key must open; if not,
 *      the written keys are removed again and nothing has changed;
 *   4. appends keys.import to the audit chain, and exits.
 * Then vaultd starts as usual. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "audit_guard.h"
#include "core_int.h"
#include "keyexport.h"
#include "keyimport.h"
#include "vg_err.h"
#include "wire.h"

static const char *const names[] = {"platform.key", "audit.key", "infra.key"};

static int read_small(const char *path, int fd, uint8_t *buf, size_t cap, size_t *n, char *why,
	size_t whysz)
{
	ssize_t got;

	*n = 0;
	if (path && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "%.400s: %s", path, strerror(errno));
		return -errno;
	}
	while (*n < cap && (got = read(fd, buf + *n, cap - *n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			snprintf(why, whysz, "%.400s: %s", path ? path : "stdin", strerror(e));
			if (path)
				close(fd);
			return -e;
		}
		*n += (size_t)got;
	}
	if (path)
		close(fd);
	if (*n == cap) {
		snprintf(why, whysz, "%s: too large", path ? path : "stdin");
		return VG_ETOOBIG;
	}
	return 0;
}

static int write_key(const char *dir, const char *name, const uint8_t key[VKX_KEY_LEN],
	const struct stat *owner, char *why, size_t whysz)
{
	char path[4200];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/keys/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(why, whysz, "%.400s: %s", path, strerror(errno));
		return -errno;
	}
	if (write(fd, key, VKX_KEY_LEN) != VKX_KEY_LEN || fsync(fd) ||
	    (geteuid() == 0 && fchown(fd, owner->st_uid, owner->st_gid))) {
		r = -errno;
		snprintf(why, whysz, "%.400s: %s", path, strerror(errno));
	}
	close(fd);
	return r;
}

static void remove_keys(const char *dir, int n)
{
	char path[4200];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/keys/%s", dir, names[i]);
		unlink(path);
	}
}

struct open_check {
	struct vcore *c;
	char *why;
	size_t whysz;
	unsigned vaults;
};

static int vault_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct open_check *oc = arg;
	struct vcore_keys k;
	int r;

	if (vcore_keyref_is_cmk(v->keyref))
		return 0;  /* its key is in the HSM, not in the file */
	if ((r = vcore_keys_get(oc->c, name, v, &k))) {
		snprintf(oc->why, oc->whysz, "vault %s does not open under the imported keys (%s): "
			"this export is not from the appliance that wrote this data", name,
			vg_strerror(r));
		return r;
	}
	vcore_keys_wipe(&k);
	oc->vaults++;
	return 0;
}

int vkx_import(const char *dir, const char *file, const char *passfile, char *msg, size_t msgsz)
{
	uint8_t buf[VKX_FILE_MAX + 1], pass[VG_WIRE_STR_MAX + 1];
	char path[4200], why[600] = "", reason[300];
	const struct vcaller who = {.principal = "root@local", .peer = "local", .root = true};
	struct vkx_keys k;
	struct vcore *c = NULL;
	struct va_report rep;
	struct open_check oc = {.why = why, .whysz = sizeof(why)};
	struct stat st;
	size_t n, pl;
	int r, written = 0;

	memset(&k, 0, sizeof(k));
	if ((r = read_small(passfile, 0, pass, sizeof(pass) - 1, &pl, why, sizeof(why))))
		goto out;
	while (pl && (pass[pl - 1] == '\n' || pass[pl - 1] == '\r'))
		pl--;
	pass[pl] = 0;
	if ((r = read_small(file, -1, buf, sizeof(buf), &n, why, sizeof(why))))
		goto out;
	if ((r = vkx_open(buf, n, (const char *)pass, pl, &k, why, sizeof(why)))) {
		char w2[600];
		snprintf(w2, sizeof(w2), "%s: %s", file, why);
		snprintf(why, sizeof(why), "%s", w2);
		goto out;
	}
	/* Into an empty keys/ only: never over keys that may be the only ones. */
	if (mkdir(dir, 0700) && errno != EEXIST) {
		r = -errno;
		snprintf(why, sizeof(why), "%.400s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st)) {
		r = -errno;
		snprintf(why, sizeof(why), "%.400s: %s", dir, strerror(errno));
		goto out;
	}
	/* Root importing into a daemon's directory (the appliance's vaultd runs
	 * as its own user): become its owner first, so that the keys, the
	 * metadata's lock and the audit entry belong to it, and the key files
	 * pass the owner check made when they are opened (below, and by vaultd). */
	if (geteuid() == 0 && st.st_uid != 0 &&
	    (setgroups(0, NULL) || setgid(st.st_gid) || setuid(st.st_uid))) {
		r = -errno;
		snprintf(why, sizeof(why), "becoming uid %u, the owner of %.400s: %s",
			(unsigned)st.st_uid, dir, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/keys", dir);
	if ((mkdir(path, 0700) && errno != EEXIST) ||
	    (geteuid() == 0 && chown(path, st.st_uid, st.st_gid))) {
		r = -errno;
		snprintf(why, sizeof(why), "%.400s: %s", path, strerror(errno));
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/keys/%s", dir, names[i]);
		if (access(path, F_OK) == 0) {
			r = -EEXIST;
			snprintf(why, sizeof(why), "%.400s exists: keys are imported only into a state "
				"directory without keys (before vaultd's first start there); "
				"nothing was written", path);
			goto out;
		}
	}
	if ((r = write_key(dir, names[0], k.platform, &st, why, sizeof(why))))
		goto undo;
	written = 1;
	if ((r = write_key(dir, names[1], k.audit, &st, why, sizeof(why))))
		goto undo;
	written = 2;
	if (k.has_infra) {
		if ((r = write_key(dir, names[2], k.infra, &st, why, sizeof(why))))
			goto undo;
		written = 3;
	}
	snprintf(path, sizeof(path), "%s/keys", dir);
	{
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if ((r = vcore_open_ex(dir, 0, "vaultd --import-keys", &c, why, sizeof(why))))
		goto undo;
	why[0] = 0;
	if ((r = va_verify_report(c->audit, c->db, &rep, why, sizeof(why)))) {
		char w2[600];
		snprintf(w2, sizeof(w2), "the audit chain does not verify under the imported audit key "
			"(%s): this export is not from the appliance that wrote this data", why);
		snprintf(why, sizeof(why), "%s", w2);
		goto undo;
	}
	oc.c = c;
	if ((r = vcore_vault_list(c, vault_cb, &oc)))
		goto undo;
	snprintf(reason, sizeof(reason), "platform, audit%s keys from %s (sealed at unix %llu); "
		"audit chain verified (%llu entries); %u vaults open", k.has_infra ? ", infrastructure" : "",
		file, (unsigned long long)k.created, (unsigned long long)rep.count, oc.vaults);
	if ((r = vcore_audit(c, &who, "keys.import", "keys", "ok", reason))) {
		snprintf(why, sizeof(why), "appending keys.import to the audit chain: %s", vg_strerror(r));
		goto undo;
	}
	{
		uint64_t count;
		char w2[400];
		/* Starts (or checks) the high-water mark next to the chain. */
		if ((r = vaudit_start(c, &count, w2, sizeof(w2))) == 1) {
			snprintf(why, sizeof(why), "audit high-water mark: %s", w2);
			r = VG_EINTEGRITY;
			goto out;
		}
	}
	snprintf(msg, msgsz, "%s", reason);
	goto out;
undo:
	vcore_close(c);
	c = NULL;
	remove_keys(dir, written);
out:
	vcore_close(c);
	vkx_wipe(&k);
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r)
		snprintf(msg, msgsz, "%s", *why ? why : vg_strerror(r));
	return r;
}
