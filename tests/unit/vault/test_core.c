/* test_core.c - vault/core.c through its API on a private state dir:
 * atomic point commit, abort, session binding, upload checks, range reads
 * at segment edges, 0-byte objects, tamper detection, key unavailability,
 * damaged metadata and the start-up recovery pass. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "core.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

#define SEG VS_SEG_SIZE

static char *dir, *state, *blobs;
static struct vcore *c;
static const struct vcaller who = {.principal = "tester", .peer = "unit", .session = 1};
static const struct vcaller other = {.principal = "other", .peer = "unit", .session = 2};

static void open_core(void)
{
	char why[512] = "";

	ck_assert_msg(vcore_open(state, &c, why, sizeof(why)) == 0, "vcore_open: %s", why);
}

static void setup(void)
{
	dir = tu_tmpdir_new();
	state = tu_path("%s/state", dir);
	blobs = tu_path("%s/blobs", state);
	open_core();
	ck_assert_int_eq(vcore_vault_create(c, &who, "v1"), 0);
	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "i1", "files", NULL), 0);
}

static void teardown(void)
{
	vcore_close(c);
	c = NULL;
	free(blobs);
	free(state);
	tu_tmpdir_free(dir);
	dir = state = blobs = NULL;
}

/* ---- helpers ---- */

static int upload_as(const struct vcaller *w, uint64_t pid, const char *name,
	const uint8_t *data, size_t n, const uint8_t *want_sha, uint64_t want_size)
{
	struct vcore_upload *u;
	uint8_t sha[32];
	uint64_t size;
	int r;

	if ((r = vcore_upload_begin(c, w, "v1", "i1", pid, name, want_sha, want_size, &u)))
		return r;
	for (size_t off = 0; off < n && !r; off += 256 * 1024)
		r = vcore_upload_write(u, data + off, n - off < 256 * 1024 ? n - off : 256 * 1024);
	if (!r && !(r = vcore_upload_finish(u, &size, sha)))
		ck_assert_uint_eq(size, n);
	vcore_upload_free(u);
	return r;
}

static int upload(uint64_t pid, const char *name, const uint8_t *data, size_t n)
{
	return upload_as(&who, pid, name, data, n, NULL, UINT64_MAX);
}

static uint64_t begin(void)
{
	uint64_t pid = 0;

	ck_assert_int_eq(vcore_point_begin(c, &who, "v1", "i1", false, &pid), 0);
	ck_assert_uint_ne(pid, 0);
	return pid;
}

struct sinkbuf {
	uint8_t *p;
	size_t n, cap;
	int calls;
};

