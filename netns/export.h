/* export.h - the live ruleset for people (show) and for auditors (JSON).
 *
 * Rules the configuration explains are printed in nft syntax with their
 * comment and live counters; any other rule is printed as its expressions
 * and flagged, so nothing in the kernel is hidden from the reader.
 */
#ifndef VN_EXPORT_H
#define VN_EXPORT_H

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "nft.h"
#include "ruleset.h"

void vn_show_text(const struct vn_ruleset *rs, const struct vn_live *want, const struct vn_live *have,
		  struct vg_wr *out);

/* drift: the number of differences vn_verify found. */
json_t *vn_export_json(const struct vn_config *c, const struct vn_ruleset *rs, const struct vn_live *want,
		       const struct vn_live *have, size_t drift);

/* The index in want/rs of the expected rule that live rule h is, or -1. */
int vn_rule_match(const struct vn_live *want, const struct vn_live_rule *h);

#endif
