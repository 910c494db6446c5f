/* fuzz_restic_path.c - libFuzzer harness: the restic path grammar
 * (gateway/restic_path.c). Checks, beyond not crashing, that an accepted
 * path round-trips through the object name it sends to vaultd. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "restic_path.h"
#include "vg_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_restic_path p;
	enum gw_rp_type t;
	char path[1024], id[GW_RESTIC_ID_LEN + 1];

	if (size >= sizeof(path))
		return 0;
	memcpy(path, data, size);
	path[size] = 0;
	if (gw_restic_path_parse(path, &p))
		return 0;
	if (strstr(path, "..") || strstr(path, "//") || strchr(path, '%'))
		abort();  /* the grammar must never let these through */
	if (p.kind == GW_RP_CONFIG || p.kind == GW_RP_FILE) {
		if (gw_restic_object_parse(p.object, &t, id))
			abort();
		if (p.kind == GW_RP_FILE && (t != p.type || strcmp(id, p.id) != 0))
			abort();
	}
	if (vg_name_check(p.item, VG_ITEM_NAME_MAX))
		abort();
	return 0;
}
