/* vg_meta.c - list what a vaultd metadata directory references.
 *
 *   vg-meta META blobs          blob ids in the blobs reverse index (hex)
 *   vg-meta META object-blobs   blob ids named by object records (hex)
 *   vg-meta META points         "<point id hex> <state>" for every point
 *
 * Integration tests compare these sets with the files under STATE/blobs.
 */
#include <string.h>

#include "buf.h"
#include "meta.h"
#include "record.h"

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	const char *what;
	int rc, bad = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: vg-meta META blobs|object-blobs|points\n");
		return 2;
	}
	what = argv[2];
	if (strcmp(what, "blobs") == 0)
		meta_open(argv[1], "blobs", 1, &env, &txn, &dbi);
	else if (strcmp(what, "object-blobs") == 0)
		meta_open(argv[1], "objects", 1, &env, &txn, &dbi);
	else if (strcmp(what, "points") == 0)
		meta_open(argv[1], "points", 1, &env, &txn, &dbi);
	else {
		fprintf(stderr, "vg-meta: unknown listing %s\n", what);
		return 2;
	}
	if ((rc = mdb_cursor_open(txn, dbi, &cur)))
		meta_die("cursor", rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char hex[2 * VC_BLOBID_LEN + 1];

		if (strcmp(what, "blobs") == 0) {
			if (k.mv_size != VC_BLOBID_LEN) {
				bad++;
				continue;
			}
			vg_hex(hex, k.mv_data, VC_BLOBID_LEN);
			printf("%s\n", hex);
		} else if (strcmp(what, "object-blobs") == 0) {
			struct vr_object o;
			if (vr_object_dec(v.mv_data, v.mv_size, &o)) {
				bad++;
				continue;
			}
			vg_hex(hex, o.blob, VC_BLOBID_LEN);
			printf("%s\n", hex);
		} else {
			struct vr_point p;
			uint8_t id[8];
			char ids[17];
			if (vr_point_dec(v.mv_data, v.mv_size, &p)) {
				bad++;
				continue;
			}
			vg_put_u64(id, p.id);
			vg_hex(ids, id, 8);
			printf("%s %s\n", ids, vr_point_state_name(p.state));
		}
	}
	if (rc != MDB_NOTFOUND)
		meta_die("cursor", rc);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	if (bad) {
		fprintf(stderr, "vg-meta: %d undecodable records\n", bad);
		return 1;
	}
	return 0;
}
