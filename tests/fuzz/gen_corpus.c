/* gen_corpus.c - writes the seed corpora under tests/fuzz/corpus/ with the
 * real encoders (so seeds never drift from the formats), plus hand-broken
 * variants:
 *
 *   ninja -C build tests/fuzz/gen_corpus && build/tests/fuzz/gen_corpus tests/fuzz/corpus
 *
 * The generated files are committed; meson test replays them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ops.h"
#include "record.h"
#include "vg_err.h"
#include "wire.h"

static const char *outdir;

static void put(const char *harness, const char *name, const void *p, size_t n)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* ---- frames ---- */

static struct vg_wr wr;

static void frame_done(const char *name)
{
	if (vg_msgb_end(&wr)) {
		fprintf(stderr, "%s: encode failed\n", name);
		exit(1);
	}
	put("fuzz_wire", name, wr.p, wr.len);
}

static void raw_frame(const char *name, uint8_t type, uint8_t flags, uint32_t len,
	const void *payload, size_t n)
{
	uint8_t b[256] = {'V', 'G', type, flags, 0, 0, 0, 7};

	vg_put_u32(b + 8, len);
	memcpy(b + VG_WIRE_HDR, payload, n);
	put("fuzz_wire", name, b, VG_WIRE_HDR + n);
}

static void wire_corpus(void)
{
	uint8_t sha[32], data[100];
	static const uint8_t dup[] = {0, 5, 0, 0, 0, 1, 'a', 0, 5, 0, 0, 0, 1, 'b'};
	static const uint8_t unknown[] = {0, 0xff, 0, 0, 0, 1, 'x'};
	static const uint8_t cut[] = {0, 5, 0, 0, 0, 9, 'a', 'b'};
	static const uint8_t nul[] = {0, 8, 0, 0, 0, 3, 'a', 0, 'b'};
	static const uint8_t shortu32[] = {0, 2, 0, 0, 0, 3, 1, 2, 3};

	for (int i = 0; i < 32; i++)
		sha[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);

	vg_msgb_begin(&wr, VG_F_HELLO, 0, 1);
	vg_msgb_u32(&wr, VG_TAG_VERSION, VG_WIRE_VERSION);
	frame_done("hello");
	vg_msgb_begin(&wr, VG_F_WELCOME, 0, 1);
	vg_msgb_u32(&wr, VG_TAG_VERSION, VG_WIRE_VERSION);
	frame_done("welcome");
	vg_msgb_begin(&wr, VG_F_REQ, 0, 2);
	vg_msgb_u32(&wr, VG_TAG_OP, VG_OP_VAULT_CREATE);
	vg_msgb_str(&wr, VG_TAG_AUTH_USER, "admin");
	vg_msgb_str(&wr, VG_TAG_AUTH_TOKEN, "secret-token");
	vg_msgb_str(&wr, VG_TAG_PEER, "10.1.2.3");
	vg_msgb_str(&wr, VG_TAG_VAULT, "v1");
	frame_done("req-vault-create");
	vg_msgb_begin(&wr, VG_F_REQ, 0, 3);
	vg_msgb_u32(&wr, VG_TAG_OP, VG_OP_OBJECT_PUT);
	vg_msgb_str(&wr, VG_TAG_VAULT, "v1");
	vg_msgb_str(&wr, VG_TAG_ITEM, "host1:srv");
	vg_msgb_str(&wr, VG_TAG_POINT, "0123456789abcdef");
	vg_msgb_str(&wr, VG_TAG_OBJECT, "data.tar");
	vg_msgb_u64(&wr, VG_TAG_SIZE, 123456789);
	vg_msgb_bytes(&wr, VG_TAG_SHA256, sha, 32);
	frame_done("req-object-put");
	vg_msgb_begin(&wr, VG_F_RESP, 0, 4);
	vg_msgb_u32(&wr, VG_TAG_STATUS, 0);
	vg_msgb_u64(&wr, VG_TAG_SIZE, 1 << 20);
	vg_msgb_u64(&wr, VG_TAG_OFFSET, 1048575);
	vg_msgb_u64(&wr, VG_TAG_LENGTH, 2);
	vg_msgb_bytes(&wr, VG_TAG_SHA256, sha, 32);
	frame_done("resp-ok");
	vg_msgb_begin(&wr, VG_F_RESP, 0, 5);
	vg_msgb_u32(&wr, VG_TAG_STATUS, (uint32_t)VG_EINTEGRITY);
	vg_msgb_str(&wr, VG_TAG_MESSAGE, "integrity check failed: stored data was altered");
	frame_done("resp-error");
	vg_msgb_begin(&wr, VG_F_WINDOW, 0, 3);
	vg_msgb_u32(&wr, VG_TAG_CREDIT, 4u << 20);
	frame_done("window");
	vg_msgb_begin(&wr, VG_F_END, VG_FL_ABORT, 3);
	frame_done("end-abort");
	vg_msgb_begin(&wr, VG_F_ROW, 0, 6);
	vg_msgb_u64(&wr, VG_TAG_SEQ, 42);
	vg_msgb_u64(&wr, VG_TAG_TIME, 1700000000);
	vg_msgb_str(&wr, VG_TAG_PRINCIPAL, "root@local");
	vg_msgb_str(&wr, VG_TAG_OPNAME, "object.put");
	vg_msgb_str(&wr, VG_TAG_TARGET, "v1/i1/0123456789abcdef/o");
	vg_msgb_str(&wr, VG_TAG_RESULT, "ok");
	vg_msgb_str(&wr, VG_TAG_REASON, "3 bytes");
	vg_msgb_str(&wr, VG_TAG_PEER, "local");
	vg_msgb_bytes(&wr, VG_TAG_HASH, sha, 32);
	frame_done("row-audit");
	vg_wr_free(&wr);

	raw_frame("data", VG_F_DATA, 0, sizeof(data), data, sizeof(data));
	/* Broken on purpose. */
	raw_frame("bad-data-empty", VG_F_DATA, 0, 0, NULL, 0);
	raw_frame("bad-duplicate-tag", VG_F_REQ, 0, sizeof(dup), dup, sizeof(dup));
	raw_frame("bad-unknown-tag", VG_F_REQ, 0, sizeof(unknown), unknown, sizeof(unknown));
	raw_frame("bad-truncated-field", VG_F_REQ, 0, sizeof(cut), cut, sizeof(cut));
	raw_frame("bad-nul-in-string", VG_F_REQ, 0, sizeof(nul), nul, sizeof(nul));
	raw_frame("bad-u32-length", VG_F_REQ, 0, sizeof(shortu32), shortu32, sizeof(shortu32));
	raw_frame("bad-flags", VG_F_REQ, VG_FL_ABORT, 0, NULL, 0);
	raw_frame("bad-type", 9, 0, 0, NULL, 0);
	raw_frame("bad-oversized", VG_F_RESP, 0, VG_WIRE_MAX_CTRL + 1, NULL, 0);
	raw_frame("bad-short-payload", VG_F_RESP, 0, 200, dup, sizeof(dup));
	{
		uint8_t b[VG_WIRE_HDR] = {'G', 'V', VG_F_REQ};
		put("fuzz_wire", "bad-magic", b, sizeof(b));
	}
}