static int sink(void *arg, const uint8_t *p, size_t n)
{
	struct sinkbuf *s = arg;

	if (s->n + n > s->cap) {
		s->cap = (s->n + n) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->calls++;
	return 0;
}

/* Reads [off, off+len) of an object into s (reset first). */
static int download(uint64_t pid, const char *name, uint64_t off, uint64_t len, struct sinkbuf *s)
{
	struct vcore_download *d;
	struct vr_object o;
	int r;

	s->n = 0;
	s->calls = 0;
	if ((r = vcore_download_open(c, "v1", "i1", pid, name, &d, &o)))
		return r;
	r = vcore_download_read(d, off, len, sink, s);
	vcore_download_free(d);
	return r;
}

static int count_cb(void *arg, const struct vr_point *p)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static int npoints(bool all)
{
	int n = 0;

	ck_assert_int_eq(vcore_point_list(c, "v1", "i1", all, count_cb, &n), 0);
	return n;
}

static int nblobs(void)
{
	return tu_count_files(blobs);
}

static uint8_t *random_data(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	tu_fill(p, n, seed);
	return p;
}

/* ---- vaults and items ---- */

static int name_cb(void *arg, const char *name, const struct vr_vault *v)
{
	(void)name;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

static int item_cb(void *arg, const char *name, const struct vr_item *it)
{
	(void)name;
	(void)it;
	(*(int *)arg)++;
	return 0;
}

START_TEST(vaults_and_items)
{
	struct vr_vault v;
	struct vr_item it;
	char long_name[200];
	int n = 0;

	ck_assert_int_eq(vcore_vault_create(c, &who, "v1"), VG_EEXISTS);
	ck_assert_int_eq(vcore_vault_create(c, &who, "a/b"), VG_ENAME);
	ck_assert_int_eq(vcore_vault_create(c, &who, ".."), VG_ENAME);
	ck_assert_int_eq(vcore_vault_create(c, &who, ""), VG_ENAME);
	memset(long_name, 'v', VG_VAULT_NAME_MAX + 1);
	long_name[VG_VAULT_NAME_MAX + 1] = 0;
	ck_assert_int_eq(vcore_vault_create(c, &who, long_name), VG_ENAME);
	long_name[VG_VAULT_NAME_MAX] = 0;
	ck_assert_int_eq(vcore_vault_create(c, &who, long_name), 0);

	ck_assert_int_eq(vcore_vault_get(c, "v1", &v), 0);
	ck_assert_uint_eq(v.state, VR_V_ACTIVE);
	ck_assert_uint_eq(v.sd_state, VR_SD_ON);
	ck_assert_uint_eq(v.sd_days, 14);
	ck_assert_uint_eq(v.immut, VR_IMM_DISABLED);
	ck_assert_str_eq(v.keyref, "local");
	ck_assert_uint_eq(v.wrapped_len, 60);
	ck_assert_int_eq(vcore_vault_get(c, "nope", &v), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_vault_get(c, "a/b", &v), VG_ENAME);
	ck_assert_int_eq(vcore_vault_list(c, name_cb, &n), 0);
	ck_assert_int_eq(n, 2);

	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "i1", "files", NULL), VG_EEXISTS);
	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "i2", "bogus", NULL), VG_EINVAL);
	ck_assert_int_eq(vcore_item_create(c, &who, "nope", "i2", "files", NULL), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "x/y", "files", NULL), VG_ENAME);
	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "..", "files", NULL), VG_ENAME);
	ck_assert_int_eq(vcore_item_create(c, &who, "v1", "r1", "restic", NULL), 0);
	ck_assert_int_eq(vcore_item_get(c, "v1", "i1", &it), 0);
	ck_assert_str_eq(it.kind, "files");
	ck_assert_str_eq(it.owner, "tester");
	ck_assert_int_eq(vcore_item_get(c, "v1", "nope", &it), VG_ENOTFOUND);
	n = 0;
	ck_assert_int_eq(vcore_item_list(c, "v1", item_cb, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(vcore_item_list(c, "nope", item_cb, &n), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_point_begin(c, &who, "v1", "nope", false, &(uint64_t){0}), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_point_begin(c, &who, "nope", "i1", false, &(uint64_t){0}), VG_ENOTFOUND);
}
END_TEST

/* ---- points ---- */

START_TEST(point_invisible_before_commit)
{
	uint8_t *data = random_data(5000, 1);
	struct sinkbuf s = {0};
	struct vr_point p;
	struct vcore_download *d;
	struct vr_object o;
	uint64_t pid = begin();

	ck_assert_int_eq(upload(pid, "obj", data, 5000), 0);
	ck_assert_int_eq(npoints(false), 0);
	ck_assert_int_eq(npoints(true), 0);
	ck_assert_int_eq(vcore_object_list(c, "v1", "i1", pid, NULL, NULL), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_download_open(c, "v1", "i1", pid, "obj", &d, &o), VG_ENOTFOUND);
	ck_assert_ptr_null(d);

	vault_clock_advance(1000);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, &p), 0);
	ck_assert_uint_eq(p.state, VR_P_ACTIVE);
	ck_assert_uint_eq(p.bytes, 5000);
	ck_assert_uint_eq(p.objects, 1);
	ck_assert_uint_ge(p.committed, p.created + 1000);
	ck_assert_int_eq(npoints(false), 1);
	ck_assert_int_eq(download(pid, "obj", 0, 5000, &s), 0);
	ck_assert_uint_eq(s.n, 5000);
	ck_assert_mem_eq(s.p, data, 5000);

	/* A committed point is immutable. */
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, &p), VG_EBADSTATE);
	ck_assert_int_eq(upload(pid, "obj2", data, 10), VG_EBADSTATE);
	ck_assert_int_eq(vcore_point_abort(c, &who, "v1", "i1", pid), VG_EBADSTATE);
	ck_assert_int_eq(download(pid, "obj", 0, 5000, &s), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", 0x1234, &p), VG_ENOTFOUND);
	free(s.p);
	free(data);
}
END_TEST

