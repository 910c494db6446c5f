/* audit_hwm.c - see audit_hwm.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit_hwm.h"
#include "buf.h"
#include "vg_err.h"

#define MAGIC "VGHWM001"
#define SLOT 128
#define BODY (8 + 8 + 8 + VC_HASH_LEN)
#define LABEL "vaultgate/audit/hwm/v1"

static int slot_mac(struct va_audit *a, const uint8_t *body, uint8_t mac[VC_HASH_LEN])
{
	return va_mac(a, LABEL, body, BODY, mac);
}

int va_hwm_read(struct va_audit *a, const char *path, struct va_hwm *h)
{
	uint8_t buf[2 * SLOT], mac[VC_HASH_LEN];
	ssize_t n;
	int fd, found = 0;

	memset(h, 0, sizeof(*h));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? VG_ENOTFOUND : -errno;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < 0)
		return -errno;
	for (size_t i = 0; i + SLOT <= (size_t)n; i += SLOT) {
		const uint8_t *s = buf + i;
		uint64_t gen;
		if (memcmp(s, MAGIC, 8) != 0 || slot_mac(a, s, mac) ||
		    CRYPTO_memcmp(mac, s + BODY, VC_HASH_LEN) != 0)
			continue;
		gen = vg_get_u64(s + 8);
		if (found && gen <= h->gen)
			continue;
		found = 1;
		h->gen = gen;
		h->seq = vg_get_u64(s + 16);
		memcpy(h->hash, s + 24, VC_HASH_LEN);
	}
	return found ? 0 : VG_EINTEGRITY;
}

int va_hwm_write(struct va_audit *a, const char *path, const struct va_hwm *h)
{
	uint8_t s[SLOT];
	char dir[4096];
	int fd, r = 0, created = access(path, F_OK) != 0;

	memset(s, 0, sizeof(s));
	memcpy(s, MAGIC, 8);
	vg_put_u64(s + 8, h->gen);
	vg_put_u64(s + 16, h->seq);
	memcpy(s + 24, h->hash, VC_HASH_LEN);
	if ((r = slot_mac(a, s, s + BODY)))
		return r;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (pwrite(fd, s, SLOT, (off_t)(h->gen % 2) * SLOT) != SLOT || fdatasync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (!r && created && snprintf(dir, sizeof(dir), "%s", path) < (int)sizeof(dir)) {
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			if (fsync(dfd) < 0)
				r = -errno;
			close(dfd);
		}
	}
	return r;
}

int va_hwm_check(struct va_audit *a, struct vdb *db, const char *path, struct va_hwm *h,
	uint64_t *brk, char *why, size_t whysz)
{
	uint8_t hhash[VC_HASH_LEN], ehash[VC_HASH_LEN];
	uint64_t hseq = 0;
	MDB_txn *txn;
	int r, version = 0, have;

	*brk = 0;
	r = va_hwm_read(a, path, h);
	if (r && r != VG_ENOTFOUND && r != VG_EINTEGRITY)
		return r;
	have = r == 0;
	if ((r = vdb_begin(db, false, &txn)))
		return r;
	r = va_head(a, db, txn, &hseq, hhash, &version);
	if (r == VG_ENOTFOUND)
		r = 0;  /* an empty log */
	if (r)
		goto out;  /* a bad head: va_verify says so */
	if (!have) {
		if (access(path, F_OK) == 0) {
			snprintf(why, whysz, "%s was altered: it holds no mark with a good MAC", path);
			*brk = hseq + 1;
			r = VG_EINTEGRITY;
		} else if (version == 2) {
			snprintf(why, whysz, "%s is missing, but the chain head says it was kept: "
				"the log may have been cut back", path);
			*brk = hseq + 1;
			r = VG_EINTEGRITY;
		}
		goto out;
	}
	if (h->seq > hseq) {
		snprintf(why, whysz, "the audit log ends at entry %llu, but it had reached entry "
			"%llu (%s): entries %llu-%llu were cut", (unsigned long long)hseq,
			(unsigned long long)h->seq, path, (unsigned long long)hseq + 1,
			(unsigned long long)h->seq);
		*brk = hseq + 1;
		r = VG_EINTEGRITY;
		goto out;
	}
	if (h->seq && (va_entry_hash(db, txn, h->seq, ehash) ||
		       CRYPTO_memcmp(ehash, h->hash, VC_HASH_LEN) != 0)) {
		snprintf(why, whysz, "entry %llu is not the one the log held (%s): the log was "
			"cut back and written again", (unsigned long long)h->seq, path);
		*brk = h->seq;
		r = VG_EINTEGRITY;
	}
out:
	vdb_abort(txn);
	return r;
}

int va_hwm_sync(struct va_audit *a, struct vdb *db, const char *path, struct va_hwm *h)
{
	struct va_hwm n;
	MDB_txn *txn;
	int r, version;

	if ((r = vdb_begin(db, false, &txn)))
		return r;
	r = va_head(a, db, txn, &n.seq, n.hash, &version);
	vdb_abort(txn);
	if (r == VG_ENOTFOUND)
		return 0;
	if (r)
		return r;
	if (n.seq == h->seq && CRYPTO_memcmp(n.hash, h->hash, VC_HASH_LEN) == 0)
		return 0;
	n.gen = h->gen + 1;
	if ((r = va_hwm_write(a, path, &n)))
		return r;
	*h = n;
	return 0;
}
