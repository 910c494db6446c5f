/* fuzz_netns_config.c - libFuzzer harness: the vaultnet config parser, and
 * for what it accepts, the ruleset, its encoding and the canonical form. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "nft.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_config *c = NULL;
	struct vn_ruleset *rs = NULL;
	struct vn_live *want = NULL;
	char err[VN_ERR_MAX], digest[65];

	if (vn_config_parse("fuzz.conf", (const char *)data, size, &c, err, sizeof(err)))
		return 0;
	vn_config_digest(c, digest);
	if (vn_ruleset_build(c, &rs) == 0) {
		char *t = vn_ruleset_text(rs);

		free(t);
		if (vn_nft_expected(rs, &want) == 0)
			vn_live_free(want);
		vn_ruleset_free(rs);
	}
	vn_config_free(c);
	return 0;
}