START_TEST(pending_point_bound_to_session)
{
	/* The same principal on another connection. */
	const struct vcaller who2 = {.principal = "tester", .peer = "unit", .session = 3};
	uint64_t pid = begin(), dpid = 0;
	struct vr_point p;

	ck_assert_int_eq(upload_as(&who2, pid, "x", (const uint8_t *)"x", 1, NULL, UINT64_MAX), VG_EBADSTATE);
	ck_assert_int_eq(vcore_point_commit(c, &who2, "v1", "i1", pid, &p), VG_EBADSTATE);
	ck_assert_int_eq(vcore_point_abort(c, &who2, "v1", "i1", pid), VG_EBADSTATE);
	/* Another principal: the point is not theirs (issue 12 item 7). */
	ck_assert_int_eq(upload_as(&other, pid, "x", (const uint8_t *)"x", 1, NULL, UINT64_MAX), VG_EDENIED);
	ck_assert_int_eq(vcore_point_commit(c, &other, "v1", "i1", pid, &p), VG_EDENIED);
	ck_assert_int_eq(vcore_point_abort(c, &other, "v1", "i1", pid), VG_EDENIED);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, &p), 0);

	/* A detached point may be continued from another session by its
	 * opener, and by nobody else. */
	ck_assert_int_eq(vcore_point_begin(c, &who, "v1", "i1", true, &dpid), 0);
	ck_assert_int_eq(upload_as(&other, dpid, "y", (const uint8_t *)"y", 1, NULL, UINT64_MAX), VG_EDENIED);
	ck_assert_int_eq(vcore_point_commit(c, &other, "v1", "i1", dpid, &p), VG_EDENIED);
	ck_assert_int_eq(upload_as(&who2, dpid, "x", (const uint8_t *)"x", 1, NULL, UINT64_MAX), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who2, "v1", "i1", dpid, &p), 0);
	ck_assert_int_eq(npoints(false), 2);
}
END_TEST

START_TEST(abort_removes_blobs)
{
	uint8_t *data = random_data(3 * SEG, 2);
	struct vcore_upload *u;
	uint8_t sha[32];
	uint64_t size, pid = begin();
	struct sinkbuf s = {0};

	ck_assert_int_eq(upload(pid, "a", data, 3 * SEG), 0);
	ck_assert_int_eq(upload(pid, "b", data, 100), 0);
	/* A third upload still in flight when the point is aborted. */
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v1", "i1", pid, "c", NULL, UINT64_MAX, &u), 0);
	ck_assert_int_eq(vcore_upload_write(u, data, 1000), 0);
	ck_assert_int_eq(nblobs(), 3);
	ck_assert_int_eq(vcore_point_abort(c, &who, "v1", "i1", pid), 0);
	ck_assert_int_eq(nblobs(), 1);
	/* Its finish finds the point gone and records nothing. */
	ck_assert_int_eq(vcore_upload_finish(u, &size, sha), VG_ENOTFOUND);
	vcore_upload_free(u);
	ck_assert_int_eq(nblobs(), 0);
	ck_assert_int_eq(npoints(true), 0);
	ck_assert_int_eq(download(pid, "a", 0, 1, &s), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_point_abort(c, &who, "v1", "i1", pid), VG_ENOTFOUND);
	free(data);
}
END_TEST