/* ---- records ---- */

static int encode(struct vg_wr *w, uint8_t sel, const void *v)
{
	switch (sel) {
	case 0: return vr_vault_enc(w, v);
	case 1: return vr_item_enc(w, v);
	case 2: return vr_point_enc(w, v);
	case 3: return vr_object_enc(w, v);
	case 4: return vr_blobref_enc(w, v);
	default: return vr_audit_enc(w, v);
	}
}

/* The selector byte, then the record; cut bytes off the end, or set a
 * layout version (-1: keep). */
static void rec(const char *name, uint8_t sel, const void *v, int cut, int version)
{
	struct vg_wr w;

	vg_wr_init(&w, 0);
	vg_wr_u8(&w, sel);
	if (encode(&w, sel, v)) {
		fprintf(stderr, "%s: encode failed\n", name);
		exit(1);
	}
	if (version >= 0)
		w.p[1] = (uint8_t)version;
	put("fuzz_record", name, w.p, w.len - (size_t)cut);
	vg_wr_free(&w);
}

static void record_corpus(void)
{
	struct vr_vault v = {.id = 1, .created = 1700000000, .sd_state = VR_SD_ON, .sd_days = 14,
		.keyref = "local", .wrapped_len = 60};
	struct vr_item it = {.id = 2, .vault_id = 1, .created = 1700000001, .kind = "files",
		.owner = "root@local", .policy = "default"};
	struct vr_point p = {.id = 3, .item_id = 2, .state = VR_P_ACTIVE, .created = 5,
		.committed = 6, .bytes = 1 << 20, .objects = 1, .principal = "root@local"};
	struct vr_object o = {.size = 1 << 20, .seg_size = 1 << 20, .created = 7};
	struct vr_blobref br = {.vault_id = 1, .item_id = 2, .point_id = 3, .object = "data.tar"};
	struct vr_audit a = {.seq = 1, .time = 8, .principal = "root@local", .op = "vault.create",
		.target = "v1", .result = "ok", .reason = "", .peer = "local"};

	memset(v.wrapped, 0xab, 60);
	memset(o.blob, 0x11, sizeof(o.blob));
	memset(o.sha256, 0x22, sizeof(o.sha256));
	memset(a.hash, 0x33, sizeof(a.hash));
	rec("vault", 0, &v, 0, -1);
	rec("item", 1, &it, 0, -1);
	rec("point", 2, &p, 0, -1);
	rec("object", 3, &o, 0, -1);
	rec("blobref", 4, &br, 0, -1);
	rec("audit", 5, &a, 0, -1);
	rec("bad-vault-truncated", 0, &v, 5, -1);
	rec("bad-point-version", 2, &p, 0, 2);
	rec("bad-audit-truncated", 5, &a, 1, -1);
	o.seg_size = 0;
	rec("bad-object-segsize", 3, &o, 0, -1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus OUTDIR (tests/fuzz/corpus)\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	wire_corpus();
	record_corpus();
	return 0;
}
