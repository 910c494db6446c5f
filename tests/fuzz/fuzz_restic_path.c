/* fuzz_restic_path.c - libFuzzer harness: the restic path grammar
 * (common/restic_path.c). Checks, beyond not crashing, that an accepted
 * path round-trips through the object name it sends to vaultd. */
#include <string.h>

#include "fuzz.h"
#include "restic_path.h"
#include "vg_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_restic_path p;
	enum vg_rp_type t;
	char path[1024], id[VG_RESTIC_ID_LEN + 1];

	/* A request path never holds NUL (http.c refuses control bytes). */
	if (size >= sizeof(path) || memchr(data, 0, size))
		return 0;
	memcpy(path, data, size);
	path[size] = 0;
	if (vg_restic_path_parse(path, &p))
		return 0;
	/* The grammar never lets these through. */
	FUZZ_CHECK(!strstr(path, "..") && !strstr(path, "//") && !strchr(path, '%'));
	if (p.kind == VG_RP_CONFIG || p.kind == VG_RP_FILE) {
		FUZZ_CHECK(vg_restic_object_parse(p.object, &t, id) == 0);
		FUZZ_CHECK(p.kind != VG_RP_FILE || (t == p.type && strcmp(id, p.id) == 0));
	}
	FUZZ_CHECK(vg_name_check(p.item, VG_ITEM_NAME_MAX) == 0);
	return 0;
}