START_TEST(upload_checks)
{
	uint8_t *data = random_data(10000, 3), sha[32], bad_sha[32];
	struct vcore_upload *u1, *u2;
	uint64_t size, pid = begin();
	char long_name[300];

	ck_assert_int_eq(vc_sha256(data, 10000, sha), 0);
	memcpy(bad_sha, sha, 32);
	bad_sha[0] ^= 1;

	ck_assert_int_eq(upload_as(&who, pid, "sha-bad", data, 10000, bad_sha, UINT64_MAX), VG_EINVAL);
	ck_assert_int_eq(upload_as(&who, pid, "sha-ok", data, 10000, sha, UINT64_MAX), 0);
	ck_assert_int_eq(upload_as(&who, pid, "too-long", data, 10000, NULL, 9999), VG_ETOOBIG);
	ck_assert_int_eq(upload_as(&who, pid, "too-short", data, 10000, NULL, 10001), VG_EINVAL);
	ck_assert_int_eq(upload_as(&who, pid, "size-ok", data, 10000, NULL, 10000), 0);
	ck_assert_int_eq(upload(pid, "sha-ok", data, 1), VG_EEXISTS);
	ck_assert_int_eq(nblobs(), 2);  /* the refused uploads left nothing */

	/* A declared size that cannot fit is refused before any byte. */
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v1", "i1", pid, "huge", NULL,
		1ull << 62, &u1), VG_ENOSPACE);

	/* Two racing uploads of one name: the second to finish loses. */
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v1", "i1", pid, "race", NULL, UINT64_MAX, &u1), 0);
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v1", "i1", pid, "race", NULL, UINT64_MAX, &u2), 0);
	ck_assert_int_eq(vcore_upload_write(u1, data, 10), 0);
	ck_assert_int_eq(vcore_upload_write(u2, data, 20), 0);
	ck_assert_int_eq(vcore_upload_finish(u1, &size, sha), 0);
	ck_assert_int_eq(vcore_upload_finish(u2, &size, sha), VG_EEXISTS);
	vcore_upload_free(u1);
	vcore_upload_free(u2);
	ck_assert_int_eq(nblobs(), 3);

	ck_assert_int_eq(upload(pid, "a/b", data, 1), VG_ENAME);
	ck_assert_int_eq(upload(pid, "..", data, 1), VG_ENAME);
	ck_assert_int_eq(upload(pid, "", data, 1), VG_ENAME);
	ck_assert_int_eq(upload(pid, "/etc/passwd", data, 1), VG_ENAME);
	memset(long_name, 'o', VG_OBJECT_NAME_MAX + 1);
	long_name[VG_OBJECT_NAME_MAX + 1] = 0;
	ck_assert_int_eq(upload(pid, long_name, data, 1), VG_ENAME);
	long_name[VG_OBJECT_NAME_MAX] = 0;
	ck_assert_int_eq(upload(pid, long_name, data, 1), 0);
	ck_assert_int_eq(nblobs(), 4);
	free(data);
}
END_TEST

static int find_blob_cb(void *arg, const char *name, const struct vr_object *o)
{
	(void)name;
	memcpy(arg, o->blob, VC_BLOBID_LEN);
	return 0;
}

static char *blob_file(uint64_t pid)
{
	uint8_t blob[VC_BLOBID_LEN];
	char path[4096];

	ck_assert_int_eq(vcore_object_list(c, "v1", "i1", pid, find_blob_cb, blob), 0);
	ck_assert_int_eq(vs_blob_path(c->store, blob, path, sizeof(path)), 0);
	return tu_path("%s", path);
}

/* ---- reads ---- */

struct range { uint64_t off, len; };

static void check_ranges(uint64_t pid, const char *name, const uint8_t *data, uint64_t size,
	const struct range *ok, size_t nok, const struct range *bad, size_t nbad)
{
	struct sinkbuf s = {0};

	for (size_t i = 0; i < nok; i++) {
		ck_assert_msg(download(pid, name, ok[i].off, ok[i].len, &s) == 0, "range %llu+%llu",
			(unsigned long long)ok[i].off, (unsigned long long)ok[i].len);
		ck_assert_uint_eq(s.n, ok[i].len);
		ck_assert_msg(s.n == 0 || memcmp(s.p, data + ok[i].off, s.n) == 0, "range %llu+%llu differs",
			(unsigned long long)ok[i].off, (unsigned long long)ok[i].len);
	}
	for (size_t i = 0; i < nbad; i++) {
		ck_assert_msg(download(pid, name, bad[i].off, bad[i].len, &s) == VG_ERANGE,
			"range %llu+%llu of %llu accepted", (unsigned long long)bad[i].off,
			(unsigned long long)bad[i].len, (unsigned long long)size);
		ck_assert_uint_eq(s.n, 0);
	}
	free(s.p);
}

START_TEST(range_reads_at_segment_edges)
{
	const uint64_t size = 3 * (uint64_t)SEG + 123;
	uint8_t *data = random_data(size, 4);
	uint64_t pid = begin();
	const struct range ok[] = {
		{0, 1}, {0, size}, {0, 0}, {SEG - 1, 1}, {SEG - 1, 2}, {SEG, 1}, {SEG + 1, 1},
		{SEG - 1, SEG + 2}, {SEG, SEG}, {2 * SEG - 1, 1}, {3 * SEG, 123}, {3 * SEG - 1, 124},
		{size - 1, 1}, {size, 0}, {1, size - 1}, {12345, 2 * SEG}, {12345, size - 12345},
	};
	const struct range bad[] = {
		{size + 1, 0}, {size, 1}, {size - 1, 2}, {0, size + 1}, {UINT64_MAX, 1},
		{1, UINT64_MAX}, {UINT64_MAX, 0}, {SEG, UINT64_MAX - SEG + 1},
	};
	struct sinkbuf s = {0};

	ck_assert_int_eq(upload(pid, "obj", data, size), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, NULL), 0);
	check_ranges(pid, "obj", data, size, ok, sizeof(ok) / sizeof(ok[0]), bad,
		sizeof(bad) / sizeof(bad[0]));
	/* A range inside one segment decrypts only that segment. */
	ck_assert_int_eq(download(pid, "obj", SEG + 10, 100, &s), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(download(pid, "obj", SEG - 1, 2, &s), 0);
	ck_assert_int_eq(s.calls, 2);
	free(s.p);
	free(data);
}
END_TEST

START_TEST(exact_multiple_of_segment)
{
	const uint64_t size = 2 * (uint64_t)SEG;
	uint8_t *data = random_data(size, 5);
	uint64_t pid = begin();
	const struct range ok[] = {
		{0, size}, {SEG - 1, 2}, {SEG, SEG}, {size - 1, 1}, {size, 0},
	};
	const struct range bad[] = {{size, 1}, {size + 1, 0}};
	char *p;

	ck_assert_int_eq(upload(pid, "obj", data, size), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, NULL), 0);
	check_ranges(pid, "obj", data, size, ok, 5, bad, 2);
	ck_assert_int_eq(nblobs(), 1);
	p = blob_file(pid);
	ck_assert_int_eq(tu_file_size(p), (off_t)(VS_HDR_LEN + size + 2 * VC_TAG_LEN));
	free(p);
	free(data);
}
END_TEST

START_TEST(zero_byte_object)
{
	static const char empty_sha[] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct vcore_download *d;
	struct vr_object o;
	struct vr_point p;
	struct sinkbuf s = {0};
	uint64_t pid = begin();
	char hex[65], *f;

	ck_assert_int_eq(upload(pid, "empty", NULL, 0), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, &p), 0);
	ck_assert_uint_eq(p.bytes, 0);
	ck_assert_uint_eq(p.objects, 1);
	ck_assert_int_eq(vcore_download_open(c, "v1", "i1", pid, "empty", &d, &o), 0);
	vcore_download_free(d);
	ck_assert_uint_eq(o.size, 0);
	vg_hex(hex, o.sha256, 32);
	ck_assert_str_eq(hex, empty_sha);
	ck_assert_int_eq(download(pid, "empty", 0, 0, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(download(pid, "empty", 0, 1, &s), VG_ERANGE);
	ck_assert_int_eq(download(pid, "empty", 1, 0, &s), VG_ERANGE);
	f = blob_file(pid);
	ck_assert_int_eq(tu_file_size(f), VS_HDR_LEN + VC_TAG_LEN);
	/* Even an empty object's single tag is checked: a damaged blob is
	 * reported, not served as a successful empty restore. */
	tu_flip_bit(f, VS_HDR_LEN + 3, 0);
	ck_assert_int_eq(download(pid, "empty", 0, 0, &s), VG_EINTEGRITY);
	tu_flip_bit(f, VS_HDR_LEN + 3, 0);
	ck_assert_int_eq(download(pid, "empty", 0, 0, &s), 0);
	free(f);
	free(s.p);
}
END_TEST

START_TEST(tampered_blob_never_returns_bad_bytes)
{
	const uint64_t size = 3 * (uint64_t)SEG;
	uint8_t *data = random_data(size, 6);
	struct sinkbuf s = {0};
	struct vcore_download *d;
	struct vr_object o;
	uint64_t pid = begin();
	char *f;

	ck_assert_int_eq(upload(pid, "obj", data, size), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, NULL), 0);
	f = blob_file(pid);
	tu_flip_bit(f, VS_HDR_LEN + (SEG + VC_TAG_LEN) + 777, 3);  /* segment 1 */
	ck_assert_int_eq(download(pid, "obj", 0, size, &s), VG_EINTEGRITY);
	/* Only the authenticated segment before the damage was passed on. */
	ck_assert_uint_eq(s.n, SEG);
	ck_assert_mem_eq(s.p, data, SEG);
	ck_assert_int_eq(download(pid, "obj", SEG + 776, 1, &s), VG_EINTEGRITY);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(download(pid, "obj", 10, 10, &s), 0);
	ck_assert_int_eq(download(pid, "obj", 2 * SEG, SEG, &s), 0);
	ck_assert_mem_eq(s.p, data + 2 * SEG, SEG);

	/* A blob file that is gone: the store was damaged. */
	ck_assert_int_eq(unlink(f), 0);
	ck_assert_int_eq(vcore_download_open(c, "v1", "i1", pid, "obj", &d, &o), VG_EINTEGRITY);
	free(f);
	free(s.p);
	free(data);
}
END_TEST

/* ---- keys and damaged metadata ---- */

static void rewrite_vault(const char *name, void (*edit)(struct vr_vault *))
{
	struct vr_vault v;
	struct vg_wr w;
	MDB_txn *txn;
	MDB_val val;

	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(c->db, txn, VDB_VAULTS, name, strlen(name), &val), 0);
	ck_assert_int_eq(vr_vault_dec(val.mv_data, val.mv_size, &v), 0);
	edit(&v);
	vg_wr_init(&w, 0);
	ck_assert_int_eq(vr_vault_enc(&w, &v), 0);
	ck_assert_int_eq(vdb_put(c->db, txn, VDB_VAULTS, name, strlen(name), w.p, w.len, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	vg_wr_free(&w);
}

static void set_cmk_ref(struct vr_vault *v)
{
	strcpy(v->keyref, "pkcs11:token=hsm1");
}

static void break_wrapped(struct vr_vault *v)
{
	v->wrapped[20] ^= 1;
}

START_TEST(key_unavailable)
{
	struct vcore_upload *u;
	uint64_t pid;

	ck_assert_int_eq(vcore_vault_create(c, &who, "v2"), 0);
	ck_assert_int_eq(vcore_item_create(c, &who, "v2", "i", "files", NULL), 0);
	ck_assert_int_eq(vcore_point_begin(c, &who, "v2", "i", false, &pid), 0);
	rewrite_vault("v2", set_cmk_ref);
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v2", "i", pid, "o", NULL, UINT64_MAX, &u), VG_EKEY);
	ck_assert_ptr_null(u);

	ck_assert_int_eq(vcore_vault_create(c, &who, "v3"), 0);
	ck_assert_int_eq(vcore_item_create(c, &who, "v3", "i", "files", NULL), 0);
	ck_assert_int_eq(vcore_point_begin(c, &who, "v3", "i", false, &pid), 0);
	rewrite_vault("v3", break_wrapped);
	ck_assert_int_eq(vcore_upload_begin(c, &who, "v3", "i", pid, "o", NULL, UINT64_MAX, &u), VG_EKEY);
	ck_assert_int_eq(nblobs(), 0);
}
END_TEST

START_TEST(damaged_metadata)
{
	uint64_t pid = begin();
	struct vcore_download *d;
	struct vr_object o;
	MDB_txn *txn;
	MDB_val val;
	uint8_t key[16 + VG_OBJECT_NAME_MAX], buf[512];
	struct vr_item it;
	size_t kn;
	int n = 0;

	ck_assert_int_eq(upload(pid, "obj", (const uint8_t *)"hello", 5), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, NULL), 0);
	ck_assert_int_eq(vcore_item_get(c, "v1", "i1", &it), 0);

	/* The object record with a bad layout version. */
	kn = vr_key_id_name(key, pid, "obj");
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(c->db, txn, VDB_OBJECTS, key, kn, &val), 0);
	memcpy(buf, val.mv_data, val.mv_size);
	buf[0] = 9;
	ck_assert_int_eq(vdb_put(c->db, txn, VDB_OBJECTS, key, kn, buf, val.mv_size, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	ck_assert_int_eq(vcore_download_open(c, "v1", "i1", pid, "obj", &d, &o), VG_EINTEGRITY);

	/* The point record cut short. */
	kn = vr_key_id_id(key, it.id, pid);
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(c->db, txn, VDB_POINTS, key, kn, &val), 0);
	memcpy(buf, val.mv_data, val.mv_size);
	ck_assert_int_eq(vdb_put(c->db, txn, VDB_POINTS, key, kn, buf, val.mv_size - 3, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	ck_assert_int_eq(vcore_point_list(c, "v1", "i1", false, count_cb, &n), VG_EINTEGRITY);
}
END_TEST

/* ---- recovery ---- */

START_TEST(recovery_removes_pending_points_and_orphans)
{
	uint8_t *data = random_data(SEG + 10, 7);
	struct vcore_recovery rec;
	struct sinkbuf s = {0};
	struct vs_writer *w;
	struct vs_ctx ctx;
	uint8_t dek[32] = {0}, sha[32];
	uint64_t p1 = begin(), p2, p3, size, count, bad;
	char *f, why[256] = "";

	/* p1 committed; p2 pending with a recorded object; p3 pending, empty. */
	ck_assert_int_eq(upload(p1, "keep", data, SEG + 10), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", p1, NULL), 0);
	p2 = begin();
	ck_assert_int_eq(upload(p2, "lost", data, 1000), 0);
	p3 = begin();
	/* An orphan blob (finished, never recorded) ... */
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(vc_random(ctx.blob, sizeof(ctx.blob)), 0);
	ck_assert_int_eq(vs_writer_new(c->store, dek, &ctx, SEG, &w), 0);
	ck_assert_int_eq(vs_writer_write(w, "orphan", 6), 0);
	ck_assert_int_eq(vs_writer_finish(w, &size, sha), 0);
	vs_writer_free(w, 1);
	/* ... a partial one (the process died mid-upload) ... */
	f = tu_path("%s/00", blobs);
	ck_assert(mkdir(f, 0700) == 0 || errno == EEXIST);
	free(f);
	f = tu_path("%s/00/00112233445566778899aabbccddeeff", blobs);
	tu_write_file(f, "partial", 7, 0600);
	free(f);
	/* ... and a stray temp file. */
	f = tu_path("%s/00/upload.tmp", blobs);
	tu_write_file(f, "x", 1, 0600);
	free(f);
	ck_assert_int_eq(nblobs(), 5);

	/* "Crash": close without aborting anything, reopen, recover. */
	vcore_close(c);
	c = NULL;
	open_core();
	ck_assert_int_eq(vcore_recover(c, &rec), 0);
	ck_assert_uint_eq(rec.pending_points, 2);
	ck_assert_uint_eq(rec.orphan_blobs, 3);  /* p2's, the orphan, the partial */
	ck_assert_uint_eq(rec.stray_files, 1);
	ck_assert_int_eq(nblobs(), 1);
	ck_assert_int_eq(npoints(true), 1);
	ck_assert_int_eq(download(p1, "keep", 0, SEG + 10, &s), 0);
	ck_assert_mem_eq(s.p, data, SEG + 10);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", p2, NULL), VG_ENOTFOUND);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", p3, NULL), VG_ENOTFOUND);

	/* Idempotent. */
	ck_assert_int_eq(vcore_recover(c, &rec), 0);
	ck_assert_uint_eq(rec.pending_points + rec.orphan_blobs + rec.stray_files, 0);
	ck_assert_msg(va_verify(c->audit, c->db, &count, &bad, why, sizeof(why)) == 0, "%s", why);
	free(s.p);
	free(data);
}
END_TEST

/* ---- audit trail and ids ---- */

struct ops {
	char op[16][65];
	int n;
};

static int ops_cb(void *arg, const struct vr_audit *e)
{
	struct ops *o = arg;

	if (o->n < 16)
		strcpy(o->op[o->n], e->op);
	o->n++;
	return 0;
}

START_TEST(every_mutation_is_audited)
{
	static const char *want[] = {
		"vault.create", "item.create", "point.begin", "object.put", "point.commit",
		"point.begin", "point.abort", "denied.thing",
	};
	struct ops o = {.n = 0};
	uint64_t pid = begin(), count, bad;
	MDB_txn *txn;
	char why[256] = "";

	ck_assert_int_eq(upload(pid, "o", (const uint8_t *)"x", 1), 0);
	ck_assert_int_eq(vcore_point_commit(c, &who, "v1", "i1", pid, NULL), 0);
	pid = begin();
	ck_assert_int_eq(vcore_point_abort(c, &who, "v1", "i1", pid), 0);
	ck_assert_int_eq(vcore_audit(c, &who, "denied.thing", "v1", "denied", "because"), 0);
	ck_assert_int_eq(va_verify(c->audit, c->db, &count, &bad, why, sizeof(why)), 0);
	ck_assert_uint_eq(count, 8);
	ck_assert_int_eq(vdb_begin(c->db, false, &txn), 0);
	ck_assert_int_eq(va_iter(c->db, txn, 1, ops_cb, &o), 0);
	vdb_abort(txn);
	ck_assert_int_eq(o.n, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_str_eq(o.op[i], want[i]);
}
END_TEST

START_TEST(point_ids)
{
	char s[17];
	uint64_t id;

	vcore_point_str(0x0123456789abcdefull, s);
	ck_assert_str_eq(s, "0123456789abcdef");
	ck_assert_int_eq(vcore_point_parse(s, &id), 0);
	ck_assert_uint_eq(id, 0x0123456789abcdefull);
	ck_assert_int_eq(vcore_point_parse("0123456789ABCDEF", &id), 0);
	ck_assert_int_eq(vcore_point_parse("0000000000000000", &id), VG_EINVAL);
	ck_assert_int_eq(vcore_point_parse("0123456789abcde", &id), VG_EINVAL);
	ck_assert_int_eq(vcore_point_parse("0123456789abcdef0", &id), VG_EINVAL);
	ck_assert_int_eq(vcore_point_parse("0123456789abcdeg", &id), VG_EINVAL);
	ck_assert_int_eq(vcore_point_parse("", &id), VG_EINVAL);
	ck_assert_int_eq(vcore_point_parse(NULL, &id), VG_EINVAL);
}
END_TEST

Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *model = tcase_create("model"), *io = tcase_create("io"),
	      *damage = tcase_create("damage"), *rec = tcase_create("recovery");

	tcase_add_checked_fixture(model, setup, teardown);
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_checked_fixture(damage, setup, teardown);
	tcase_add_checked_fixture(rec, setup, teardown);
	tcase_set_timeout(io, 120);
	tcase_add_test(model, vaults_and_items);
	tcase_add_test(model, point_invisible_before_commit);
	tcase_add_test(model, pending_point_bound_to_session);
	tcase_add_test(model, abort_removes_blobs);
	tcase_add_test(model, upload_checks);
	tcase_add_test(model, every_mutation_is_audited);
	tcase_add_test(model, point_ids);
	tcase_add_test(io, range_reads_at_segment_edges);
	tcase_add_test(io, exact_multiple_of_segment);
	tcase_add_test(io, zero_byte_object);
	tcase_add_test(damage, tampered_blob_never_returns_bad_bytes);
	tcase_add_test(damage, key_unavailable);
	tcase_add_test(damage, damaged_metadata);
	tcase_add_test(rec, recovery_removes_pending_points_and_orphans);
	suite_add_tcase(s, model);
	suite_add_tcase(s, io);
	suite_add_tcase(s, damage);
	suite_add_tcase(s, rec);
	return s;
}
